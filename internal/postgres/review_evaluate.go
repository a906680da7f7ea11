package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

// The evaluation of a review, in sets: every titled village of every district
// in the area is evaluated by a fixed number of statements (one per family of
// standards, then the results, scores, ranks and summary), whatever the size.

// MetricName is the display name of a compliance metric.
type MetricName struct {
	Key    string
	Zh, En string
	// Number: a village's value is a number to reach (kinds of culture
	// carriers), shown alone rather than as numerator/denominator.
	Number bool
}

// EvaluateSpec is what the evaluation needs from outside the store: the
// metrics' names, and which metrics make the score's compliance and outcome parts.
type EvaluateSpec struct {
	Metrics           []MetricName
	ComplianceMetrics []string
	OutcomeMetrics    []string
}

// scoreWeights is the setting review.score_weights.
type scoreWeights struct {
	Compliance float64 `json:"compliance"`
	Outcomes   float64 `json:"outcomes"`
	Inspection float64 `json:"inspection"`
}

// evaluateSettings are the settings in force for an evaluation.
type evaluateSettings struct {
	offsets     map[string]int
	weights     scoreWeights
	capRaw      string // threshold.creation_rate as written (exact decimal)
	brand       int
	national    int
	noDataFails bool
}

func readEvaluateSettings(tx *Tx, at time.Time) (evaluateSettings, error) {
	var s evaluateSettings
	if err := settingAt(tx, "review.metric_year_offsets", at, &s.offsets); err != nil {
		return s, err
	}
	if err := settingAt(tx, "review.score_weights", at, &s.weights); err != nil {
		return s, err
	}
	var raw json.RawMessage
	if err := settingAt(tx, "threshold.creation_rate", at, &raw); err != nil {
		return s, err
	}
	s.capRaw = string(raw)
	if err := settingAt(tx, "review.brand_per_district", at, &s.brand); err != nil {
		return s, err
	}
	if err := settingAt(tx, "review.national_per_city", at, &s.national); err != nil {
		return s, err
	}
	return s, settingAt(tx, "review.no_data_fails", at, &s.noDataFails)
}

// EvaluateReviews evaluates the year's reviews of every district at or under
// the area: each titled village's standards (computed from the metric
// snapshots and the household registry, or taken from inspection findings,
// rectification re-checks and accepted proposals), its recommendation with the
// reasons, the comprehensive score, the rank in its district, elimination at
// the bottom until the district's creation rate is at or below the cap, the
// brand catalogue, and, for every city the caller's scope covers, the rank in
// the city and the national recommendation.
func (db *DB) EvaluateReviews(ctx context.Context, areaID int64, year int, spec EvaluateSpec) ([]*core.Review, error) {
	var out []*core.Review
	err := db.InScope(ctx, func(tx *Tx) error {
		var area struct {
			Path  string           `db:"path"`
			Level core.RegionLevel `db:"level"`
		}
		if err := tx.Get(&area, `SELECT path::text AS path, level FROM regions WHERE id = $1`, areaID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("行政区 / region").WithField("input", "areaCode")
			}
			return err
		}
		if actorOf(tx).Role.Rank() < core.RoleDistrictAdmin.Rank() {
			return core.Errorf(core.EFORBIDDEN, "只有区司法局及以上可以评估", "only the district bureau or above may evaluate")
		}
		var reviews []*core.Review
		if err := tx.Select(&reviews, `SELECT `+reviewCols+` FROM reviews rv JOIN regions d ON d.id = rv.region_id
			WHERE rv.year = $1 AND d.path <@ $2::ltree ORDER BY rv.id FOR UPDATE OF rv`, year, area.Path); err != nil {
			return err
		}
		if area.Level < core.LevelDistrict {
			// Over a city or province, confirmed reviews are final: they keep
			// their results (which still count in the city's ranking).
			open := reviews[:0]
			for _, r := range reviews {
				if r.Stage != core.StageClosed {
					open = append(open, r)
				}
			}
			reviews = open
		}
		if len(reviews) == 0 {
			return core.NotFound("复核 / review").WithField("input", "areaCode")
		}
		role := actorOf(tx).Role
		ids := make([]int64, len(reviews))
		for i, r := range reviews {
			if err := core.CheckReviewAction(role, r.Stage, core.ActEvaluate); err != nil {
				return err
			}
			ids[i] = r.ID
		}
		st, err := readEvaluateSettings(tx, db.Now())
		if err != nil {
			return err
		}
		if err := evaluate(tx, ids, year, spec, st); err != nil {
			return err
		}
		if err := tx.Select(&out, `SELECT `+reviewCols+` FROM reviews rv JOIN regions d ON d.id = rv.region_id
			WHERE rv.id = ANY($1) ORDER BY d.code`, pq.Array(ids)); err != nil {
			return err
		}
		// One audit record per review, written by one statement.
		a := actorOf(tx)
		_, err = tx.Exec(`INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, after)
			SELECT $2, $3, $4, 'review.evaluate', 'review', rv.id, rv.region_id,
			  jsonb_build_object('ID', rv.id, 'Year', rv.year, 'RegionID', rv.region_id, 'Stage', rv.stage, 'EvaluatedAt', rv.evaluated_at,
			    'VillagesTotal', rv.villages_total, 'Titled', rv.titled, 'Kept', rv.kept, 'Revoked', rv.revoked, 'Cancelled', rv.cancelled,
			    'Eliminated', rv.eliminated, 'Cap', rv.cap, 'RateBefore', rv.rate_before, 'RateAfter', rv.rate_after, 'Version', rv.version)
			FROM reviews rv WHERE rv.id = ANY($1) ORDER BY rv.id`, pq.Array(ids), actorIDOf(a), a.Name, string(a.Role))
		return err
	})
	return out, err
}

