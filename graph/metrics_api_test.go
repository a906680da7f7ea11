package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
)

// wsClient speaks graphql-transport-ws, the protocol of the graphql-ws client.
// A background reader keeps the connection: coder/websocket closes a
// connection whose read context ends, so reads never time out themselves.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan map[string]any
}

func dialWS(t *testing.T, env *apptest.Env, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.Server.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, conn: conn, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(c.msgs)
		for {
			var m map[string]any
			if err := wsjson.Read(context.Background(), conn, &m); err != nil {
				return
			}
			c.msgs <- m
		}
	}()
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := c.read(5 * time.Second); m["type"] != "connection_ack" {
		t.Fatalf("want connection_ack, got %v", m)
	}
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := wsjson.Write(context.Background(), c.conn, v); err != nil {
		c.t.Fatalf("ws write: %v", err)
	}
}

func (c *wsClient) read(d time.Duration) map[string]any {
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(d):
		return nil
	}
}

// events collects alert events until none arrives for a second.
func (c *wsClient) events() []map[string]any {
	var out []map[string]any
	for {
		m := c.read(1500 * time.Millisecond)
		if m == nil {
			return out
		}
		if m["type"] == "next" {
			data := m["payload"].(map[string]any)["data"].(map[string]any)
			out = append(out, data["alertEvents"].(map[string]any))
		}
	}
}

const subscription = `subscription($code: DivisionCode!) { alertEvents(regionCode: $code) { id action toState alert { rule period region { code } } } }`

