package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

// audit appends a record of a change to the audit trail, in the change's own
// transaction: who, which object, and the object before and after. The table
// is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and readable
// within scope (row-level security on region_id).
func audit(tx *Tx, action, objectType string, objectID int64, regionID *int64, before, after any) error {
	return auditAs(tx, core.ActorFrom(tx.ctx), action, objectType, objectID, regionID, before, after)
}

// auditAs is audit with an explicit actor (nil: the system).
func auditAs(tx *Tx, a *core.Actor, action, objectType string, objectID int64, regionID *int64, before, after any) error {
	if a == nil {
		a = core.System("system")
	}
	var actorID *int64
	if a.TokenID != 0 {
		actorID = &a.TokenID
	}
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	af, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		actorID, a.Name, string(a.Role), action, objectType, objectID, regionID, b, af)
	return err
}

// auditGlobal records a change that belongs to no single region (a setting,
// a job run over every village) once under each top-level region, so that
// readers whose scope is a whole tree see it; before any region exists it is
// recorded once without a region (then only the system reads it). It must run
// in a transaction that sees every region (AsSystem).
func auditGlobal(tx *Tx, a *core.Actor, action, objectType string, objectID int64, before, after any) error {
	if a == nil {
		a = core.System("system")
	}
	var actorID *int64
	if a.TokenID != 0 {
		actorID = &a.TokenID
	}
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	af, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	n, err := tx.Exec(`INSERT INTO audit_log (actor_id, actor_name, actor_role, action, object_type, object_id, region_id, before, after)
		SELECT $1, $2, $3, $4, $5, $6, r.id, $7, $8 FROM regions r WHERE r.parent_id IS NULL ORDER BY r.id`,
		actorID, a.Name, string(a.Role), action, objectType, objectID, b, af)
	if err != nil || n > 0 {
		return err
	}
	return auditAs(tx, a, action, objectType, objectID, nil, before, after)
}

func jsonOrNil(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// AuditEntry is one record of the audit trail, with the path of its region
// (for masking personal data per reader).
type AuditEntry struct {
	ID         int64     `db:"id"`
	At         time.Time `db:"at"`
	ActorID    *int64    `db:"actor_id"`
	ActorName  string    `db:"actor_name"`
	ActorRole  string    `db:"actor_role"`
	Action     string    `db:"action"`
	ObjectType string    `db:"object_type"`
	ObjectID   *int64    `db:"object_id"`
	RegionID   *int64    `db:"region_id"`
	RegionPath *string   `db:"region_path"`
	Before     *string   `db:"before"`
	After      *string   `db:"after"`
}

const auditCols = `a.id, a.at, a.actor_id, a.actor_name, a.actor_role, a.action, a.object_type, a.object_id, a.region_id,
	r.path::text AS region_path, a.before::text AS before, a.after::text AS after`

// AuditFilter narrows the audit trail; empty fields do not filter.
type AuditFilter struct {
	ObjectType string
	ObjectID   *int64
	ActorName  string
	Action     string
	From, To   *time.Time // at >= From, at < To
}

func auditWhere(f AuditFilter) (string, []any) {
	where := []string{"true"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.ObjectType != "" {
		add(`a.object_type = $?`, f.ObjectType)
	}
	if f.ObjectID != nil {
		add(`a.object_id = $?`, *f.ObjectID)
	}
	if f.ActorName != "" {
		add(`a.actor_name = $?`, f.ActorName)
	}
	if f.Action != "" {
		add(`a.action = $?`, f.Action)
	}
	if f.From != nil {
		add(`a.at >= $?`, *f.From)
	}
	if f.To != nil {
		add(`a.at < $?`, *f.To)
	}
	return strings.Join(where, " AND "), args
}

// AuditLog returns a page of the audit trail the caller may read (row-level
// security: records whose region lies in the caller's scope), newest first
// (cursor: id).
func (db *DB) AuditLog(ctx context.Context, f AuditFilter, p Page) ([]*AuditEntry, bool, error) {
	where, args := auditWhere(f)
	after := int64(1<<62 - 1)
	if p.After != "" {
		n, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil || n <= 0 {
			return nil, false, core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor").WithField("after")
		}
		after = n
	}
	args = append(args, after, p.First+1)
	var rows []*AuditEntry
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+auditCols+` FROM audit_log a LEFT JOIN regions r ON r.id = a.region_id
			WHERE `+where+` AND a.id < $`+strconv.Itoa(len(args)-1)+` ORDER BY a.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	})
	return trim(rows, p.First, err)
}

// CountAuditLog counts the records of AuditLog.
func (db *DB) CountAuditLog(ctx context.Context, f AuditFilter) (int, error) {
	where, args := auditWhere(f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM audit_log a WHERE `+where, args...)
	})
	return n, err
}

// AuditObject names one audited object: its type in the audit trail and its id.
type AuditObject struct {
	Type string
	ID   int64
}

// AuditHistories returns, for each object, its latest audit records (newest
// first, at most limit each) that the caller may read, in the order of objs:
// one statement for all of them.
func (db *DB) AuditHistories(ctx context.Context, objs []AuditObject, limit int) ([][]*AuditEntry, error) {
	types := make([]string, len(objs))
	ids := make([]int64, len(objs))
	for i, o := range objs {
		types[i], ids[i] = o.Type, o.ID
	}
	var rows []struct {
		Ord int `db:"ord"`
		AuditEntry
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT o.ord, h.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS o(typ, oid, ord)
			CROSS JOIN LATERAL (SELECT `+auditCols+` FROM audit_log a LEFT JOIN regions r ON r.id = a.region_id
				WHERE a.object_type = o.typ AND a.object_id = o.oid ORDER BY a.id DESC LIMIT $3) h
			ORDER BY o.ord, h.id DESC`, pq.Array(types), pq.Array(ids), limit)
	})
	if err != nil {
		return nil, err
	}
	out := make([][]*AuditEntry, len(objs))
	for i := range out {
		out[i] = []*AuditEntry{}
	}
	for i := range rows {
		k := rows[i].Ord - 1
		out[k] = append(out[k], &rows[i].AuditEntry)
	}
	return out, nil
}

// AuditExport records, in its own transaction, that the caller exported data
// of the region with the code (a file built from the records in their scope):
// an action that changes no rows but must be accounted for. Read-only roles
// export too, so the transaction is writable; the region must be in scope.
func (db *DB) AuditExport(ctx context.Context, action, regionCode string, details any) error {
	a := core.ActorFrom(ctx)
	if a == nil {
		return core.Errorf(core.EUNAUTHENTICATED, "需要有效的访问令牌", "a valid access token is required")
	}
	return db.run(ctx, a.ScopePath, false, func(tx *Tx) error {
		var ids []int64
		if err := tx.Select(&ids, `SELECT id FROM regions WHERE code = $1`, regionCode); err != nil {
			return err
		}
		if len(ids) == 0 {
			return core.NotFound("行政区 / region").WithField("input", "areaCode")
		}
		return auditAs(tx, a, action, "export", 0, &ids[0], nil, details)
	})
}
