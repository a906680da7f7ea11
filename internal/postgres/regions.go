package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const regionCols = `r.id, r.code, r.name, r.level, r.kind, r.parent_id, r.path::text AS path,
	r.household_count, r.version, r.created_at, r.updated_at`

// RegionByCode returns the region with the division code, if in scope.
func (db *DB) RegionByCode(ctx context.Context, code string) (*core.Region, error) {
	var r core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&r, `SELECT `+regionCols+` FROM regions r WHERE r.code = $1`, code)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("行政区 / region")
	}
	return &r, err
}

// RegionByID returns the region with the id, if in scope.
func (db *DB) RegionByID(ctx context.Context, id int64) (*core.Region, error) {
	rs, err := db.RegionsByIDs(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if rs[0] == nil {
		return nil, core.NotFound("行政区 / region")
	}
	return rs[0], nil
}

// RegionsByIDs returns the regions in the order of ids; nil where one is missing or out of scope.
func (db *DB) RegionsByIDs(ctx context.Context, ids []int64) ([]*core.Region, error) {
	var rows []*core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+regionCols+` FROM regions r WHERE r.id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(r *core.Region) int64 { return r.ID }), nil
}

// orderByID arranges rows in the order of ids, nil for the missing ones.
func orderByID[T any](ids []int64, rows []T, id func(T) int64) []T {
	m := make(map[int64]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	out := make([]T, len(ids))
	for i, k := range ids {
		out[i] = m[k]
	}
	return out
}

// groupByID collects rows under their key, in the order of ids.
func groupByID[T any](ids []int64, rows []T, key func(T) int64) [][]T {
	m := make(map[int64][]T, len(ids))
	for _, r := range rows {
		k := key(r)
		m[k] = append(m[k], r)
	}
	out := make([][]T, len(ids))
	for i, k := range ids {
		out[i] = m[k]
		if out[i] == nil {
			out[i] = []T{}
		}
	}
	return out
}

// Page asks for first items after a cursor key ("" for the start).
type Page struct {
	First int
	After string
}

// Children returns a page of the region's children ordered by code, plus
// whether more follow.
func (db *DB) Children(ctx context.Context, parentID int64, p Page) ([]*core.Region, bool, error) {
	var rows []*core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+regionCols+` FROM regions r
			WHERE r.parent_id = $1 AND r.dissolved_on IS NULL AND r.code > $2 ORDER BY r.code LIMIT $3`, parentID, p.After, p.First+1)
	})
	return trim(rows, p.First, err)
}

// CountChildren counts the region's children in scope.
func (db *DB) CountChildren(ctx context.Context, parentID int64) (int, error) {
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM regions r WHERE r.parent_id = $1 AND r.dissolved_on IS NULL`, parentID)
	})
	return n, err
}

// TopRegions returns the regions at the top of the caller's view (their scope root).
func (db *DB) TopRegions(ctx context.Context) ([]*core.Region, error) {
	var rows []*core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+regionCols+` FROM regions r
			WHERE r.parent_id IS NULL OR r.parent_id NOT IN (SELECT id FROM regions) ORDER BY r.code`)
	})
	return rows, err
}

// afterDateID adds to where the keyset condition of a page ordered by a
// date and an id, both descending, after the cursor key "2026-05-31|123".
func afterDateID(where string, args []any, after, dateCol, idCol string) (string, []any, error) {
	if after == "" {
		return where, args, nil
	}
	d, id, ok := strings.Cut(after, "|")
	n, err := strconv.ParseInt(id, 10, 64)
	if _, perr := time.Parse(time.DateOnly, d); !ok || err != nil || perr != nil {
		return "", nil, core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor")
	}
	args = append(args, d, n)
	return where + ` AND (` + dateCol + `, ` + idCol + `) < ($` + strconv.Itoa(len(args)-1) + `::date, $` + strconv.Itoa(len(args)) + `)`, args, nil
}