// standardArrays returns the standards catalogue as parallel arrays for unnest.
func standardArrays() (codes, families, zh, en []string, ord []int64) {
	for i, s := range core.Standards {
		codes, families, zh, en = append(codes, s.Code), append(families, s.Family), append(zh, s.Zh), append(en, s.En)
		ord = append(ord, int64(i))
	}
	return
}

func evaluate(tx *Tx, ids []int64, year int, spec EvaluateSpec, st evaluateSettings) error {
	rids := pq.Array(ids)
	// The titled villages of the reviews.
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		// Sorts and hashes over every titled village stay in memory.
		{"memory", `SET LOCAL work_mem = '64MB'`, nil},
		// A review's area is a district: its villages lie three levels below the root.
		{"villages", `CREATE TEMP TABLE rv_v ON COMMIT DROP AS
			SELECT rv.id AS review_id, rv.region_id AS district_id, d.parent_id AS city_id, v.parent_id AS town_id,
			       v.id AS village_id, v.code, t.id AS title_id, t.batch, t.year AS title_year,
			       lv_exists_on(v.established_on, v.dissolved_on, make_date($2, 12, 31)) AS current
			FROM reviews rv JOIN regions d ON d.id = rv.region_id
			JOIN regions v ON subpath(v.path, 0, 3) = d.path AND v.level = 5
			JOIN titles t ON t.village_id = v.id AND t.level = 'provincial' AND t.status = 'retained'
			WHERE rv.id = ANY($1)`, []any{rids, year}},
		{"analyze", `ANALYZE rv_v`, nil},
		{"totals", `CREATE TEMP TABLE rv_tot ON COMMIT DROP AS
			SELECT rv.id AS review_id, count(x.id) AS n, floor($2::numeric * count(x.id))::int AS max_keep
			FROM reviews rv JOIN regions d ON d.id = rv.region_id LEFT JOIN regions x ON subpath(x.path, 0, 3) = d.path AND x.level = 5
			  AND lv_exists_on(x.established_on, x.dissolved_on, make_date($3, 12, 31))
			WHERE rv.id = ANY($1) GROUP BY rv.id`, []any{rids, st.capRaw, year}},
		{"standards", `CREATE TEMP TABLE rv_s (review_id bigint, village_id bigint, standard text, result text, source text,
			note text, note_en text, numbers jsonb) ON COMMIT DROP`, nil},
	}
	for _, s := range steps {
		if _, err := tx.Exec(s.sql, s.args...); err != nil {
			return fmt.Errorf("review evaluation %s: %w", s.name, err)
		}
	}

	// Computed standards from the metric snapshots: one statement for all.
	var mStd, mKey, mZh, mEn []string
	var mYear, mOrd []int64
	var mNumber []bool
	names := map[string]MetricName{}
	for _, m := range spec.Metrics {
		names[m.Key] = m
	}
	for _, s := range core.Standards {
		for i, key := range s.Metrics {
			n := names[key]
			if n.Zh == "" {
				n = MetricName{Key: key, Zh: key, En: key}
			}
			mStd, mKey, mZh, mEn = append(mStd, s.Code), append(mKey, key), append(mZh, n.Zh), append(mEn, n.En)
			mYear, mOrd, mNumber = append(mYear, int64(year+st.offsets[s.Code])), append(mOrd, int64(i)), append(mNumber, n.Number)
		}
	}
	if _, err := tx.Exec(`
WITH m AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::bool[]) AS m(standard, metric, yr, zh, en, ord, number)),
x AS (
  SELECT v.review_id, v.village_id, m.standard, m.metric, m.yr, m.zh, m.en, m.ord, s.numerator, s.denominator, s.value,
         s.threshold, s.comparator, coalesce(s.status, 'no_data') AS status,
         CASE WHEN s.status IS NULL OR s.status = 'no_data' THEN NULL
              WHEN s.comparator = '=0' OR m.number THEN trim_scale(s.numerator)::text
              ELSE trim_scale(s.numerator) || '/' || trim_scale(s.denominator) || ' = ' || trim_scale(round(s.value, 4)) END AS shown,
         CASE WHEN s.comparator = '=0' THEN '= 0' ELSE s.comparator || ' ' || trim_scale(s.threshold) END AS rule
  FROM rv_v v CROSS JOIN m
  LEFT JOIN metric_snapshots s ON s.metric = m.metric AND s.region_id = v.village_id AND s.period = m.yr::text)
INSERT INTO rv_s (review_id, village_id, standard, result, source, note, note_en, numbers)
SELECT review_id, village_id, standard,
  CASE WHEN bool_or(status = 'not_met') THEN 'fail' WHEN bool_or(status = 'no_data') THEN 'no_data' ELSE 'pass' END,
  'metric',
  string_agg(zh || ' ' || yr || '：' || CASE WHEN shown IS NULL THEN '无数据'
      ELSE shown || '（应' || rule || '）' || CASE status WHEN 'met' THEN '达标' ELSE '未达标' END END, '；' ORDER BY ord),
  string_agg(en || ' ' || yr || ': ' || CASE WHEN shown IS NULL THEN 'no data'
      ELSE shown || ' (must be ' || rule || ') ' || CASE status WHEN 'met' THEN 'met' ELSE 'not met' END END, '; ' ORDER BY ord),
  jsonb_agg(jsonb_build_object('metric', metric, 'period', yr::text, 'numerator', numerator, 'denominator', denominator,
    'value', value, 'threshold', threshold, 'comparator', comparator, 'status', status) ORDER BY ord)
FROM x GROUP BY review_id, village_id, standard`,
		pq.Array(mStd), pq.Array(mKey), pq.Array(mYear), pq.Array(mZh), pq.Array(mEn), pq.Array(mOrd), pq.Array(mNumber)); err != nil {
		return fmt.Errorf("review evaluation metrics: %w", err)
	}

	// B9 from the household registry: every household has a family rule.
	if _, err := tx.Exec(`
WITH h AS (
  SELECT h.village_id, count(*) AS n, count(*) FILTER (WHERE h.has_family_rule) AS ruled
  FROM households h WHERE h.deleted_at IS NULL AND h.village_id IN (SELECT village_id FROM rv_v) GROUP BY h.village_id),
x AS (
  SELECT v.review_id, v.village_id, coalesce(h.n, 0) AS n, coalesce(h.ruled, 0) AS ruled,
         CASE WHEN coalesce(h.n, 0) = 0 THEN 'no_data' WHEN h.ruled = h.n THEN 'met' ELSE 'not_met' END AS status
  FROM rv_v v LEFT JOIN h ON h.village_id = v.village_id)
INSERT INTO rv_s (review_id, village_id, standard, result, source, note, note_en, numbers)
SELECT review_id, village_id, 'B9',
  CASE status WHEN 'met' THEN 'pass' WHEN 'not_met' THEN 'fail' ELSE 'no_data' END, 'households',
  CASE WHEN n = 0 THEN '有家规家训的户：户籍无数据' ELSE format('有家规家训的户 %s/%s（应全部）%s', ruled, n, CASE status WHEN 'met' THEN '达标' ELSE '未达标' END) END,
  CASE WHEN n = 0 THEN 'households with a family rule: no household data' ELSE format('households with a family rule %s/%s (must be all) %s', ruled, n, replace(status, '_', ' ')) END,
  jsonb_build_array(jsonb_build_object('metric', 'family_rule', 'period', $1::text, 'numerator', ruled, 'denominator', n,
    'value', CASE WHEN n > 0 THEN round(ruled::numeric / n, 6) END, 'threshold', 1, 'comparator', '>=', 'status', status))
FROM x`, strconv.Itoa(year)); err != nil {
		return fmt.Errorf("review evaluation households: %w", err)
	}

	// Current inspection findings; a failed one counts as passed when a later
	// rectification order on the same standard was re-checked as passed.
	if _, err := tx.Exec(`
INSERT INTO rv_s (review_id, village_id, standard, result, source, note, note_en, numbers)
SELECT f.review_id, f.village_id, f.standard,
  CASE WHEN f.result = 'pass' OR rc.result = 'pass' THEN 'pass' ELSE 'fail' END,
  CASE WHEN f.result = 'fail' AND rc.result = 'pass' THEN 'rectified' ELSE 'finding' END,
  CASE f.stage WHEN 'first_review' THEN '区' WHEN 'city_review' THEN '市' ELSE '省' END || '现场检查'
    || CASE f.result WHEN 'pass' THEN '符合' ELSE '不符合' END || CASE WHEN f.note <> '' THEN '（' || f.note || '）' ELSE '' END
    || CASE rc.result WHEN 'pass' THEN '，整改复查合格' WHEN 'fail' THEN '，整改复查不合格' ELSE '' END,
  CASE f.stage WHEN 'first_review' THEN 'district' WHEN 'city_review' THEN 'city' ELSE 'province' END || ' on-site check: '
    || CASE f.result WHEN 'pass' THEN 'met' ELSE 'not met' END || CASE WHEN f.note <> '' THEN ' (' || f.note || ')' ELSE '' END
    || CASE rc.result WHEN 'pass' THEN ', rectified and re-checked' WHEN 'fail' THEN ', re-check after rectification failed' ELSE '' END,
  '[]'::jsonb
FROM review_findings f JOIN rv_v v ON v.review_id = f.review_id AND v.village_id = f.village_id
LEFT JOIN LATERAL (
  SELECT x.recheck_result AS result FROM review_rectifications x
  WHERE x.review_id = f.review_id AND x.village_id = f.village_id AND x.standard = f.standard
    AND x.recheck_result IS NOT NULL AND x.created_at >= f.created_at
  ORDER BY x.rechecked_on DESC, x.id DESC LIMIT 1) rc ON f.result = 'fail'
WHERE f.superseded_at IS NULL`); err != nil {
		return fmt.Errorf("review evaluation findings: %w", err)
	}

	// Rules C1-C3 applied by division adjustments up to the end of the review
	// year and not yet decided by an earlier review.
	if _, err := tx.Exec(`
INSERT INTO rv_s (review_id, village_id, standard, result, source, note, note_en, numbers)
SELECT v.review_id, v.village_id, r.rule, CASE r.rule WHEN 'C2' THEN 'fail' ELSE 'pass' END, 'division',
  '区划调整：' || r.note || '（' || c.decision_document || '）',
  'division adjustment: ' || r.note_en || ' (' || c.decision_document || ')', '[]'::jsonb
FROM rv_v v JOIN title_division_rulings r ON r.title_id = v.title_id
JOIN division_changes c ON c.id = r.change_id
WHERE (r.review_id IS NULL OR r.review_id = v.review_id) AND r.effective_on <= make_date($1, 12, 31)`, year); err != nil {
		return fmt.Errorf("review evaluation division rulings: %w", err)
	}

	// Accepted proposals of the towns.
	if _, err := tx.Exec(`
INSERT INTO rv_s (review_id, village_id, standard, result, source, note, note_en, numbers)
SELECT p.review_id, p.village_id, s.standard, 'fail', 'proposal',
  '镇(街道)提出、经审定采纳：' || p.explanation || CASE WHEN p.decision_note <> '' THEN '（审定意见：' || p.decision_note || '）' ELSE '' END,
  'proposed by the town and accepted: ' || p.explanation || CASE WHEN p.decision_note <> '' THEN ' (decision: ' || p.decision_note || ')' ELSE '' END,
  '[]'::jsonb
FROM review_proposals p JOIN rv_v v ON v.review_id = p.review_id AND v.village_id = p.village_id
CROSS JOIN LATERAL unnest(p.standards) AS s(standard)
WHERE p.status = 'accepted'`); err != nil {
		return fmt.Errorf("review evaluation proposals: %w", err)
	}

	// One row per village and standard: failed by any source, else passed by any, else no data.
	if _, err := tx.Exec(`DELETE FROM review_standard_results WHERE review_id = ANY($1)`, rids); err != nil {
		return err
	}
	if _, err := tx.Exec(`
INSERT INTO review_standard_results (review_id, village_id, standard, result, sources, note, note_en, numbers)
SELECT review_id, village_id, standard,
  CASE WHEN bool_or(result = 'fail') THEN 'fail' WHEN bool_or(result = 'pass') THEN 'pass' WHEN $1 THEN 'fail' ELSE 'no_data' END,
  array_agg(DISTINCT source ORDER BY source),
  string_agg(note, '；' ORDER BY source, note)
    || CASE WHEN $1 AND NOT bool_or(result IN ('pass', 'fail')) THEN '；无数据，按未达标处理' ELSE '' END,
  string_agg(note_en, '; ' ORDER BY source, note_en)
    || CASE WHEN $1 AND NOT bool_or(result IN ('pass', 'fail')) THEN '; no data, counted as not met' ELSE '' END,
  coalesce((array_agg(numbers) FILTER (WHERE numbers <> '[]'::jsonb))[1], '[]'::jsonb)
FROM rv_s GROUP BY review_id, village_id, standard`, st.noDataFails); err != nil {
		return fmt.Errorf("review evaluation standard results: %w", err)
	}

	// The recommendation of each village: cancel (C2), revoke (A or B), keep.
	codes, fams, zh, en, ord := standardArrays()
	// Results are computed in a temporary table and written once: an update of
	// a row inserted in the same transaction would check its foreign keys again.
	if _, err := tx.Exec(`CREATE TEMP TABLE rv_r (LIKE review_results) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := tx.Exec(`
WITH st AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS st(code, family, zh, en, ord)),
f AS (
  SELECT r.review_id, r.village_id,
    array_agg(r.standard ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family IN ('A', 'B')) AS revoke_causes,
    array_agg(r.standard ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family = 'C') AS cancel_causes,
    string_agg(r.standard || ' ' || st.zh || '：' || r.note, '；' ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family IN ('A', 'B')) AS revoke_zh,
    string_agg(r.standard || ' ' || st.en || ': ' || r.note_en, '; ' ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family IN ('A', 'B')) AS revoke_en,
    string_agg(r.standard || ' ' || st.zh || '：' || r.note, '；' ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family = 'C') AS cancel_zh,
    string_agg(r.standard || ' ' || st.en || ': ' || r.note_en, '; ' ORDER BY st.ord) FILTER (WHERE r.result = 'fail' AND st.family = 'C') AS cancel_en,
    string_agg(r.standard, '、' ORDER BY st.ord) FILTER (WHERE r.result = 'no_data') AS unverified,
    string_agg(r.standard, ', ' ORDER BY st.ord) FILTER (WHERE r.result = 'no_data') AS unverified_en
  FROM review_standard_results r JOIN st ON st.code = r.standard
  WHERE r.review_id = ANY($1) GROUP BY r.review_id, r.village_id)
