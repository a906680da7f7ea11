package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Bulk import of governance records. The caller (internal/recordimport)
// parses and checks every cell first; the writers here resolve the village
// codes and group/grid names inside the caller's scope, stage the rows with
// COPY into a temporary table and write them with one set-based upsert keyed
// by the record's natural key, all in one transaction. Every changed record
// gets its own audit entry (written by the same statement), and the import
// one summary entry. Rows that would change nothing are left alone, so
// re-importing a file changes nothing.

// ImportFile describes a parsed file for the writers.
type ImportFile struct {
	SHA256 string
	// Header names of the columns that refer to other objects, for row errors.
	VillageCol, GroupCol, GridCol string
	// Present lists the optional database columns the file has; the others
	// keep their values when a record is updated (and get their defaults when
	// one is inserted).
	Present map[string]bool
	// Errors are the problems the parser found already: the references of
	// the file are still checked, so the user gets every problem at once,
	// and nothing is written.
	Errors []core.RowError
}

// ImportRow is what every imported row has: its line and its village.
type ImportRow struct {
	Line        int
	VillageCode string
}

// HouseholdRow is one household of an import file.
type HouseholdRow struct {
	ImportRow
	Code, HeadName, Phone string
	Group, Grid           string // names within the village; "" for none
	Members               *int
	ModelHouseholdYear    *int
	HasFamilyRule         bool
	WechatMember          bool
	VolunteerYears        []int // years of volunteer service to add (never removed by an import)
}

// LegalSavvyRow is one legal-savvy person of an import file (key: grid and name).
type LegalSavvyRow struct {
	ImportRow
	Grid, Name, Phone string
	TrainedOn         *string // civil dates, 2026-05-31
	ActiveFrom        string
	ActiveTo          *string
}

// MediationRow is one mediation case of an import file (key: case number).
type MediationRow struct {
	ImportRow
	CaseNo         string
	ReceivedOn     string
	ConcludedOn    *string
	Outcome        core.MediationOutcome
	TurnedCriminal bool
	Parties        string
	Summary        string
}

// SurveyRow is one survey of an import file (key: kind and period).
type SurveyRow struct {
	ImportRow
	Kind        core.SurveyKind
	Period      string
	SurveyedOn  string
	Respondents int
	Positive    int
}

// IncidentRow is one incident of an import file (key: kind, date and source department).
type IncidentRow struct {
	ImportRow
	Kind             core.IncidentKind
	OccurredOn       string
	SourceDepartment string
	Description      string
}

// LawsuitRow is one village-year of lawsuit counts of an import file (key: year).
type LawsuitRow struct {
	ImportRow
	Year             int
	Civil            int
	Administrative   int
	SourceDepartment string
}

// CarrierRow is one culture carrier of an import file (key: kind and name).
type CarrierRow struct {
	ImportRow
	Kind core.CarrierKind
	Name string
}

// importer carries one import's transaction and collects row errors.
type importer struct {
	tx       *Tx
	f        ImportFile
	bad      []core.RowError
	villages map[string]int64
}

func (im *importer) add(line int, col, zh, en string) {
	im.bad = append(im.bad, core.RowError{Row: line, Column: col, Zh: zh, En: en})
}

