package faults

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

// editRounds is how many times two users race on each kind of record.
const editRounds = 12

// edit is one user's change of a record, as the API answered it.
type edit struct {
	user   int
	input  map[string]any
	ok     bool
	record json.RawMessage // the record the payload returned when ok
	ue     []userError
	err    error
}

// race sends the two inputs of the mutation (whose payload field is name)
// at the same moment, one goroutine each released together, and returns
// both answers.
func race(c *gqlClient, token, mutation, name, field string, inputs [2]map[string]any) [2]edit {
	var out [2]edit
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			e := edit{user: i, input: inputs[i]}
			r, err := c.do(token, mutation, map[string]any{"in": inputs[i]})
			var p map[string]json.RawMessage
			switch {
			case err != nil:
				e.err = err
			case len(r.Errors) > 0:
				e.err = fmt.Errorf("errors %+v", r.Errors)
			case !payload(r, name, &p):
				e.err = fmt.Errorf("no payload in %s", r.Data)
			default:
				_ = json.Unmarshal(p["userErrors"], &e.ue)
				e.record = p[field]
				e.ok = len(e.ue) == 0 && len(e.record) > 0 && string(e.record) != "null"
			}
			out[i] = e
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

// oneWinner checks that exactly one of the two edits succeeded and the other
// got CONFLICT on expectedVersion (not a silent overwrite), and returns the winner.
func oneWinner(t *testing.T, what string, round int, got [2]edit) edit {
	t.Helper()
	var winners []edit
	for _, e := range got {
		switch {
		case e.err != nil:
			t.Fatalf("%s round %d, user %d: %v", what, round, e.user, e.err)
		case e.ok:
			winners = append(winners, e)
		case len(e.ue) != 1 || e.ue[0].Code != string(core.ECONFLICT) || !slices.Equal(e.ue[0].Field, []string{"input", "expectedVersion"}):
			t.Fatalf("%s round %d, user %d: userErrors %+v, want one CONFLICT on input.expectedVersion", what, round, e.user, e.ue)
		case len(e.record) > 0 && string(e.record) != "null":
			t.Fatalf("%s round %d, user %d: a record came back with the conflict: %s", what, round, e.user, e.record)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%s round %d: %d edits succeeded, want exactly 1", what, round, len(winners))
	}
	return winners[0]
}

// TestConcurrentEditsConflict has two users change the same record at the
// same moment with the version they both read, for activities, villages and
// title statuses: each time exactly one change is applied, the other gets
// CONFLICT, the stored record is the winner's and its version went up by one.
func TestConcurrentEditsConflict(t *testing.T) {
	e := apptest.New(t)
	e.ImportCSV(t, apptest.TwoTownsCSV)
	admin := e.Token(t, core.RoleDistrictAdmin, "320117")
	c := newClient(e)
	var v struct{ Village struct{ ID string } }
	e.Do(t, admin, `{ village(code: "320117001201") { id } }`, nil).Decode(t, &v)
	vid := v.Village.ID

	t.Run("updateActivity", func(t *testing.T) {
		var rec struct {
			RecordActivity struct{ Activity struct{ ID string } }
		}
		e.Do(t, admin, mRecordActivity, map[string]any{"in": map[string]any{"villageId": vid, "kind": "LECTURE",
			"date": "2025-05-06", "title": "讲座"}}).Decode(t, &rec)
		id := rec.RecordActivity.Activity.ID
		const m = `mutation($in: UpdateActivityInput!) { updateActivity(input: $in) {
			activity { id title participants place version } userErrors { field message messageEn code } } }`
		version := 1
		for round := range editRounds {
			var inputs [2]map[string]any
			for u := range 2 {
				inputs[u] = map[string]any{"id": id, "expectedVersion": version,
					"title": fmt.Sprintf("讲座 r%d u%d", round, u), "participants": 10*round + u, "place": fmt.Sprintf("会场%d", u)}
			}
			w := oneWinner(t, "updateActivity", round, race(c, admin, m, "updateActivity", "activity", inputs))
			var stored struct {
				Node struct {
					Title, Place string
					Participants int
					Version      int
				}
			}
			e.Do(t, admin, `query($id: ID!) { node(id: $id) { ... on Activity { title place participants version } } }`,
				map[string]any{"id": id}).Decode(t, &stored)
			got := stored.Node
			if got.Title != w.input["title"] || got.Participants != w.input["participants"] || got.Place != w.input["place"] || got.Version != version+1 {
				t.Fatalf("round %d: stored %+v, want the winner's input %v at version %d", round, got, w.input, version+1)
			}
			version = got.Version
		}
	})

	t.Run("updateVillage", func(t *testing.T) {
		const m = `mutation($in: UpdateVillageInput!) { updateVillage(input: $in) {
			village { householdCount kind version } userErrors { field message messageEn code } } }`
		var cur struct{ Village struct{ Version int } }
		e.Do(t, admin, `{ village(code: "320117001201") { version } }`, nil).Decode(t, &cur)
		version := cur.Village.Version
		for round := range editRounds {
			kinds := [2]string{"VILLAGE", "COMMUNITY"}
			var inputs [2]map[string]any
			for u := range 2 {
				inputs[u] = map[string]any{"villageId": vid, "expectedVersion": version, "householdCount": 1000 + 10*round + u, "kind": kinds[(u+round)%2]}
			}
			w := oneWinner(t, "updateVillage", round, race(c, admin, m, "updateVillage", "village", inputs))
			var stored struct {
				Village struct {
					HouseholdCount int
					Kind           string
					Version        int
				}
			}
			e.Do(t, admin, `{ village(code: "320117001201") { householdCount kind version } }`, nil).Decode(t, &stored)
			got := stored.Village
			if got.HouseholdCount != w.input["householdCount"] || got.Kind != w.input["kind"] || got.Version != version+1 {
				t.Fatalf("round %d: stored %+v, want the winner's input %v at version %d", round, got, w.input, version+1)
			}
			version = got.Version
		}
	})

	t.Run("changeTitleStatus", func(t *testing.T) {
		var award struct {
			AwardTitle struct {
				Title      struct{ ID string }
				UserErrors []userError
			}
		}
		e.Do(t, admin, `mutation($in: AwardTitleInput!) { awardTitle(input: $in) { title { id } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"villageId": vid, "level": "PROVINCIAL", "batch": 6, "year": 2012, "decisionDocument": "苏法宣〔2012〕8号"}}).Decode(t, &award)
		if len(award.AwardTitle.UserErrors) > 0 {
			t.Fatalf("award: %+v", award.AwardTitle.UserErrors)
		}
		id := award.AwardTitle.Title.ID
		const m = `mutation($in: ChangeTitleStatusInput!) { changeTitleStatus(input: $in) {
			title { status version } userErrors { field message messageEn code } } }`
		version, status := 1, "RETAINED"
		events := 1 // the award
		for round := range editRounds {
			// From retained one user revokes and the other cancels; after that both restore it.
			targets := [2]string{"REVOKED", "CANCELLED"}
			if status != "RETAINED" {
				targets = [2]string{"RETAINED", "RETAINED"}
			}
			var inputs [2]map[string]any
			for u := range 2 {
				inputs[u] = map[string]any{"titleId": id, "expectedVersion": version, "status": targets[u],
					"reason": fmt.Sprintf("第%d轮 用户%d 的决定", round, u)}
			}
			w := oneWinner(t, "changeTitleStatus", round, race(c, admin, m, "changeTitleStatus", "title", inputs))
			var stored struct {
				Node struct {
					Status  string
					Version int
					History []struct{ Action, Reason string }
				}
			}
			e.Do(t, admin, `query($id: ID!) { node(id: $id) { ... on Title { status version history { action reason } } } }`,
				map[string]any{"id": id}).Decode(t, &stored)
			got := stored.Node
			events++
			if got.Status != w.input["status"] || got.Version != version+1 || len(got.History) != events {
				t.Fatalf("round %d: stored %s v%d with %d history entries, want the winner's %v at version %d with %d entries",
					round, got.Status, got.Version, len(got.History), w.input, version+1, events)
			}
			reasons := map[string]int{}
			for _, h := range got.History {
				reasons[h.Reason]++
			}
			if reasons[w.input["reason"].(string)] != 1 || reasons[inputs[1-w.user]["reason"].(string)] != 0 {
				t.Fatalf("round %d: history %+v, want the winner's reason once and the loser's not at all", round, got.History)
			}
			version, status = got.Version, got.Status
		}
	})
}
