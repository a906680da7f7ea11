// Command loadtest holds a realistic mix of dashboard reads and clerk writes
// against a lawvillage server on this machine, for a bounded time and number
// of requests, and prints every interval the throughput, latency
// percentiles, errors and the server's memory (to show it stays flat).
//
// It talks only to loopback addresses (127.0.0.0/8, ::1, localhost) and
// refuses any other target. Each client gets tokens of its own (a district
// reader and a village clerk, issued with the admin token and revoked at the
// end), so per-token rate limits apply per client as they would to people.
//
//	go run ./cmd/loadtest -url http://127.0.0.1:8080/graphql -token-file .data/dev-admin-token -duration 3m
//
// `make load` starts a fresh local platform and runs it for three minutes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Hard bounds, whatever the flags say.
const (
	maxDuration = 30 * time.Minute
	maxClients  = 256
)

type config struct {
	url         string
	metricsURL  string
	tokenFile   string
	token       string
	district    string
	clients     int
	duration    time.Duration
	maxRequests int64
	readShare   float64
	uploadShare float64
	interval    time.Duration
	serverPID   int
	wait        time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080/graphql", "GraphQL endpoint (loopback only)")
	flag.StringVar(&c.metricsURL, "metrics-url", "", "Prometheus endpoint of the server (default: /metrics beside -url)")
	flag.StringVar(&c.tokenFile, "token-file", ".data/dev-admin-token", "file holding an admin token able to issue tokens in the district")
	flag.StringVar(&c.token, "token", "", "the admin token itself (instead of -token-file)")
	flag.StringVar(&c.district, "district", "320117", "division code of the district to work on")
	flag.IntVar(&c.clients, "clients", 16, fmt.Sprintf("concurrent clients (at most %d)", maxClients))
	flag.DurationVar(&c.duration, "duration", 3*time.Minute, fmt.Sprintf("how long to run (at most %v)", maxDuration))
	flag.Int64Var(&c.maxRequests, "max-requests", 500000, "stop after this many requests")
	flag.Float64Var(&c.readShare, "read-share", 0.8, "share of dashboard reads (the rest are clerk writes)")
	flag.Float64Var(&c.uploadShare, "upload-share", 0.25, "share of the writes that upload a small evidence file (the rest record activities)")
	flag.DurationVar(&c.interval, "interval", 10*time.Second, "reporting interval")
	flag.IntVar(&c.serverPID, "server-pid", 0, "process id of the server, to read its RSS from /proc (default: from its /metrics)")
	flag.DurationVar(&c.wait, "wait", 0, "wait up to this long for the server and the token file to appear")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// loopback reports whether a URL's host is this machine: localhost or an
// address in 127.0.0.0/8 or ::1. Other names are not resolved.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: only http and https", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing target %q: the load test only talks to loopback addresses (127.0.0.0/8, ::1, localhost)", host)
}