// resolveVillages finds the villages of the rows in scope; a code that is not
// a village in the caller's scope is a row error (missing and out of scope
// look the same, as everywhere).
func (im *importer) resolveVillages(rows []ImportRow) error {
	codes := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		if r.VillageCode != "" && !seen[r.VillageCode] {
			seen[r.VillageCode] = true
			codes = append(codes, r.VillageCode)
		}
	}
	var found []struct {
		ID        int64  `db:"id"`
		Code      string `db:"code"`
		Dissolved string `db:"dissolved"`
		Successor string `db:"successor"`
	}
	if err := im.tx.Select(&found, `SELECT v.id, v.code, coalesce(v.dissolved_on::text, '') AS dissolved, coalesce(s.code, '') AS successor
		FROM regions v LEFT JOIN regions s ON s.id = v.successor_id WHERE v.level = 5 AND v.code = ANY($1)`, pq.Array(codes)); err != nil {
		return err
	}
	im.villages = make(map[string]int64, len(found))
	dissolved := map[string][2]string{}
	for _, v := range found {
		if v.Dissolved != "" {
			dissolved[v.Code] = [2]string{v.Dissolved, v.Successor}
			continue
		}
		im.villages[v.Code] = v.ID
	}
	for _, r := range rows {
		if d, ok := dissolved[r.VillageCode]; ok {
			zh, en := "", ""
			if d[1] != "" {
				zh, en = "（已并入 "+d[1]+"，请登记到该村(社区)）", " (merged into "+d[1]+": record it there)"
			}
			im.add(r.Line, im.f.VillageCol,
				fmt.Sprintf("村(社区) %s 已于 %s 撤并%s", r.VillageCode, d[0], zh),
				fmt.Sprintf("village %s was dissolved on %s%s", r.VillageCode, d[0], en))
			continue
		}
		if _, ok := im.villages[r.VillageCode]; !ok && r.VillageCode != "" {
			im.add(r.Line, im.f.VillageCol,
				fmt.Sprintf("村(社区)代码 %s 不存在或不在您的数据范围内", r.VillageCode),
				fmt.Sprintf("village code %s does not exist or is outside your scope", r.VillageCode))
		}
	}
	return nil
}

// parts maps village id -> name -> id of its villager groups or grids.
type parts map[int64]map[string]int64

