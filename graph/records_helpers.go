package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/recordimport"
)

// maskOf returns how the caller sees the personal data of the village's
// residents; the rule itself is core.MaskFor. A village that cannot be read
// gives masks.
func (r *Resolver) maskOf(ctx context.Context, villageID int64) (core.Mask, error) {
	v, err := For(ctx, r.DB).Region.Load(ctx, villageID)
	if err != nil || v == nil {
		return core.Mask{}, err
	}
	return core.MaskFor(core.ActorFrom(ctx), v.Path), nil
}

// personalData tells the reader whether they see personal data in clear.
func (r *Resolver) personalData(ctx context.Context, villageID int64) (model.PersonalDataView, error) {
	m, err := r.maskOf(ctx, villageID)
	if m.Clear {
		return model.PersonalDataViewClear, err
	}
	return model.PersonalDataViewMasked, err
}

// optID decodes an optional global ID of the type.
func optID(gid *string, typ string, field ...string) (*int64, error) {
	if gid == nil {
		return nil, nil
	}
	n, err := idOf(*gid, typ, field...)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// omitID decodes an omittable, nullable global ID into a patch value.
func omitID(o graphql.Omittable[*string], typ string, field ...string) (postgres.Opt[*int64], error) {
	if !o.IsSet() {
		return postgres.Opt[*int64]{}, nil
	}
	id, err := optID(o.Value(), typ, field...)
	return postgres.Opt[*int64]{Set: true, V: id}, err
}

// omit turns an omittable input field into a patch value.
func omit[T any](o graphql.Omittable[T]) postgres.Opt[T] {
	return postgres.Opt[T]{Set: o.IsSet(), V: o.Value()}
}

// villageSurveys lists a village's surveys of the kind (any when nil) whose
// period lies inside p (any when nil).
func (r *Resolver) villageSurveys(ctx context.Context, villageID int64, kind *core.SurveyKind, p *period.Period) ([]*core.Survey, error) {
	var arg period.Period
	if p != nil {
		arg = *p
	}
	all, err := For(ctx, r.DB).Records.Surveys.Load(ctx, argKey[period.Period]{ID: villageID, Arg: arg})
	if err != nil || kind == nil {
		return all, err
	}
	out := make([]*core.Survey, 0, len(all))
	for _, s := range all {
		if s.Kind == *kind {
			out = append(out, s)
		}
	}
	return out, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// recordNode resolves the global IDs of governance records for node(id:).
func (r *queryResolver) recordNode(ctx context.Context, typ string, n int64) (model.Node, error) {
	l := For(ctx, r.DB).Records
	switch typ {
	case "Household":
		if v, err := l.HouseholdsByIDs.Load(ctx, n); v != nil || err != nil {
			return v, err
		}
	case "MediationCase":
		if v, err := l.MediationByIDs.Load(ctx, n); v != nil || err != nil {
			return v, err
		}
	case "LegalAdviser":
		if v, err := l.Adviser.Load(ctx, n); v != nil || err != nil {
			return v, err
		}
	case "LegalSavvyPerson":
		if v, err := nilIfNotFound(r.DB.LegalSavvyPersonByID(ctx, n)); v != nil || err != nil {
			return v, err
		}
	case "LegalCheckup":
		if v, err := nilIfNotFound(r.DB.LegalCheckupByID(ctx, n)); v != nil || err != nil {
			return v, err
		}
	case "Survey":
		if v, err := nilIfNotFound(r.DB.SurveyByID(ctx, n)); v != nil || err != nil {
			return v, err
		}
	case "Incident":
		if v, err := nilIfNotFound(r.DB.IncidentByID(ctx, n)); v != nil || err != nil {
			return v, err
		}
	case "CultureCarrier":
		if v, err := nilIfNotFound(r.DB.CultureCarrierByID(ctx, n)); v != nil || err != nil {
			return v, err
		}
	}
	return nil, nil
}

// importPayload builds the result of importRecords from an import's outcome.
func importPayload(res postgres.ImportResult, err error) (*model.ImportRecordsPayload, error) {
	out := &model.ImportRecordsPayload{Inserted: res.Inserted, Updated: res.Updated, Unchanged: res.Unchanged,
		RowErrors: []*model.ImportRowError{}}
	if e := core.AsError(err); e != nil {
		for _, d := range e.Details {
			var col *string
			if d.Column != "" {
				c := d.Column
				col = &c
			}
			out.RowErrors = append(out.RowErrors, &model.ImportRowError{Row: d.Row, Column: col, Message: d.Zh, MessageEn: d.En})
		}
	}
	out.UserErrors, err = userErrors(err)
	return out, err
}

// importTemplates lists the templates of every record kind.
func importTemplates() []*model.ImportTemplate {
	ts := recordimport.Templates()
	out := make([]*model.ImportTemplate, len(ts))
	for i, t := range ts {
		cols := make([]*model.ImportColumn, len(t.Columns))
		for j, c := range t.Columns {
			cols[j] = &model.ImportColumn{Name: c.Name, Required: c.Required, Description: c.Zh, DescriptionEn: c.En}
		}
		out[i] = &model.ImportTemplate{Kind: t.Kind, Title: t.Title, TitleEn: t.TitleEn, Columns: cols,
			XlsxURL: recordimport.XLSXPath(t.Kind), CSVURL: recordimport.CSVPath(t.Kind)}
	}
	return out
}

// deleteRecord removes the record with the input's ID (of the type) with the
// given store function and builds the payload.
func deleteRecord(ctx context.Context, input model.DeleteRecordInput, typ string,
	del func(ctx context.Context, id int64, reason string) error) (*model.DeleteRecordPayload, error) {
	out := &model.DeleteRecordPayload{}
	id, err := idOf(input.ID, typ, "input", "id")
	if err == nil {
		if err = del(ctx, id, input.Reason); err == nil {
			out.DeletedID = &input.ID
		}
	}
	out.UserErrors, err = userErrors(err)
	return out, err
}
