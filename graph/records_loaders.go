package graph

import (
	"context"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// RecordLoaders batch the village-level lists of governance records, so a
// page of villages costs one query per field and argument, not one per village.
type RecordLoaders struct {
	VolunteerYears  *dataloadgen.Loader[int64, []int]
	LegalSavvy      *dataloadgen.Loader[argKey[string], []*core.LegalSavvyPerson] // by village, active-on day ("" for all)
	GridLegalSavvy  *dataloadgen.Loader[argKey[string], []*core.LegalSavvyPerson] // by grid
	Advisers        *dataloadgen.Loader[int64, []*core.LegalAdviser]
	Adviser         *dataloadgen.Loader[int64, *core.LegalAdviser]
	Evaluations     *dataloadgen.Loader[int64, []*core.LegalAdviserEvaluation]
	Checkups        *dataloadgen.Loader[argKey[postgres.DateRange], []*core.LegalCheckup]
	Surveys         *dataloadgen.Loader[argKey[period.Period], []*core.Survey] // zero period: all
	Incidents       *dataloadgen.Loader[argKey[postgres.DateRange], []*core.Incident]
	IncidentsByIDs  *dataloadgen.Loader[int64, *core.Incident]
	Lawsuits        *dataloadgen.Loader[int64, []*core.LawsuitYear]
	Carriers        *dataloadgen.Loader[int64, []*core.CultureCarrier]
	MediationByIDs  *dataloadgen.Loader[int64, *core.MediationCase]
	HouseholdsByIDs *dataloadgen.Loader[int64, *core.Household]
	Group           *dataloadgen.Loader[int64, *core.VillagerGroup]
	Grid            *dataloadgen.Loader[int64, *core.Grid]
}

// argKey is a loader key: an owner id and a field argument.
type argKey[A comparable] struct {
	ID  int64
	Arg A
}

// byArg adapts a batch function taking ids and one argument to a loader
// fetch: one call per distinct argument (in practice one).
func byArg[A comparable, V any](f func(ctx context.Context, ids []int64, arg A) ([]V, error)) func(context.Context, []argKey[A]) ([]V, error) {
	return func(ctx context.Context, keys []argKey[A]) ([]V, error) {
		out := make([]V, len(keys))
		byA := map[A][]int{}
		for i, k := range keys {
			byA[k.Arg] = append(byA[k.Arg], i)
		}
		for a, idx := range byA {
			ids := make([]int64, len(idx))
			for j, i := range idx {
				ids[j] = keys[i].ID
			}
			vs, err := f(ctx, ids, a)
			if err != nil {
				return nil, err
			}
			for j, i := range idx {
				out[i] = vs[j]
			}
		}
		return out, nil
	}
}

// activeOnArg turns an optional day into a loader argument and back.
func activeOnArg(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.UTC().Format(time.DateOnly)
}

func activeOnDay(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &t
}

func newRecordLoaders(db *postgres.DB, opts ...dataloadgen.Option) *RecordLoaders {
	return &RecordLoaders{
		VolunteerYears: dataloadgen.NewLoader(list(db.VolunteerYearsByHouseholds), opts...),
		LegalSavvy: dataloadgen.NewLoader(list(byArg(func(ctx context.Context, ids []int64, on string) ([][]*core.LegalSavvyPerson, error) {
			return db.LegalSavvyByVillages(ctx, ids, activeOnDay(on))
		})), opts...),
		GridLegalSavvy: dataloadgen.NewLoader(list(byArg(func(ctx context.Context, ids []int64, on string) ([][]*core.LegalSavvyPerson, error) {
			return db.LegalSavvyByGrids(ctx, ids, activeOnDay(on))
		})), opts...),
		Advisers:    dataloadgen.NewLoader(list(db.AdvisersByVillages), opts...),
		Adviser:     dataloadgen.NewLoader(list(db.AdvisersByIDs), opts...),
		Evaluations: dataloadgen.NewLoader(list(db.EvaluationsByAdvisers), opts...),
		Checkups:    dataloadgen.NewLoader(list(byArg(db.CheckupsByVillages)), opts...),
		Surveys: dataloadgen.NewLoader(list(byArg(func(ctx context.Context, ids []int64, p period.Period) ([][]*core.Survey, error) {
			if p.IsZero() {
				return db.SurveysByVillages(ctx, ids, nil)
			}
			return db.SurveysByVillages(ctx, ids, &p)
		})), opts...),
		Incidents:       dataloadgen.NewLoader(list(byArg(db.IncidentsByVillages)), opts...),
		IncidentsByIDs:  dataloadgen.NewLoader(list(db.IncidentsByIDs), opts...),
		Lawsuits:        dataloadgen.NewLoader(list(db.LawsuitsByVillages), opts...),
		Carriers:        dataloadgen.NewLoader(list(db.CarriersByVillages), opts...),
		MediationByIDs:  dataloadgen.NewLoader(list(db.MediationCasesByIDs), opts...),
		HouseholdsByIDs: dataloadgen.NewLoader(list(db.HouseholdsByIDs), opts...),
		Group:           dataloadgen.NewLoader(list(db.GroupsByIDs), opts...),
		Grid:            dataloadgen.NewLoader(list(db.GridsByIDs), opts...),
	}
}