INSERT INTO rv_r (review_id, village_id, title_id, batch, title_year, recommendation, causes, explanation, explanation_en,
  eliminated, brand, national, evaluated_at)
SELECT v.review_id, v.village_id, v.title_id, v.batch, v.title_year,
  CASE WHEN f.cancel_causes IS NOT NULL THEN 'cancel' WHEN f.revoke_causes IS NOT NULL THEN 'revoke' ELSE 'keep' END,
  coalesce(f.cancel_causes, f.revoke_causes, '{}'),
  CASE WHEN f.cancel_causes IS NOT NULL THEN '建议注销。' || f.cancel_zh
       WHEN f.revoke_causes IS NOT NULL THEN '建议撤销。' || f.revoke_zh
       ELSE '建议保留：未发现撤销情形，升级标准未发现不符合' || coalesce('；无数据、未核实：' || f.unverified, '') END,
  CASE WHEN f.cancel_causes IS NOT NULL THEN 'Cancel. ' || f.cancel_en
       WHEN f.revoke_causes IS NOT NULL THEN 'Revoke. ' || f.revoke_en
       ELSE 'Keep: no revocation situation and no upgrade standard found unmet' || coalesce('; unverified for lack of data: ' || f.unverified_en, '') END,
  false, false, false, now()
FROM rv_v v LEFT JOIN f ON f.review_id = v.review_id AND f.village_id = v.village_id`,
		rids, pq.Array(codes), pq.Array(fams), pq.Array(zh), pq.Array(en), pq.Array(ord)); err != nil {
		return fmt.Errorf("review evaluation results: %w", err)
	}

	// The comprehensive score of every village that keeps its title.
	if _, err := tx.Exec(`
