// Package notify delivers alert events to webhooks: one digest per town per
// job run (not one message per village), as plain JSON or as the markdown
// messages of WeCom (企业微信) and DingTalk (钉钉) group robots, with retries
// and backoff, and a delivery log.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Notifier sends digests of alert events.
type Notifier struct {
	DB      *postgres.DB
	Client  *http.Client
	Backoff []time.Duration // waits between attempts; len+1 attempts in all
	Log     *slog.Logger
}

// New returns a notifier with a 10 s timeout and three retries (1 s, 4 s, 16 s).
func New(db *postgres.DB, log *slog.Logger) *Notifier {
	return &Notifier{DB: db, Client: &http.Client{Timeout: 10 * time.Second},
		Backoff: []time.Duration{time.Second, 4 * time.Second, 16 * time.Second}, Log: log}
}

// Event is one alert event as it appears in a digest.
type Event struct {
	ID         int64    `db:"id" json:"id"`
	Action     string   `db:"action" json:"action"`
	Rule       string   `db:"rule" json:"rule"`
	Severity   string   `db:"severity" json:"severity"`
	Period     string   `db:"period" json:"period"`
	Value      *float64 `db:"value" json:"value"`
	Threshold  *float64 `db:"threshold" json:"threshold"`
	RegionCode string   `db:"region_code" json:"regionCode"`
	RegionName string   `db:"region_name" json:"regionName"`
	Escalation int      `db:"escalation_level" json:"escalationLevel"`
	TownID     int64    `db:"town_id" json:"-"`
	TownCode   string   `db:"town_code" json:"-"`
	TownName   string   `db:"town_name" json:"-"`
	TownPath   string   `db:"town_path" json:"-"`
	RuleZh     string   `db:"-" json:"ruleZh"`
	RuleEn     string   `db:"-" json:"ruleEn"`
}

// Digest is the events of one town in one run.
type Digest struct {
	TownCode string  `json:"townCode"`
	TownName string  `json:"townName"`
	RunID    int64   `json:"jobRunId,omitempty"`
	Events   []Event `json:"events"`
}

type webhook struct {
	ID     int64  `db:"id"`
	URL    string `db:"url"`
	Format string `db:"format"`
	Path   string `db:"path"`
}

// Result counts deliveries.
type Result struct{ Delivered, Failed int }

// Deliver sends the events with ids in [first, last] to every active webhook
// whose region covers the town they belong to, one digest per town.
func (n *Notifier) Deliver(ctx context.Context, first, last, runID int64) (Result, error) {
	var res Result
	if first == 0 {
		return res, nil
	}
	var events []Event
	var hooks []webhook
	err := n.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		if err := tx.Select(&events, `
SELECT e.id, e.action, a.rule, a.severity, a.period, a.value, a.threshold, a.escalation_level,
       r.code AS region_code, r.name AS region_name,
       t.id AS town_id, t.code AS town_code, t.name AS town_name, t.path::text AS town_path
FROM alert_events e JOIN alerts a ON a.id = e.alert_id JOIN regions r ON r.id = a.region_id
JOIN regions t ON t.id = CASE WHEN r.level = 5 THEN r.parent_id ELSE r.id END
WHERE e.id BETWEEN $1 AND $2 ORDER BY t.code, r.code, e.id`, first, last); err != nil {
			return err
		}
		return tx.Select(&hooks, `SELECT w.id, w.url, w.format, r.path::text AS path FROM webhooks w
			JOIN regions r ON r.id = w.region_id WHERE w.active ORDER BY w.id`)
	})
	if err != nil || len(events) == 0 || len(hooks) == 0 {
		return res, err
	}
	digests := map[int64]*Digest{}
	paths := map[int64]string{}
	var towns []int64
	for _, e := range events {
		e.RuleZh, e.RuleEn = metrics.RuleNames(e.Rule)
		d := digests[e.TownID]
		if d == nil {
			d = &Digest{TownCode: e.TownCode, TownName: e.TownName, RunID: runID}
			digests[e.TownID] = d
			paths[e.TownID] = e.TownPath
			towns = append(towns, e.TownID)
		}
		d.Events = append(d.Events, e)
	}
	sort.Slice(towns, func(i, j int) bool { return digests[towns[i]].TownCode < digests[towns[j]].TownCode })
	for _, town := range towns {
		d := digests[town]
		for _, h := range hooks {
			if paths[town] != h.Path && !strings.HasPrefix(paths[town], h.Path+".") {
				continue
			}
			attempts, status, sendErr := n.send(ctx, h, d)
			if err := n.log(ctx, h, town, runID, len(d.Events), attempts, status, sendErr); err != nil {
				return res, err
			}
			if sendErr != nil {
				res.Failed++
				n.Log.Warn("webhook delivery failed", "webhook_id", h.ID, "town", d.TownCode, "attempts", attempts, "err", sendErr)
			} else {
				res.Delivered++
			}
		}
	}
	return res, nil
}

