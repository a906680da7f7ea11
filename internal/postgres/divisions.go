package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/divcode"
	"github.com/lawvillage/lawvillage/internal/period"
)

// Division adjustments (区划调整). Each runs in one transaction: the change is
// recorded first (so the triggers on regions can link the versions they write
// to it), the regions change, rules C1-C3 are applied to the retained
// provincial titles concerned (a ruling and a title history entry each; the
// title's status changes only when the province confirms the year's review),
// and every region touched gets an audit record.

// DivisionInput is what every adjustment carries.
type DivisionInput struct {
	EffectiveOn      time.Time // civil date from which the new division holds
	DecisionDocument string
	Note             string
}

// RenameVillage renames a village. Its old name no longer exists, so its
// title is cancelled under C2 at the year's review.
type RenameVillage struct {
	DivisionInput
	VillageCode string
	Name        string
}

// MergeVillages merges the sources into the target: the sources are
// dissolved, their households, grids, villager groups and legal-savvy persons
// move to the target; the target may take a new name.
type MergeVillages struct {
	DivisionInput
	SourceCodes      []string
	TargetCode       string
	NewName          string // "" keeps the target's name
	TerritoryChanged bool   // the target's territory changed substantially
}

// NewVillage is a village created by a split.
type NewVillage struct {
	Code     string
	Name     string
	Kind     *core.VillageKind // nil: the source's kind
	TownCode string            // "": the source's town
}

// SplitVillage creates villages out of a village, which either continues
// (with a smaller territory) or is dissolved.
type SplitVillage struct {
	DivisionInput
	VillageCode      string
	Parts            []NewVillage
	SourceContinues  bool
	TerritoryChanged bool // when it continues: its territory changed substantially
}

// MoveVillage moves a village to another town (of another district, usually),
// under a new code; it may take a new name.
type MoveVillage struct {
	DivisionInput
	VillageCode      string
	TownCode         string
	NewCode          string
	NewName          string // "" keeps the name
	TerritoryChanged bool
}

// DivisionResult is a recorded adjustment and the rulings it made.
type DivisionResult struct {
	Change  *core.DivisionChange
	Rulings []*core.TitleRuling
}

// divRegion is a region as an adjustment finds it.
type divRegion struct {
	core.Region
	EstablishedOn *time.Time `db:"established_on"`
	DissolvedOn   *time.Time `db:"dissolved_on"`
	Since         *time.Time `db:"since"` // the open version's first day
	ParentCode    string     `db:"parent_code"`
}

type ruling struct {
	villageID    int64
	rule         string
	note, noteEn string
}

// divTx is one adjustment in progress.
type divTx struct {
	db      *DB
	tx      *Tx
	in      DivisionInput
	eff     period.Date
	kind    core.DivisionKind
	id      int64
	details []core.DivisionRegion
	paths   []string
	rulings []ruling
	before  map[int64]divRegion
}

const divMaxDocument = 500

func divInvalid(field, zh, en string, args ...any) *core.Error {
	return (&core.Error{Code: core.EINVALID, Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}).WithField("input", field)
}