WITH cm AS (SELECT unnest($2::text[]) AS metric), om AS (SELECT unnest($3::text[]) AS metric),
c AS (
  SELECT v.review_id, v.village_id, avg(least(1, coalesce(s.value, 0))) AS part
  FROM rv_v v CROSS JOIN cm LEFT JOIN metric_snapshots s ON s.region_id = v.village_id AND s.metric = cm.metric AND s.period = $1
  GROUP BY v.review_id, v.village_id),
o AS (
  SELECT v.review_id, v.village_id, coalesce(avg(least(1, s.value)) FILTER (WHERE s.status <> 'no_data' AND s.value IS NOT NULL), 0) AS part
  FROM rv_v v CROSS JOIN om LEFT JOIN metric_snapshots s ON s.region_id = v.village_id AND s.metric = om.metric AND s.period = $1
  GROUP BY v.review_id, v.village_id),
i AS (
  SELECT review_id, village_id,
    (count(*) FILTER (WHERE source = 'finding' AND result = 'pass') + 0.5 * count(*) FILTER (WHERE source = 'rectified'))::numeric / count(*) AS part
  FROM rv_s WHERE source IN ('finding', 'rectified') AND standard ~ '^[AB]' GROUP BY review_id, village_id)
UPDATE rv_r r SET compliance = round(c.part, 6), outcomes = round(o.part, 6), inspection = round(coalesce(i.part, 0), 6),
  score = round(100 * ($4::numeric * c.part + $5::numeric * o.part + $6::numeric * coalesce(i.part, 0)), 2)