func TestMetricsAlertsAndSubscription(t *testing.T) {
	env := apptest.New(t)
	env.ImportCSV(t, apptest.TwoTownsCSV)
	province := env.Token(t, core.RoleProvinceOfficial, "32")
	district := env.Token(t, core.RoleDistrictAdmin, "320117")
	town := env.Token(t, core.RoleTownOfficial, "320117001")
	other := env.Token(t, core.RoleTownOfficial, "320117100")

	townWS := dialWS(t, env, town)
	townWS.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": subscription, "variables": map[string]any{"code": "320117001"}}})
	districtWS := dialWS(t, env, district)
	districtWS.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": subscription, "variables": map[string]any{"code": "320117"}}})
	time.Sleep(300 * time.Millisecond) // let both subscriptions register

	t.Run("ErrRunJobForbidden", func(t *testing.T) {
		res := env.Do(t, district, `mutation { runJob(input: {name: "monthly-duties", period: "2026-03"}) { run { id } } }`, nil)
		if res.Code() != string(core.EFORBIDDEN) {
			t.Fatalf("district admin ran a job: %+v", res)
		}
	})
	// Nothing was recorded in March 2026: every village breaches lectures and board updates.
	var run struct {
		RunJob struct {
			Run struct {
				Job, Period, Outcome string
				Rows                 int
			}
			UserErrors []struct{ Code string }
		}
	}
	env.Do(t, province, `mutation { runJob(input: {name: "monthly-duties", period: "2026-03"}) { run { job period outcome rows } userErrors { code } } }`, nil).Decode(t, &run)
	if run.RunJob.Run.Outcome != "succeeded" || run.RunJob.Run.Period != "2026-03" || run.RunJob.Run.Rows == 0 {
		t.Fatalf("run: %+v", run.RunJob)
	}

	t.Run("SubscribersSeeOnlyTheirScope", func(t *testing.T) {
		te := townWS.events()
		de := districtWS.events()
		if len(te) != 4 || len(de) != 8 {
			t.Fatalf("town got %d events, district %d; want 4 and 8", len(te), len(de))
		}
		for _, e := range te {
			code := e["alert"].(map[string]any)["region"].(map[string]any)["code"].(string)
			if !strings.HasPrefix(code, "320117001") || e["action"] != "raised" || e["toState"] != "OPEN" {
				t.Fatalf("town event %v", e)
			}
		}
	})

	t.Run("RegionMetricsAndBreakdown", func(t *testing.T) {
		var out struct {
			Region struct {
				Metrics []struct {
					Metric, Status string
					Numerator      float64
					Denominator    *float64
					Threshold      float64
				}
				MetricBreakdown []struct {
					Region struct{ Code string }
					Status string
				}
				MissedDuty struct {
					TotalCount int
					Nodes      []struct{ Code string }
				}
			}
		}
		env.Do(t, district, `{ region(code: "320117") {
			metrics(period: "2026-03") { metric status numerator denominator threshold }
			metricBreakdown(period: "2026-03", metric: "lecture_months") { region { code } status }
			missedDuty(period: "2026-03", metric: "lecture_months", first: 10) { totalCount nodes { code } } } }`, nil).Decode(t, &out)
		got := map[string]string{}
		for _, m := range out.Region.Metrics {
			got[m.Metric] = m.Status
			if m.Metric == "lecture_months" && (m.Numerator != 0 || m.Denominator == nil || *m.Denominator != 4) {
				t.Errorf("district lecture_months %+v, want 0 of 4 villages", m)
			}
		}
		if got["lecture_months"] != "NOT_MET" || got["board_months"] != "NOT_MET" {
			t.Fatalf("district metrics %v", got)
		}
		if len(out.Region.MetricBreakdown) != 2 || out.Region.MetricBreakdown[0].Region.Code != "320117001" {
			t.Fatalf("breakdown by town: %+v", out.Region.MetricBreakdown)
		}
		if out.Region.MissedDuty.TotalCount != 4 || len(out.Region.MissedDuty.Nodes) != 4 {
			t.Fatalf("missed duty: %+v", out.Region.MissedDuty)
		}
	})

	t.Run("SeriesWithYearOverYear", func(t *testing.T) {
		env.Do(t, province, `mutation { runJob(input: {name: "monthly-duties", period: "2025-03"}) { userErrors { code } } }`, nil)
		if te := townWS.events(); len(te) != 4 { // March 2025 breaches of the town's two villages
			t.Fatalf("town got %d events for 2025-03", len(te))
		}
		var out struct {
			Region struct {
				MetricSeries []struct {
					Period       string
					Current      *struct{ Value *float64 }
					PreviousYear *struct{ Value *float64 }
				}
			}
		}
		env.Do(t, district, `{ region(code: "320117") { metricSeries(metric: "lecture_months", from: "2026-01", to: "2026-03") {
			period current { value } previousYear { value } } } }`, nil).Decode(t, &out)
		s := out.Region.MetricSeries
		if len(s) != 3 || s[0].Period != "2026-01" || s[0].Current != nil || s[2].Current == nil || s[2].PreviousYear == nil {
			t.Fatalf("series: %+v", s)
		}
		res := env.Do(t, district, `{ region(code: "320117") { metricSeries(metric: "lecture_months", from: "2026-01", to: "2026-Q1") { period } } }`, nil)
		if res.Code() != string(core.EINVALIDPERIOD) {
			t.Fatalf("mixed kinds: %+v", res)
		}
	})

	t.Run("AlertsAcknowledgeAndScope", func(t *testing.T) {
		var out struct {
			Region struct {
				Alerts struct {
					TotalCount int
					Nodes      []struct {
						ID, Rule, Severity, State string
						Version                   int
						Region                    struct{ Code string }
					}
				}
			}
		}
		env.Do(t, town, `{ region(code: "320117001") { alerts(filter: {state: OPEN, period: "2026-03"}, first: 10) {
			totalCount nodes { id rule severity state version region { code } } } } }`, nil).Decode(t, &out)
		if out.Region.Alerts.TotalCount != 4 {
			t.Fatalf("town alerts: %d", out.Region.Alerts.TotalCount)
		}
		a := out.Region.Alerts.Nodes[0]
		// Another town cannot see or acknowledge it: exactly like a missing alert.
		var node struct{ Node *struct{ ID string } }
		env.Do(t, other, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": a.ID}).Decode(t, &node)
		if node.Node != nil {
			t.Fatalf("other town sees the alert")
		}
		var ack struct {
			AcknowledgeAlert struct {
				Alert *struct {
					State   string
					History []struct{ Action, Comment, ActorName string }
				}
				UserErrors []struct{ Code string }
			}
		}
		q := `mutation($id: ID!, $v: Int) { acknowledgeAlert(input: {alertId: $id, comment: "已安排补课", expectedVersion: $v}) {
			alert { state history { action comment actorName } } userErrors { code } } }`
		env.Do(t, other, q, map[string]any{"id": a.ID, "v": a.Version}).Decode(t, &ack)
		if len(ack.AcknowledgeAlert.UserErrors) != 1 || ack.AcknowledgeAlert.UserErrors[0].Code != "NOT_FOUND" {
			t.Fatalf("other town acknowledged: %+v", ack)
		}
		env.Do(t, town, q, map[string]any{"id": a.ID, "v": a.Version}).Decode(t, &ack)
		h := ack.AcknowledgeAlert.Alert
		if h == nil || h.State != "ACKNOWLEDGED" || len(h.History) != 2 || h.History[1].Comment != "已安排补课" {
			t.Fatalf("acknowledged: %+v", ack.AcknowledgeAlert)
		}
		env.Do(t, town, q, map[string]any{"id": a.ID, "v": a.Version}).Decode(t, &ack)
		if len(ack.AcknowledgeAlert.UserErrors) != 1 || ack.AcknowledgeAlert.UserErrors[0].Code != "CONFLICT" {
			t.Fatalf("stale version: %+v", ack.AcknowledgeAlert.UserErrors)
		}
		// The subscriber of the town hears the acknowledgement.
		ev := townWS.events()
		if len(ev) != 1 || ev[0]["action"] != "acknowledged" {
			t.Fatalf("acknowledgement event: %v", ev)
		}
	})

	t.Run("RevokedTokenEndsSubscription", func(t *testing.T) {
		var tokens struct {
			Tokens []struct{ ID, Name string }
		}
		env.Do(t, province, `{ tokens { id name } }`, nil).Decode(t, &tokens)
		var id string
		for _, tk := range tokens.Tokens {
			if tk.Name == "town_official@320117001" {
				id = tk.ID
			}
		}
		env.Do(t, province, `mutation($id: ID!) { revokeToken(input: {id: $id}) { userErrors { code } } }`, map[string]any{"id": id})
		// The next announcement finds the token revoked: the server completes the stream.
		env.Do(t, province, `mutation { runJob(input: {name: "monthly-duties", period: "2026-02"}) { userErrors { code } } }`, nil)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			m := townWS.read(time.Second)
			if m != nil && m["type"] == "next" {
				t.Fatalf("revoked token still receives events: %v", m)
			}
			if m != nil && m["type"] == "complete" {
				return
			}
		}
		t.Fatal("subscription of a revoked token was not completed")
	})

	var defs struct {
		MetricDefinitions []struct {
			Key       string
			Threshold *float64
		}
	}
	env.Do(t, district, `{ metricDefinitions { key threshold } }`, nil).Decode(t, &defs)
	b, _ := json.Marshal(defs)
	if !strings.Contains(string(b), `"Key":"mediation_success","Threshold":0.9`) ||
		!strings.Contains(string(b), `"Key":"culture_carrier_kinds","Threshold":5`) || !strings.Contains(string(b), `"Key":"legal_adviser","Threshold":1`) {
		t.Fatalf("definitions: %s", b)
	}
}

