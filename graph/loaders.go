package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Loaders batch the lookups of one request, so a page of villages costs one
// query per field, not one per village.
type Loaders struct {
	Region         *dataloadgen.Loader[int64, *core.Region]
	Activity       *dataloadgen.Loader[int64, *core.Activity]
	Evidence       *dataloadgen.Loader[int64, *core.Evidence]
	Titles         *dataloadgen.Loader[int64, []*core.Title]
	TitleEvents    *dataloadgen.Loader[int64, []*core.TitleEvent]
	ActivityEvid   *dataloadgen.Loader[int64, []*core.Evidence]
	IncidentEvid   *dataloadgen.Loader[int64, []*core.Evidence]
	Grids          *dataloadgen.Loader[int64, []*core.Grid]
	Groups         *dataloadgen.Loader[int64, []*core.VillagerGroup]
	ActivityCounts *dataloadgen.Loader[countKey, postgres.ActivityCounts]
	Duplicates     *dataloadgen.Loader[*core.Evidence, []*core.Evidence]
	Alert          *dataloadgen.Loader[int64, *core.Alert]
	AlertEvents    *dataloadgen.Loader[int64, []*core.AlertEvent]
	Records        *RecordLoaders // governance records (records_loaders.go)
	// Audit batches the auditHistory fields (audit.go).
	Audit *dataloadgen.Loader[auditKey, []*postgres.AuditEntry]
	// Division batches the history of regions and titles (division_loaders.go).
	Division *DivisionLoaders
}

type countKey struct {
	Period    period.Period
	VillageID int64
}

// list adapts a store batch function to a loader fetch with one error for all keys.
func list[K comparable, V any](f func(ctx context.Context, keys []K) ([]V, error)) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		v, err := f(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		return v, nil
	}
}

// NewLoaders returns fresh loaders for one request.
func NewLoaders(db *postgres.DB) *Loaders {
	wait := dataloadgen.WithWait(8 * time.Millisecond)
	return &Loaders{
		Region:       dataloadgen.NewLoader(list(db.RegionsByIDs), wait),
		Activity:     dataloadgen.NewLoader(list(db.ActivitiesByIDs), wait),
		Evidence:     dataloadgen.NewLoader(list(db.EvidenceByIDs), wait),
		Titles:       dataloadgen.NewLoader(list(db.TitlesByVillages), wait),
		TitleEvents:  dataloadgen.NewLoader(list(db.TitleEventsByTitles), wait),
		ActivityEvid: dataloadgen.NewLoader(list(db.EvidenceByActivities), wait),
		IncidentEvid: dataloadgen.NewLoader(list(db.EvidenceByIncidents), wait),
		Grids:        dataloadgen.NewLoader(list(db.GridsByVillages), wait),
		Groups:       dataloadgen.NewLoader(list(db.GroupsByVillages), wait),
		Duplicates:   dataloadgen.NewLoader(list(db.DuplicatesOf), wait),
		Alert:        dataloadgen.NewLoader(list(db.AlertsByIDs), wait),
		AlertEvents:  dataloadgen.NewLoader(list(db.AlertEventsByAlerts), wait),
		Records:      newRecordLoaders(db, wait),
		Audit:        newAuditLoader(db, wait),
		Division:     newDivisionLoaders(db, wait),
		ActivityCounts: dataloadgen.NewLoader(list(func(ctx context.Context, keys []countKey) ([]postgres.ActivityCounts, error) {
			// One query per distinct period (in practice one).
			out := make([]postgres.ActivityCounts, len(keys))
			byPeriod := map[period.Period][]int{}
			for i, k := range keys {
				byPeriod[k.Period] = append(byPeriod[k.Period], i)
			}
			for p, idx := range byPeriod {
				ids := make([]int64, len(idx))
				for j, i := range idx {
					ids[j] = keys[i].VillageID
				}
				counts, err := db.ActivityCountsByVillages(ctx, p, ids)
				if err != nil {
					return nil, err
				}
				for j, i := range idx {
					out[i] = counts[j]
				}
			}
			return out, nil
		}), wait),
	}
}

type loadersKey struct{}

// LoadersMiddleware gives each GraphQL operation its own loaders, whatever
// the transport (HTTP or websocket).
func LoadersMiddleware(db *postgres.DB) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(context.WithValue(ctx, loadersKey{}, NewLoaders(db)))
	}
}

// For returns the operation's loaders.
func For(ctx context.Context, db *postgres.DB) *Loaders {
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok {
		return l
	}
	return NewLoaders(db)
}
