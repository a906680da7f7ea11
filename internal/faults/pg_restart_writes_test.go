package faults

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

const mRecordActivity = `mutation($in: RecordActivityInput!) {
  recordActivity(input: $in) { activity { id title } userErrors { field message messageEn code } }
}`

// writeOutcome is what one recordActivity request got.
type writeOutcome struct {
	title string
	id    string // the activity's global ID when it succeeded
	code  string // the error code when it failed
	err   error  // a transport failure
	after bool   // sent after the restart had completed
}

// TestFaultPostgresRestartDuringWrites has clerks record activities through
// the GraphQL API from several goroutines while PostgreSQL restarts. Every
// request either succeeded, and its row exists exactly once, or failed with
// UNAVAILABLE and left no row; the pool recovers on its own, so requests
// after the restart succeed.
func TestFaultPostgresRestartDuringWrites(t *testing.T) {
	c := startCluster(t)
	openMigrated(t, c.appURL(""))
	e := apptest.New(t, apptest.Options{DatabaseURL: c.appURL("")})
	e.ImportCSV(t, apptest.TwoTownsCSV)
	villages := []string{"320117001001", "320117001201", "320117100201", "320117100202"}
	type clerk struct{ token, villageID string }
	var clerks []clerk
	for _, code := range villages {
		tok := e.Token(t, core.RoleVillageClerk, code)
		var d struct{ Village struct{ ID string } }
		e.Do(t, tok, `{ village(code: "`+code+`") { id } }`, nil).Decode(t, &d)
		clerks = append(clerks, clerk{tok, d.Village.ID})
	}
	client := newClient(e)

	const workers = 8
	var (
		restarted atomic.Bool // the server is back
		stop      atomic.Bool
		mu        sync.Mutex
		outcomes  []writeOutcome
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := clerks[w%len(clerks)]
			for i := 0; !stop.Load(); i++ {
				o := writeOutcome{title: fmt.Sprintf("burst-%d-%d", w, i), after: restarted.Load()}
				r, err := client.do(cl.token, mRecordActivity, map[string]any{"in": map[string]any{
					"villageId": cl.villageID, "kind": "LECTURE", "date": "2025-06-01", "title": o.title, "place": "村委会"}})
				var p struct {
					Activity   *struct{ ID, Title string }
					UserErrors []userError
				}
				switch {
				case err != nil:
					o.err = err
				case len(r.Errors) > 0:
					o.code = r.Code()
				case !payload(r, "recordActivity", &p):
					o.err = fmt.Errorf("no payload: %s", r.Data)
				case len(p.UserErrors) > 0:
					o.code = "user:" + p.UserErrors[0].Code
				case p.Activity == nil || p.Activity.Title != o.title:
					o.err = fmt.Errorf("unexpected payload %s", r.Data)
				default:
					o.id = p.Activity.ID
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}

	time.Sleep(300 * time.Millisecond) // the burst is under way
	down, err := c.restart()
	if err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("restart: %v", err)
	}
	restarted.Store(true)
	t.Logf("PostgreSQL was down for %v", down.Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond) // the burst goes on against the restarted server
	stop.Store(true)
	wg.Wait()

	// What the clients saw.
	var ok, unavailable, okAfter, failedAfter int
	succeeded := map[string]string{} // title -> global ID
	failed := map[string]bool{}
	codes := map[string]int{}
	for _, o := range outcomes {
		switch {
		case o.id != "":
			ok++
			succeeded[o.title] = o.id
			if o.after {
				okAfter++
			}
		case o.err != nil:
			t.Errorf("%s: transport failure %v (the server must answer with an error, not drop the request)", o.title, o.err)
			failed[o.title] = true
		default:
			codes[o.code]++
			failed[o.title] = true
			if o.code == string(core.EUNAVAILABLE) {
				unavailable++
			}
			if o.after {
				failedAfter++
			}
		}
	}
	t.Logf("%d requests: %d succeeded (%d after the restart), %d failed %v (%d after the restart)",
		len(outcomes), ok, okAfter, len(outcomes)-ok, codes, failedAfter)
	if unavailable == 0 {
		t.Errorf("no request failed while PostgreSQL was down: the restart did not hit the burst")
	}
	if n := len(outcomes) - ok - unavailable; n > 0 {
		t.Errorf("%d requests failed with another code than UNAVAILABLE: %v", n, codes)
	}
	if okAfter == 0 {
		t.Errorf("no request succeeded after the restart: the pool did not recover")
	}

	// Later requests succeed: the pool holds no dead connections any more.
	for i := range 20 {
		title := fmt.Sprintf("after-%d", i)
		r, err := client.do(clerks[0].token, mRecordActivity, map[string]any{"in": map[string]any{
			"villageId": clerks[0].villageID, "kind": "BOARD_UPDATE", "date": "2025-06-02", "title": title}})
		var p struct{ Activity *struct{ ID string } }
		if err != nil || len(r.Errors) > 0 || !payload(r, "recordActivity", &p) || p.Activity == nil {
			t.Fatalf("request %d after the restart: %v %+v", i, err, r)
		}
		succeeded[title] = p.Activity.ID
	}

	// What the database holds: exactly the rows of the successful requests, once each.
	admin := c.admin("lawvillage")
	rows := rowSet(t, admin, `SELECT title || '=' || id FROM activities WHERE title LIKE 'burst-%' OR title LIKE 'after-%'`)
	seen := map[string]int{}
	for _, r := range rows {
		title, id, _ := strings.Cut(r, "=")
		seen[title]++
		if seen[title] == 2 {
			t.Errorf("activity %q is stored twice", title)
		}
		want, ok := succeeded[title]
		switch {
		case failed[title]:
			t.Errorf("activity %q (id %s) is stored although its request failed", title, id)
		case !ok:
			t.Errorf("activity %q (id %s) is stored but no request sent it", title, id)
		case want != globalID("Activity", id):
			t.Errorf("activity %q has id %s, the request was told %s", title, id, want)
		}
	}
	for title := range succeeded {
		if seen[title] == 0 {
			t.Errorf("activity %q was reported recorded but is not stored", title)
		}
	}
	t.Logf("stored %d activities, one per successful request", len(rows))
}
