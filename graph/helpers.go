package graph

import (
	"context"
	"slices"

	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nilIfNotFound turns NOT_FOUND into a null result, as GraphQL lookups by key expect.
func nilIfNotFound[T any](v *T, err error) (*T, error) {
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil, nil
	}
	return v, err
}

// node resolves a global ID to its object; out of scope is the same as missing.
func (r *queryResolver) node(ctx context.Context, id string) (model.Node, error) {
	typ, n, err := parseID(id)
	if err != nil {
		return nil, nil
	}
	l := For(ctx, r.DB)
	var out model.Node
	switch typ {
	case "Region":
		var v *core.Region
		if v, err = l.Region.Load(ctx, n); v != nil {
			out = v
		}
	case "Village":
		var v *core.Region
		if v, err = l.Region.Load(ctx, n); v != nil && v.Level == core.LevelVillage {
			out = villageOf(v)
		}
	case "Activity":
		var v *core.Activity
		if v, err = l.Activity.Load(ctx, n); v != nil {
			out = v
		}
	case "Evidence":
		var v *core.Evidence
		if v, err = l.Evidence.Load(ctx, n); v != nil {
			out = v
		}
	case "Title":
		var v *core.Title
		if v, err = nilIfNotFound(r.DB.TitleByID(ctx, n)); v != nil {
			out = v
		}
	case "Grid":
		var v *core.Grid
		if v, err = nilIfNotFound(r.DB.GridByID(ctx, n)); v != nil {
			out = v
		}
	case "VillagerGroup":
		var v *core.VillagerGroup
		if v, err = nilIfNotFound(r.DB.GroupByID(ctx, n)); v != nil {
			out = v
		}
	case "Alert":
		var v *core.Alert
		if v, err = l.Alert.Load(ctx, n); v != nil {
			out = v
		}
	case "Token":
		if core.ActorFrom(ctx).Role.Can(core.PermManageTokens) {
			var v *core.Token
			if v, err = nilIfNotFound(r.DB.TokenByID(ctx, n)); v != nil {
				out = v
			}
		}
	case "DivisionChange":
		var v *core.DivisionChange
		if v, err = nilIfNotFound(r.DB.DivisionChangeByID(ctx, n)); v != nil {
			out = v
		}
	case "Review", "ReviewProposal", "Rectification":
		out, err = r.reviewNode(ctx, typ, n) // the yearly review (review_helpers.go)
	default:
		out, err = r.recordNode(ctx, typ, n) // governance records (records.resolvers.go)
	}
	return out, err
}

// evidenceOwner decodes the owner of an evidence upload: exactly one of an
// activity's and an incident's global ID.
func evidenceOwner(activityID, incidentID *string) (core.EvidenceOwner, error) {
	var o core.EvidenceOwner
	a, err := optID(activityID, "Activity", "input", "activityId")
	if err != nil {
		return o, err
	}
	i, err := optID(incidentID, "Incident", "input", "incidentId")
	if err != nil {
		return o, err
	}
	if a != nil {
		o.ActivityID = *a
	}
	if i != nil {
		o.IncidentID = *i
	}
	return o, o.Check()
}
