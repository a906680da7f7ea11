package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Threshold is the value of a metric's threshold in force for a period.
type Threshold struct {
	Value float64
	From  time.Time // valid_from of the setting; the epoch for fixed thresholds
}

// Computer writes metric snapshots.
type Computer struct {
	DB *postgres.DB
	// Now is the clock; "so far" for a period in progress is measured at Now.
	Now func() time.Time
}

func kindName(k Kind) string {
	switch k {
	case Rate:
		return "rate"
	case Duty:
		return "duty"
	case Target:
		return "target"
	}
	return "count"
}

// Result says what a computation wrote.
type Result struct {
	Rows   int64 // snapshot rows inserted or changed
	Alerts AlertChanges
}

// Compute computes the metrics of the families for the period over all
// villages and areas, writes the snapshots and evaluates the alert rules, in
// one transaction. runID, when not 0, is recorded on what it writes.
func (c *Computer) Compute(ctx context.Context, p period.Period, families []Family, runID int64) (Result, error) {
	var res Result
	now := c.Now()
	today := period.DateOf(now)
	if today.Before(p.FirstDay()) {
		return res, nil // nothing of the period has happened yet
	}
	cutoff := p.LastDay()
	if today.Before(cutoff) {
		cutoff = today
	}
	var ms []Metric
	for _, f := range families {
		ms = append(ms, OfFamily(f, p.Kind)...)
	}
	// Constitution Day (4 December) is not due before it happens.
	if cutoff.Before(period.Date{Year: p.Year, Month: 12, Day: 4}) {
		ms = without(ms, "constitution_day")
	}
	if len(ms) == 0 {
		return res, nil
	}
	// Settings in force at the period's last instant apply to it.
	last := p.End().Add(-time.Microsecond)
	err := c.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		th, err := thresholds(tx, ms, last)
		if err != nil {
			return err
		}
		var requireEvidence bool
		if err := settingBool(tx, "activity.requires_evidence", last, &requireEvidence); err != nil {
			return err
		}
		var lawsuitYears int
		if err := settingInt(tx, "interpret.lawsuits_declining_years", last, &lawsuitYears); err != nil {
			return err
		}
		var otherCarriers bool
		if err := settingBool(tx, "interpret.culture_carrier_other_counts", last, &otherCarriers); err != nil {
			return err
		}
		// area: the row is an area's (a roll-up or an area-only metric), not a village's.
		if _, err := tx.Exec(`CREATE TEMP TABLE metric_calc (metric text, region_id bigint, num numeric, den numeric,
			area boolean NOT NULL DEFAULT false) ON COMMIT DROP`); err != nil {
			return err
		}
		in := inputs{ps: p.FirstDay().String(), cutoff: cutoff.String(), year: p.Year, requireEvidence: requireEvidence,
			monthsDue: len(period.Elapsed(p, now)), lawsuitYears: lawsuitYears, otherCarriers: otherCarriers, thresholds: th}
		in.quartersDue = quartersDue(p, cutoff)
		want := map[string]bool{}
		for _, m := range ms {
			want[m.Key] = true
		}
		for _, step := range steps {
			if step.any(want) {
				if err := step.run(tx, in, want); err != nil {
					return fmt.Errorf("metrics %s: %w", step.name, err)
				}
			}
		}
		// The temporary table has no statistics until analysed: without them
		// the roll-up and upsert plans are guesses.
		if _, err := tx.Exec(`ANALYZE metric_calc`); err != nil {
			return err
		}
		if err := rollUp(tx, ms, th); err != nil {
			return err
		}
		if res.Rows, err = upsert(tx, ms, th, p, now, runID); err != nil {
			return err
		}
		// Snapshots of villages that no longer existed at the cutoff (merged
		// away or split up during the period) go; their alerts resolve below.
		// The villages are found first (few, through regions_dissolved), then
		// their snapshots by the primary key: not a pass over every snapshot.
		if _, err := tx.Exec(`DELETE FROM metric_snapshots s
			WHERE s.period = $1 AND s.metric = ANY($2) AND s.region_id = ANY (ARRAY(
			  SELECT v.id FROM regions v WHERE v.level = 5 AND (v.dissolved_on IS NOT NULL OR v.established_on IS NOT NULL)
			    AND NOT lv_exists_on(v.established_on, v.dissolved_on, $3::date)))`, p.String(), pq.Array(keysOf(ms)), in.cutoff); err != nil {
			return err
		}
		res.Alerts, err = evaluateAlerts(tx, ms, p, now, runID)
		return err
	})
	return res, err
}