// loadParts reads the groups or grids of the villages.
func (im *importer) loadParts(table string) (parts, error) {
	ids := make([]int64, 0, len(im.villages))
	for _, id := range im.villages {
		ids = append(ids, id)
	}
	var rows []struct {
		VillageID int64  `db:"village_id"`
		Name      string `db:"name"`
		ID        int64  `db:"id"`
	}
	if err := im.tx.Select(&rows, `SELECT village_id, name, id FROM `+table+` WHERE village_id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := parts{}
	for _, r := range rows {
		if out[r.VillageID] == nil {
			out[r.VillageID] = map[string]int64{}
		}
		out[r.VillageID][r.Name] = r.ID
	}
	return out, nil
}

// part resolves a group or grid name of a row: nil for "", a row error when unknown.
func (im *importer) part(p parts, villageID int64, name string, line int, col, zh, en string) *int64 {
	if name == "" {
		return nil
	}
	if id, ok := p[villageID][name]; ok {
		return &id
	}
	known := make([]string, 0, len(p[villageID]))
	for n := range p[villageID] {
		known = append(known, n)
	}
	slices.Sort(known)
	if len(known) == 0 {
		im.add(line, col, fmt.Sprintf("该村(社区)尚未登记任何%s，请先新增%s %q", zh, zh, name),
			fmt.Sprintf("the village has no %s yet: add %s %q first", en, en, name))
		return nil
	}
	if len(known) > 10 {
		known = append(known[:10], "…")
	}
	im.add(line, col, fmt.Sprintf("该村(社区)没有名为 %q 的%s（已有：%s），请先新增或改正名称", name, zh, strings.Join(known, "、")),
		fmt.Sprintf("the village has no %s named %q (it has: %s): add it first or correct the name", en, name, strings.Join(known, ", ")))
	return nil
}

// maxRowErrors is how many row errors a rejection lists.
const maxRowErrors = 1000

// reject lists the problems by line (notes without a line last), at most maxRowErrors.
func (im *importer) reject() error {
	key := func(e core.RowError) int {
		if e.Row == 0 {
			return int(^uint(0) >> 1)
		}
		return e.Row
	}
	slices.SortStableFunc(im.bad, func(a, b core.RowError) int { return key(a) - key(b) })
	if n := len(im.bad); n > maxRowErrors {
		im.bad = append(im.bad[:maxRowErrors-1], core.RowError{Zh: fmt.Sprintf("另有 %d 处错误未列出", n-maxRowErrors+1),
			En: fmt.Sprintf("%d more errors not listed", n-maxRowErrors+1)})
	}
	return importRejected(im.bad)
}

// copyIn stages n rows into a temporary table with COPY.
func copyIn(tx *Tx, table string, cols []string, n int, row func(i int) []any) error {
	stmt, err := tx.Raw().PrepareContext(tx.ctx, `COPY `+table+` (`+strings.Join(cols, ", ")+`) FROM STDIN`)
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := stmt.ExecContext(tx.ctx, row(i)...); err != nil {
			stmt.Close()
			return err
		}
	}
	if _, err := stmt.ExecContext(tx.ctx); err != nil {
		stmt.Close()
		return err
	}
	tx.count()
	return stmt.Close()
}

// auditChanged is the tail of every upsert statement: it writes one audit
// entry per row of the CTE "changed" (id, village_id, inserted, before,
// after) and returns the inserted flags. $1..$3 are the actor's id, name and role.
func auditChanged(objectType string) string {
	return auditChangedRows(objectType) + `
SELECT c.inserted FROM changed c`
}

// auditChangedRows is the CTE that writes one audit record per row of changed.
func auditChangedRows(objectType string) string {
	return `, aud AS (
  INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
  SELECT $1, $2, $3, CASE WHEN c.inserted THEN '` + objectType + `.import_create' ELSE '` + objectType + `.import_update' END,
         '` + objectType + `', c.id, c.village_id, c.before, c.after FROM changed c
)`
}

// changedUpsert lists the rows an upsert CTE "up" (with an inserted flag)
// wrote, beside their earlier state in "old".
const changedUpsert = `), changed AS (
  SELECT up.id, up.village_id, up.inserted, CASE WHEN old.id IS NULL THEN NULL ELSE to_jsonb(old.*) END AS before,
         to_jsonb(up.*) - 'inserted' AS after
  FROM up LEFT JOIN old ON old.id = up.id
)`

// changedUpdateInsert lists the rows written by an "upd" and an "ins" CTE
// (tables without a unique natural key), beside their earlier state in "old".
const changedUpdateInsert = `), changed AS (
  SELECT upd.id, upd.village_id, false AS inserted, to_jsonb(old.*) AS before, to_jsonb(upd.*) AS after
  FROM upd JOIN old ON old.id = upd.id
  UNION ALL
  SELECT ins.id, ins.village_id, true, NULL, to_jsonb(ins.*) FROM ins
)`

// actorArgs are the first three arguments of every upsert: who imports.
func actorArgs(tx *Tx) []any {
	a := core.ActorFrom(tx.ctx)
	if a == nil {
		a = core.System("system")
	}
	var id *int64
	if a.TokenID != 0 {
		id = &a.TokenID
	}
	return []any{id, a.Name, string(a.Role)}
}

// upsert runs an upsert statement built with auditChanged and counts what it did.
func upsert(tx *Tx, query string, args ...any) (inserted, updated int, err error) {
	var flags []bool
	if err := tx.Select(&flags, query, append(actorArgs(tx), args...)...); err != nil {
		return 0, 0, err
	}
	for _, f := range flags {
		if f {
			inserted++
		} else {
			updated++
		}
	}
	return inserted, updated, nil
}

// runImport runs one import: resolve and stage (prepare), then write; with a
// summary audit entry when something changed.
func (db *DB) runImport(ctx context.Context, kind core.RecordKind, f ImportFile, rows []ImportRow,
	write func(im *importer) (inserted, updated int, err error)) (ImportResult, error) {
	var res ImportResult
	err := db.InScope(ctx, func(tx *Tx) error {
		im := &importer{tx: tx, f: f, bad: slices.Clone(f.Errors)}
		if err := im.resolveVillages(rows); err != nil {
			return err
		}
		ins, upd, err := write(im)
		if err != nil {
			return err
		}
		if len(im.bad) > 0 {
			return im.reject()
		}
		res = ImportResult{Inserted: ins, Updated: upd, Unchanged: len(rows) - ins - upd}
		if ins == 0 && upd == 0 {
			return nil
		}
		actor := core.ActorFrom(ctx)
		var scopeID *int64
		if actor != nil && actor.ScopeID != 0 {
			scopeID = &actor.ScopeID
		}
		return audit(tx, string(kind)+".import", "record_import", 0, scopeID, nil, map[string]any{
			"kind": kind, "rows": len(rows), "inserted": ins, "updated": upd, "unchanged": res.Unchanged, "sha256": f.SHA256})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// present returns the subset of cols the file sets.
func (f ImportFile) present(cols ...string) []string {
	var out []string
	for _, c := range cols {
		if f.Present[c] {
			out = append(out, c)
		}
	}
	return out
}

// setList builds "c = excluded.c, ..." for the columns.
func setList(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = excluded." + c
	}
	return strings.Join(parts, ", ")
}

// differs builds "(t.a, t.b) IS DISTINCT FROM (s.a, s.b)", or "false" for no columns.
func differs(t, s string, cols []string) string {
	if len(cols) == 0 {
		return "false"
	}
	l := make([]string, len(cols))
	r := make([]string, len(cols))
	for i, c := range cols {
		l[i] = t + "." + c
		r[i] = s + "." + c
	}
	return "(" + strings.Join(l, ", ") + ") IS DISTINCT FROM (" + strings.Join(r, ", ") + ")"
}

func importRows[T any](rows []T, f func(T) ImportRow) []ImportRow {
	out := make([]ImportRow, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

func intArray(ys []int) string {
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return "{" + strings.Join(s, ",") + "}"
}

// ImportHouseholds writes households keyed by village and household number.
// Group and grid names must exist in the village. A deleted household of the
// same number comes back.
func (db *DB) ImportHouseholds(ctx context.Context, f ImportFile, rows []HouseholdRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordHousehold, f, importRows(rows, func(r HouseholdRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			var groups, grids parts
			var err error
			if f.Present["group_id"] {
				if groups, err = im.loadParts("villager_groups"); err != nil {
					return 0, 0, err
				}
			}
			if f.Present["grid_id"] {
				if grids, err = im.loadParts("grids"); err != nil {
					return 0, 0, err
				}
			}
			type staged struct {
				village       int64
				group, grid   *int64
				volunteerYear string
			}
			st := make([]staged, len(rows))
			for i, r := range rows {
				v, ok := im.villages[r.VillageCode]
				if !ok {
					continue
				}
				st[i].village = v
				if groups != nil {
					st[i].group = im.part(groups, v, r.Group, r.Line, f.GroupCol, "村民小组", "villager group")
				}
				if grids != nil {
					st[i].grid = im.part(grids, v, r.Grid, r.Line, f.GridCol, "网格", "grid")
				}
				st[i].volunteerYear = intArray(r.VolunteerYears)
			}
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE household_import (line int, village_id bigint, code text, group_id bigint,
				grid_id bigint, head_name text, phone text, members smallint, model_household_year smallint,
				has_family_rule boolean, wechat_member boolean, volunteer_years smallint[]) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "household_import", []string{"line", "village_id", "code", "group_id", "grid_id", "head_name", "phone",
				"members", "model_household_year", "has_family_rule", "wechat_member", "volunteer_years"}, len(rows), func(i int) []any {
				r := rows[i]
				return []any{r.Line, st[i].village, r.Code, st[i].group, st[i].grid, r.HeadName, r.Phone, r.Members,
					r.ModelHouseholdYear, r.HasFamilyRule, r.WechatMember, st[i].volunteerYear}
			}); err != nil {
				return 0, 0, err
			}
			set := f.present("group_id", "grid_id", "head_name", "phone", "members", "model_household_year", "has_family_rule", "wechat_member")
			setClause := setList(set)
			if setClause != "" {
				setClause += ", "
			}
			var changed []struct {
				ID       int64 `db:"id"`
				Inserted bool  `db:"inserted"`
			}
			q := `WITH old AS (
  SELECT h.* FROM households h JOIN household_import s ON s.village_id = h.village_id AND s.code = h.code
), up AS (
  INSERT INTO households AS h (village_id, code, group_id, grid_id, head_name, phone, members, model_household_year, has_family_rule, wechat_member)
  SELECT village_id, code, group_id, grid_id, head_name, phone, members, model_household_year, has_family_rule, wechat_member
  FROM household_import ORDER BY line
  ON CONFLICT (village_id, code) DO UPDATE SET ` + setClause + `deleted_at = NULL, version = h.version + 1, updated_at = now()
  WHERE h.deleted_at IS NOT NULL OR ` + differs("h", "excluded", set) + `
  RETURNING h.*, (xmax = 0) AS inserted
` + changedUpsert + auditChangedRows("household") + `
SELECT c.id, c.inserted FROM changed c`
			if err := im.tx.Select(&changed, q, actorArgs(im.tx)...); err != nil {
				return 0, 0, err
			}
			// Volunteer years are only ever added by an import.
			var volunteered []int64
			if err := im.tx.Select(&volunteered, `WITH ins AS (
  INSERT INTO household_volunteer_years (household_id, village_id, year)
  SELECT h.id, h.village_id, y.year FROM household_import s
  JOIN households h ON h.village_id = s.village_id AND h.code = s.code
  CROSS JOIN LATERAL unnest(s.volunteer_years) AS y(year)
  ON CONFLICT (household_id, year) DO NOTHING
  RETURNING household_id, village_id, year
), aud AS (
  INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
  SELECT $1, $2, $3, 'household.volunteer_set', 'household', ins.household_id, ins.village_id, NULL,
         jsonb_build_object('year', ins.year, 'activity_id', NULL) FROM ins
)
SELECT DISTINCT household_id FROM ins`, actorArgs(im.tx)...); err != nil {
				return 0, 0, err
			}
			ins, upd := 0, 0
			touched := make(map[int64]bool, len(changed))
			for _, c := range changed {
				touched[c.ID] = true
				if c.Inserted {
					ins++
				} else {
					upd++
				}
			}
			for _, id := range volunteered {
				if !touched[id] {
					upd++
				}
			}
			return ins, upd, nil
		})
}

// ImportLegalSavvyPersons writes legal-savvy persons keyed by grid and name; grids must exist.
func (db *DB) ImportLegalSavvyPersons(ctx context.Context, f ImportFile, rows []LegalSavvyRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordLegalSavvyPerson, f, importRows(rows, func(r LegalSavvyRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			grids, err := im.loadParts("grids")
			if err != nil {
				return 0, 0, err
			}
			village := make([]int64, len(rows))
			grid := make([]*int64, len(rows))
			for i, r := range rows {
				v, ok := im.villages[r.VillageCode]
				if !ok {
					continue
				}
				village[i] = v
				grid[i] = im.part(grids, v, r.Grid, r.Line, f.GridCol, "网格", "grid")
			}
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			// The key has no unique index: keep out concurrent writers of the same table.
			if _, err := im.tx.Exec(`LOCK TABLE legal_savvy_persons IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return 0, 0, err
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE legal_savvy_import (line int, village_id bigint, grid_id bigint, name text,
				phone text, trained_on date, active_from date, active_to date) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "legal_savvy_import", []string{"line", "village_id", "grid_id", "name", "phone", "trained_on",
				"active_from", "active_to"}, len(rows), func(i int) []any {
				r := rows[i]
				return []any{r.Line, village[i], grid[i], r.Name, r.Phone, r.TrainedOn, r.ActiveFrom, r.ActiveTo}
			}); err != nil {
				return 0, 0, err
			}
			set := append([]string{"active_from"}, f.present("phone", "trained_on", "active_to")...)
			assign := make([]string, len(set))
			for i, c := range set {
				assign[i] = c + " = s." + c
			}
			return upsert(im.tx, `WITH old AS (
  SELECT p.* FROM legal_savvy_persons p JOIN legal_savvy_import s ON s.grid_id = p.grid_id AND s.name = p.name
), upd AS (
  UPDATE legal_savvy_persons p SET `+strings.Join(assign, ", ")+`, version = p.version + 1
  FROM legal_savvy_import s WHERE s.grid_id = p.grid_id AND s.name = p.name AND `+differs("p", "s", set)+`
  RETURNING p.*
), ins AS (
  INSERT INTO legal_savvy_persons (village_id, grid_id, name, phone, trained_on, active_from, active_to)
  SELECT s.village_id, s.grid_id, s.name, s.phone, s.trained_on, s.active_from, s.active_to FROM legal_savvy_import s
  WHERE NOT EXISTS (SELECT 1 FROM legal_savvy_persons p WHERE p.grid_id = s.grid_id AND p.name = s.name)
  ORDER BY s.line
  RETURNING *
`+changedUpdateInsert+auditChanged("legal_savvy_person"))
		})
}

