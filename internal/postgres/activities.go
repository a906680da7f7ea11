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
	"github.com/lawvillage/lawvillage/internal/period"
)

const activityCols = `a.id, a.village_id, a.kind, a.occurred_on, a.title, a.place, a.organiser, a.participants,
	a.description, a.version, a.created_at, a.updated_at`

// ActivityInput is what a clerk records for an activity.
type ActivityInput struct {
	Kind         core.ActivityKind
	Date         time.Time // civil date at midnight UTC
	Title        string
	Place        string
	Organiser    string
	Participants *int
	Description  string
}

func (db *DB) checkActivity(in *ActivityInput) error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		return core.Errorf(core.EINVALID, "活动标题不能为空", "the title is required").WithField("input", "title")
	}
	today := period.DateOf(db.Now())
	d := period.Date{Year: in.Date.Year(), Month: in.Date.Month(), Day: in.Date.Day()}
	if d.After(today) {
		return core.Errorf(core.EINVALID, "活动日期不能晚于今天（%s）", "the date must not be after today (%s)", today.String()).WithField("input", "date")
	}
	if in.Participants != nil && *in.Participants < 0 {
		return core.Errorf(core.EINVALID, "参加人数不能为负", "participants must not be negative").WithField("input", "participants")
	}
	return nil
}