// adjust runs one adjustment: check the common input, lock the regions
// (prepare), record the change, apply it, then the rulings and audit.
func (db *DB) adjust(ctx context.Context, kind core.DivisionKind, in DivisionInput,
	prepare func(d *divTx) error, apply func(d *divTx) error) (*DivisionResult, error) {
	var out DivisionResult
	err := db.InScope(ctx, func(tx *Tx) error {
		if !actorOf(tx).Role.Can(core.PermAdjustDivisions) {
			return core.Errorf(core.EFORBIDDEN, "只有区县及以上可以登记区划调整", "only the district bureau or above may record division adjustments")
		}
		d := &divTx{db: db, tx: tx, in: in, kind: kind, before: map[int64]divRegion{}}
		if err := d.checkInput(); err != nil {
			return err
		}
		if err := prepare(d); err != nil {
			return err
		}
		a := actorOf(tx)
		if err := tx.Get(&d.id, `INSERT INTO division_changes (kind, effective_on, decision_document, note, region_ids, paths, details, actor_id, actor_name)
			VALUES ($1, $2::date, $3, $4, '{}', $5::ltree[], '{}', $6, $7) RETURNING id`,
			string(kind), d.eff.String(), strings.TrimSpace(in.DecisionDocument), strings.TrimSpace(in.Note),
			pq.Array(d.paths), actorIDOf(a), a.Name); err != nil {
			return err
		}
		if _, err := tx.Exec(`SELECT set_config('lv.division_change', $1, true), set_config('lv.effective_on', $2, true)`,
			strconv.FormatInt(d.id, 10), d.eff.String()); err != nil {
			return err
		}
		if err := apply(d); err != nil {
			return err
		}
		rulings, err := d.rule()
		if err != nil {
			return err
		}
		ids := make([]int64, len(d.details))
		for i, r := range d.details {
			ids[i] = r.RegionID
		}
		det, err := json.Marshal(core.DivisionDetails{Regions: d.details})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE division_changes SET region_ids = $2, details = $3 WHERE id = $1`,
			d.id, pq.Array(ids), det); err != nil {
			return err
		}
		if _, err := tx.Exec(`SELECT set_config('lv.division_change', '', true), set_config('lv.effective_on', '', true)`); err != nil {
			return err
		}
		change, err := divisionChangeByID(tx, d.id)
		if err != nil {
			return err
		}
		// Audit: the change itself, and each region as it was and is.
		if err := audit(tx, "division."+string(kind), "division_change", d.id, &ids[0], nil,
			map[string]any{"change": change, "rulings": rulings}); err != nil {
			return err
		}
		var after []*core.Region
		if err := tx.Select(&after, `SELECT `+regionCols+` FROM regions r WHERE r.id = ANY($1)`, pq.Array(ids)); err != nil {
			return err
		}
		for _, r := range after {
			var before any
			if b, ok := d.before[r.ID]; ok {
				before = b.Region
			}
			if err := audit(tx, "region.adjust", "region", r.ID, &r.ID, before, r); err != nil {
				return err
			}
		}
		out = DivisionResult{Change: change, Rulings: rulings}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (d *divTx) checkInput() error {
	doc := strings.TrimSpace(d.in.DecisionDocument)
	if doc == "" || len(doc) > divMaxDocument || !utf8.ValidString(doc) {
		return divInvalid("decisionDocument", "请填写区划调整的批准文件（不超过 %d 字节）", "give the document approving the adjustment (at most %d bytes)", divMaxDocument)
	}
	if len(d.in.Note) > 2000 || !utf8.ValidString(d.in.Note) {
		return divInvalid("note", "说明不超过 2000 字节", "the note is at most 2000 bytes")
	}
	d.eff = revCivil(d.in.EffectiveOn)
	today := period.DateOf(d.db.Now())
	if d.eff.After(today) {
		return divInvalid("effectiveOn", "生效日期不能晚于今天（%s）：调整生效后再登记", "the effective date must not be after today (%s): record an adjustment once it holds", today)
	}
	var days int
	if err := settingAt(d.tx, "division.backdate_days", d.db.Now(), &days); err != nil {
		return err
	}
	if earliest := today.AddDays(-days); d.eff.Before(earliest) {
		return divInvalid("effectiveOn", "生效日期不能早于 %s（至多补登 %d 天）", "the effective date must not be before %s (at most %d days back)", earliest, days)
	}
	return nil
}

// village locks an existing, undissolved village in scope by code.
func (d *divTx) village(code, field string) (divRegion, error) {
	var r divRegion
	c, err := divcode.Parse(code)
	if err != nil || c.Level() != divcode.Village {
		return r, divInvalid(field, "“%s”不是 12 位村级区划代码", "%q is not a 12-digit village code", code)
	}
	err = d.tx.Get(&r, `SELECT `+regionCols+`, r.established_on, r.dissolved_on, v.valid_from AS since, coalesce(p.code, '') AS parent_code
		FROM regions r LEFT JOIN region_versions v ON v.region_id = r.id AND v.valid_to IS NULL
		LEFT JOIN regions p ON p.id = r.parent_id
		WHERE r.code = $1 AND r.level = 5 FOR UPDATE OF r`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return r, core.NotFound("村(社区) / village").WithField("input", field)
	}
	if err != nil {
		return r, err
	}
	if r.DissolvedOn != nil {
		return r, divInvalid(field, "%s（%s）已于 %s 撤并，不能再调整", "%s (%s) was dissolved on %s and cannot be adjusted",
			r.Name, r.Code, revDate(*r.DissolvedOn))
	}
	if r.Since != nil && !revCivil(*r.Since).Before(d.eff) && revCivil(*r.Since) != d.eff {
		return r, divInvalid("effectiveOn", "%s 的上一次变更在 %s 生效，本次调整不能更早", "the last change of %s took effect on %s: this adjustment cannot be earlier",
			r.Code, revDate(*r.Since))
	}
	d.before[r.ID] = r
	d.paths = append(d.paths, r.Path)
	return r, nil
}

// dissolvable checks that a village about to be dissolved existed before the effective date.
func (d *divTx) dissolvable(v divRegion, field string) error {
	if v.EstablishedOn != nil && !revCivil(*v.EstablishedOn).Before(d.eff) {
		return divInvalid(field, "%s 于 %s 设立，不能在同一天撤并", "%s was established on %s: it cannot be dissolved the same day", v.Code, revDate(*v.EstablishedOn))
	}
	return nil
}

// town returns an existing, undissolved town in scope by code.
func (d *divTx) town(code, field string) (divRegion, error) {
	var r divRegion
	c, err := divcode.Parse(code)
	if err != nil || c.Level() != divcode.Town {
		return r, divInvalid(field, "“%s”不是 9 位镇(街道)区划代码", "%q is not a 9-digit town code", code)
	}
	err = d.tx.Get(&r, `SELECT `+regionCols+`, r.established_on, r.dissolved_on, NULL::date AS since, coalesce(p.code, '') AS parent_code
		FROM regions r LEFT JOIN regions p ON p.id = r.parent_id WHERE r.code = $1 AND r.level = 4`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return r, core.NotFound("镇(街道) / town").WithField("input", field)
	}
	if err == nil && r.DissolvedOn != nil {
		return r, divInvalid(field, "镇(街道) %s 已撤并", "town %s was dissolved", code)
	}
	return r, err
}

// newCode checks a village code for a place under the town: 12 digits,
// starting with the town's code, not held by another region.
func (d *divTx) newCode(code, townCode, field string) error {
	c, err := divcode.Parse(code)
	if err != nil || c.Level() != divcode.Village {
		return divInvalid(field, "“%s”不是 12 位村级区划代码", "%q is not a 12-digit village code", code)
	}
	if !strings.HasPrefix(code, townCode) {
		return divInvalid(field, "代码 %s 应以所属镇(街道)代码 %s 开头", "code %s must start with its town's code %s", code, townCode)
	}
	var taken bool
	// A code held outside the caller's scope is refused by the unique index.
	if err := d.tx.Get(&taken, `SELECT EXISTS (SELECT 1 FROM regions WHERE code = $1)`, code); err != nil {
		return err
	}
	if taken {
		return (&core.Error{Code: core.ECONFLICT, Zh: fmt.Sprintf("代码 %s 已被使用", code), En: fmt.Sprintf("code %s is already in use", code)}).WithField("input", field)
	}
	return nil
}

func checkName(name, field string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > 100 || !utf8.ValidString(n) {
		return "", divInvalid(field, "请填写名称（不超过 100 字）", "give a name (at most 100 characters)")
	}
	return n, nil
}

func (d *divTx) rulingFor(villageID int64, rule, zh, en string) {
	d.rulings = append(d.rulings, ruling{villageID: villageID, rule: rule, note: zh, noteEn: en})
}

// rule writes the rulings on the retained provincial titles of the villages
// concerned, with a title history entry each.
func (d *divTx) rule() ([]*core.TitleRuling, error) {
	out := []*core.TitleRuling{}
	if len(d.rulings) == 0 {
		return out, nil
	}
	var vids []int64
	var rules, notes, notesEn []string
	for _, r := range d.rulings {
		vids, rules, notes, notesEn = append(vids, r.villageID), append(rules, r.rule), append(notes, r.note), append(notesEn, r.noteEn)
	}
	a := actorOf(d.tx)
	err := d.tx.Select(&out, `
WITH r AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(village_id, rule, note, note_en, ord)),
ins AS (
  INSERT INTO title_division_rulings (change_id, title_id, village_id, rule, effective_on, note, note_en)
  SELECT $5, t.id, t.village_id, r.rule, $6::date, r.note, r.note_en
  FROM r JOIN titles t ON t.village_id = r.village_id AND t.level = 'provincial' AND t.status = 'retained'
  ORDER BY r.ord
  RETURNING *),
ev AS (
  INSERT INTO title_events (title_id, village_id, action, from_status, to_status, reason, decision_document, decided_on, actor_id, actor_name)
  SELECT title_id, village_id, 'division_ruling', 'retained', 'retained', rule || '：' || note, $7, $6::date, $8, $9 FROM ins ORDER BY id)
SELECT id, change_id, title_id, village_id, rule, effective_on, note, note_en, review_id, created_at FROM ins ORDER BY id`,
		pq.Array(vids), pq.Array(rules), pq.Array(notes), pq.Array(notesEn), d.id, d.eff.String(),
		strings.TrimSpace(d.in.DecisionDocument), actorIDOf(a), a.Name)
	return out, err
}

// territoryRule is C1 or C2 for a village that keeps existing.
func (d *divTx) territoryRule(v divRegion, nameChanged bool, newName string, territoryChanged bool) {
	switch {
	case nameChanged:
		d.rulingFor(v.ID, "C2", fmt.Sprintf("%s 起名称由“%s”改为“%s”，原名称已不存在，应注销称号", d.eff, v.Name, newName),
			fmt.Sprintf("from %s its name changed from %q to %q: the old name no longer exists, the title is to be cancelled", d.eff, v.Name, newName))
	case territoryChanged:
		d.rulingFor(v.ID, "C2", fmt.Sprintf("%s 起所辖范围发生较大变化，应注销称号", d.eff),
			fmt.Sprintf("from %s its territory changed substantially: the title is to be cancelled", d.eff))
	default:
		d.rulingFor(v.ID, "C1", fmt.Sprintf("%s 区划调整后名称未变、所辖范围无较大变化，无撤销情形的保留称号", d.eff),
			fmt.Sprintf("after the adjustment of %s its name is unchanged and its territory not substantially changed: the title is kept unless a revocation situation applies", d.eff))
	}
}

func (d *divTx) detail(v divRegion, role string) *core.DivisionRegion {
	d.details = append(d.details, core.DivisionRegion{RegionID: v.ID, Role: role, CodeBefore: v.Code, NameBefore: v.Name,
		ParentBefore: v.ParentCode, CodeAfter: v.Code, NameAfter: v.Name, ParentAfter: v.ParentCode})
	return &d.details[len(d.details)-1]
}

// RenameVillage renames a village (C2 applies to its title).
func (db *DB) RenameVillage(ctx context.Context, in RenameVillage) (*DivisionResult, error) {
	var v divRegion
	var name string
	return db.adjust(ctx, core.DivisionRename, in.DivisionInput, func(d *divTx) (err error) {
		if v, err = d.village(in.VillageCode, "villageCode"); err != nil {
			return err
		}
		if name, err = checkName(in.Name, "name"); err != nil {
			return err
		}
		if name == v.Name {
			return divInvalid("name", "新名称与现名称相同", "the new name is the current name")
		}
		return nil
	}, func(d *divTx) error {
		if _, err := d.tx.Exec(`UPDATE regions SET name = $2, version = version + 1, updated_at = now() WHERE id = $1`, v.ID, name); err != nil {
			return err
		}
		d.detail(v, "renamed").NameAfter = name
		d.territoryRule(v, true, name, false)
		return nil
	})
}

// MergeVillages merges villages into one.
func (db *DB) MergeVillages(ctx context.Context, in MergeVillages) (*DivisionResult, error) {
	var target divRegion
	var sources []divRegion
	var newName string
	return db.adjust(ctx, core.DivisionMerge, in.DivisionInput, func(d *divTx) (err error) {
		if len(in.SourceCodes) == 0 || len(in.SourceCodes) > 50 {
			return divInvalid("sourceCodes", "请列出并入的村(社区)（1 至 50 个）", "list the villages merged in (1 to 50)")
		}
		if target, err = d.village(in.TargetCode, "targetCode"); err != nil {
			return err
		}
		seen := map[string]bool{in.TargetCode: true}
		for _, c := range in.SourceCodes {
			if seen[c] {
				return divInvalid("sourceCodes", "%s 重复或就是合并后的村(社区)", "%s is listed twice or is the target", c)
			}
			seen[c] = true
			s, err := d.village(c, "sourceCodes")
			if err != nil {
				return err
			}
			if err := d.dissolvable(s, "sourceCodes"); err != nil {
				return err
			}
			sources = append(sources, s)
		}
		if in.NewName != "" {
			if newName, err = checkName(in.NewName, "newName"); err != nil {
				return err
			}
		}
		return nil
	}, func(d *divTx) error {
		ids := make([]int64, len(sources))
		for i, s := range sources {
			ids[i] = s.ID
		}
		eff := d.eff.String()
		steps := []struct {
			name string
			sql  string
			args []any
		}{
			{"dissolve", `UPDATE regions SET dissolved_on = $2::date, successor_id = $3, version = version + 1, updated_at = now() WHERE id = ANY($1)`, []any{pq.Array(ids), eff, target.ID}},
			// The people registries follow their households to the target;
			// names and codes carry the source's name so none clash.
			{"grids", `UPDATE grids g SET village_id = $2, name = v.name || '·' || g.name FROM regions v WHERE v.id = g.village_id AND g.village_id = ANY($1)`, []any{pq.Array(ids), target.ID}},
			{"groups", `UPDATE villager_groups g SET village_id = $2, name = v.name || '·' || g.name FROM regions v WHERE v.id = g.village_id AND g.village_id = ANY($1)`, []any{pq.Array(ids), target.ID}},
			{"households", `UPDATE households h SET village_id = $2, code = v.name || '-' || h.code, version = h.version + 1, updated_at = now()
				FROM regions v WHERE v.id = h.village_id AND h.village_id = ANY($1)`, []any{pq.Array(ids), target.ID}},
			{"volunteer years", `UPDATE household_volunteer_years SET village_id = $2 WHERE village_id = ANY($1)`, []any{pq.Array(ids), target.ID}},
			{"legal-savvy persons", `UPDATE legal_savvy_persons SET village_id = $2 WHERE village_id = ANY($1)`, []any{pq.Array(ids), target.ID}},
		}
		for _, s := range steps {
			if _, err := d.tx.Exec(s.sql, s.args...); err != nil {
				return fmt.Errorf("merge %s: %w", s.name, err)
			}
		}
		nameChanged := newName != "" && newName != target.Name
		if nameChanged {
			if _, err := d.tx.Exec(`UPDATE regions SET name = $2, version = version + 1, updated_at = now() WHERE id = $1`, target.ID, newName); err != nil {
				return err
			}
		}
		t := d.detail(target, "target")
		t.TerritoryChanged = in.TerritoryChanged
		if nameChanged {
			t.NameAfter = newName
		}
		d.territoryRule(target, nameChanged, newName, in.TerritoryChanged)
		for _, s := range sources {
			x := d.detail(s, "source")
			x.Dissolved, x.TerritoryChanged = true, true
			d.rulingFor(s.ID, "C2", fmt.Sprintf("%s 起并入%s（%s），原村(社区)名称已不存在，应注销称号", d.eff, t.NameAfter, target.Code),
				fmt.Sprintf("from %s merged into %s (%s): the village's name no longer exists, the title is to be cancelled", d.eff, t.NameAfter, target.Code))
		}
		return nil
	})
}

// SplitVillage splits a village.
func (db *DB) SplitVillage(ctx context.Context, in SplitVillage) (*DivisionResult, error) {
	var src divRegion
	type part struct {
		code, name, kind, townCode string
		town                       divRegion
	}
	var parts []part
	return db.adjust(ctx, core.DivisionSplit, in.DivisionInput, func(d *divTx) (err error) {
		if src, err = d.village(in.VillageCode, "villageCode"); err != nil {
			return err
		}
		if !in.SourceContinues {
			if err := d.dissolvable(src, "villageCode"); err != nil {
				return err
			}
		}
		min := 1
		if !in.SourceContinues {
			min = 2
		}
		if len(in.Parts) < min || len(in.Parts) > 50 {
			return divInvalid("parts", "请列出拆分出的村(社区)（%d 至 50 个）", "list the villages created (%d to 50)", min)
		}
		towns := map[string]divRegion{}
		seen := map[string]bool{}
		for i, p := range in.Parts {
			field := fmt.Sprintf("parts.%d", i)
			tc := p.TownCode
			if tc == "" {
				tc = src.ParentCode
			}
			t, ok := towns[tc]
			if !ok {
				if t, err = d.town(tc, field+".townCode"); err != nil {
					return err
				}
				towns[tc] = t
			}
			d.paths = append(d.paths, t.Path+"."+p.Code)
			if seen[p.Code] {
				return divInvalid(field+".code", "代码 %s 重复", "code %s is listed twice", p.Code)
			}
			seen[p.Code] = true
			if err := d.newCode(p.Code, tc, field+".code"); err != nil {
				return err
			}
			name, err := checkName(p.Name, field+".name")
			if err != nil {
				return err
			}
			kind := string(*src.Kind)
			if p.Kind != nil {
				kind = string(*p.Kind)
			}
			parts = append(parts, part{code: p.Code, name: name, kind: kind, townCode: tc, town: t})
		}
		return nil
	}, func(d *divTx) error {
		// The source first in the details, then the villages created.
		s := d.detail(src, "split_source")
		s.TerritoryChanged = !in.SourceContinues || in.TerritoryChanged
		s.Dissolved = !in.SourceContinues
		if !in.SourceContinues {
			if _, err := d.tx.Exec(`UPDATE regions SET dissolved_on = $2::date, version = version + 1, updated_at = now() WHERE id = $1`, src.ID, d.eff.String()); err != nil {
				return err
			}
			d.rulingFor(src.ID, "C2", fmt.Sprintf("%s 起拆分为 %d 个村(社区)，原村(社区)已不存在，应注销称号", d.eff, len(parts)),
				fmt.Sprintf("from %s split into %d villages: the village no longer exists, the title is to be cancelled", d.eff, len(parts)))
		} else {
			d.territoryRule(src, false, "", in.TerritoryChanged)
		}
		for _, p := range parts {
			var id int64
			if err := d.tx.Get(&id, `INSERT INTO regions (code, name, level, kind, parent_id, path, established_on)
				VALUES ($1, $2, 5, $3, $4, ($5 || '.' || $1)::ltree, $6::date) RETURNING id`,
				p.code, p.name, p.kind, p.town.ID, p.town.Path, d.eff.String()); err != nil {
				return err
			}
			d.details = append(d.details, core.DivisionRegion{RegionID: id, Role: "created", CodeAfter: p.code, NameAfter: p.name, ParentAfter: p.townCode})
		}
		return nil
	})
}

// MoveVillage moves a village to another town (C3 when the district changes).
func (db *DB) MoveVillage(ctx context.Context, in MoveVillage) (*DivisionResult, error) {
	var v, town divRegion
	var newName string
	return db.adjust(ctx, core.DivisionMove, in.DivisionInput, func(d *divTx) (err error) {
		if v, err = d.village(in.VillageCode, "villageCode"); err != nil {
			return err
		}
		if town, err = d.town(in.TownCode, "townCode"); err != nil {
			return err
		}
		if town.ID == *v.ParentID {
			return divInvalid("townCode", "%s 已属于 %s", "%s already belongs to %s", v.Code, town.Code)
		}
		if err := d.newCode(in.NewCode, town.Code, "newCode"); err != nil {
			return err
		}
		if in.NewName != "" {
			if newName, err = checkName(in.NewName, "newName"); err != nil {
				return err
			}
		}
		d.paths = append(d.paths, town.Path+"."+in.NewCode)
		return nil
	}, func(d *divTx) error {
		name := v.Name
		if newName != "" {
			name = newName
		}
		if _, err := d.tx.Exec(`UPDATE regions SET code = $2, name = $3, parent_id = $4, path = ($5 || '.' || $2)::ltree,
			version = version + 1, updated_at = now() WHERE id = $1`, v.ID, in.NewCode, name, town.ID, town.Path); err != nil {
			return err
		}
		x := d.detail(v, "moved")
		x.CodeAfter, x.NameAfter, x.ParentAfter, x.TerritoryChanged = in.NewCode, name, town.Code, in.TerritoryChanged
		oldDistrict, newDistrict := v.Code[:6], town.Code[:6]
		if oldDistrict != newDistrict {
			d.rulingFor(v.ID, "C3", fmt.Sprintf("%s 起由 %s 调整至 %s（新代码 %s），由现所属区县负责复核", d.eff, oldDistrict, newDistrict, in.NewCode),
				fmt.Sprintf("from %s moved from district %s to %s (new code %s): the district it now belongs to reviews it", d.eff, oldDistrict, newDistrict, in.NewCode))
		}
		d.territoryRule(v, name != v.Name, name, in.TerritoryChanged)
		return nil
	})
}

// --- reading ---

type divisionRow struct {
	core.DivisionChange
	IDs     pq.Int64Array `db:"region_ids"`
	Details []byte        `db:"details"`
}

func (r *divisionRow) out() (*core.DivisionChange, error) {
	c := r.DivisionChange
	c.RegionIDs = []int64(r.IDs)
	if err := json.Unmarshal(r.Details, &c.Details); err != nil {
		return nil, err
	}
	return &c, nil
}

const divisionCols = `c.id, c.kind, c.effective_on, c.decision_document, c.note, c.region_ids, c.details, c.actor_name, c.at`

func divisionChangeByID(tx *Tx, id int64) (*core.DivisionChange, error) {
	var row divisionRow
	if err := tx.Get(&row, `SELECT `+divisionCols+` FROM division_changes c WHERE c.id = $1`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, core.NotFound("区划调整 / division change")
		}
		return nil, err
	}
	return row.out()
}

// DivisionChangeByID returns an adjustment, if the caller held any region it touched.
func (db *DB) DivisionChangeByID(ctx context.Context, id int64) (*core.DivisionChange, error) {
	var out *core.DivisionChange
	err := db.ReadInScope(ctx, func(tx *Tx) (err error) {
		out, err = divisionChangeByID(tx, id)
		return err
	})
	return out, err
}

func divisionRowsOut(rows []divisionRow) ([]*core.DivisionChange, error) {
	out := make([]*core.DivisionChange, len(rows))
	for i := range rows {
		c, err := rows[i].out()
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// DivisionChanges returns a page of the adjustments that touched the area
// (any region under its path, before or after), newest first; the cursor key
// is the last change's id.
func (db *DB) DivisionChanges(ctx context.Context, areaPath string, p Page) ([]*core.DivisionChange, bool, error) {
	after := int64(1 << 62)
	if p.After != "" {
		n, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, false, core.Errorf(core.EINVALID, "游标无效", "invalid cursor").WithField("input", "after")
		}
		after = n
	}
	var rows []divisionRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+divisionCols+` FROM division_changes c
			WHERE c.id < $2 AND EXISTS (SELECT 1 FROM unnest(c.paths) AS p(path) WHERE p.path <@ $1::ltree)
			ORDER BY c.id DESC LIMIT $3`, areaPath, after, p.First+1)
	})
	rows, more, err := trim(rows, p.First, err)
	if err != nil {
		return nil, false, err
	}
	out, err := divisionRowsOut(rows)
	return out, more, err
}

// CountDivisionChanges counts the adjustments that touched the area.
func (db *DB) CountDivisionChanges(ctx context.Context, areaPath string) (int, error) {
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM division_changes c
			WHERE EXISTS (SELECT 1 FROM unnest(c.paths) AS p(path) WHERE p.path <@ $1::ltree)`, areaPath)
	})
	return n, err
}

