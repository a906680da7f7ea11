package graph

import (
	"context"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// DivisionLoaders batch the history fields of regions, titles and division
// adjustments (division.resolvers.go).
type DivisionLoaders struct {
	Lifetime        *dataloadgen.Loader[int64, *postgres.RegionLifetime]
	Versions        *dataloadgen.Loader[int64, []*core.RegionVersion]
	ChangesOfRegion *dataloadgen.Loader[int64, []*core.DivisionChange]
	RulingsOfTitle  *dataloadgen.Loader[int64, []*core.TitleRuling]
	RulingsOfChange *dataloadgen.Loader[int64, []*core.TitleRuling]
}

func newDivisionLoaders(db *postgres.DB, wait dataloadgen.Option) *DivisionLoaders {
	return &DivisionLoaders{
		Lifetime:        dataloadgen.NewLoader(list(db.LifetimesByRegions), wait),
		Versions:        dataloadgen.NewLoader(list(db.VersionsByRegions), wait),
		ChangesOfRegion: dataloadgen.NewLoader(list(db.DivisionChangesByRegions), wait),
		RulingsOfTitle:  dataloadgen.NewLoader(list(db.RulingsByTitles), wait),
		RulingsOfChange: dataloadgen.NewLoader(list(db.RulingsByChanges), wait),
	}
}

// nonEmpty is nil for "", else a pointer to s.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// divisionInput converts the common input of an adjustment.
func divisionInput(in *model.DivisionInput) postgres.DivisionInput {
	if in == nil {
		return postgres.DivisionInput{}
	}
	return postgres.DivisionInput{EffectiveOn: in.EffectiveOn, DecisionDocument: in.DecisionDocument, Note: deref(in.Note)}
}

// divisionPayload turns an adjustment's outcome into its payload.
func divisionPayload(res *postgres.DivisionResult, err error) (*model.DivisionChangePayload, error) {
	out := &model.DivisionChangePayload{Rulings: []*core.TitleRuling{}}
	if err == nil {
		out.Change, out.Rulings = res.Change, res.Rulings
	}
	out.UserErrors, err = userErrors(err)
	return out, err
}

// changeOrNil loads an adjustment by id; nil for no id or out of scope.
func (r *Resolver) changeOrNil(ctx context.Context, id *int64) (*core.DivisionChange, error) {
	if id == nil {
		return nil, nil
	}
	return nilIfNotFound(r.DB.DivisionChangeByID(ctx, *id))
}

// lifetimeDate reads one date of a region's lifetime (nil when out of scope).
func (r *Resolver) lifetimeDate(ctx context.Context, id int64, date func(*postgres.RegionLifetime) *time.Time) (*time.Time, error) {
	l, err := For(ctx, r.DB).Division.Lifetime.Load(ctx, id)
	if l == nil {
		return nil, err
	}
	return date(l), nil
}

// successorID is the id of the village a region was merged into, if any.
func (r *Resolver) successorID(ctx context.Context, id int64) (*int64, error) {
	l, err := For(ctx, r.DB).Division.Lifetime.Load(ctx, id)
	if l == nil {
		return nil, err
	}
	return l.SuccessorID, nil
}