func run(c config) error {
	if c.duration <= 0 || c.duration > maxDuration {
		return fmt.Errorf("-duration must be positive and at most %v", maxDuration)
	}
	if c.clients < 1 || c.clients > maxClients {
		return fmt.Errorf("-clients must be from 1 to %d", maxClients)
	}
	if c.maxRequests < 1 || c.readShare < 0 || c.readShare > 1 || c.uploadShare < 0 || c.uploadShare > 1 || c.interval <= 0 {
		return errors.New("bad -max-requests, -read-share, -upload-share or -interval")
	}
	if c.metricsURL == "" {
		u, _ := url.Parse(c.url)
		u.Path, u.RawQuery = "/metrics", ""
		c.metricsURL = u.String()
	}
	for _, u := range []string{c.url, c.metricsURL} {
		if err := loopback(u); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxClients,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	if err := waitReady(ctx, hc, &c); err != nil {
		return err
	}
	admin := &client{hc: hc, url: c.url, token: c.token}
	setupCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	w, err := prepare(setupCtx, admin, c)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer w.revoke(admin)
	fmt.Printf("load: %d clients on %s for %v (at most %d requests): %.0f%% dashboard reads, %.0f%% clerk writes (%.0f%% of them small evidence uploads)\n",
		c.clients, c.url, c.duration, c.maxRequests, 100*c.readShare, 100*(1-c.readShare), 100*c.uploadShare)
	fmt.Printf("      district %s: %d towns, %d villages; one reader and one clerk token per client\n", c.district, len(w.towns), len(w.villages))

	mem := memSampler{hc: hc, metricsURL: c.metricsURL, pid: c.serverPID}
	startMem := mem.sample()
	fmt.Printf("      server memory at start: %s\n", startMem)

	stats := newStats()
	var sent atomic.Int64
	runCtx, cancelRun := context.WithTimeout(ctx, c.duration)
	defer cancelRun()
	var wg sync.WaitGroup
	for i := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := w.clients[i]
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for runCtx.Err() == nil && sent.Add(1) <= c.maxRequests {
				op := w.pick(rng, c)
				start := time.Now()
				// At the end of the run a request in flight completes (ctx,
				// not runCtx): only an interrupt cuts it short.
				err := op.do(ctx, cl, rng)
				if ctx.Err() != nil && err != nil {
					return // interrupted: not counted
				}
				stats.add(op.name, time.Since(start), err)
			}
		}()
	}

	began := time.Now()
	ticker := time.NewTicker(c.interval)
	defer ticker.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var samples []memSample
	samples = append(samples, startMem)
	fmt.Printf("%8s %9s %9s %9s %9s %9s %8s %14s %14s\n", "time", "requests", "req/s", "p50", "p95", "p99", "errors", "server RSS", "heap in use")
	last := began
	report := func() {
		iv := stats.interval()
		m := mem.sample()
		samples = append(samples, m)
		el, since := time.Since(began), time.Since(last)
		last = time.Now()
		fmt.Printf("%7.0fs %9d %9.1f %9s %9s %9s %8d %14s %14s\n", el.Seconds(), len(iv), float64(len(iv))/since.Seconds(),
			pct(iv, 50), pct(iv, 95), pct(iv, 99), stats.intervalErrors(), mib(m.rss), mib(m.heap))
	}
loop:
	for {
		select {
		case <-ticker.C:
			report()
		case <-done:
			break loop
		}
	}
	if rest := stats.pending(); rest > 0 {
		report()
	}
	elapsed := time.Since(began)
	endMem := mem.sample()
	samples = append(samples, endMem)
	return summary(stats, elapsed, samples, startMem, endMem)
}