func trim[T any](rows []T, first int, err error) ([]T, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if len(rows) > first {
		return rows[:first], true, nil
	}
	return rows, false, nil
}

// VillageFilter narrows a list of villages.
type VillageFilter struct {
	Kind         *core.VillageKind
	TitleStatus  *core.TitleStatus // status of the provincial title (the retained one, else the latest)
	HasTitle     *bool             // holds a retained provincial title
	Batch        *int              // batch of that provincial title
	NameContains string
	// IncludeDissolved lists villages merged away or split up too (they stay as history).
	IncludeDissolved bool
}

// villageWhere builds the shared WHERE clause of Villages and CountVillages;
// args start with the region path.
func villageWhere(path string, f VillageFilter) (string, []any) {
	args := []any{path}
	var b strings.Builder
	b.WriteString(`r.level = 5 AND r.path <@ $1::ltree`)
	if !f.IncludeDissolved {
		b.WriteString(` AND r.dissolved_on IS NULL`)
	}
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(" AND ")
		b.WriteString(strings.ReplaceAll(cond, "$?", "$"+itoa(len(args))))
	}
	if f.Kind != nil {
		add(`r.kind = $?`, string(*f.Kind))
	}
	if f.NameContains != "" {
		add(`strpos(r.name, $?) > 0`, f.NameContains)
	}
	if f.TitleStatus != nil || f.Batch != nil || f.HasTitle != nil {
		b.WriteString(` AND `)
		if f.HasTitle != nil && !*f.HasTitle {
			b.WriteString(`NOT `)
		}
		// The village's provincial title: the retained one if any, else the latest.
		b.WriteString(`EXISTS (SELECT 1 FROM titles t WHERE t.village_id = r.id AND t.level = 'provincial'
			AND t.id = (SELECT t2.id FROM titles t2 WHERE t2.village_id = r.id AND t2.level = 'provincial'
				ORDER BY t2.status = 'retained' DESC, t2.id DESC LIMIT 1)`)
		if f.HasTitle != nil {
			b.WriteString(` AND t.status = 'retained'`)
		}
		if f.TitleStatus != nil {
			args = append(args, string(*f.TitleStatus))
			b.WriteString(` AND t.status = $` + itoa(len(args)))
		}
		if f.Batch != nil {
			args = append(args, *f.Batch)
			b.WriteString(` AND t.batch = $` + itoa(len(args)))
		}
		b.WriteString(`)`)
	}
	return b.String(), args
}

func itoa(n int) string { return strconv.Itoa(n) }

// Villages returns a page of the villages under the region path, by code.
func (db *DB) Villages(ctx context.Context, path string, f VillageFilter, p Page) ([]*core.Region, bool, error) {
	where, args := villageWhere(path, f)
	args = append(args, p.After, p.First+1)
	n := len(args)
	var rows []*core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+regionCols+` FROM regions r WHERE `+where+
			` AND r.code > $`+itoa(n-1)+` ORDER BY r.code LIMIT $`+itoa(n), args...)
	})
	return trim(rows, p.First, err)
}