// DivisionChangesByRegions returns each region's adjustments (oldest first), in the order of ids.
func (db *DB) DivisionChangesByRegions(ctx context.Context, ids []int64) ([][]*core.DivisionChange, error) {
	var rows []struct {
		divisionRow
		Key int64 `db:"key"`
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT k.key, `+divisionCols+` FROM unnest($1::bigint[]) AS k(key)
			JOIN division_changes c ON c.region_ids @> ARRAY[k.key] ORDER BY c.effective_on, c.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	m := make(map[int64][]*core.DivisionChange, len(ids))
	for i := range rows {
		c, err := rows[i].out()
		if err != nil {
			return nil, err
		}
		m[rows[i].Key] = append(m[rows[i].Key], c)
	}
	out := make([][]*core.DivisionChange, len(ids))
	for i, id := range ids {
		out[i] = m[id]
		if out[i] == nil {
			out[i] = []*core.DivisionChange{}
		}
	}
	return out, nil
}

// versionCols reads a version and its parent as it was on the version's
// first day (today for versions from before the records).
const versionCols = `v.id, v.region_id, v.valid_from, v.valid_to, v.code, v.name, v.level, v.kind, v.parent_id, v.path::text AS path,
	v.change_id, v.closed_by, v.recorded_at, coalesce(pv.code, '') AS parent_code, coalesce(pv.name, '') AS parent_name`

const versionParent = ` LEFT JOIN LATERAL (
	SELECT p.code, p.name FROM region_versions p WHERE p.region_id = v.parent_id
	  AND (p.valid_from IS NULL OR p.valid_from <= coalesce(v.valid_from, lv_effective_on()))
	  AND (p.valid_to IS NULL OR p.valid_to > coalesce(v.valid_from, lv_effective_on()))
	ORDER BY p.valid_from DESC NULLS LAST LIMIT 1) pv ON true`

// VersionsByRegions returns each region's versions, oldest first, in the order of ids.
func (db *DB) VersionsByRegions(ctx context.Context, ids []int64) ([][]*core.RegionVersion, error) {
	var rows []*core.RegionVersion
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+versionCols+` FROM region_versions v`+versionParent+`
			WHERE v.region_id = ANY($1) ORDER BY v.region_id, v.valid_from NULLS FIRST, v.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(v *core.RegionVersion) int64 { return v.RegionID }), nil
}

// asOf is the condition "valid on the civil date $n".
func asOf(n int) string {
	p := "$" + strconv.Itoa(n) + "::date"
	return ` (v.valid_from IS NULL OR v.valid_from <= ` + p + `) AND (v.valid_to IS NULL OR v.valid_to > ` + p + `)`
}

// RegionVersionAsOf returns the region as it was on the date (nil when it did not exist then).
func (db *DB) RegionVersionAsOf(ctx context.Context, regionID int64, date time.Time) (*core.RegionVersion, error) {
	var rows []*core.RegionVersion
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+versionCols+` FROM region_versions v`+versionParent+`
			WHERE v.region_id = $1 AND`+asOf(2), regionID, revDate(date))
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// RegionVersionByCodeAsOf returns the region that held the code on the date (nil: none in scope).
func (db *DB) RegionVersionByCodeAsOf(ctx context.Context, code string, date time.Time) (*core.RegionVersion, error) {
	var rows []*core.RegionVersion
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+versionCols+` FROM region_versions v`+versionParent+`
			WHERE v.code = $1 AND`+asOf(2)+` ORDER BY v.id LIMIT 1`, code, revDate(date))
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// VillagesAsOf returns a page of the villages that lay under the area on the
// date, as they were then, by the code they had; the cursor key is that code.
func (db *DB) VillagesAsOf(ctx context.Context, areaPath string, date time.Time, p Page) ([]*core.RegionVersion, bool, error) {
	var rows []*core.RegionVersion
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+versionCols+` FROM region_versions v`+versionParent+`
			WHERE v.level = 5 AND v.path <@ $1::ltree AND`+asOf(2)+` AND v.code > $3 ORDER BY v.code LIMIT $4`,
			areaPath, revDate(date), p.After, p.First+1)
	})
	return trim(rows, p.First, err)
}

// CountVillagesAsOf counts the villages under the area on the date.
func (db *DB) CountVillagesAsOf(ctx context.Context, areaPath string, date time.Time) (int, error) {
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM region_versions v WHERE v.level = 5 AND v.path <@ $1::ltree AND`+asOf(2), areaPath, revDate(date))
	})
	return n, err
}

