package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

// An upload and an evidence file belong to an activity or an incident; the
// other owner column is NULL in the table and 0 in core.Upload and core.Evidence.
const uploadCols = `u.id, u.village_id, coalesce(u.activity_id, 0) AS activity_id, coalesce(u.incident_id, 0) AS incident_id, u.object_key,
	u.filename, u.declared_type, u.max_size, u.method, u.status, u.created_at, u.expires_at`
const evidenceCols = `e.id, e.village_id, coalesce(e.activity_id, 0) AS activity_id, coalesce(e.incident_id, 0) AS incident_id, e.object_key,
	e.filename, e.content_type, e.size, e.sha256, e.created_at, e.retain_until, e.deleted_at`

// NewUpload describes an upload to reserve, for exactly one owner.
type NewUpload struct {
	ActivityID   int64 // the activity's, or
	IncidentID   int64 // the incident's
	Filename     string
	DeclaredType string
	MaxSize      int64
	Method       string // presigned_post or multipart
	TTL          time.Duration
}

// ownerRow is the village of an evidence owner, read (and share-locked, so
// that it cannot be deleted meanwhile) in the transaction that attaches to it.
type ownerRow struct {
	VillageID int64  `db:"village_id"`
	Code      string `db:"code"`
}

// lockOwner reads a live (not deleted) activity or incident in scope, locked
// against deletion until the transaction ends.
func lockOwner(tx *Tx, o core.EvidenceOwner) (ownerRow, error) {
	var row ownerRow
	var err error
	if o.IsIncident() {
		err = tx.Get(&row, `SELECT i.village_id, r.code FROM incidents i JOIN regions r ON r.id = i.village_id
			WHERE i.id = $1 AND i.deleted_at IS NULL FOR SHARE OF i`, o.IncidentID)
		if errors.Is(err, sql.ErrNoRows) {
			return row, core.NotFound("案事件 / incident").WithField("input", "incidentId")
		}
		return row, err
	}
	err = tx.Get(&row, `SELECT a.village_id, r.code FROM activities a JOIN regions r ON r.id = a.village_id
		WHERE a.id = $1 AND a.deleted_at IS NULL FOR SHARE OF a`, o.ActivityID)
	if errors.Is(err, sql.ErrNoRows) {
		return row, core.NotFound("活动 / activity").WithField("input", "activityId")
	}
	return row, err
}

// ownerDir is the owner's part of an object key: the activity's id (as it
// always was) or "incident-" and the incident's id.
func ownerDir(o core.EvidenceOwner) string {
	if o.IsIncident() {
		return "incident-" + strconv.FormatInt(o.IncidentID, 10)
	}
	return strconv.FormatInt(o.ActivityID, 10)
}