// CountVillages counts the villages under the region path that match the filter.
func (db *DB) CountVillages(ctx context.Context, path string, f VillageFilter) (int, error) {
	where, args := villageWhere(path, f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM regions r WHERE `+where, args...)
	})
	return n, err
}

// UpdateVillage changes a village's kind or household count. expectedVersion,
// when given, must match (optimistic concurrency).
func (db *DB) UpdateVillage(ctx context.Context, id int64, expectedVersion *int, kind *core.VillageKind, households *int) (*core.Region, error) {
	var out core.Region
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Region
		if err := tx.Get(&before, `SELECT `+regionCols+` FROM regions r WHERE r.id = $1 AND r.level = 5 FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("村(社区) / village")
			}
			return err
		}
		if expectedVersion != nil && *expectedVersion != before.Version {
			return conflict()
		}
		var k *string
		if kind != nil {
			s := string(*kind)
			k = &s
		}
		if households != nil && *households < 0 {
			return core.Errorf(core.EINVALID, "户数不能为负", "household count must not be negative").WithField("input", "householdCount")
		}
		if err := tx.Get(&out, `UPDATE regions r SET kind = coalesce($2, r.kind), household_count = coalesce($3, r.household_count),
			version = r.version + 1, updated_at = now() WHERE r.id = $1 RETURNING `+regionCols, id, k, households); err != nil {
			return err
		}
		return audit(tx, "village.update", "village", id, &id, before, out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func conflict() error {
	return core.Errorf(core.ECONFLICT, "记录已被他人修改，请刷新后重试", "the record was changed by someone else: reload and try again").WithField("input", "expectedVersion")
}

// AddGrid adds a grid to a village.
func (db *DB) AddGrid(ctx context.Context, villageID int64, name string) (*core.Grid, error) {
	var g core.Grid
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		if err := tx.Get(&g, `INSERT INTO grids (village_id, name) VALUES ($1, $2) RETURNING id, village_id, name, created_at`, villageID, strings.TrimSpace(name)); err != nil {
			return err
		}
		return audit(tx, "grid.create", "grid", g.ID, &villageID, nil, g)
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// AddVillagerGroup adds a villager group to a village.
func (db *DB) AddVillagerGroup(ctx context.Context, villageID int64, name string) (*core.VillagerGroup, error) {
	var g core.VillagerGroup
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		if err := tx.Get(&g, `INSERT INTO villager_groups (village_id, name) VALUES ($1, $2) RETURNING id, village_id, name, created_at`, villageID, strings.TrimSpace(name)); err != nil {
			return err
		}
		return audit(tx, "villager_group.create", "villager_group", g.ID, &villageID, nil, g)
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// requireVillage checks that the id is a village in scope.
func requireVillage(tx *Tx, id int64) error {
	var dissolved []sql.NullString
	if err := tx.Select(&dissolved, `SELECT dissolved_on::text FROM regions WHERE id = $1 AND level = 5`, id); err != nil {
		return err
	}
	if len(dissolved) == 0 {
		return core.NotFound("村(社区) / village").WithField("input", "villageId")
	}
	if d := dissolved[0]; d.Valid {
		return core.Errorf(core.EINVALID, "该村(社区)已于 %s 撤并，不能再登记", "the village was dissolved on %s: nothing more can be recorded for it", d.String).WithField("input", "villageId")
	}
	return nil
}

// GridsByVillages returns each village's grids, in the order of ids.
func (db *DB) GridsByVillages(ctx context.Context, ids []int64) ([][]*core.Grid, error) {
	var rows []*core.Grid
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, village_id, name, created_at FROM grids WHERE village_id = ANY($1) ORDER BY name`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(g *core.Grid) int64 { return g.VillageID }), nil
}

// GroupsByVillages returns each village's villager groups, in the order of ids.
func (db *DB) GroupsByVillages(ctx context.Context, ids []int64) ([][]*core.VillagerGroup, error) {
	var rows []*core.VillagerGroup
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, village_id, name, created_at FROM villager_groups WHERE village_id = ANY($1) ORDER BY name`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(g *core.VillagerGroup) int64 { return g.VillageID }), nil
}

// GridByID and GroupByID serve node(id:) lookups.
func (db *DB) GridByID(ctx context.Context, id int64) (*core.Grid, error) {
	var g core.Grid
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&g, `SELECT id, village_id, name, created_at FROM grids WHERE id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("网格 / grid")
	}
	return &g, err
}

// GroupByID returns a villager group by id, if in scope.
func (db *DB) GroupByID(ctx context.Context, id int64) (*core.VillagerGroup, error) {
	var g core.VillagerGroup
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&g, `SELECT id, village_id, name, created_at FROM villager_groups WHERE id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("村民小组 / villager group")
	}
	return &g, err
}