// ImportMediationCases writes mediation cases keyed by village and case number.
func (db *DB) ImportMediationCases(ctx context.Context, f ImportFile, rows []MediationRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordMediationCase, f, importRows(rows, func(r MediationRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE mediation_import (line int, village_id bigint, case_no text, received_on date,
				concluded_on date, outcome text, turned_criminal boolean, parties text, summary text) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "mediation_import", []string{"line", "village_id", "case_no", "received_on", "concluded_on", "outcome",
				"turned_criminal", "parties", "summary"}, len(rows), func(i int) []any {
				r := rows[i]
				return []any{r.Line, im.villages[r.VillageCode], r.CaseNo, r.ReceivedOn, r.ConcludedOn, string(r.Outcome),
					r.TurnedCriminal, r.Parties, r.Summary}
			}); err != nil {
				return 0, 0, err
			}
			set := append([]string{"received_on"}, f.present("concluded_on", "outcome", "turned_criminal", "parties", "summary")...)
			return upsert(im.tx, `WITH old AS (
  SELECT m.* FROM mediation_cases m JOIN mediation_import s ON s.village_id = m.village_id AND s.case_no = m.case_no
), up AS (
  INSERT INTO mediation_cases AS m (village_id, case_no, received_on, concluded_on, outcome, turned_criminal, parties, summary)
  SELECT village_id, case_no, received_on, concluded_on, outcome, turned_criminal, parties, summary FROM mediation_import ORDER BY line
  ON CONFLICT (village_id, case_no) DO UPDATE SET `+setList(set)+`, version = m.version + 1, updated_at = now()
  WHERE `+differs("m", "excluded", set)+`
  RETURNING m.*, (xmax = 0) AS inserted
`+changedUpsert+auditChanged("mediation_case"))
		})
}

