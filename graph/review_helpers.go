package graph

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/graph/model"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/review"
)

// reviewService is the review's service on the resolver's database and bucket.
func (r *Resolver) reviewService() *review.Service {
	s := &review.Service{DB: r.DB}
	if r.EvidenceService != nil {
		s.Store = r.EvidenceService.Store
	}
	return s
}

// idsOf decodes a list of global IDs of one type; field names the input.
func idsOf(gids []string, typ string, field ...string) ([]int64, error) {
	out := make([]int64, 0, len(gids))
	for _, g := range gids {
		id, err := idOf(g, typ, field...)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// evidenceList loads evidence files by id, leaving out those not visible.
func (r *Resolver) evidenceList(ctx context.Context, ids []int64) ([]*core.Evidence, error) {
	if len(ids) == 0 {
		return []*core.Evidence{}, nil
	}
	evs, err := For(ctx, r.DB).Evidence.LoadAll(ctx, ids)
	out := make([]*core.Evidence, 0, len(evs))
	for _, e := range evs {
		if e != nil {
			out = append(out, e)
		}
	}
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return out, err
	}
	return out, nil
}

// standardsOf returns the catalogue entries of the codes (unknown codes are left out).
func standardsOf(codes []string) []*core.Standard {
	out := make([]*core.Standard, 0, len(codes))
	for _, c := range codes {
		if s, ok := core.StandardByCode(c); ok {
			out = append(out, &s)
		}
	}
	return out
}

// loadVillage returns the village with the id, nil when out of scope.
func (r *Resolver) loadVillage(ctx context.Context, id int64) (*core.Village, error) {
	reg, err := For(ctx, r.DB).Region.Load(ctx, id)
	if err != nil || reg == nil {
		return nil, err
	}
	return villageOf(reg), nil
}

// civilDate parses a civil date 2026-07-30 into a Date value.
func civilDate(s string) (*time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func upperEnum[T ~string](s string) T { return T(strings.ToUpper(s)) }

func lowerEnum[T ~string](v T) string { return strings.ToLower(string(v)) }

// resultFilter translates the API filter for the store.
func (r *Resolver) resultFilter(ctx context.Context, f *model.ReviewResultFilter) (postgres.ResultFilter, error) {
	var out postgres.ResultFilter
	if f == nil {
		return out, nil
	}
	if f.Recommendation != nil {
		out.Recommendation = lowerEnum(*f.Recommendation)
	}
	out.Eliminated, out.Brand, out.National = f.Eliminated, f.BrandCatalogue, f.NationalRecommendation
	if f.TownCode != nil {
		t, err := r.DB.RegionByCode(ctx, *f.TownCode)
		if err != nil {
			if core.ErrorCode(err) == core.ENOTFOUND {
				out.TownID = -1 // a town outside the scope matches nothing
				return out, nil
			}
			return out, err
		}
		out.TownID = t.ID
	}
	return out, nil
}

func offsetCursor(n int) string { return encodeCursor(strconv.Itoa(n)) }

func decodeOffset(after *string) (int, error) {
	k, err := decodeCursor(after)
	if err != nil || k == "" {
		return 0, err
	}
	n, err := strconv.Atoi(k)
	if err != nil || n < 0 {
		return 0, core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor").WithField("after")
	}
	return n, nil
}

// reviewNode resolves the review's node types; out of scope is the same as missing.
func (r *queryResolver) reviewNode(ctx context.Context, typ string, id int64) (model.Node, error) {
	switch typ {
	case "Review":
		if v, err := nilIfNotFound(r.DB.ReviewByID(ctx, id)); v != nil || err != nil {
			return v, err
		}
	case "ReviewProposal":
		if v, err := nilIfNotFound(r.DB.ReviewProposalByID(ctx, id)); v != nil || err != nil {
			return v, err
		}
	case "Rectification":
		if v, err := nilIfNotFound(r.DB.RectificationByID(ctx, id)); v != nil || err != nil {
			return v, err
		}
	}
	return nil, nil
}