// RulingsByTitles returns each title's division rulings (oldest first), in the order of ids.
func (db *DB) RulingsByTitles(ctx context.Context, ids []int64) ([][]*core.TitleRuling, error) {
	return db.rulingsBy(ctx, "title_id", ids, func(r *core.TitleRuling) int64 { return r.TitleID })
}

// RulingsByChanges returns each change's rulings, in the order of ids.
func (db *DB) RulingsByChanges(ctx context.Context, ids []int64) ([][]*core.TitleRuling, error) {
	return db.rulingsBy(ctx, "change_id", ids, func(r *core.TitleRuling) int64 { return r.ChangeID })
}

// rulingsBy reads the rulings whose column (title_id or change_id) is one of ids.
func (db *DB) rulingsBy(ctx context.Context, col string, ids []int64, key func(*core.TitleRuling) int64) ([][]*core.TitleRuling, error) {
	var rows []*core.TitleRuling
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, change_id, title_id, village_id, rule, effective_on, note, note_en, review_id, created_at
			FROM title_division_rulings WHERE `+col+` = ANY($1) ORDER BY id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, key), nil
}

// RegionLifetimes returns each region's established and dissolved dates and
// successor, in the order of ids.
type RegionLifetime struct {
	ID            int64      `db:"id"`
	EstablishedOn *time.Time `db:"established_on"`
	DissolvedOn   *time.Time `db:"dissolved_on"`
	SuccessorID   *int64     `db:"successor_id"`
}

// LifetimesByRegions returns the lifetimes of the regions in scope, in the order of ids (nil where missing).
func (db *DB) LifetimesByRegions(ctx context.Context, ids []int64) ([]*RegionLifetime, error) {
	var rows []*RegionLifetime
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, established_on, dissolved_on, successor_id FROM regions WHERE id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(r *RegionLifetime) int64 { return r.ID }), nil
}