// ReserveUpload records a pending upload for an activity or an incident in
// scope, with an object key chosen by the server:
// evidence/<village code>/<activity id>/<random> or
// evidence/<village code>/incident-<incident id>/<random>. The caller must
// hold the owner's permission (core.EvidenceOwner.Permission).
func (db *DB) ReserveUpload(ctx context.Context, in NewUpload) (*core.Upload, error) {
	owner := core.EvidenceOwner{ActivityID: in.ActivityID, IncidentID: in.IncidentID}
	if err := owner.Check(); err != nil {
		return nil, err
	}
	if _, err := owner.Require(ctx, "input", owner.InputField()); err != nil {
		return nil, err
	}
	var u core.Upload
	err := db.InScope(ctx, func(tx *Tx) error {
		own, err := lockOwner(tx, owner)
		if err != nil {
			return err
		}
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		key := "evidence/" + own.Code + "/" + ownerDir(owner) + "/" + hex.EncodeToString(b)
		actor := core.ActorFrom(ctx)
		if err := tx.Get(&u, `INSERT INTO uploads AS u (village_id, activity_id, incident_id, object_key, filename, declared_type, max_size, method, created_by, expires_at)
			VALUES ($1, nullif($2, 0), nullif($3, 0), $4, $5, $6, $7, $8, nullif($9, 0), $10) RETURNING `+uploadCols,
			own.VillageID, in.ActivityID, in.IncidentID, key, in.Filename, in.DeclaredType, in.MaxSize, in.Method, actor.TokenID, db.Now().Add(in.TTL)); err != nil {
			return err
		}
		return audit(tx, "upload.reserve", "upload", u.ID, &u.VillageID, nil, u)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UploadByID returns a pending or confirmed upload in scope.
func (db *DB) UploadByID(ctx context.Context, id int64) (*core.Upload, error) {
	var u core.Upload
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&u, `SELECT `+uploadCols+` FROM uploads u WHERE u.id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("上传 / upload").WithField("input", "uploadId")
	}
	return &u, err
}

// DropUpload removes a pending upload record (after its object was removed or
// never written), recording who dropped it: the caller whose upload failed, or
// the sweep.
func (db *DB) DropUpload(ctx context.Context, id int64) error {
	return db.AsSystem(ctx, func(tx *Tx) error {
		var u []core.Upload
		if err := tx.Select(&u, `DELETE FROM uploads u WHERE u.id = $1 AND u.status = 'pending' RETURNING `+uploadCols, id); err != nil {
			return err
		}
		if len(u) == 0 {
			return nil // already dropped or confirmed: nothing changed
		}
		return audit(tx, "upload.drop", "upload", id, &u[0].VillageID, u[0], nil)
	})
}

// CheckedObject is what the server verified of an uploaded object.
type CheckedObject struct {
	ContentType string
	Size        int64
	SHA256      string
	Retention   time.Duration
}

// LinkEvidence turns a pending upload into evidence of its activity or
// incident, after its object was checked. The same content linked twice to
// one owner is a DUPLICATE; an owner deleted since the upload was reserved is
// NOT_FOUND; the caller must hold the owner's permission.
func (db *DB) LinkEvidence(ctx context.Context, uploadID int64, obj CheckedObject) (*core.Evidence, error) {
	var e core.Evidence
	err := db.InScope(ctx, func(tx *Tx) error {
		var u core.Upload
		if err := tx.Get(&u, `SELECT `+uploadCols+` FROM uploads u WHERE u.id = $1 FOR UPDATE`, uploadID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("上传 / upload").WithField("input", "uploadId")
			}
			return err
		}
		if u.Status != "pending" {
			return core.Errorf(core.ECONFLICT, "该上传已确认", "this upload was already confirmed").WithField("input", "uploadId")
		}
		if _, err := u.Owner().Require(ctx, "input", "uploadId"); err != nil {
			return err
		}
		// Past its expiry the sweep may remove the object at any moment.
		if !u.ExpiresAt.After(db.Now()) {
			return core.Errorf(core.ENOTFOUND, "该上传已过期，请重新上传", "this upload has expired; upload the file again").WithField("input", "uploadId")
		}
		// The owner may have been deleted since the reservation: its evidence
		// would point to a record nobody reads. Locked until commit.
		if _, err := lockOwner(tx, u.Owner()); err != nil {
			if core.ErrorCode(err) == core.ENOTFOUND {
				return core.AsError(err).WithField("input", "uploadId")
			}
			return err
		}
		var dup bool
		if u.Owner().IsIncident() {
			if err := tx.Get(&dup, `SELECT EXISTS (SELECT 1 FROM evidence WHERE incident_id = $1 AND sha256 = $2 AND deleted_at IS NULL)`,
				u.IncidentID, obj.SHA256); err != nil {
				return err
			}
			if dup {
				return core.Errorf(core.EDUPLICATE, "同一文件已关联到该案事件", "the same file is already linked to this incident")
			}
		} else {
			if err := tx.Get(&dup, `SELECT EXISTS (SELECT 1 FROM evidence WHERE activity_id = $1 AND sha256 = $2 AND deleted_at IS NULL)`,
				u.ActivityID, obj.SHA256); err != nil {
				return err
			}
			if dup {
				return core.Errorf(core.EDUPLICATE, "同一文件已关联到该活动", "the same file is already linked to this activity")
			}
		}
		actor := core.ActorFrom(ctx)
		if err := tx.Get(&e, `INSERT INTO evidence AS e (village_id, activity_id, incident_id, upload_id, object_key, filename, content_type, size, sha256, created_by, retain_until)
			VALUES ($1, nullif($2, 0), nullif($3, 0), $4, $5, $6, $7, $8, $9, nullif($10, 0), $11) RETURNING `+evidenceCols,
			u.VillageID, u.ActivityID, u.IncidentID, u.ID, u.ObjectKey, u.Filename, obj.ContentType, obj.Size, obj.SHA256, actor.TokenID,
			db.Now().Add(obj.Retention)); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE uploads SET status = 'confirmed' WHERE id = $1`, u.ID); err != nil {
			return err
		}
		return audit(tx, "evidence.create", "evidence", e.ID, &e.VillageID, nil, e)
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// EvidenceByActivities returns each activity's evidence (oldest first), in the order of ids.
func (db *DB) EvidenceByActivities(ctx context.Context, ids []int64) ([][]*core.Evidence, error) {
	var rows []*core.Evidence
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evidenceCols+` FROM evidence e WHERE e.activity_id = ANY($1) AND e.deleted_at IS NULL ORDER BY e.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.Evidence) int64 { return e.ActivityID }), nil
}

// EvidenceByIncidents returns each incident's evidence (oldest first), in the order of ids.
func (db *DB) EvidenceByIncidents(ctx context.Context, ids []int64) ([][]*core.Evidence, error) {
	var rows []*core.Evidence
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evidenceCols+` FROM evidence e WHERE e.incident_id = ANY($1) AND e.deleted_at IS NULL ORDER BY e.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.Evidence) int64 { return e.IncidentID }), nil
}

// EvidenceByIDs returns evidence in the order of ids (nil where missing, deleted or out of scope).
func (db *DB) EvidenceByIDs(ctx context.Context, ids []int64) ([]*core.Evidence, error) {
	var rows []*core.Evidence
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evidenceCols+` FROM evidence e WHERE e.id = ANY($1) AND e.deleted_at IS NULL`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(e *core.Evidence) int64 { return e.ID }), nil
}

