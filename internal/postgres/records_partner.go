package postgres

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Facts supplied by partner departments: incidents and residents' lawsuits.

const incidentCols = `i.id, i.village_id, i.kind, i.occurred_on, i.source_department, i.description, i.created_at`

// MaxDepartment is the longest name of a source department.
const MaxDepartment = 100

// IncidentInput is an incident reported by a partner department.
type IncidentInput struct {
	Kind             core.IncidentKind
	OccurredOn       time.Time
	SourceDepartment string
	Description      string
}

func (db *DB) checkIncident(in *IncidentInput) error {
	valid := false
	for _, k := range core.IncidentKinds {
		valid = valid || k == in.Kind
	}
	if !valid {
		return core.Errorf(core.EINVALID, "案事件类型无效", "invalid incident kind").WithField("input", "kind")
	}
	if err := db.notFuture(in.OccurredOn, "occurredOn", "发生日期", "the date"); err != nil {
		return err
	}
	if err := cleanText(&in.SourceDepartment, MaxDepartment, true, "sourceDepartment", "来源部门", "the source department"); err != nil {
		return err
	}
	return cleanText(&in.Description, MaxSummary, false, "description", "情况说明", "the description")
}

// RecordIncident records an incident of a village.
func (db *DB) RecordIncident(ctx context.Context, villageID int64, in IncidentInput) (*core.Incident, error) {
	if err := db.checkIncident(&in); err != nil {
		return nil, err
	}
	var i core.Incident
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		if err := tx.Get(&i, `INSERT INTO incidents AS i (village_id, kind, occurred_on, source_department, description)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+incidentCols,
			villageID, string(in.Kind), dateArg(in.OccurredOn), in.SourceDepartment, in.Description); err != nil {
			return err
		}
		return audit(tx, "incident.create", "incident", i.ID, &villageID, nil, i)
	})
	if err != nil {
		return nil, err
	}
	return &i, nil
}

// IncidentPatch changes some fields of an incident; unset fields stay.
type IncidentPatch struct {
	Kind             *core.IncidentKind
	OccurredOn       *time.Time
	SourceDepartment *string
	Description      *string
}

// UpdateIncident changes an incident.
func (db *DB) UpdateIncident(ctx context.Context, id int64, p IncidentPatch) (*core.Incident, error) {
	var i core.Incident
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Incident
		if err := tx.Get(&before, `SELECT `+incidentCols+` FROM incidents i WHERE i.id = $1 AND i.deleted_at IS NULL FOR UPDATE`, id); err != nil {
			return noRows(err, "案事件 / incident", "input", "id")
		}
		in := IncidentInput{Kind: before.Kind, OccurredOn: before.OccurredOn, SourceDepartment: before.SourceDepartment, Description: before.Description}
		setIf(&in.Kind, p.Kind)
		setIf(&in.OccurredOn, p.OccurredOn)
		setIf(&in.SourceDepartment, p.SourceDepartment)
		setIf(&in.Description, p.Description)
		if err := db.checkIncident(&in); err != nil {
			return err
		}
		if err := tx.Get(&i, `UPDATE incidents AS i SET kind = $2, occurred_on = $3, source_department = $4, description = $5
			WHERE i.id = $1 RETURNING `+incidentCols, id, string(in.Kind), dateArg(in.OccurredOn), in.SourceDepartment, in.Description); err != nil {
			return err
		}
		return audit(tx, "incident.update", "incident", id, &i.VillageID, before, i)
	})
	if err != nil {
		return nil, err
	}
	return &i, nil
}

// DeleteIncident removes an incident recorded by mistake. The row stays,
// marked deleted and read by nobody (the audit trail keeps its content), so
// that its evidence files, deleted with it and kept until retention allows
// like any deleted evidence, still have an owner.
func (db *DB) DeleteIncident(ctx context.Context, id int64, reason string) error {
	if err := reasonRequired(reason); err != nil {
		return err
	}
	return db.InScope(ctx, func(tx *Tx) error {
		var before core.Incident
		if err := tx.Get(&before, `UPDATE incidents i SET deleted_at = now() WHERE i.id = $1 AND i.deleted_at IS NULL RETURNING `+incidentCols, id); err != nil {
			return noRows(err, "案事件 / incident", "input", "id")
		}
		actor := core.ActorFrom(ctx)
		var evidenceIDs []int64
		if err := tx.Select(&evidenceIDs, `UPDATE evidence SET deleted_at = now(), deleted_by = nullif($2, 0), delete_reason = $3
			WHERE incident_id = $1 AND deleted_at IS NULL RETURNING id`, id, actor.TokenID, reason); err != nil {
			return err
		}
		for _, eid := range evidenceIDs {
			if err := audit(tx, "evidence.delete", "evidence", eid, &before.VillageID, nil,
				map[string]any{"deleted": true, "reason": reason, "with_incident": id}); err != nil {
				return err
			}
		}
		after := map[string]any{"reason": reason}
		if len(evidenceIDs) > 0 {
			after["evidence_deleted"] = len(evidenceIDs)
		}
		return audit(tx, "incident.delete", "incident", id, &before.VillageID, before, after)
	})
}

// IncidentsByVillages returns each village's incidents in the range, newest first, in the order of ids.
func (db *DB) IncidentsByVillages(ctx context.Context, ids []int64, r DateRange) ([][]*core.Incident, error) {
	from, to := r.bounds()
	var rows []*core.Incident
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+incidentCols+` FROM incidents i WHERE i.village_id = ANY($1) AND i.deleted_at IS NULL
			AND i.occurred_on BETWEEN $2::date AND $3::date ORDER BY i.occurred_on DESC, i.id DESC`, pq.Array(ids), from, to)
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(i *core.Incident) int64 { return i.VillageID }), nil
}

// IncidentByID returns an incident, if in scope and not deleted.
func (db *DB) IncidentByID(ctx context.Context, id int64) (*core.Incident, error) {
	var i core.Incident
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&i, `SELECT `+incidentCols+` FROM incidents i WHERE i.id = $1 AND i.deleted_at IS NULL`, id)
	})
	if err != nil {
		return nil, noRows(err, "案事件 / incident")
	}
	return &i, nil
}

// IncidentsByIDs returns incidents in the order of ids (nil where missing, deleted or out of scope).
func (db *DB) IncidentsByIDs(ctx context.Context, ids []int64) ([]*core.Incident, error) {
	var rows []*core.Incident
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+incidentCols+` FROM incidents i WHERE i.id = ANY($1) AND i.deleted_at IS NULL`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(i *core.Incident) int64 { return i.ID }), nil
}

const lawsuitCols = `l.village_id, l.year, l.civil, l.administrative, l.source_department, l.updated_at`

// MaxLawsuits is the largest count of lawsuits of one kind in a village and year.
const MaxLawsuits = 100_000

// SetLawsuits records the number of civil and administrative lawsuits filed by
// a village's residents in a year (replacing an earlier figure).
func (db *DB) SetLawsuits(ctx context.Context, villageID int64, year, civil, administrative int, sourceDepartment string) (*core.LawsuitYear, error) {
	if err := db.checkYear(year, "year"); err != nil {
		return nil, err
	}
	if civil < 0 || civil > MaxLawsuits {
		return nil, core.Errorf(core.EINVALID, "民事案件数应在 0 至 %d 之间", "civil lawsuits must be from 0 to %d", MaxLawsuits).WithField("input", "civil")
	}
	if administrative < 0 || administrative > MaxLawsuits {
		return nil, core.Errorf(core.EINVALID, "行政案件数应在 0 至 %d 之间", "administrative lawsuits must be from 0 to %d", MaxLawsuits).WithField("input", "administrative")
	}
	if err := cleanText(&sourceDepartment, MaxDepartment, false, "sourceDepartment", "来源部门", "the source department"); err != nil {
		return nil, err
	}
	var l core.LawsuitYear
	err := db.InScope(ctx, func(tx *Tx) error {
		if err := requireVillage(tx, villageID); err != nil {
			return err
		}
		var before []core.LawsuitYear
		if err := tx.Select(&before, `SELECT `+lawsuitCols+` FROM lawsuits l WHERE l.village_id = $1 AND l.year = $2 FOR UPDATE`, villageID, year); err != nil {
			return err
		}
		if err := tx.Get(&l, `INSERT INTO lawsuits AS l (village_id, year, civil, administrative, source_department) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (village_id, year) DO UPDATE SET civil = excluded.civil, administrative = excluded.administrative,
				source_department = excluded.source_department, updated_at = now()
			RETURNING `+lawsuitCols, villageID, year, civil, administrative, sourceDepartment); err != nil {
			return err
		}
		var b any
		if len(before) > 0 {
			b = before[0]
		}
		return audit(tx, "lawsuits.set", "lawsuits", int64(year), &villageID, b, l)
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// LawsuitsByVillages returns each village's yearly lawsuit counts, latest year first, in the order of ids.
func (db *DB) LawsuitsByVillages(ctx context.Context, ids []int64) ([][]*core.LawsuitYear, error) {
	var rows []*core.LawsuitYear
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+lawsuitCols+` FROM lawsuits l WHERE l.village_id = ANY($1) ORDER BY l.year DESC`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(l *core.LawsuitYear) int64 { return l.VillageID }), nil
}