// ImportSurveys writes surveys keyed by village, kind and period.
func (db *DB) ImportSurveys(ctx context.Context, f ImportFile, rows []SurveyRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordSurvey, f, importRows(rows, func(r SurveyRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE survey_import (line int, village_id bigint, kind text, period text,
				surveyed_on date, respondents integer, positive integer) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "survey_import", []string{"line", "village_id", "kind", "period", "surveyed_on", "respondents", "positive"},
				len(rows), func(i int) []any {
					r := rows[i]
					return []any{r.Line, im.villages[r.VillageCode], string(r.Kind), r.Period, r.SurveyedOn, r.Respondents, r.Positive}
				}); err != nil {
				return 0, 0, err
			}
			set := []string{"surveyed_on", "respondents", "positive"}
			return upsert(im.tx, `WITH old AS (
  SELECT v.* FROM surveys v JOIN survey_import s ON s.village_id = v.village_id AND s.kind = v.kind AND s.period = v.period
), up AS (
  INSERT INTO surveys AS v (village_id, kind, period, surveyed_on, respondents, positive)
  SELECT village_id, kind, period, surveyed_on, respondents, positive FROM survey_import ORDER BY line
  ON CONFLICT (village_id, kind, period) DO UPDATE SET `+setList(set)+`
  WHERE `+differs("v", "excluded", set)+`
  RETURNING v.*, (xmax = 0) AS inserted
`+changedUpsert+auditChanged("survey"))
		})
}

