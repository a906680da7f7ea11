package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/divcode"
	"github.com/lawvillage/lawvillage/internal/regioncsv"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Inserted, Updated, Unchanged int
}

// ImportRegions writes a parsed region listing in one transaction: all rows or
// none. Parents outside the file must already exist in the caller's scope with
// the right level; a region may not change its parent (that is a division
// adjustment); every row must lie inside the caller's scope. Re-importing the
// same file changes nothing. Progress, when given, is told the stage.
func (db *DB) ImportRegions(ctx context.Context, f *regioncsv.File, sha256 string, progress func(string)) (ImportResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	var res ImportResult
	err := db.InScope(ctx, func(tx *Tx) error {
		actor := core.ActorFrom(ctx)
		// Parents that are not in the file must be visible regions one level up.
		type parentRow struct {
			Code  string `db:"code"`
			Level int    `db:"level"`
			Path  string `db:"path"`
		}
		ext := f.ExternalParents()
		extCodes := make([]string, len(ext))
		for i, c := range ext {
			extCodes[i] = string(c)
		}
		var parents []parentRow
		if err := tx.Select(&parents, `SELECT code, level, path::text AS path FROM regions WHERE code = ANY($1)`, pq.Array(extCodes)); err != nil {
			return err
		}
		paths := make(map[divcode.Code]string, len(f.Rows)+len(parents))
		levels := make(map[divcode.Code]int, len(parents))
		for _, p := range parents {
			paths[divcode.Code(p.Code)] = p.Path
			levels[divcode.Code(p.Code)] = p.Level
		}
		var bad []core.RowError
		addBad := func(r regioncsv.Row, col, zh, en string) {
			if len(bad) < 1000 {
				bad = append(bad, core.RowError{Row: r.Line, Column: col, Zh: zh, En: en})
			}
		}
		for _, r := range f.Rows {
			if r.ParentCode == "" {
				paths[r.Code] = string(r.Code)
			} else if pp, ok := paths[r.ParentCode]; !ok {
				addBad(r, regioncsv.ColParent, fmt.Sprintf("上级代码 %s 不存在（文件中和已有数据中都没有）", r.ParentCode),
					fmt.Sprintf("unknown parent %s (neither in the file nor in your data)", r.ParentCode))
				continue
			} else if l, ext := levels[r.ParentCode]; ext && l != int(r.Level)-1 {
				addBad(r, regioncsv.ColParent, fmt.Sprintf("上级代码 %s 的层级不对", r.ParentCode),
					fmt.Sprintf("parent %s is not one level above", r.ParentCode))
				continue
			} else {
				paths[r.Code] = pp + "." + string(r.Code)
			}
			if scope := actor.ScopePath; scope != "*" && paths[r.Code] != scope && !strings.HasPrefix(paths[r.Code], scope+".") {
				addBad(r, regioncsv.ColCode, fmt.Sprintf("%s 不在您的数据范围（%s）内", r.Code, actor.ScopeCode),
					fmt.Sprintf("%s is outside your scope (%s)", r.Code, actor.ScopeCode))
			}
		}
		if len(bad) > 0 {
			return importRejected(bad)
		}
		progress("staging")
		if _, err := tx.Exec(`CREATE TEMP TABLE region_import (line int, code text, name text, parent_code text,
			level smallint, kind text, path text) ON COMMIT DROP`); err != nil {
			return err
		}
		stmt, err := tx.Raw().PrepareContext(ctx, pq.CopyIn("region_import", "line", "code", "name", "parent_code", "level", "kind", "path"))
		if err != nil {
			return err
		}
		for _, r := range f.Rows {
			var kind, parent any
			if r.Kind != "" {
				kind = r.Kind
			}
			if r.ParentCode != "" {
				parent = string(r.ParentCode)
			}
			if _, err := stmt.ExecContext(ctx, r.Line, string(r.Code), r.Name, parent, int(r.Level), kind, paths[r.Code]); err != nil {
				stmt.Close()
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			stmt.Close()
			return err
		}
		if err := stmt.Close(); err != nil {
			return err
		}
		tx.count()
		// A region that already exists must keep its parent: moving is a division adjustment.
		var moved []struct {
			Line   int    `db:"line"`
			Code   string `db:"code"`
			Parent string `db:"parent"`
		}
		if err := tx.Select(&moved, `SELECT s.line, s.code, coalesce(p.code, '') AS parent FROM region_import s
			JOIN regions r ON r.code = s.code LEFT JOIN regions p ON p.id = r.parent_id
			WHERE coalesce(p.code, '') IS DISTINCT FROM coalesce(s.parent_code, '') ORDER BY s.line LIMIT 1000`); err != nil {
			return err
		}
		if len(moved) > 0 {
			for _, m := range moved {
				bad = append(bad, core.RowError{Row: m.Line, Column: regioncsv.ColParent,
					Zh: fmt.Sprintf("%s 已存在且上级为 %s；变更隶属关系属于区划调整，不能通过导入完成", m.Code, m.Parent),
					En: fmt.Sprintf("%s already exists under %s; moving a region is a division adjustment, not an import", m.Code, m.Parent)})
			}
			return importRejected(bad)
		}
		// A code a division adjustment retired (the village moved under a new
		// code) is not a new region: importing an old listing must not bring it back.
		var retired []struct {
			Line int    `db:"line"`
			Code string `db:"code"`
			Now  string `db:"now"`
			Day  string `db:"day"`
		}
		if err := tx.Select(&retired, `SELECT DISTINCT ON (s.line) s.line, s.code, r.code AS now, coalesce(v.valid_to::text, '') AS day
			FROM region_import s JOIN region_versions v ON v.code = s.code JOIN regions r ON r.id = v.region_id
			WHERE r.code <> s.code AND NOT EXISTS (SELECT 1 FROM regions x WHERE x.code = s.code)
			ORDER BY s.line, v.valid_to DESC LIMIT 1000`); err != nil {
			return err
		}
		if len(retired) > 0 {
			for _, m := range retired {
				bad = append(bad, core.RowError{Row: m.Line, Column: regioncsv.ColCode,
					Zh: fmt.Sprintf("代码 %s 已于 %s 因区划调整停用（该村(社区)现为 %s）", m.Code, m.Day, m.Now),
					En: fmt.Sprintf("code %s was retired on %s by a division adjustment (the village is now %s)", m.Code, m.Day, m.Now)})
			}
			return importRejected(bad)
		}
		progress("writing")
		for level := 1; level <= 5; level++ {
			var flags []bool
			if err := tx.Select(&flags, `INSERT INTO regions AS r (code, name, level, kind, parent_id, path)
				SELECT s.code, s.name, s.level, s.kind, p.id, s.path::ltree
				FROM region_import s LEFT JOIN regions p ON p.code = s.parent_code
				WHERE s.level = $1
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
					version = r.version + 1, updated_at = now()
				WHERE (r.name, r.kind) IS DISTINCT FROM (excluded.name, excluded.kind)
				RETURNING (xmax = 0)`, level); err != nil {
				return err
			}
			for _, inserted := range flags {
				if inserted {
					res.Inserted++
				} else {
					res.Updated++
				}
			}
			progress(fmt.Sprintf("level %d written", level))
		}
		res.Unchanged = len(f.Rows) - res.Inserted - res.Updated
		if res.Inserted == 0 && res.Updated == 0 {
			return nil // nothing changed: no audit entry either
		}
		var scopeID *int64
		if actor.ScopeID != 0 {
			scopeID = &actor.ScopeID
		}
		return audit(tx, "regions.import", "region_import", 0, scopeID, nil, map[string]any{
			"rows": len(f.Rows), "inserted": res.Inserted, "updated": res.Updated, "unchanged": res.Unchanged, "sha256": sha256})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func importRejected(bad []core.RowError) error {
	return &core.Error{Code: core.EIMPORT,
		Zh:      fmt.Sprintf("导入被拒绝：%d 行有误，未写入任何数据", len(bad)),
		En:      fmt.Sprintf("import rejected: %d bad rows, nothing was written", len(bad)),
		Details: bad}
}