FROM c JOIN o ON o.review_id = c.review_id AND o.village_id = c.village_id
LEFT JOIN i ON i.review_id = c.review_id AND i.village_id = c.village_id
WHERE r.review_id = c.review_id AND r.village_id = c.village_id AND r.recommendation = 'keep'`,
		strconv.Itoa(year), pq.Array(spec.ComplianceMetrics), pq.Array(spec.OutcomeMetrics),
		fmt.Sprint(st.weights.Compliance), fmt.Sprint(st.weights.Outcomes), fmt.Sprint(st.weights.Inspection)); err != nil {
		return fmt.Errorf("review evaluation scores: %w", err)
	}

	// Rank in the district; the last are eliminated until the creation rate is at or below the cap.
	if _, err := tx.Exec(`
WITH k AS (
  SELECT r.review_id, r.village_id,
    row_number() OVER (PARTITION BY r.review_id ORDER BY r.score DESC, r.title_year ASC, v.code ASC) AS rn,
    count(*) OVER (PARTITION BY r.review_id) AS kept
  FROM rv_r r JOIN rv_v v ON v.review_id = r.review_id AND v.village_id = r.village_id
  WHERE r.recommendation = 'keep')
UPDATE rv_r r SET rank_district = k.rn,
  eliminated = k.rn > t.max_keep,
  brand = k.rn <= least(t.max_keep, $1),
  recommendation = CASE WHEN k.rn > t.max_keep THEN 'revoke' ELSE 'keep' END,
  causes = CASE WHEN k.rn > t.max_keep THEN ARRAY['ELIMINATION'] ELSE r.causes END,
  explanation = CASE WHEN k.rn > t.max_keep THEN format(
      '建议撤销（末位淘汰）：综合得分 %s，在本区符合标准的 %s 个中排第 %s 名；本区 %s 个村(社区)，创建率上限 %s%%，至多保留 %s 个，须淘汰 %s 个',
      r.score, k.kept, k.rn, t.n, trim_scale(100 * $2::numeric), t.max_keep, k.kept - t.max_keep)
    ELSE r.explanation END,
  explanation_en = CASE WHEN k.rn > t.max_keep THEN format(
      'Revoke (eliminated at the bottom of the ranking): score %s, ranked %s of the %s that meet the standards; the district has %s villages, the creation rate cap is %s%%, so at most %s keep their titles and %s are eliminated',
      r.score, k.rn, k.kept, t.n, trim_scale(100 * $2::numeric), t.max_keep, k.kept - t.max_keep)
    ELSE r.explanation_en END