func without(ms []Metric, key string) []Metric {
	out := ms[:0:0]
	for _, m := range ms {
		if m.Key != key {
			out = append(out, m)
		}
	}
	return out
}

// quartersDue counts the quarters of the period that have started by the cutoff.
func quartersDue(p period.Period, cutoff period.Date) int {
	var qs []period.Period
	switch p.Kind {
	case period.Quarter:
		qs = []period.Period{p}
	case period.Year:
		qs = p.Quarters()
	}
	n := 0
	for _, q := range qs {
		if !cutoff.Before(q.FirstDay()) {
			n++
		}
	}
	return n
}

func thresholds(tx *postgres.Tx, ms []Metric, at time.Time) (map[string]Threshold, error) {
	out := map[string]Threshold{}
	var keys []string
	for _, m := range ms {
		if m.Setting == "" {
			out[m.Key] = Threshold{Value: m.Fixed, From: time.Unix(0, 0).UTC()}
		} else {
			keys = append(keys, m.Setting)
		}
	}
	var rows []struct {
		Key   string    `db:"key"`
		Value []byte    `db:"value"`
		From  time.Time `db:"valid_from"`
	}
	if err := tx.Select(&rows, `SELECT DISTINCT ON (key) key, value, valid_from FROM settings
		WHERE key = ANY($1) AND valid_from <= $2 ORDER BY key, valid_from DESC`, pq.Array(keys), at); err != nil {
		return nil, err
	}
	byKey := map[string]Threshold{}
	for _, r := range rows {
		var v float64
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return nil, fmt.Errorf("setting %s: %w", r.Key, err)
		}
		byKey[r.Key] = Threshold{Value: v, From: r.From}
	}
	for _, m := range ms {
		if m.Setting != "" {
			t, ok := byKey[m.Setting]
			if !ok {
				return nil, fmt.Errorf("setting %s has no value in force at %s", m.Setting, at)
			}
			out[m.Key] = t
		}
	}
	return out, nil
}

func settingBool(tx *postgres.Tx, key string, at time.Time, dest *bool) error {
	var raw []byte
	if err := tx.Get(&raw, `SELECT value FROM settings WHERE key = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1`, key, at); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return json.Unmarshal(raw, dest)
}

func settingInt(tx *postgres.Tx, key string, at time.Time, dest *int) error {
	var raw []byte
	if err := tx.Get(&raw, `SELECT value FROM settings WHERE key = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1`, key, at); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return json.Unmarshal(raw, dest)
}

type inputs struct {
	ps, cutoff      string // first day and the last day counted (civil dates)
	year            int
	requireEvidence bool
	monthsDue       int
	quartersDue     int
	lawsuitYears    int
	otherCarriers   bool // carriers of kind 'other' count as one kind
	thresholds      map[string]Threshold
}

// step computes some village-level metrics into metric_calc with one statement.
type step struct {
	name    string
	metrics []string
	run     func(tx *postgres.Tx, in inputs, want map[string]bool) error
}

func (s step) any(want map[string]bool) bool {
	for _, m := range s.metrics {
		if want[m] {
			return true
		}
	}
	return false
}