// RecordActivity records an activity of a village.
func (db *DB) RecordActivity(ctx context.Context, villageID int64, in ActivityInput) (*core.Activity, error) {
	if err := db.checkActivity(&in); err != nil {
		return nil, err
	}
	var a core.Activity
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		actor := core.ActorFrom(ctx)
		if err := tx.Get(&a, `INSERT INTO activities AS a (village_id, kind, occurred_on, title, place, organiser, participants, description, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, 0)) RETURNING `+activityCols,
			villageID, string(in.Kind), in.Date, in.Title, in.Place, in.Organiser, in.Participants, in.Description, actor.TokenID); err != nil {
			return err
		}
		return audit(tx, "activity.create", "activity", a.ID, &villageID, nil, a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ActivityPatch changes some fields of an activity; nil fields stay.
type ActivityPatch struct {
	ExpectedVersion *int
	Kind            *core.ActivityKind
	Date            *time.Time
	Title           *string
	Place           *string
	Organiser       *string
	Participants    *int
	Description     *string
}

// UpdateActivity changes an activity.
func (db *DB) UpdateActivity(ctx context.Context, id int64, p ActivityPatch) (*core.Activity, error) {
	var a core.Activity
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Activity
		if err := tx.Get(&before, `SELECT `+activityCols+` FROM activities a WHERE a.id = $1 AND a.deleted_at IS NULL FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("活动 / activity").WithField("input", "id")
			}
			return err
		}
		if p.ExpectedVersion != nil && *p.ExpectedVersion != before.Version {
			return conflict()
		}
		in := ActivityInput{Kind: before.Kind, Date: before.Date, Title: before.Title, Place: before.Place,
			Organiser: before.Organiser, Participants: before.Participants, Description: before.Description}
		if p.Kind != nil {
			in.Kind = *p.Kind
		}
		if p.Date != nil {
			in.Date = *p.Date
		}
		if p.Title != nil {
			in.Title = *p.Title
		}
		if p.Place != nil {
			in.Place = *p.Place
		}
		if p.Organiser != nil {
			in.Organiser = *p.Organiser
		}
		if p.Participants != nil {
			in.Participants = p.Participants
		}
		if p.Description != nil {
			in.Description = *p.Description
		}
		if err := db.checkActivity(&in); err != nil {
			return err
		}
		if err := tx.Get(&a, `UPDATE activities AS a SET kind = $2, occurred_on = $3, title = $4, place = $5, organiser = $6,
			participants = $7, description = $8, version = a.version + 1, updated_at = now() WHERE a.id = $1 RETURNING `+activityCols,
			id, string(in.Kind), in.Date, in.Title, in.Place, in.Organiser, in.Participants, in.Description); err != nil {
			return err
		}
		return audit(tx, "activity.update", "activity", id, &a.VillageID, before, a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteActivity marks an activity and its evidence deleted (the rows stay as a record).
func (db *DB) DeleteActivity(ctx context.Context, id int64, reason string) (*core.Activity, error) {
	var a core.Activity
	err := db.InScope(ctx, func(tx *Tx) error {
		if strings.TrimSpace(reason) == "" {
			return core.Errorf(core.EINVALID, "必须说明理由", "a reason is required").WithField("input", "reason")
		}
		var before core.Activity
		if err := tx.Get(&before, `SELECT `+activityCols+` FROM activities a WHERE a.id = $1 AND a.deleted_at IS NULL FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("活动 / activity").WithField("input", "id")
			}
			return err
		}
		if err := tx.Get(&a, `UPDATE activities AS a SET deleted_at = now(), version = a.version + 1, updated_at = now()
			WHERE a.id = $1 RETURNING `+activityCols, id); err != nil {
			return err
		}
		// Its evidence goes with it (kept until retention allows, like any deleted evidence):
		// evidence must never point to an activity nobody can read.
		actor := core.ActorFrom(ctx)
		var evidenceIDs []int64
		if err := tx.Select(&evidenceIDs, `UPDATE evidence SET deleted_at = now(), deleted_by = nullif($2, 0), delete_reason = $3
			WHERE activity_id = $1 AND deleted_at IS NULL RETURNING id`, id, actor.TokenID, reason); err != nil {
			return err
		}
		for _, eid := range evidenceIDs {
			if err := audit(tx, "evidence.delete", "evidence", eid, &a.VillageID, nil,
				map[string]any{"deleted": true, "reason": reason, "with_activity": id}); err != nil {
				return err
			}
		}
		return audit(tx, "activity.delete", "activity", id, &a.VillageID, before,
			map[string]any{"deleted": true, "reason": reason, "evidence_deleted": len(evidenceIDs)})
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// ActivitiesByIDs returns activities in the order of ids (nil where missing or deleted).
func (db *DB) ActivitiesByIDs(ctx context.Context, ids []int64) ([]*core.Activity, error) {
	var rows []*core.Activity
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+activityCols+` FROM activities a WHERE a.id = ANY($1) AND a.deleted_at IS NULL`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(a *core.Activity) int64 { return a.ID }), nil
}

// ActivityFilter narrows a village's activities.
type ActivityFilter struct {
	Period *period.Period
	Kind   *core.ActivityKind
}

func activityWhere(villageID int64, f ActivityFilter) (string, []any) {
	where := `a.village_id = $1 AND a.deleted_at IS NULL`
	args := []any{villageID}
	if f.Period != nil {
		args = append(args, f.Period.FirstDay().String(), f.Period.LastDay().String())
		where += ` AND a.occurred_on BETWEEN $2::date AND $3::date`
	}
	if f.Kind != nil {
		args = append(args, string(*f.Kind))
		where += ` AND a.kind = $` + strconv.Itoa(len(args))
	}
	return where, args
}

// ActivityCursor is the key of the activity list, newest first: date then id.
func ActivityCursor(a *core.Activity) string {
	return a.Date.Format(time.DateOnly) + "|" + strconv.FormatInt(a.ID, 10)
}

// Activities returns a page of a village's activities, newest first.
func (db *DB) Activities(ctx context.Context, villageID int64, f ActivityFilter, p Page) ([]*core.Activity, bool, error) {
	where, args := activityWhere(villageID, f)
	where, args, err := afterDateID(where, args, p.After, "a.occurred_on", "a.id")
	if err != nil {
		return nil, false, err
	}
	args = append(args, p.First+1)
	var rows []*core.Activity
	err = db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+activityCols+` FROM activities a WHERE `+where+
			` ORDER BY a.occurred_on DESC, a.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	})
	return trim(rows, p.First, err)
}

// CountActivities counts a village's activities matching the filter.
func (db *DB) CountActivities(ctx context.Context, villageID int64, f ActivityFilter) (int, error) {
	where, args := activityWhere(villageID, f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM activities a WHERE `+where, args...)
	})
	return n, err
}

// ActivityCounts is the number of activities of each kind of a village in a period.
type ActivityCounts map[core.ActivityKind]int

