package graph

import (
	"context"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// tokenCheckEvery is how often an open subscription re-checks its token.
const tokenCheckEvery = 10 * time.Second

// alertEvents streams the alert events of the region and below that the
// subscriber may see: each announced range is read in the subscriber's own
// scope. The stream ends when the client leaves or its token is revoked
// (checked before every delivery and every few seconds).
func (r *subscriptionResolver) alertEvents(ctx context.Context, region *core.Region) <-chan *core.AlertEvent {
	ranges, stop := r.Broker.Subscribe()
	out := make(chan *core.AlertEvent, 16)
	actor := core.ActorFrom(ctx)
	valid := func() bool {
		ok, err := r.DB.TokenStillValid(ctx, actor.TokenID)
		return err == nil && ok
	}
	go func() {
		defer close(out)
		defer stop()
		tick := time.NewTicker(tokenCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if !valid() {
					return
				}
			case rg, ok := <-ranges:
				if !ok || !valid() {
					return
				}
				events, err := r.DB.AlertEventsInRange(ctx, region.Path, rg.First, rg.Last)
				if err != nil {
					r.Log.WarnContext(ctx, "subscription: read events", "err", err)
					continue
				}
				for _, e := range events {
					select {
					case out <- e:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return out
}