// DuplicatesOf returns, for each evidence, the other live evidence of its
// village with the same content, in the order of the input.
func (db *DB) DuplicatesOf(ctx context.Context, ev []*core.Evidence) ([][]*core.Evidence, error) {
	ids := make([]int64, len(ev))
	for i, e := range ev {
		ids[i] = e.ID
	}
	var rows []struct {
		Of int64 `db:"of"`
		core.Evidence
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT o.id AS of, `+evidenceCols+` FROM evidence o
			JOIN evidence e ON e.village_id = o.village_id AND e.sha256 = o.sha256 AND e.id <> o.id AND e.deleted_at IS NULL
			WHERE o.id = ANY($1) ORDER BY e.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	m := map[int64][]*core.Evidence{}
	for i := range rows {
		m[rows[i].Of] = append(m[rows[i].Of], &rows[i].Evidence)
	}
	out := make([][]*core.Evidence, len(ev))
	for i, id := range ids {
		out[i] = m[id]
		if out[i] == nil {
			out[i] = []*core.Evidence{}
		}
	}
	return out, nil
}

// EvidenceOfVillage returns a page of a village's evidence, newest first (cursor: id).
func (db *DB) EvidenceOfVillage(ctx context.Context, villageID int64, p Page) ([]*core.Evidence, bool, error) {
	after := int64(1<<62 - 1)
	if p.After != "" {
		n, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, false, core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor")
		}
		after = n
	}
	var rows []*core.Evidence
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evidenceCols+` FROM evidence e WHERE e.village_id = $1 AND e.deleted_at IS NULL AND e.id < $2
			ORDER BY e.id DESC LIMIT $3`, villageID, after, p.First+1)
	})
	return trim(rows, p.First, err)
}