FROM k JOIN rv_tot t ON t.review_id = k.review_id
WHERE r.review_id = k.review_id AND r.village_id = k.village_id`, st.brand, st.capRaw); err != nil {
		return fmt.Errorf("review evaluation ranks: %w", err)
	}

	// Rank in the city, for the cities the caller's scope covers (row-level
	// security hides the others), over every evaluated district of the year:
	// the villages just evaluated and those of the city's other reviews.
	if _, err := tx.Exec(`
CREATE TEMP TABLE rv_c ON COMMIT DROP AS
WITH cities AS (SELECT c.id FROM regions c WHERE c.id IN (SELECT city_id FROM rv_v)),
pool AS (
  SELECT r.review_id, r.village_id, r.score, r.title_year, v.code, v.city_id, true AS fresh
  FROM rv_r r JOIN rv_v v ON v.review_id = r.review_id AND v.village_id = r.village_id
  WHERE r.recommendation = 'keep' AND v.city_id IN (SELECT id FROM cities)
  UNION ALL
  SELECT r.review_id, r.village_id, r.score, r.title_year, x.code, d.parent_id, false
  FROM review_results r JOIN reviews rv ON rv.id = r.review_id JOIN regions d ON d.id = rv.region_id JOIN regions x ON x.id = r.village_id
  WHERE rv.year = $1 AND r.review_id <> ALL($2) AND d.parent_id IN (SELECT id FROM cities) AND r.recommendation = 'keep')
SELECT review_id, village_id, fresh,
  row_number() OVER (PARTITION BY city_id ORDER BY score DESC, title_year ASC, code ASC) AS rn
FROM pool`, year, rids); err != nil {
		return fmt.Errorf("review evaluation city ranks: %w", err)
	}
	writes := []struct {
		name string
		sql  string
		args []any
	}{
		{"city ranks", `UPDATE rv_r r SET rank_city = c.rn, national = c.rn <= $1
			FROM rv_c c WHERE c.fresh AND r.review_id = c.review_id AND r.village_id = c.village_id`, []any{st.national}},
		{"other districts' city ranks", `UPDATE review_results r SET rank_city = c.rn, national = c.rn <= $1
			FROM rv_c c WHERE NOT c.fresh AND r.review_id = c.review_id AND r.village_id = c.village_id
			  AND (r.rank_city, r.national) IS DISTINCT FROM (c.rn, c.rn <= $1)`, []any{st.national}},
		{"clear", `DELETE FROM review_results WHERE review_id = ANY($1)`, []any{rids}},
		{"write", `INSERT INTO review_results SELECT * FROM rv_r`, nil},
	}
	for _, w := range writes {
		if _, err := tx.Exec(w.sql, w.args...); err != nil {
			return fmt.Errorf("review evaluation %s: %w", w.name, err)
		}
	}

	// The summary of each review.
	if _, err := tx.Exec(`
WITH s AS (
  SELECT r.review_id, count(*) AS titled, count(*) FILTER (WHERE v.current) AS titled_current,
    count(*) FILTER (WHERE recommendation = 'keep') AS kept,
    count(*) FILTER (WHERE recommendation = 'revoke') AS revoked,
    count(*) FILTER (WHERE recommendation = 'cancel') AS cancelled,
    count(*) FILTER (WHERE eliminated) AS eliminated
  FROM rv_r r JOIN rv_v v ON v.review_id = r.review_id AND v.village_id = r.village_id GROUP BY r.review_id)