var steps = []step{
	{name: "activities", metrics: []string{"lecture_months", "board_months", "culture_quarters", "responsibility_list", "constitution_day"},
		run: func(tx *postgres.Tx, in inputs, want map[string]bool) error {
			type duty struct {
				metric, kind, unit string
				due                int
			}
			all := []duty{{"lecture_months", "lecture", "month", in.monthsDue}, {"board_months", "board_update", "month", in.monthsDue},
				{"culture_quarters", "culture_activity", "quarter", in.quartersDue},
				{"responsibility_list", "responsibility_list", "year", 1}, {"constitution_day", "constitution_day", "year", 1}}
			var metrics, kinds, units []string
			var dues []int64
			for _, d := range all {
				if want[d.metric] {
					metrics, kinds, units, dues = append(metrics, d.metric), append(kinds, d.kind), append(units, d.unit), append(dues, int64(d.due))
				}
			}
			_, err := tx.Exec(`
WITH k AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS k(metric, kind, unit, due)),
c AS (
  SELECT a.village_id, k.metric, count(DISTINCT date_trunc(k.unit, a.occurred_on)) AS n
  FROM activities a JOIN k ON k.kind = a.kind
  WHERE a.deleted_at IS NULL AND a.occurred_on BETWEEN $1::date AND $2::date
    AND (NOT $7 OR EXISTS (SELECT 1 FROM evidence e WHERE e.activity_id = a.id AND e.deleted_at IS NULL))
  GROUP BY 1, 2)
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT k.metric, v.id, least(coalesce(c.n, 0), k.due), k.due
FROM regions v CROSS JOIN k LEFT JOIN c ON c.village_id = v.id AND c.metric = k.metric
WHERE v.level = 5`+exists("v", "$2")+``, in.ps, in.cutoff, pq.Array(metrics), pq.Array(kinds), pq.Array(units), pq.Array(dues), in.requireEvidence)
			return err
		}},
	{name: "households", metrics: []string{"volunteer_coverage", "model_households", "model_household_groups", "wechat_coverage"},
		run: func(tx *postgres.Tx, in inputs, want map[string]bool) error {
			// One pass over the registry: per villager group, then per village.
			// The volunteer rows are joined only when volunteer coverage is wanted.
			volunteer, join := `0`, ``
			if want["volunteer_coverage"] {
				volunteer = `count(y.household_id)`
				join = `LEFT JOIN household_volunteer_years y ON y.household_id = h.id AND y.year = $1`
			}
			_, err := tx.Exec(`
WITH g AS (
  SELECT h.village_id, h.group_id, count(*) AS n,
         count(*) FILTER (WHERE h.model_household_year <= $1) AS model,
         count(*) FILTER (WHERE h.wechat_member) AS wechat,
         `+volunteer+` AS volunteer
  FROM households h `+join+`
  WHERE h.deleted_at IS NULL
  GROUP BY h.village_id, h.group_id),
v AS (
  SELECT g.village_id, sum(g.n) AS n, sum(g.model) AS model, sum(g.wechat) AS wechat, sum(g.volunteer) AS volunteer,
         count(*) FILTER (WHERE g.group_id IS NOT NULL AND g.model >= $2::numeric * g.n) AS groups_met,
         count(*) FILTER (WHERE g.group_id IS NOT NULL) AS groups
  FROM g GROUP BY g.village_id),
k AS (SELECT unnest($3::text[]) AS metric)
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT k.metric, r.id,
  coalesce(CASE k.metric WHEN 'volunteer_coverage' THEN v.volunteer WHEN 'model_households' THEN v.model
                         WHEN 'wechat_coverage' THEN v.wechat ELSE v.groups_met END, 0),
  coalesce(CASE k.metric WHEN 'model_household_groups' THEN v.groups ELSE v.n END, 0)
FROM regions r CROSS JOIN k LEFT JOIN v ON v.village_id = r.id
WHERE r.level = 5`+exists("r", "$4")+``, in.year, in.thresholds["model_households"].Value, pq.Array(pick(want, "volunteer_coverage", "model_households", "model_household_groups", "wechat_coverage")), in.cutoff)
			return err
		}},
	{name: "legal savvy", metrics: []string{"legal_savvy_coverage"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			_, err := tx.Exec(`
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT 'legal_savvy_coverage', v.id,
  count(g.id) FILTER (WHERE EXISTS (SELECT 1 FROM legal_savvy_persons p WHERE p.grid_id = g.id
                                    AND p.active_from <= $1::date AND (p.active_to IS NULL OR p.active_to >= $1::date))),
  count(g.id)
FROM regions v LEFT JOIN grids g ON g.village_id = v.id
WHERE v.level = 5`+exists("v", "$1")+` GROUP BY v.id`, in.cutoff)
			return err
		}},
	{name: "culture carriers", metrics: []string{"culture_carrier_kinds"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			// Distinct kinds of carriers on record (carriers carry no dates: like the
			// household registry, the register as it stands is counted). All carriers
			// of kind 'other' together make one kind, or none, by the setting
			// interpret.culture_carrier_other_counts. No carrier at all is 0 kinds:
			// not met, not "no data" (the position has to exist).
			_, err := tx.Exec(`
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT 'culture_carrier_kinds', v.id, count(DISTINCT c.kind) FILTER (WHERE c.kind <> 'other' OR $2), 1
FROM regions v LEFT JOIN culture_carriers c ON c.village_id = v.id
WHERE v.level = 5`+exists("v", "$1")+` GROUP BY v.id`, in.cutoff, in.otherCarriers)
			return err
		}},
	{name: "legal adviser", metrics: []string{"legal_adviser"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			// An adviser in office on the cutoff (the period's last day, or today
			// for a period in progress): a term that ended before it, or begins
			// after it, does not count.
			_, err := tx.Exec(`
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT 'legal_adviser', v.id,
  CASE WHEN EXISTS (SELECT 1 FROM legal_advisers a WHERE a.village_id = v.id
                    AND a.active_from <= $1::date AND (a.active_to IS NULL OR a.active_to >= $1::date)) THEN 1 ELSE 0 END, 1
FROM regions v
WHERE v.level = 5`+exists("v", "$1")+``, in.cutoff)
			return err
		}},
	{name: "mediation", metrics: []string{"mediation_success"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			_, err := tx.Exec(`
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT 'mediation_success', v.id, coalesce(m.success, 0), coalesce(m.concluded, 0)
FROM regions v LEFT JOIN (
  SELECT village_id, count(*) FILTER (WHERE outcome = 'success') AS success, count(*) AS concluded
  FROM mediation_cases WHERE outcome <> 'pending' AND concluded_on BETWEEN $1::date AND $2::date
  GROUP BY village_id) m ON m.village_id = v.id
WHERE v.level = 5`+exists("v", "$2")+``, in.ps, in.cutoff)
			return err
		}},
	{name: "surveys", metrics: []string{"safety", "deliberation_satisfaction"},
		run: func(tx *postgres.Tx, in inputs, want map[string]bool) error {
			_, err := tx.Exec(`
WITH k AS (SELECT unnest($3::text[]) AS metric)
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT k.metric, v.id, coalesce(s.positive, 0), coalesce(s.respondents, 0)
FROM regions v CROSS JOIN k LEFT JOIN (
  SELECT village_id, CASE kind WHEN 'safety' THEN 'safety' ELSE 'deliberation_satisfaction' END AS metric,
         sum(positive) AS positive, sum(respondents) AS respondents
  FROM surveys WHERE surveyed_on BETWEEN $1::date AND $2::date GROUP BY 1, 2) s
  ON s.village_id = v.id AND s.metric = k.metric
WHERE v.level = 5`+exists("v", "$2")+``, in.ps, in.cutoff, pq.Array(pick(want, "safety", "deliberation_satisfaction")))
			return err
		}},
	{name: "zero events", metrics: []string{"civil_to_criminal", "extreme_violence"},
		run: func(tx *postgres.Tx, in inputs, want map[string]bool) error {
			_, err := tx.Exec(`
WITH k AS (SELECT unnest($3::text[]) AS metric),
e AS (
  SELECT village_id, kind AS metric, count(*) AS n FROM incidents
  WHERE kind IN ('civil_to_criminal', 'extreme_violence') AND deleted_at IS NULL AND occurred_on BETWEEN $1::date AND $2::date GROUP BY 1, 2
  UNION ALL
  SELECT village_id, 'civil_to_criminal', count(*) FROM mediation_cases
  WHERE turned_criminal AND received_on BETWEEN $1::date AND $2::date GROUP BY 1)
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT k.metric, v.id, coalesce(sum(e.n), 0), NULL
FROM regions v CROSS JOIN k LEFT JOIN e ON e.village_id = v.id AND e.metric = k.metric
WHERE v.level = 5`+exists("v", "$2")+` GROUP BY k.metric, v.id`, in.ps, in.cutoff, pq.Array(pick(want, "civil_to_criminal", "extreme_violence")))
			return err
		}},
	{name: "lawsuits", metrics: []string{"lawsuits_declining"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			// Declining: count(Y-1) < count(Y-2) < ... < count(Y-n); no data unless all n years are known.
			_, err := tx.Exec(`
INSERT INTO metric_calc (metric, region_id, num, den)
SELECT 'lawsuits_declining', v.id,
  CASE WHEN l.years = $2::int AND l.declining THEN 1 ELSE 0 END,
  CASE WHEN l.years = $2::int THEN 1 ELSE 0 END
FROM regions v LEFT JOIN (
  SELECT village_id, count(*) AS years, bool_and(prev IS NULL OR total < prev) AS declining FROM (
    SELECT village_id, civil + administrative AS total,
           lag(civil + administrative) OVER (PARTITION BY village_id ORDER BY year) AS prev
    FROM lawsuits WHERE year BETWEEN $1::int - $2::int AND $1::int - 1) x
  GROUP BY village_id) l ON l.village_id = v.id
WHERE v.level = 5`+exists("v", "$3")+``, in.year, in.lawsuitYears, in.cutoff)
			return err
		}},
	{name: "creation rate", metrics: []string{"creation_rate"},
		run: func(tx *postgres.Tx, in inputs, _ map[string]bool) error {
			// Titles held at the cutoff: awarded by then and retained, or taken away only later.
			_, err := tx.Exec(`
WITH held AS (
  SELECT DISTINCT t.village_id FROM titles t
  WHERE t.level = 'provincial' AND t.year <= $2
    AND (t.status = 'retained' OR EXISTS (SELECT 1 FROM title_events e WHERE e.title_id = t.id
         AND e.action = 'status_changed' AND e.from_status = 'retained' AND coalesce(e.decided_on, (e.at AT TIME ZONE 'Asia/Shanghai')::date) > $1::date))),
`+villageAreas+`
INSERT INTO metric_calc (metric, region_id, num, den, area)
SELECT 'creation_rate', va.area_id, count(held.village_id), count(*), true
FROM va LEFT JOIN held ON held.village_id = va.village_id
WHERE lv_exists_on(va.established_on, va.dissolved_on, $1::date)
GROUP BY va.area_id`, in.cutoff, in.year)
			return err
		}},
}