// CountEvidenceOfVillage counts a village's live evidence.
func (db *DB) CountEvidenceOfVillage(ctx context.Context, villageID int64) (int, error) {
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM evidence e WHERE e.village_id = $1 AND e.deleted_at IS NULL`, villageID)
	})
	return n, err
}

// DeleteEvidence marks evidence deleted; its object stays until retain_until.
// The caller must hold the owner's permission: an incident's evidence is
// removed only by a role that may record incidents.
func (db *DB) DeleteEvidence(ctx context.Context, id int64, reason string) error {
	// A role that may attach no evidence at all may delete none (and its
	// transactions are read-only): refused before the row is looked up.
	if a := core.ActorFrom(ctx); a != nil && !a.Role.Can(core.PermRecordActivity) && !a.Role.Can(core.PermRecordPartnerFacts) {
		return core.Errorf(core.EFORBIDDEN, "当前角色无权执行此操作", "your role may not do this").WithField("input", "id")
	}
	return db.InScope(ctx, func(tx *Tx) error {
		if reason == "" {
			return core.Errorf(core.EINVALID, "必须说明理由", "a reason is required").WithField("input", "reason")
		}
		var before core.Evidence
		if err := tx.Get(&before, `SELECT `+evidenceCols+` FROM evidence e WHERE e.id = $1 AND e.deleted_at IS NULL FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("证明材料 / evidence").WithField("input", "id")
			}
			return err
		}
		if _, err := before.Owner().Require(ctx, "input", "id"); err != nil {
			return err
		}
		actor := core.ActorFrom(ctx)
		if _, err := tx.Exec(`UPDATE evidence SET deleted_at = now(), deleted_by = nullif($2, 0), delete_reason = $3 WHERE id = $1`,
			id, actor.TokenID, reason); err != nil {
			return err
		}
		return audit(tx, "evidence.delete", "evidence", id, &before.VillageID, before, map[string]any{"deleted": true, "reason": reason})
	})
}

// sweepGrace is how long after its expiry an unconfirmed upload is left alone.
const sweepGrace = 10 * time.Minute

// ExpiredUploads lists pending uploads whose time ran out, for the sweep.
func (db *DB) ExpiredUploads(ctx context.Context, limit int) ([]*core.Upload, error) {
	var rows []*core.Upload
	err := db.AsSystem(ctx, func(tx *Tx) error {
		// A grace period after expiry: a confirmation that began just before
		// the deadline (LinkEvidence refuses after it) has finished by then.
		return tx.Select(&rows, `SELECT `+uploadCols+` FROM uploads u WHERE u.status = 'pending' AND u.expires_at < $1
			ORDER BY u.id LIMIT $2`, db.Now().Add(-sweepGrace), limit)
	})
	return rows, err
}

// PurgeableEvidence lists deleted evidence whose retention has ended and whose object is still kept.
func (db *DB) PurgeableEvidence(ctx context.Context, limit int) ([]*core.Evidence, error) {
	var rows []*core.Evidence
	err := db.AsSystem(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+evidenceCols+` FROM evidence e WHERE e.deleted_at IS NOT NULL AND e.purged_at IS NULL
			AND e.retain_until < $1 ORDER BY e.id LIMIT $2`, db.Now(), limit)
	})
	return rows, err
}

// MarkPurged records that a deleted evidence's object was removed after retention.
func (db *DB) MarkPurged(ctx context.Context, id int64) error {
	return db.AsSystem(ctx, func(tx *Tx) error {
		var villageID []int64
		if err := tx.Select(&villageID, `UPDATE evidence SET purged_at = now() WHERE id = $1 AND purged_at IS NULL RETURNING village_id`, id); err != nil {
			return err
		}
		if len(villageID) == 0 {
			return nil // already purged
		}
		return audit(tx, "evidence.purge", "evidence", id, &villageID[0], nil, map[string]any{"purged": true})
	})
}