// ImportIncidents writes incidents keyed by village, kind, date and source
// department (an import updates the description of an incident it finds).
func (db *DB) ImportIncidents(ctx context.Context, f ImportFile, rows []IncidentRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordIncident, f, importRows(rows, func(r IncidentRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return 0, 0, err
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE incident_import (line int, village_id bigint, kind text, occurred_on date,
				source_department text, description text) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "incident_import", []string{"line", "village_id", "kind", "occurred_on", "source_department", "description"},
				len(rows), func(i int) []any {
					r := rows[i]
					return []any{r.Line, im.villages[r.VillageCode], string(r.Kind), r.OccurredOn, r.SourceDepartment, r.Description}
				}); err != nil {
				return 0, 0, err
			}
			// Deleted incidents (kept as owners of their deleted evidence) are not matched: importing one again records it anew.
			key := `s.village_id = i.village_id AND s.kind = i.kind AND s.occurred_on = i.occurred_on AND s.source_department = i.source_department
  AND i.deleted_at IS NULL`
			set := f.present("description")
			upd := `SELECT i.* FROM incidents i WHERE false`
			if len(set) > 0 {
				upd = `UPDATE incidents i SET description = s.description FROM incident_import s WHERE ` + key + `
  AND i.description IS DISTINCT FROM s.description RETURNING i.*`
			}
			return upsert(im.tx, `WITH old AS (
  SELECT i.* FROM incidents i JOIN incident_import s ON `+key+`
), upd AS (
  `+upd+`
), ins AS (
  INSERT INTO incidents (village_id, kind, occurred_on, source_department, description)
  SELECT s.village_id, s.kind, s.occurred_on, s.source_department, s.description FROM incident_import s
  WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE `+key+`)
  ORDER BY s.line
  RETURNING *
`+changedUpdateInsert+auditChanged("incident"))
		})
}