func TestWebhooksAPI(t *testing.T) {
	env := apptest.New(t)
	env.ImportCSV(t, apptest.TwoTownsCSV)
	district := env.Token(t, core.RoleDistrictAdmin, "320117")
	town := env.Token(t, core.RoleTownOfficial, "320117001")
	clerk := env.Token(t, core.RoleVillageClerk, "320117001001")
	q := `mutation($code: DivisionCode!, $url: String!, $f: WebhookFormat!) {
		createWebhook(input: {regionCode: $code, url: $url, format: $f}) { webhook { id url format active region { code } } userErrors { code field } } }`
	type payload struct {
		CreateWebhook struct {
			Webhook *struct {
				ID, URL, Format string
				Active          bool
				Region          struct{ Code string }
			}
			UserErrors []struct {
				Code  string
				Field []string
			}
		}
	}
	var ok payload
	env.Do(t, town, q, map[string]any{"code": "320117001", "url": "https://qyapi.example/robot?key=x", "f": "WECOM"}).Decode(t, &ok)
	w := ok.CreateWebhook.Webhook
	if w == nil || w.Format != "WECOM" || !w.Active || w.Region.Code != "320117001" {
		t.Fatalf("created: %+v", ok.CreateWebhook)
	}
	cases := []struct {
		name, token, code, url, want string
	}{
		{"ErrBadURL", town, "320117001", "ftp://x", "INVALID"},
		{"ErrOtherTown", town, "320117100", "https://example/h", "NOT_FOUND"},
		{"ErrVillageLevel", district, "320117001001", "https://example/h", "NOT_FOUND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p payload
			env.Do(t, c.token, q, map[string]any{"code": c.code, "url": c.url, "f": "JSON"}).Decode(t, &p)
			if len(p.CreateWebhook.UserErrors) != 1 || p.CreateWebhook.UserErrors[0].Code != c.want {
				t.Fatalf("got %+v, want %s", p.CreateWebhook, c.want)
			}
		})
	}
	t.Run("ErrClerkForbidden", func(t *testing.T) {
		res := env.Do(t, clerk, q, map[string]any{"code": "320117001", "url": "https://example/h", "f": "JSON"})
		if res.Code() != "FORBIDDEN" {
			t.Fatalf("clerk: %+v", res)
		}
	})
	var list struct {
		Region struct {
			Webhooks []struct {
				ID     string
				Active bool
			}
		}
	}
	env.Do(t, district, `{ region(code: "320117") { webhooks { id active } } }`, nil).Decode(t, &list)
	if len(list.Region.Webhooks) != 1 {
		t.Fatalf("district lists %d webhooks", len(list.Region.Webhooks))
	}
	var off struct {
		SetWebhookActive struct{ Webhook struct{ Active bool } }
	}
	env.Do(t, district, `mutation($id: ID!) { setWebhookActive(input: {id: $id, active: false}) { webhook { active } } }`,
		map[string]any{"id": w.ID}).Decode(t, &off)
	if off.SetWebhookActive.Webhook.Active {
		t.Fatal("webhook still active")
	}
}