// villageAreas maps every village to each area above it (town up to
// province) by joining parents on their ids: far cheaper than matching ltree
// prefixes of the paths.
const villageAreas = `va AS (
  SELECT v.id AS village_id, a.id AS area_id, v.established_on, v.dissolved_on
  FROM regions v
  JOIN regions t ON t.id = v.parent_id
  LEFT JOIN regions d ON d.id = t.parent_id
  LEFT JOIN regions c ON c.id = d.parent_id
  LEFT JOIN regions p ON p.id = c.parent_id
  CROSS JOIN LATERAL (VALUES (t.id), (d.id), (c.id), (p.id)) AS a(id)
  WHERE v.level = 5 AND a.id IS NOT NULL)`

// exists is the condition that the village (alias) exists on the cutoff
// date (parameter): villages merged away or split up before it, or created
// after it, are not counted.
func exists(alias, param string) string {
	return ` AND lv_exists_on(` + alias + `.established_on, ` + alias + `.dissolved_on, ` + param + `::date)`
}

func pick(want map[string]bool, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if want[k] {
			out = append(out, k)
		}
	}
	return out
}

// rollUp adds, for every area, the village metrics: rates pooled (sums of
// numerators and denominators), counts added, duties and targets as villages
// that met them (done ≥ due, or the number ≥ the threshold) over villages
// they were due in.
func rollUp(tx *postgres.Tx, ms []Metric, th map[string]Threshold) error {
	var keys, kinds []string
	var thresholds []float64
	for _, m := range ms {
		if !m.RegionOnly {
			keys, kinds, thresholds = append(keys, m.Key), append(kinds, kindName(m.Kind)), append(thresholds, th[m.Key].Value)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.Exec(`
WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[]) AS k(metric, kind, threshold)),
`+villageAreas+`
INSERT INTO metric_calc (metric, region_id, num, den, area)
SELECT c.metric, va.area_id,
  CASE WHEN k.kind IN ('duty', 'target') THEN count(*) FILTER (WHERE c.den > 0 AND c.num >= k.threshold * c.den) ELSE sum(c.num) END,
  CASE WHEN k.kind IN ('duty', 'target') THEN count(*) FILTER (WHERE c.den > 0) WHEN k.kind = 'rate' THEN sum(c.den) END,
  true
FROM metric_calc c JOIN k ON k.metric = c.metric JOIN va ON va.village_id = c.region_id
GROUP BY c.metric, va.area_id, k.kind, k.threshold`, pq.Array(keys), pq.Array(kinds), pq.Array(thresholds))
	return err
}

// upsert writes the snapshots; rows whose numbers, threshold and status are
// unchanged are left alone, so a re-run changes nothing. An area's target
// metric is a share of villages that must be all of them: threshold 1 (the
// snapshot keeps the setting's valid_from, the rule its villages were held to).
func upsert(tx *postgres.Tx, ms []Metric, th map[string]Threshold, p period.Period, now time.Time, runID int64) (int64, error) {
	var keys, kinds, comps []string
	var values []float64
	var froms []time.Time
	for _, m := range ms {
		keys, kinds, comps = append(keys, m.Key), append(kinds, kindName(m.Kind)), append(comps, m.Comparator)
		values, froms = append(values, th[m.Key].Value), append(froms, th[m.Key].From)
	}
	fromStrs := make([]string, len(froms))
	for i, f := range froms {
		fromStrs[i] = f.UTC().Format(time.RFC3339Nano)
	}
	var run *int64
	if runID != 0 {
		run = &runID
	}
	return tx.Exec(`
WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[]) AS k(metric, kind, threshold, comparator, setting_from))
INSERT INTO metric_snapshots AS s (metric, region_id, period, numerator, denominator, value, threshold, comparator, status, setting_from, computed_at, job_run_id)
SELECT c.metric, c.region_id, $6, c.num, c.den,
  CASE WHEN k.kind = 'count' THEN c.num WHEN c.den > 0 THEN round(c.num / c.den, 6) END,
  t.threshold, k.comparator,
  CASE WHEN k.kind = 'count' THEN CASE WHEN c.num = 0 THEN 'met' ELSE 'not_met' END
       WHEN coalesce(c.den, 0) = 0 THEN 'no_data'
       WHEN k.comparator = '>=' AND c.num >= t.threshold * c.den THEN 'met'
       WHEN k.comparator = '<=' AND c.num <= t.threshold * c.den THEN 'met'
       ELSE 'not_met' END,
  k.setting_from, $7, $8
FROM metric_calc c JOIN k ON k.metric = c.metric
CROSS JOIN LATERAL (SELECT CASE WHEN k.kind = 'target' AND c.area THEN 1 ELSE k.threshold END AS threshold) t
ON CONFLICT (metric, region_id, period) DO UPDATE SET
  numerator = excluded.numerator, denominator = excluded.denominator, value = excluded.value,
  threshold = excluded.threshold, comparator = excluded.comparator, status = excluded.status,
  setting_from = excluded.setting_from, computed_at = excluded.computed_at, job_run_id = excluded.job_run_id
WHERE (s.numerator, s.denominator, s.threshold, s.status, s.setting_from)
  IS DISTINCT FROM (excluded.numerator, excluded.denominator, excluded.threshold, excluded.status, excluded.setting_from)`,
		pq.Array(keys), pq.Array(kinds), pq.Array(values), pq.Array(comps), pq.Array(fromStrs), p.String(), now, run)
}

func keysOf(ms []Metric) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}