// ActivityCountsByVillages counts each village's activities by kind in the period, in the order of ids.
func (db *DB) ActivityCountsByVillages(ctx context.Context, p period.Period, ids []int64) ([]ActivityCounts, error) {
	var rows []struct {
		VillageID int64  `db:"village_id"`
		Kind      string `db:"kind"`
		N         int    `db:"n"`
	}
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT a.village_id, a.kind, count(*) AS n FROM activities a
			WHERE a.village_id = ANY($1) AND a.deleted_at IS NULL AND a.occurred_on BETWEEN $2::date AND $3::date
			GROUP BY 1, 2`, pq.Array(ids), p.FirstDay().String(), p.LastDay().String())
	})
	if err != nil {
		return nil, err
	}
	idx := make(map[int64]int, len(ids))
	out := make([]ActivityCounts, len(ids))
	for i, id := range ids {
		idx[id] = i
		out[i] = ActivityCounts{}
	}
	for _, r := range rows {
		out[idx[r.VillageID]][core.ActivityKind(r.Kind)] = r.N
	}
	return out, nil
}

// DutyStatus is what a village has done so far of its periodic duties in a period.
type DutyStatus struct {
	Village            *core.Region
	LectureMonths      int
	CultureQuarters    int
	BoardMonths        int
	ResponsibilityList bool
	ConstitutionDay    bool
	VolunteerServices  int
}

// DutyPlan is what is due so far in a period (computed from the calendar).
type DutyPlan struct {
	MonthsDue        int
	QuartersDue      int
	EvidenceRequired bool
}

// quarterSpan is the quarters a period overlaps: its own quarter for a month.
func quarterSpan(p period.Period) (period.Period, period.Period) {
	switch p.Kind {
	case period.Month:
		q := period.Q(p.Year, (p.N-1)/3+1)
		return q, q
	case period.Quarter:
		return p, p
	default:
		return period.Q(p.Year, 1), period.Q(p.Year, 4)
	}
}

// DutyStatuses returns, for a page of the villages under the region path, what
// each has done so far in the period: one statement for the whole page.
func (db *DB) DutyStatuses(ctx context.Context, path string, p period.Period, pg Page) ([]DutyStatus, bool, DutyPlan, error) {
	now := db.Now()
	var plan DutyPlan
	plan.MonthsDue = len(period.Elapsed(p, now))
	qFrom, qTo := quarterSpan(p)
	for q := qFrom; q.Compare(qTo) <= 0; q = q.Next() {
		if !q.Start().After(now) {
			plan.QuartersDue++
		}
	}
	year := period.Y(p.Year)
	type row struct {
		core.Region
		LectureMonths      int  `db:"lecture_months"`
		CultureQuarters    int  `db:"culture_quarters"`
		BoardMonths        int  `db:"board_months"`
		ResponsibilityList bool `db:"responsibility_list"`
		ConstitutionDay    bool `db:"constitution_day"`
		VolunteerServices  int  `db:"volunteer_services"`
	}
	var rows []row
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		if err := settingAt(tx, "activity.requires_evidence", now, &plan.EvidenceRequired); err != nil {
			return err
		}
		return tx.Select(&rows, `
WITH v AS (
  SELECT `+regionCols+` FROM regions r
  WHERE r.level = 5 AND r.path <@ $1::ltree AND r.dissolved_on IS NULL AND r.code > $2 ORDER BY r.code LIMIT $3
)
SELECT v.*, s.* FROM v LEFT JOIN LATERAL (
  SELECT
    count(DISTINCT date_trunc('month', a.occurred_on)) FILTER (WHERE a.kind = 'lecture' AND a.occurred_on BETWEEN $6::date AND $7::date) AS lecture_months,
    count(DISTINCT date_trunc('quarter', a.occurred_on)) FILTER (WHERE a.kind = 'culture_activity' AND a.occurred_on BETWEEN $8::date AND $9::date) AS culture_quarters,
    count(DISTINCT date_trunc('month', a.occurred_on)) FILTER (WHERE a.kind = 'board_update' AND a.occurred_on BETWEEN $6::date AND $7::date) AS board_months,
    coalesce(bool_or(a.kind = 'responsibility_list'), false) AS responsibility_list,
    coalesce(bool_or(a.kind = 'constitution_day'), false) AS constitution_day,
    count(*) FILTER (WHERE a.kind = 'volunteer_service' AND a.occurred_on BETWEEN $6::date AND $7::date) AS volunteer_services
  FROM activities a
  WHERE a.village_id = v.id AND a.deleted_at IS NULL
    AND a.occurred_on BETWEEN $4::date AND $5::date
    AND (NOT $10 OR EXISTS (SELECT 1 FROM evidence e WHERE e.activity_id = a.id AND e.deleted_at IS NULL))
) s ON true
ORDER BY v.code`,
			path, pg.After, pg.First+1,
			year.FirstDay().String(), year.LastDay().String(),
			p.FirstDay().String(), p.LastDay().String(),
			qFrom.FirstDay().String(), qTo.LastDay().String(),
			plan.EvidenceRequired)
	})
	if err != nil {
		return nil, false, plan, err
	}
	more := len(rows) > pg.First
	if more {
		rows = rows[:pg.First]
	}
	out := make([]DutyStatus, len(rows))
	for i := range rows {
		r := rows[i]
		out[i] = DutyStatus{Village: &rows[i].Region, LectureMonths: r.LectureMonths, CultureQuarters: r.CultureQuarters,
			BoardMonths: r.BoardMonths, ResponsibilityList: r.ResponsibilityList, ConstitutionDay: r.ConstitutionDay,
			VolunteerServices: r.VolunteerServices}
	}
	return out, more, plan, nil
}
