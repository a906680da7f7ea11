// Package graph holds the GraphQL resolvers: thin functions that read
// arguments, call a service and return. Wiring lives in Resolver.
package graph

import (
	"log/slog"

	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/jobs"
)

// Resolver is the root resolver: dependency injection only.
type Resolver struct {
	DB              *postgres.DB
	EvidenceService *evidence.Service
	Runner          *jobs.Runner
	Broker          *notify.Broker
	Log             *slog.Logger
}

// userErrors turns an application error the user can fix into payload
// userErrors; faults (internal, unavailable, unauthenticated) stay top-level errors.
func userErrors(err error) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	e := core.AsError(err)
	if e == nil {
		return nil, err
	}
	switch e.Code {
	case core.EINTERNAL, core.EUNAVAILABLE, core.EUNAUTHENTICATED:
		return nil, err
	}
	field := e.Field
	if len(field) == 0 {
		field = nil
	}
	return []*model.UserError{{Field: field, Message: e.Zh, MessageEn: e.En, Code: e.Code}}, nil
}

func villageOf(r *core.Region) *core.Village {
	if r == nil || r.Level != core.LevelVillage {
		return nil
	}
	return &core.Village{Region: *r}
}

// pageInfo describes a page of n edges, whose cursors cursor(i) gives.
func pageInfo(n int, cursor func(i int) string, more bool, after string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: more, HasPreviousPage: after != ""}
	if n > 0 {
		first, last := cursor(0), cursor(n-1)
		pi.StartCursor, pi.EndCursor = &first, &last
	}
	return pi
}