// ImportLawsuits writes yearly lawsuit counts keyed by village and year.
func (db *DB) ImportLawsuits(ctx context.Context, f ImportFile, rows []LawsuitRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordLawsuit, f, importRows(rows, func(r LawsuitRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE lawsuit_import (line int, village_id bigint, year smallint, civil integer,
				administrative integer, source_department text) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "lawsuit_import", []string{"line", "village_id", "year", "civil", "administrative", "source_department"},
				len(rows), func(i int) []any {
					r := rows[i]
					return []any{r.Line, im.villages[r.VillageCode], r.Year, r.Civil, r.Administrative, r.SourceDepartment}
				}); err != nil {
				return 0, 0, err
			}
			set := append([]string{"civil", "administrative"}, f.present("source_department")...)
			return upsert(im.tx, `WITH old AS (
  SELECT l.* FROM lawsuits l JOIN lawsuit_import s ON s.village_id = l.village_id AND s.year = l.year
), up AS (
  INSERT INTO lawsuits AS l (village_id, year, civil, administrative, source_department)
  SELECT village_id, year, civil, administrative, source_department FROM lawsuit_import ORDER BY line
  ON CONFLICT (village_id, year) DO UPDATE SET `+setList(set)+`, updated_at = now()
  WHERE `+differs("l", "excluded", set)+`
  RETURNING l.*, (xmax = 0) AS inserted
), changed AS (
  SELECT up.year::bigint AS id, up.village_id, up.inserted,
         CASE WHEN old.village_id IS NULL THEN NULL ELSE to_jsonb(old.*) END AS before, to_jsonb(up.*) - 'inserted' AS after
  FROM up LEFT JOIN old ON old.village_id = up.village_id AND old.year = up.year
)`+auditChanged("lawsuits"))
		})
}

// ImportCultureCarriers adds culture carriers keyed by village, kind and name
// (there is nothing else to update).
func (db *DB) ImportCultureCarriers(ctx context.Context, f ImportFile, rows []CarrierRow) (ImportResult, error) {
	return db.runImport(ctx, core.RecordCultureCarrier, f, importRows(rows, func(r CarrierRow) ImportRow { return r.ImportRow }),
		func(im *importer) (int, int, error) {
			if len(im.bad) > 0 {
				return 0, 0, nil
			}
			if _, err := im.tx.Exec(`CREATE TEMP TABLE carrier_import (line int, village_id bigint, kind text, name text) ON COMMIT DROP`); err != nil {
				return 0, 0, err
			}
			if err := copyIn(im.tx, "carrier_import", []string{"line", "village_id", "kind", "name"}, len(rows), func(i int) []any {
				r := rows[i]
				return []any{r.Line, im.villages[r.VillageCode], string(r.Kind), r.Name}
			}); err != nil {
				return 0, 0, err
			}
			return upsert(im.tx, `WITH up AS (
  INSERT INTO culture_carriers (village_id, kind, name)
  SELECT village_id, kind, name FROM carrier_import ORDER BY line
  ON CONFLICT (village_id, kind, name) DO NOTHING
  RETURNING *
), changed AS (
  SELECT up.id, up.village_id, true AS inserted, NULL::jsonb AS before, to_jsonb(up.*) AS after FROM up
)`+auditChanged("culture_carrier"))
		})
}