UPDATE reviews rv SET villages_total = t.n, titled = coalesce(s.titled, 0), kept = coalesce(s.kept, 0),
  revoked = coalesce(s.revoked, 0), cancelled = coalesce(s.cancelled, 0), eliminated = coalesce(s.eliminated, 0),
  cap = $1::numeric, rate_before = round(coalesce(s.titled_current, 0)::numeric / nullif(t.n, 0), 6),
  rate_after = round(coalesce(s.kept, 0)::numeric / nullif(t.n, 0), 6),
  evaluated_at = now(), version = rv.version + 1, updated_at = now()
FROM rv_tot t LEFT JOIN s ON s.review_id = t.review_id
WHERE rv.id = t.review_id`, st.capRaw); err != nil {
		return fmt.Errorf("review evaluation summary: %w", err)
	}
	return nil
}

// ConfirmReview is the province's confirmation of a review.
type ConfirmReview struct {
	ReviewID         int64
	DecisionDocument string
	DecidedOn        time.Time
	ExpectedVersion  *int
}

// ConfirmReview applies the review's final lists: every title recommended for
// revocation or cancellation changes status, with a history entry carrying the
// explanation and the decision document, and an audit record; the review closes.
// It returns the review and the number of titles changed.
func (db *DB) ConfirmReview(ctx context.Context, in ConfirmReview) (*core.Review, int64, error) {
	var out *core.Review
	var changed int64
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, in.ReviewID, core.ActConfirm)
		if err != nil {
			return err
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != r.Version {
			return conflict()
		}
		if err := requireFresh(tx, r); err != nil {
			return err
		}
		doc := in.DecisionDocument
		if len(doc) == 0 || len(doc) > 500 {
			return revInvalid("decisionDocument", "请填写决定文件（不超过 500 字节）", "give the decision document (at most 500 bytes)")
		}
		if err := db.revNotFuture(in.DecidedOn, "decidedOn", "决定日期", "the decision date"); err != nil {
			return err
		}
		a := actorOf(tx)
		if changed, err = tx.Exec(`
WITH c AS (
  SELECT r.title_id, r.recommendation, r.explanation FROM review_results r
  WHERE r.review_id = $1 AND r.recommendation IN ('revoke', 'cancel')),
old AS (SELECT t.* FROM titles t JOIN c ON c.title_id = t.id WHERE t.status = 'retained'),
u AS (
  UPDATE titles t SET status = CASE c.recommendation WHEN 'revoke' THEN 'revoked' ELSE 'cancelled' END,
    decision_document = $2, version = t.version + 1, updated_at = now()
  FROM c WHERE t.id = c.title_id AND t.status = 'retained'
  RETURNING t.*, c.explanation),
e AS (
  INSERT INTO title_events (title_id, village_id, action, from_status, to_status, reason, decision_document, decided_on, actor_id, actor_name)
  SELECT u.id, u.village_id, 'status_changed', 'retained', u.status, u.explanation, $2, $3::date, $4, $5 FROM u)
INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
SELECT $4, $5, $6, 'title.status_change', 'title', u.id, u.village_id,
  jsonb_build_object('ID', o.id, 'VillageID', o.village_id, 'Level', o.level, 'Batch', o.batch, 'Year', o.year, 'Status', o.status,
    'DecisionDocument', o.decision_document, 'Version', o.version, 'CreatedAt', o.created_at, 'UpdatedAt', o.updated_at),
  jsonb_build_object('ID', u.id, 'VillageID', u.village_id, 'Level', u.level, 'Batch', u.batch, 'Year', u.year, 'Status', u.status,
    'DecisionDocument', u.decision_document, 'Version', u.version, 'CreatedAt', u.created_at, 'UpdatedAt', u.updated_at,
    'Reason', u.explanation)
