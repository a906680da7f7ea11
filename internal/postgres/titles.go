package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const titleCols = `t.id, t.village_id, t.level, t.batch, t.year, t.status, t.decision_document, t.version, t.created_at, t.updated_at`

// TitlesByVillages returns each village's titles (newest first), in the order of ids.
func (db *DB) TitlesByVillages(ctx context.Context, ids []int64) ([][]*core.Title, error) {
	var rows []*core.Title
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+titleCols+` FROM titles t WHERE t.village_id = ANY($1) ORDER BY t.id DESC`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(t *core.Title) int64 { return t.VillageID }), nil
}

// TitleByID returns a title, if in scope.
func (db *DB) TitleByID(ctx context.Context, id int64) (*core.Title, error) {
	var t core.Title
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&t, `SELECT `+titleCols+` FROM titles t WHERE t.id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("称号 / title")
	}
	return &t, err
}

// TitleEventsByTitles returns each title's history (oldest first), in the order of ids.
func (db *DB) TitleEventsByTitles(ctx context.Context, ids []int64) ([][]*core.TitleEvent, error) {
	var rows []*core.TitleEvent
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, title_id, village_id, action, from_status, to_status, reason,
			decision_document, decided_on, actor_name, at FROM title_events WHERE title_id = ANY($1) ORDER BY at, id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.TitleEvent) int64 { return e.TitleID }), nil
}

// AwardTitle records a title awarded to a village, with its first history entry.
type AwardTitle struct {
	VillageID        int64
	Level            core.TitleLevel
	Batch            *int
	Year             int
	DecisionDocument *string
	DecidedOn        *time.Time
}

// AwardTitle awards a title to a village.
func (db *DB) AwardTitle(ctx context.Context, in AwardTitle) (*core.Title, error) {
	var t core.Title
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, in.VillageID); err != nil {
			return err
		}
		var maxBatch int
		if err := settingAt(tx, "title.max_provincial_batch", db.Now(), &maxBatch); err != nil {
			return err
		}
		switch {
		case in.Level == core.TitleProvincial && (in.Batch == nil || *in.Batch < 1 || *in.Batch > maxBatch):
			return core.Errorf(core.EINVALID, "省级称号批次应为 1 至 %d", "a provincial title's batch must be 1 to %d", maxBatch).WithField("input", "batch")
		case in.Level == core.TitleNational && in.Batch != nil:
			return core.Errorf(core.EINVALID, "全国称号没有省级批次", "a national title has no provincial batch").WithField("input", "batch")
		case in.Year < 1990 || in.Year > db.Now().Year():
			return core.Errorf(core.EINVALID, "获评年份无效", "invalid year").WithField("input", "year")
		}
		var active bool
		if err := tx.Get(&active, `SELECT EXISTS (SELECT 1 FROM titles WHERE village_id = $1 AND level = $2 AND status = 'retained')`,
			in.VillageID, string(in.Level)); err != nil {
			return err
		}
		if active {
			return core.Errorf(core.ECONFLICT, "该村(社区)已有同级别的有效称号", "the village already holds an active title of this level")
		}
		if err := tx.Get(&t, `INSERT INTO titles (village_id, level, batch, year, decision_document) VALUES ($1, $2, $3, $4, $5)
			RETURNING `+strings.ReplaceAll(titleCols, "t.", ""), in.VillageID, string(in.Level), in.Batch, in.Year, in.DecisionDocument); err != nil {
			return err
		}
		if err := titleEvent(tx, &t, "awarded", nil, core.StatusRetained, nil, in.DecisionDocument, in.DecidedOn); err != nil {
			return err
		}
		return audit(tx, "title.award", "title", t.ID, &t.VillageID, nil, t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func titleEvent(tx *Tx, t *core.Title, action string, from *core.TitleStatus, to core.TitleStatus, reason, doc *string, on *time.Time) error {
	a := core.ActorFrom(tx.ctx)
	var actorID *int64
	if a.TokenID != 0 {
		actorID = &a.TokenID
	}
	var fromS *string
	if from != nil {
		s := string(*from)
		fromS = &s
	}
	_, err := tx.Exec(`INSERT INTO title_events (title_id, village_id, action, from_status, to_status, reason, decision_document, decided_on, actor_id, actor_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, t.ID, t.VillageID, action, fromS, string(to), reason, doc, on, actorID, a.Name)
	return err
}

// ChangeTitleStatus records a status change of a title with its reason and decision.
type ChangeTitleStatus struct {
	TitleID          int64
	Status           core.TitleStatus
	Reason           string
	DecisionDocument *string
	DecidedOn        *time.Time
	ExpectedVersion  *int
}

// ChangeTitleStatus changes a title's status and appends to its history.
func (db *DB) ChangeTitleStatus(ctx context.Context, in ChangeTitleStatus) (*core.Title, error) {
	var t core.Title
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Title
		if err := tx.Get(&before, `SELECT `+titleCols+` FROM titles t WHERE t.id = $1 FOR UPDATE`, in.TitleID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("称号 / title").WithField("input", "titleId")
			}
			return err
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != before.Version {
			return conflict()
		}
		if strings.TrimSpace(in.Reason) == "" {
			return core.Errorf(core.EINVALID, "必须说明理由", "a reason is required").WithField("input", "reason")
		}
		if before.Status == in.Status {
			return core.Errorf(core.EINVALID, "称号已是该状态", "the title already has this status").WithField("input", "status")
		}
		if before.Status != core.StatusRetained && in.Status == core.StatusRetained {
			// Restoring a title is allowed (a decision reversed), unless another active one exists.
			var active bool
			if err := tx.Get(&active, `SELECT EXISTS (SELECT 1 FROM titles WHERE village_id = $1 AND level = $2 AND status = 'retained')`,
				before.VillageID, string(before.Level)); err != nil {
				return err
			}
			if active {
				return core.Errorf(core.ECONFLICT, "该村(社区)已有同级别的有效称号", "the village already holds an active title of this level")
			}
		}
		doc := in.DecisionDocument
		if doc == nil {
			doc = before.DecisionDocument
		}
		if err := tx.Get(&t, `UPDATE titles SET status = $2, decision_document = $3, version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING `+strings.ReplaceAll(titleCols, "t.", ""), in.TitleID, string(in.Status), doc); err != nil {
			return err
		}
		reason := strings.TrimSpace(in.Reason)
		if err := titleEvent(tx, &t, "status_changed", &before.Status, in.Status, &reason, in.DecisionDocument, in.DecidedOn); err != nil {
			return err
		}
		return audit(tx, "title.status_change", "title", t.ID, &t.VillageID, before, t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}