// waitReady waits (up to c.wait) for the token file and the server's readiness.
func waitReady(ctx context.Context, hc *http.Client, c *config) error {
	deadline := time.Now().Add(c.wait)
	ready, _ := url.Parse(c.url)
	ready.Path, ready.RawQuery = "/readyz", ""
	for {
		var err error
		if c.token == "" {
			var b []byte
			if b, err = os.ReadFile(c.tokenFile); err == nil {
				c.token = strings.TrimSpace(string(b))
			}
		}
		if err == nil {
			var res *http.Response
			if res, err = hc.Get(ready.String()); err == nil {
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					err = fmt.Errorf("%s: %s", ready, res.Status)
				}
			}
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server or token not ready: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// client sends GraphQL requests with one token.
type client struct {
	hc    *http.Client
	url   string
	token string
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// post sends a request and decodes its data into out; any GraphQL error or
// user error (a payload's non-empty userErrors) is an error.
func (c *client) post(ctx context.Context, req *http.Request, out any) error {
	req = req.WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var r gqlResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, b)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("HTTP %d: %s (%v)", res.StatusCode, r.Errors[0].Message, r.Errors[0].Extensions["code"])
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if bytes.Contains(r.Data, []byte(`"userErrors":[{`)) {
		return fmt.Errorf("user error: %.300s", r.Data)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

func (c *client) query(ctx context.Context, q string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.post(ctx, req, out)
}

// upload sends a GraphQL multipart request with one file at variables.in.file.
func (c *client) upload(ctx context.Context, q string, vars map[string]any, name string, content []byte, out any) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	ops, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0":["variables.in.file"]}`)
	fw, _ := w.CreateFormFile("0", name)
	_, _ = fw.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.url, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.post(ctx, req, out)
}

// world is what the clients work on.
type world struct {
	towns    []string
	villages []village
	clients  []*actor
	tokenIDs []string
	reads    []op
	writes   []op
	upload   op
}

type village struct{ ID, Code string }

// actor is one simulated client: a dashboard reader and a village clerk.
type actor struct {
	reader, clerk *client
	village       village
	seq           int
	last          string // the activity the clerk recorded last
}

type op struct {
	name string
	do   func(ctx context.Context, a *actor, rng *rand.Rand) error
}

func (w *world) pick(rng *rand.Rand, c config) op {
	if rng.Float64() < c.readShare {
		return w.reads[rng.IntN(len(w.reads))]
	}
	if rng.Float64() < c.uploadShare {
		return w.upload
	}
	return w.writes[rng.IntN(len(w.writes))]
}

const (
	qTowns = `query($code: DivisionCode!, $after: String) { region(code: $code) {
  children(first: 50) { nodes { code } }
  villages(first: 100, after: $after) { nodes { id code } pageInfo { hasNextPage endCursor } } } }`
	mCreateToken = `mutation($in: CreateTokenInput!) { createToken(input: $in) { token { id } secret userErrors { code message } } }`
	mRevokeToken = `mutation($in: RevokeTokenInput!) { revokeToken(input: $in) { userErrors { code message } } }`

	qVillagePage = `query($code: DivisionCode!, $year: Period!, $filter: VillageFilter) { region(code: $code) { name
  villages(first: 20, filter: $filter) { totalCount
    nodes { code name kind town { name }
      provincialTitle { batch year status history { action reason actorName at } }
      activityCounts(period: $year) { lecture boardUpdate cultureActivity total } }
    pageInfo { hasNextPage endCursor } } } }`
	qDutyStatus = `query($code: DivisionCode!, $period: Period!) { region(code: $code) {
  dutyStatus(period: $period, first: 20) { nodes { village { name }
    lectureMonths { done due met } cultureQuarters { done due met } boardMonths { done due met }
    responsibilityList constitutionDay } } } }`
	qMetrics = `query($code: DivisionCode!, $month: Period!) { region(code: $code) { name
  metrics(period: $month) { metric name value threshold status }
  alerts(first: 10) { totalCount nodes { rule period state severity } } } }`
	qVillage = `query($code: DivisionCode!, $year: Period!) { village(code: $code) { name kind householdCount version
  activityCounts(period: $year) { total }
  activities(period: $year, first: 20) { totalCount nodes { id kind date title participants } } } }`
	mRecord = `mutation($in: RecordActivityInput!) { recordActivity(input: $in) { activity { id version } userErrors { code message } } }`
	mUpload = `mutation($in: UploadEvidenceInput!) { uploadEvidence(input: $in) { evidence { id sha256 } userErrors { code message } } }`
)

// prepare lists the district's towns and villages and issues each client's tokens.
func prepare(ctx context.Context, admin *client, c config) (*world, error) {
	w := &world{}
	after := any(nil)
	for {
		var d struct {
			Region *struct {
				Children struct{ Nodes []struct{ Code string } }
				Villages struct {
					Nodes    []village
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
		}
		if err := admin.query(ctx, qTowns, map[string]any{"code": c.district, "after": after}, &d); err != nil {
			return nil, err
		}
		if d.Region == nil {
			return nil, fmt.Errorf("district %s not found (or outside the admin token's scope)", c.district)
		}
		if w.towns == nil {
			for _, t := range d.Region.Children.Nodes {
				w.towns = append(w.towns, t.Code)
			}
		}
		w.villages = append(w.villages, d.Region.Villages.Nodes...)
		if !d.Region.Villages.PageInfo.HasNextPage {
			break
		}
		after = d.Region.Villages.PageInfo.EndCursor
	}
	if len(w.villages) == 0 || len(w.towns) == 0 {
		return nil, fmt.Errorf("district %s has no towns or villages", c.district)
	}
	issue := func(name, role, scope string) (*client, error) {
		var d struct {
			CreateToken struct {
				Token  struct{ ID string }
				Secret string
			}
		}
		if err := admin.query(ctx, mCreateToken, map[string]any{"in": map[string]any{"name": name, "role": role, "scopeCode": scope,
			"expiresAt": time.Now().Add(maxDuration + time.Hour).UTC().Format(time.RFC3339)}}, &d); err != nil {
			return nil, err
		}
		w.tokenIDs = append(w.tokenIDs, d.CreateToken.Token.ID)
		return &client{hc: admin.hc, url: admin.url, token: d.CreateToken.Secret}, nil
	}
	for i := range c.clients {
		v := w.villages[i%len(w.villages)]
		reader, err := issue(fmt.Sprintf("loadtest reader %d", i), "DISTRICT_ADMIN", c.district)
		if err != nil {
			return nil, err
		}
		clerk, err := issue(fmt.Sprintf("loadtest clerk %d", i), "VILLAGE_CLERK", v.Code)
		if err != nil {
			return nil, err
		}
		w.clients = append(w.clients, &actor{reader: reader, clerk: clerk, village: v})
	}

	now := time.Now().In(time.FixedZone("CST", 8*3600))
	year := strconv.Itoa(now.Year())
	month := now.AddDate(0, -1, 0).Format("2006-01")
	quarter := fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
	randomVillage := func(rng *rand.Rand) village { return w.villages[rng.IntN(len(w.villages))] }
	w.reads = []op{
		{"villagePage", func(ctx context.Context, a *actor, rng *rand.Rand) error {
			vars := map[string]any{"code": c.district, "year": year}
			if rng.IntN(2) == 0 {
				vars["filter"] = map[string]any{"hasTitle": true}
			}
			return a.reader.query(ctx, qVillagePage, vars, nil)
		}},
		{"dutyStatus", func(ctx context.Context, a *actor, rng *rand.Rand) error {
			code := c.district
			if rng.IntN(2) == 0 {
				code = w.towns[rng.IntN(len(w.towns))]
			}
			return a.reader.query(ctx, qDutyStatus, map[string]any{"code": code, "period": quarter}, nil)
		}},
		{"metrics", func(ctx context.Context, a *actor, rng *rand.Rand) error {
			return a.reader.query(ctx, qMetrics, map[string]any{"code": c.district, "month": month}, nil)
		}},
		{"village", func(ctx context.Context, a *actor, rng *rand.Rand) error {
			return a.reader.query(ctx, qVillage, map[string]any{"code": randomVillage(rng).Code, "year": year}, nil)
		}},
	}
	record := func(ctx context.Context, a *actor, rng *rand.Rand) error {
		a.seq++
		kinds := []string{"LECTURE", "BOARD_UPDATE", "CULTURE_ACTIVITY"}
		day := now.AddDate(0, 0, -rng.IntN(now.YearDay())) // this year, not in the future
		var d struct {
			RecordActivity struct{ Activity struct{ ID string } }
		}
		err := a.clerk.query(ctx, mRecord, map[string]any{"in": map[string]any{"villageId": a.village.ID,
			"kind": kinds[rng.IntN(len(kinds))], "date": day.Format(time.DateOnly), "title": fmt.Sprintf("压力测试活动 %d", a.seq),
			"place": "村民活动中心", "organiser": "村法律明白人", "participants": 20 + rng.IntN(60)}}, &d)
		if err == nil {
			a.last = d.RecordActivity.Activity.ID
		}
		return err
	}
	w.writes = []op{{"recordActivity", record}}
	// A clerk uploads a sign-in sheet to the activity recorded last (a
	// client that has recorded none yet records one instead).
	w.upload = op{"uploadEvidence", func(ctx context.Context, a *actor, rng *rand.Rand) error {
		if a.last == "" {
			return record(ctx, a, rng)
		}
		return a.clerk.upload(ctx, mUpload, map[string]any{"in": map[string]any{"activityId": a.last, "file": nil}},
			"签到表.png", smallPNG(rng), nil)
	}}
	return w, nil
}

// revoke revokes the tokens the run issued.
func (w *world) revoke(admin *client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	failed := 0
	for _, id := range w.tokenIDs {
		if err := admin.query(ctx, mRevokeToken, map[string]any{"in": map[string]any{"id": id}}, nil); err != nil {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "loadtest: %d of the run's tokens could not be revoked\n", failed)
	}
}

// smallPNG draws a distinct 16×16 image of a few hundred bytes.
func smallPNG(rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	img.Set(0, 0, color.RGBA{A: 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// stats collects latencies and errors, by interval and in total.
type stats struct {
	mu       sync.Mutex
	cur      []time.Duration
	curErr   int
	lastErr  int
	all      map[string][]time.Duration
	errs     map[string]int
	examples []string
}

func newStats() *stats {
	return &stats{all: map[string][]time.Duration{}, errs: map[string]int{}}
}

func (s *stats) add(name string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = append(s.cur, d)
	s.all[name] = append(s.all[name], d)
	if err != nil {
		s.curErr++
		s.errs[name]++
		if len(s.examples) < 5 {
			s.examples = append(s.examples, name+": "+err.Error())
		}
	}
}

// interval returns the latencies since the last call and starts a new interval.
func (s *stats) interval() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	iv := s.cur
	s.cur = nil
	s.lastErr, s.curErr = s.curErr, 0
	return iv
}

func (s *stats) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cur)
}

func (s *stats) intervalErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// pct returns the p-th percentile of the latencies.
func pct(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return fmtDur(s[i])
}

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// memSample is the server's memory at one moment (0: unknown).
type memSample struct{ rss, heap int64 }

func (m memSample) String() string { return "RSS " + mib(m.rss) + ", Go heap in use " + mib(m.heap) }

func mib(n int64) string {
	if n <= 0 {
		return "?"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// memSampler reads the server's RSS from /proc (when its pid is known) or
// from its /metrics, and its Go heap in use from /metrics.
type memSampler struct {
	hc         *http.Client
	metricsURL string
	pid        int
}

func (s memSampler) sample() memSample {
	var m memSample
	if res, err := s.hc.Get(s.metricsURL); err == nil {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			name, val, ok := strings.Cut(sc.Text(), " ")
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil {
				continue
			}
			switch name {
			case "go_memstats_heap_inuse_bytes":
				m.heap = int64(f)
			case "process_resident_memory_bytes":
				m.rss = int64(f)
			}
		}
		res.Body.Close()
	}
	if s.pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
					f := strings.Fields(rest)
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
						m.rss = kb << 10
					}
				}
			}
		}
	}
	return m
}

// summary prints the totals and fails when any request failed.
func summary(s *stats, elapsed time.Duration, samples []memSample, start, end memSample) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []time.Duration
	names := make([]string, 0, len(s.all))
	for n, ds := range s.all {
		all = append(all, ds...)
		names = append(names, n)
	}
	slices.Sort(names)
	errs := 0
	for _, n := range s.errs {
		errs += n
	}
	fmt.Printf("\nsummary: %d requests in %v (%.1f/s), %d errors; latency p50 %s, p95 %s, p99 %s\n",
		len(all), elapsed.Round(time.Second), float64(len(all))/elapsed.Seconds(), errs, pct(all, 50), pct(all, 95), pct(all, 99))
	for _, n := range names {
		ds := s.all[n]
		fmt.Printf("  %-30s %8d requests %6d errors   p50 %9s  p95 %9s  p99 %9s\n", n, len(ds), s.errs[n], pct(ds, 50), pct(ds, 95), pct(ds, 99))
	}
	var maxRSS, maxHeap int64
	for _, m := range samples {
		maxRSS, maxHeap = max(maxRSS, m.rss), max(maxHeap, m.heap)
	}
	fmt.Printf("server memory: start %s; end %s; highest RSS %s, highest heap in use %s\n", start, end, mib(maxRSS), mib(maxHeap))
	for _, e := range s.examples {
		fmt.Println("  error:", e)
	}
	if errs > 0 {
		return fmt.Errorf("%d requests failed", errs)
	}
	return nil
}