FROM u JOIN old o ON o.id = u.id`, r.ID, doc, revDate(in.DecidedOn), actorIDOf(a), a.Name, string(a.Role)); err != nil {
			return err
		}
		// The division rulings this review decided.
		if _, err := tx.Exec(`UPDATE title_division_rulings d SET review_id = $1
			FROM review_results x WHERE x.review_id = $1 AND d.title_id = x.title_id AND d.review_id IS NULL
			  AND d.effective_on <= make_date($2, 12, 31)`, r.ID, r.Year); err != nil {
			return err
		}
		before := *r
		if out, err = reviewUpdate(tx, `stage = 'closed', decision_document = $2, decided_on = $3::date, confirmed_at = now()`,
			r.ID, doc, revDate(in.DecidedOn)); err != nil {
			return err
		}
		if err := reviewEvent(tx, out, &before.Stage, core.StageClosed, doc); err != nil {
			return err
		}
		return audit(tx, "review.confirm", "review", r.ID, &r.RegionID, before, map[string]any{"review": out, "titlesChanged": changed})
	})
	return out, changed, err
}

// --- results ---

type resultRow struct {
	core.ReviewResult
	Causes pq.StringArray `db:"causes"`
}

const resultCols = `x.review_id, x.village_id, x.title_id, x.batch, x.title_year, x.recommendation, x.causes, x.explanation, x.explanation_en,
	x.compliance, x.outcomes, x.inspection, x.score, x.rank_district, x.rank_city, x.eliminated, x.brand, x.national, x.evaluated_at,
	v.code AS village_code, v.name AS village_name, coalesce(t.code, '') AS town_code, coalesce(t.name, '') AS town_name`

const resultFrom = ` FROM review_results x JOIN regions v ON v.id = x.village_id LEFT JOIN regions t ON t.id = v.parent_id`

// ResultFilter narrows a review's results.
type ResultFilter struct {
	Recommendation string // keep, revoke, cancel or "" for all
	Eliminated     *bool
	Brand          *bool
	National       *bool
	TownID         int64
}

func (f ResultFilter) where(reviewID int64) (string, []any) {
	return f.whereReviews(`x.review_id = $1`, reviewID)
}

// whereReviews is the filter's WHERE clause after a condition on the reviews ($1 is reviews).
func (f ResultFilter) whereReviews(cond string, reviews any) (string, []any) {
	return ` WHERE ` + cond + ` AND ($2 = '' OR x.recommendation = $2) AND ($3::boolean IS NULL OR x.eliminated = $3)
		AND ($4::boolean IS NULL OR x.brand = $4) AND ($5::boolean IS NULL OR x.national = $5) AND ($6 = 0 OR v.parent_id = $6)`,
		[]any{reviews, f.Recommendation, f.Eliminated, f.Brand, f.National, f.TownID}
}

func (r *resultRow) out() *core.ReviewResult {
	o := r.ReviewResult
	o.Causes = []string(r.Causes)
	return &o
}

// ReviewResults returns results of a review in scope (a town sees its own
// villages'): those keeping their titles by rank, then the eliminated by rank,
// then the revoked and cancelled by code; offset and limit page them; the bool
// says whether more follow. limit < 0 returns all.
func (db *DB) ReviewResults(ctx context.Context, reviewID int64, f ResultFilter, offset, limit int) ([]*core.ReviewResult, bool, error) {
	var rows []resultRow
	where, args := f.where(reviewID)
	lim := "ALL"
	if limit >= 0 {
		lim = strconv.Itoa(limit + 1)
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+resultCols+resultFrom+where+`
			ORDER BY x.rank_district NULLS LAST, x.recommendation DESC, v.code LIMIT `+lim+` OFFSET `+strconv.Itoa(offset), args...)
	})
	if err != nil {
		return nil, false, err
	}
	more := limit >= 0 && len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]*core.ReviewResult, len(rows))
	for i := range rows {
		out[i] = rows[i].out()
	}
	return out, more, nil
}

// ReviewResultsOf returns the results in scope of several reviews (a city's
// or province's districts) in one statement: review by review in the order
// of ids, each ordered as ReviewResults orders one review.
func (db *DB) ReviewResultsOf(ctx context.Context, reviewIDs []int64, f ResultFilter) ([]*core.ReviewResult, error) {
	var rows []resultRow
	where, args := f.whereReviews(`x.review_id = ANY($1::bigint[])`, pq.Array(reviewIDs))
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+resultCols+resultFrom+where+`
			ORDER BY array_position($1::bigint[], x.review_id), x.rank_district NULLS LAST, x.recommendation DESC, v.code`, args...)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*core.ReviewResult, len(rows))
	for i := range rows {
		out[i] = rows[i].out()
	}
	return out, nil
}

// CountReviewResults counts a review's results in scope matching the filter.
func (db *DB) CountReviewResults(ctx context.Context, reviewID int64, f ResultFilter) (int, error) {
	var n int
	where, args := f.where(reviewID)
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*)`+resultFrom+where, args...)
	})
	return n, err
}

// VillageReviewResult returns a village's result in the year's review (nil when none).
func (db *DB) VillageReviewResult(ctx context.Context, villageID int64, year int) (*core.ReviewResult, error) {
	var row resultRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&row, `SELECT `+resultCols+resultFrom+` JOIN reviews rv ON rv.id = x.review_id
			WHERE x.village_id = $1 AND rv.year = $2`, villageID, year)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row.out(), nil
}

// StandardResults returns a village's evaluated standards in a review, in the order of 附件1.
func (db *DB) StandardResults(ctx context.Context, reviewID, villageID int64) ([]*core.StandardResult, error) {
	var rows []struct {
		core.StandardResult
		Sources pq.StringArray `db:"sources"`
		Numbers []byte         `db:"numbers"`
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT review_id, village_id, standard, result, sources, note, note_en, numbers
			FROM review_standard_results WHERE review_id = $1 AND village_id = $2`, reviewID, villageID)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*core.StandardResult, len(rows))
	for i := range rows {
		s := rows[i].StandardResult
		s.Sources = []string(rows[i].Sources)
		if err := json.Unmarshal(rows[i].Numbers, &s.Numbers); err != nil {
			return nil, err
		}
		out[i] = &s
	}
	sortStandardResults(out)
	return out, nil
}

func sortStandardResults(rs []*core.StandardResult) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && standardOrder(rs[j].Standard) < standardOrder(rs[j-1].Standard); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