func (n *Notifier) log(ctx context.Context, h webhook, town, runID int64, events, attempts, status int, sendErr error) error {
	st, msg := "delivered", (*string)(nil)
	if sendErr != nil {
		st = "failed"
		s := sendErr.Error()
		msg = &s
	}
	var run *int64
	if runID != 0 {
		run = &runID
	}
	var hs *int
	if status != 0 {
		hs = &status
	}
	return n.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO webhook_deliveries (webhook_id, region_id, job_run_id, events, attempts, status, http_status, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.ID, town, run, events, attempts, st, hs, msg)
		return err
	})
}

// send posts the digest, retrying with backoff; it returns the attempts made,
// the last HTTP status and the final error.
func (n *Notifier) send(ctx context.Context, h webhook, d *Digest) (int, int, error) {
	body, err := Render(h.Format, d)
	if err != nil {
		return 0, 0, err
	}
	var status int
	for attempt := 0; ; attempt++ {
		status, err = n.post(ctx, h.URL, body)
		if err == nil {
			return attempt + 1, status, nil
		}
		if attempt >= len(n.Backoff) {
			return attempt + 1, status, err
		}
		select {
		case <-ctx.Done():
			return attempt + 1, status, ctx.Err()
		case <-time.After(n.Backoff[attempt]):
		}
	}
}

func (n *Notifier) post(ctx context.Context, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := n.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	// WeCom and DingTalk robots answer 200 with an errcode.
	var reply struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(b, &reply) == nil && reply.ErrCode != nil && *reply.ErrCode != 0 {
		return res.StatusCode, fmt.Errorf("robot error %d: %s", *reply.ErrCode, reply.ErrMsg)
	}
	return res.StatusCode, nil
}

var actionZh = map[string]string{"raised": "新增", "reopened": "重新打开", "resolved": "已解决", "escalated": "已升级", "acknowledged": "已确认"}
var severityZh = map[string]string{"reminder": "提醒", "breach": "未达标", "critical": "严重"}

// Render formats a digest as a webhook body: "json", "wecom" or "dingtalk".
func Render(format string, d *Digest) ([]byte, error) {
	switch format {
	case "json":
		return json.Marshal(d)
	case "wecom", "dingtalk":
		title := fmt.Sprintf("%s 预警 %d 条", d.TownName, len(d.Events))
		var b strings.Builder
		fmt.Fprintf(&b, "### %s\n", title)
		for _, e := range d.Events {
			fmt.Fprintf(&b, "- **%s** %s（%s）%s · %s", e.RegionName, e.RuleZh, e.Period, severityZh[e.Severity], actionZh[e.Action])
			if e.Value != nil && e.Threshold != nil {
				fmt.Fprintf(&b, " · %.4g / %.4g", *e.Value, *e.Threshold)
			}
			b.WriteString("\n")
		}
		if format == "wecom" {
			return json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": b.String()}})
		}
		return json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": b.String()}})
	}
	return nil, fmt.Errorf("unknown webhook format %q", format)
}
