package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/core"
)

// limitHarness starts the platform with the configuration adjusted by configure (may be nil).
func limitHarness(t *testing.T, configure func(*config.Config)) *harness {
	t.Helper()
	e := apptest.New(t, apptest.Options{Configure: configure})
	e.ImportCSV(t, apptest.TwoTownsCSV)
	return &harness{Env: e, admin: e.Token(t, core.RoleDistrictAdmin, district)}
}

// limitBody is a GraphQL response with its extensions.
type limitBody struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost *struct {
			RequestedQueryCost int `json:"requestedQueryCost"`
			MaximumAvailable   int `json:"maximumAvailable"`
		} `json:"cost"`
	} `json:"extensions"`
}

func (b limitBody) code() string {
	if len(b.Errors) == 0 {
		return ""
	}
	c, _ := b.Errors[0].Extensions["code"].(string)
	return c
}

func (b limitBody) hasData() bool {
	s := strings.TrimSpace(string(b.Data))
	return s != "" && s != "null"
}

// post sends a GraphQL POST (accept "" for application/json) and decodes the answer.
func (h *harness) post(t testing.TB, token, accept, query string, vars map[string]any) (*rawResponse, limitBody) {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	if accept != "" {
		hdr["Accept"] = accept
	}
	r := h.send(t, http.MethodPost, "/graphql", hdr, postJSON(query, vars))
	var b limitBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("HTTP %d body is not a GraphQL response: %.300s", r.StatusCode, r.Body)
	}
	return r, b
}

// refused checks a refusal: the HTTP status, the code, no data, and a
// message in both languages.
func refused(t testing.TB, r *rawResponse, b limitBody, status int, code string) {
	t.Helper()
	if r.StatusCode != status || b.code() != code || b.hasData() {
		t.Fatalf("HTTP %d code %q, want %d %q: %.500s", r.StatusCode, b.code(), status, code, r.Body)
	}
	e := b.Errors[0]
	zh, _ := e.Extensions["messageZh"].(string)
	en, _ := e.Extensions["messageEn"].(string)
	if zh == "" || en == "" || e.Message != zh+" / "+en {
		t.Fatalf("message %q (zh %q, en %q) is not bilingual", e.Message, zh, en)
	}
}

// ok checks a successful answer.
func ok(t testing.TB, r *rawResponse, b limitBody) {
	t.Helper()
	if r.StatusCode != http.StatusOK || len(b.Errors) > 0 || !b.hasData() {
		t.Fatalf("HTTP %d: %.500s", r.StatusCode, r.Body)
	}
}

// readOnly hides the Len method of a bytes.Reader so that the client sends the body chunked.
type readOnly struct{ io.Reader }

func (h *harness) rawPost(t testing.TB, contentType string, body []byte, chunked bool) (*rawResponse, limitBody) {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = readOnly{rd}
	}
	req, _ := http.NewRequest(http.MethodPost, h.Server.URL+"/graphql", rd)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+h.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := &rawResponse{Response: res, Body: b}
	var lb limitBody
	if err := json.Unmarshal(b, &lb); err != nil {
		t.Fatalf("HTTP %d body is not a GraphQL response: %.300s", res.StatusCode, b)
	}
	return r, lb
}

func TestLimitRequestBody(t *testing.T) {
	h := limitHarness(t, nil) // defaults: JSON bodies up to 1 MiB
	body := func(size int) []byte {
		b, _ := json.Marshal(map[string]any{"query": "{ viewer { name } }" + strings.Repeat(" ", size)})
		return b
	}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("over 1 MiB chunked=%v is 413 TOO_LARGE", chunked), func(t *testing.T) {
			r, b := h.rawPost(t, "application/json", body(1<<20), chunked)
			refused(t, r, b, http.StatusRequestEntityTooLarge, "TOO_LARGE")
		})
		t.Run(fmt.Sprintf("just under 1 MiB chunked=%v passes", chunked), func(t *testing.T) {
			r, b := h.rawPost(t, "application/json", body(1<<20-100), chunked)
			ok(t, r, b)
		})
	}
}

// multipartBody builds a GraphQL multipart request: the operation, then the
// files, file i bound to paths[i].
func multipartBody(t testing.TB, query string, vars map[string]any, paths []string, files [][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_ = w.WriteField("operations", string(ops))
	m := map[string][]string{}
	for i, p := range paths {
		m[strconv.Itoa(i)] = []string{p}
	}
	mb, _ := json.Marshal(m)
	_ = w.WriteField("map", string(mb))
	for i, f := range files {
		fw, _ := w.CreateFormFile(strconv.Itoa(i), fmt.Sprintf("f%d.bin", i))
		_, _ = fw.Write(f)
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestLimitUploads(t *testing.T) {
	h := limitHarness(t, func(c *config.Config) {
		c.MaxUploadBytes = 256 << 10
		c.MaxJSONBytes = 64 << 10
	})
	// Files bound to an extra variable the operation does not use: the
	// transport accepts them and the query runs.
	files := func(n, size int) ([]byte, string) {
		extra := make([]any, n)
		paths := make([]string, n)
		content := make([][]byte, n)
		for i := range n {
			paths[i] = "variables.extra." + strconv.Itoa(i)
			content[i] = bytes.Repeat([]byte{byte('a' + i%26)}, size)
		}
		return multipartBody(t, `{ viewer { name } }`, map[string]any{"extra": extra}, paths, content)
	}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("request over the limit chunked=%v is 413", chunked), func(t *testing.T) {
			b, ct := files(1, 300<<10)
			r, lb := h.rawPost(t, ct, b, chunked)
			refused(t, r, lb, http.StatusRequestEntityTooLarge, "TOO_LARGE")
		})
		t.Run(fmt.Sprintf("11 files chunked=%v is 413", chunked), func(t *testing.T) {
			b, ct := files(11, 1<<10)
			r, lb := h.rawPost(t, ct, b, chunked)
			refused(t, r, lb, http.StatusRequestEntityTooLarge, "TOO_LARGE")
			if !strings.Contains(lb.Errors[0].Message, "10") {
				t.Fatalf("message does not name the limit: %s", lb.Errors[0].Message)
			}
		})
		t.Run(fmt.Sprintf("10 files just under the limit chunked=%v pass", chunked), func(t *testing.T) {
			b, ct := files(10, 20<<10)
			if len(b) > 256<<10 {
				t.Fatalf("test body %d bytes is over the limit", len(b))
			}
			r, lb := h.rawPost(t, ct, b, chunked)
			ok(t, r, lb)
		})
	}
	t.Run("operations part over the JSON limit is 413", func(t *testing.T) {
		b, ct := multipartBody(t, `{ viewer { name } }`+strings.Repeat(" ", 70<<10), map[string]any{"extra": []any{nil}},
			[]string{"variables.extra.0"}, [][]byte{[]byte("x")})
		r, lb := h.rawPost(t, ct, b, true)
		refused(t, r, lb, http.StatusRequestEntityTooLarge, "TOO_LARGE")
	})
	t.Run("an evidence upload under the limits works", func(t *testing.T) {
		vid := h.villageID(t, h.admin, v1b)
		act := h.record(t, h.admin, vid, "LECTURE", "2025-04-10", "宪法讲座")
		img := pngImage(t, 7)
		if ev := h.upload(t, h.admin, act.ID, "讲座.png", img); ev.ID == "" {
			t.Fatal("no evidence")
		}
	})
}

// tokens is the number of parser tokens of a query document.
func tokens(t testing.TB, q string) int {
	t.Helper()
	for n := 1; n < 1<<20; n++ {
		if _, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, n); err == nil {
			return n
		}
	}
	t.Fatal("unparsable")
	return 0
}

func TestLimitQueryTokens(t *testing.T) {
	t.Run("default limit", func(t *testing.T) {
		h := limitHarness(t, nil)
		q := "{ viewer { name } " + strings.Repeat("__typename ", 16000) + "}"
		r, b := h.post(t, h.admin, "", q, nil)
		refused(t, r, b, http.StatusOK, "QUERY_TOO_LARGE")
		r, b = h.post(t, h.admin, "application/graphql-response+json", q, nil)
		refused(t, r, b, http.StatusBadRequest, "QUERY_TOO_LARGE")
	})
	t.Run("just under passes, one more token is refused", func(t *testing.T) {
		under := "{ viewer { name } " + strings.Repeat("__typename ", 40) + "}"
		limit := tokens(t, under)
		h := limitHarness(t, func(c *config.Config) { c.MaxQueryTokens = limit })
		r, b := h.post(t, h.admin, "", under, nil)
		ok(t, r, b)
		r, b = h.post(t, h.admin, "", strings.Replace(under, "}", "} __typename", 1), nil)
		refused(t, r, b, http.StatusOK, "QUERY_TOO_LARGE")
	})
}

// nested is a query `depth` fields deep: region, parents, then name.
func nested(depth int) string {
	return `{ region(code: "320117001201") { ` + strings.Repeat("parent { ", depth-2) + "name" + strings.Repeat(" }", depth-2) + " } }"
}

func TestDepthLimit(t *testing.T) {
	h := limitHarness(t, nil)
	t.Run("12 levels pass", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", nested(12), nil)
		ok(t, r, b)
	})
	t.Run("13 levels are QUERY_TOO_DEEP", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", nested(13), nil)
		refused(t, r, b, http.StatusOK, "QUERY_TOO_DEEP")
		r, b = h.post(t, h.admin, "application/graphql-response+json", nested(13), nil)
		refused(t, r, b, http.StatusBadRequest, "QUERY_TOO_DEEP")
	})
	t.Run("fragments count where they are spread", func(t *testing.T) {
		q := `{ ...Q } fragment Q on Query { region(code: "320117001201") { ...P } }
			fragment P on Region { ` + strings.Repeat("parent { ", 11) + "name" + strings.Repeat(" }", 11) + " }"
		r, b := h.post(t, h.admin, "", q, nil)
		refused(t, r, b, http.StatusOK, "QUERY_TOO_DEEP")
	})
	t.Run("introspection is not counted", func(t *testing.T) {
		q := `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } } } }`
		r, b := h.post(t, h.admin, "", q, nil)
		ok(t, r, b)
	})
}

func aliased(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "a%d: name ", i)
	}
	return sb.String()
}

func TestAliasLimit(t *testing.T) {
	h := limitHarness(t, nil)
	t.Run("30 aliases pass", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", "{ viewer { "+aliased(30)+"} }", nil)
		ok(t, r, b)
	})
	t.Run("31 aliases are TOO_MANY_ALIASES", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", "{ viewer { "+aliased(31)+"} }", nil)
		refused(t, r, b, http.StatusOK, "TOO_MANY_ALIASES")
		if !strings.Contains(b.Errors[0].Message, "30") {
			t.Fatalf("message does not name the limit: %s", b.Errors[0].Message)
		}
	})
	t.Run("a fragment spread twice counts twice", func(t *testing.T) {
		q := `{ region(code: "320117") { ...R } village(code: "320117001201") { region { ...R } } }
			fragment R on Region { ` + aliased(16) + " }"
		r, b := h.post(t, h.admin, "", q, nil)
		refused(t, r, b, http.StatusOK, "TOO_MANY_ALIASES")
	})
}

func TestCostGrowsWithFirst(t *testing.T) {
	h := limitHarness(t, nil)
	const q = `query($n: Int) { region(code: "320117") { villages(first: $n) { nodes { code name } } } }`
	cost := func(t *testing.T, vars map[string]any) int {
		t.Helper()
		r, b := h.post(t, h.admin, "", q, vars)
		ok(t, r, b)
		if b.Extensions.Cost == nil || b.Extensions.Cost.MaximumAvailable != 5000 {
			t.Fatalf("extensions.cost = %+v: %s", b.Extensions.Cost, r.Body)
		}
		return b.Extensions.Cost.RequestedQueryCost
	}
	// region 1 + villages (1 + first × nodes (1 + code 1 + name 1))
	c10, c100 := cost(t, map[string]any{"n": 10}), cost(t, map[string]any{"n": 100})
	if c10 != 32 || c100 != 302 || c100 <= c10 {
		t.Fatalf("cost first 10 = %d, first 100 = %d; want 32 and 302", c10, c100)
	}
	if c := cost(t, nil); c != 62 { // the default first: 20
		t.Fatalf("cost with the default first = %d, want 62", c)
	}
	t.Run("every answer reports its cost", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", `{ __typename }`, nil)
		ok(t, r, b)
		if b.Extensions.Cost == nil || b.Extensions.Cost.RequestedQueryCost != 1 {
			t.Fatalf("body %s", r.Body)
		}
	})
	t.Run("nodes costs per id", func(t *testing.T) {
		id := h.villageID(t, h.admin, v1b)
		_, one := h.post(t, h.admin, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{id}})
		_, ten := h.post(t, h.admin, "", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []string{id, id, id, id, id, id, id, id, id, id}})
		if one.Extensions.Cost.RequestedQueryCost != 2 || ten.Extensions.Cost.RequestedQueryCost != 11 { // 1 + ids × id
			t.Fatalf("cost of 1 id %+v, of 10 ids %+v", one.Extensions.Cost, ten.Extensions.Cost)
		}
	})
	t.Run("every field with a first argument is costed by it", func(t *testing.T) {
		costedByFirst(t, h)
	})
}

// costedByFirst finds, by introspection, every field with a `first`
// argument on Query and on the types implementing Node (reached through
// node(id:)), and checks that asking for one more item costs one more
// `{ __typename }`: connections added to the schema later are covered too.
func costedByFirst(t *testing.T, h *harness) {
	type typeRef struct {
		Kind   string
		Name   string
		OfType *typeRef
	}
	var schema struct {
		Schema struct {
			QueryType struct{ Name string }
			Types     []struct {
				Name, Kind string
				Interfaces []struct{ Name string }
				EnumValues []struct{ Name string }
				Fields     []struct {
					Name string
					Args []struct {
						Name         string
						DefaultValue *string
						Type         typeRef
					}
				}
			}
		} `json:"__schema"`
	}
	h.data(t, h.admin, `{ __schema { queryType { name } types { name kind interfaces { name } enumValues { name }
		fields { name args { name defaultValue type { kind name ofType { kind name ofType { kind name } } } } } } } }`, nil, &schema)
	enums := map[string]string{}
	for _, ty := range schema.Schema.Types {
		if ty.Kind == "ENUM" && len(ty.EnumValues) > 0 {
			enums[ty.Name] = ty.EnumValues[0].Name
		}
	}
	covered := map[string]bool{}
	for _, ty := range schema.Schema.Types {
		isNode := false
		for _, i := range ty.Interfaces {
			isNode = isNode || i.Name == "Node"
		}
		if ty.Kind != "OBJECT" || (!isNode && ty.Name != schema.Schema.QueryType.Name) {
			continue
		}
	fields:
		for _, f := range ty.Fields {
			hasFirst := false
			for _, a := range f.Args {
				hasFirst = hasFirst || a.Name == "first"
			}
			if !hasFirst {
				continue
			}
			var args []string
			for _, a := range f.Args {
				if a.Name == "first" || a.Type.Kind != "NON_NULL" || a.DefaultValue != nil {
					continue
				}
				switch named := a.Type.OfType; {
				case named.Kind == "ENUM":
					args = append(args, a.Name+": "+enums[named.Name])
				case named.Name == "Int" || named.Name == "Float":
					args = append(args, a.Name+": 1")
				case named.Name == "Boolean":
					args = append(args, a.Name+": true")
				case named.Kind == "SCALAR":
					args = append(args, a.Name+`: "2026"`)
				default:
					t.Logf("%s.%s: required argument %s of type %s is not filled in; field skipped", ty.Name, f.Name, a.Name, named.Name)
					continue fields
				}
			}
			cost := func(n int) int {
				sel := fmt.Sprintf("%s(%s) { __typename }", f.Name, strings.Join(append(args, fmt.Sprintf("first: %d", n)), ", "))
				q := "{ " + sel + " }"
				if ty.Name != schema.Schema.QueryType.Name {
					q = `{ node(id: "eA") { ... on ` + ty.Name + " { " + sel + " } } }"
				}
				r, b := h.post(t, h.admin, "", q, nil)
				if b.Extensions.Cost == nil {
					t.Fatalf("%s: no cost reported: %s", q, r.Body)
				}
				return b.Extensions.Cost.RequestedQueryCost
			}
			if c1, c2 := cost(1), cost(2); c2-c1 != 1 {
				t.Errorf("%s.%s: cost with first 1 = %d, first 2 = %d", ty.Name, f.Name, c1, c2)
			}
			covered[ty.Name+"."+f.Name] = true
		}
	}
	for _, f := range []string{"Region.children", "Region.villages", "Region.dutyStatus", "Village.activities",
		"Village.evidence", "Region.missedDuty", "Region.alerts"} {
		if !covered[f] {
			t.Errorf("%s was not found with a first argument (covered: %v)", f, covered)
		}
	}
	t.Logf("costed by first: %d fields", len(covered))
}

func TestCostLimit(t *testing.T) {
	h := limitHarness(t, nil)
	// region 1 + children (1 + a × (nodes 1 + villages (1 + b × (nodes 1 + code 1))))
	const q = `query($a: Int!, $b: Int!) { region(code: "320117") { children(first: $a) { nodes {
		villages(first: $b) { nodes { code } } } } } }`
	t.Run("4902 passes", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", q, map[string]any{"a": 49, "b": 49})
		ok(t, r, b)
		if c := b.Extensions.Cost; c == nil || c.RequestedQueryCost != 4902 || c.MaximumAvailable != 5000 {
			t.Fatalf("cost %+v", c)
		}
	})
	t.Run("5002 is QUERY_TOO_COMPLEX", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", q, map[string]any{"a": 50, "b": 49})
		refused(t, r, b, http.StatusOK, "QUERY_TOO_COMPLEX")
		if c := b.Extensions.Cost; c == nil || c.RequestedQueryCost != 5002 || c.MaximumAvailable != 5000 {
			t.Fatalf("a refusal reports the cost too: %+v", c)
		}
		r, b = h.post(t, h.admin, "application/graphql-response+json", q, map[string]any{"a": 100, "b": 100})
		refused(t, r, b, http.StatusBadRequest, "QUERY_TOO_COMPLEX")
	})
}

func TestRateLimit(t *testing.T) {
	// One request every 10 s, 3 at once.
	h := limitHarness(t, func(c *config.Config) { c.RateLimitPerMinute, c.RateLimitBurst = 6, 3 })
	other := h.Token(t, core.RoleTownOfficial, town1)
	t.Run("headers, then 429 after the burst", func(t *testing.T) {
		for i := 2; i >= 0; i-- {
			r, b := h.post(t, h.admin, "", `{ viewer { name } }`, nil)
			ok(t, r, b)
			if r.Header.Get("RateLimit-Limit") != "3" || r.Header.Get("RateLimit-Remaining") != strconv.Itoa(i) ||
				r.Header.Get("RateLimit-Reset") == "" || r.Header.Get("RateLimit-Policy") != "3;w=30" {
				t.Fatalf("request %d: headers %v", 3-i, r.Header)
			}
		}
		r, b := h.post(t, h.admin, "", `{ viewer { name } }`, nil)
		refused(t, r, b, http.StatusTooManyRequests, "RATE_LIMITED")
		if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 1 || ra > 10 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		if r.Header.Get("RateLimit-Remaining") != "0" || mediaType(r) != "application/json" {
			t.Fatalf("headers %v", r.Header)
		}
	})
	t.Run("another token has its own bucket", func(t *testing.T) {
		r, b := h.post(t, other, "", `{ viewer { name } }`, nil)
		ok(t, r, b)
		if r.Header.Get("RateLimit-Remaining") != "2" {
			t.Fatalf("headers %v", r.Header)
		}
	})
	t.Run("websocket operations take from the token's bucket", func(t *testing.T) {
		c := limDial(t, h.Env, other, nil)
		for i := 1; i <= 3; i++ {
			c.send(t, map[string]any{"id": strconv.Itoa(i), "type": "subscribe", "payload": map[string]any{"query": `{ viewer { name } }`}})
		}
		var codes []string
		for range 3 {
			m := c.next(t, "next")
			codes = append(codes, fmt.Sprint(m["payload"].(map[string]any)["errors"]))
		}
		if !strings.Contains(strings.Join(codes, " "), "RATE_LIMITED") || strings.Count(strings.Join(codes, " "), "RATE_LIMITED") != 1 {
			t.Fatalf("want the third operation refused (2 left in the bucket): %v", codes)
		}
	})
	t.Run("anonymous callers and bad tokens share their address's bucket", func(t *testing.T) {
		// The websocket upgrade above took one request from this address's bucket.
		var last *rawResponse
		var lastBody limitBody
		for range 3 {
			last, lastBody = h.post(t, "", "", `{ __typename }`, nil)
			if last.StatusCode == http.StatusTooManyRequests {
				break
			}
		}
		refused(t, last, lastBody, http.StatusTooManyRequests, "RATE_LIMITED")
		r := h.send(t, http.MethodPost, "/graphql", map[string]string{"Content-Type": "application/json",
			"Authorization": "Bearer lv_nosuchtoken"}, postJSON(`{ __typename }`, nil))
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("bad token after the burst: HTTP %d %s", r.StatusCode, r.Body)
		}
	})
}

// limClient is a graphql-transport-ws client that keeps the error that ended its connection.
type limClient struct {
	conn *websocket.Conn
	msgs chan map[string]any
	err  error // set when msgs is closed
}

// limDial opens a websocket with the header (e.g. Origin) and, when token is
// not "-", initialises it with the token.
func limDial(t *testing.T, env *apptest.Env, token string, header http.Header) *limClient {
	t.Helper()
	c, res, err := limTryDial(env, header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: HTTP %d %v", status, err)
	}
	t.Cleanup(func() { c.conn.CloseNow() })
	if token != "-" {
		c.send(t, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
		c.next(t, "connection_ack")
	}
	return c
}

func limTryDial(env *apptest.Env, header http.Header) (*limClient, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.Server.URL, "http") + "/graphql"
	conn, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, res, err
	}
	c := &limClient{conn: conn, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(c.msgs)
		for {
			var m map[string]any
			if err := wsjson.Read(context.Background(), conn, &m); err != nil {
				c.err = err
				return
			}
			if m["type"] == "ping" {
				_ = wsjson.Write(context.Background(), conn, map[string]any{"type": "pong"})
				continue
			}
			c.msgs <- m
		}
	}()
	return c, res, nil
}

func (c *limClient) send(t testing.TB, v any) {
	t.Helper()
	if err := wsjson.Write(context.Background(), c.conn, v); err != nil {
		t.Fatalf("ws write: %v", err)
	}
}

// next returns the next message of the type, skipping others (keep-alives, completes).
func (c *limClient) next(t testing.TB, typ string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, open := <-c.msgs:
			if !open {
				t.Fatalf("connection closed waiting for %s: %v", typ, c.err)
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s message", typ)
		}
	}
}

// closed waits for the connection to end and returns its close status.
func (c *limClient) closed(t testing.TB, within time.Duration) websocket.StatusCode {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, open := <-c.msgs:
			if !open {
				return websocket.CloseStatus(c.err)
			}
		case <-deadline:
			t.Fatalf("the connection is still open after %v", within)
		}
	}
}

func TestWebsocketOrigin(t *testing.T) {
	h := limitHarness(t, func(c *config.Config) { c.AllowedOrigins = []string{"https://app.example.org", "*.lawvillage.test"} })
	for _, origin := range []string{"https://evil.example.com", "http://app.example.org", "https://app.example.org.evil.com", "null"} {
		t.Run("foreign origin "+origin+" is refused", func(t *testing.T) {
			_, res, err := limTryDial(h.Env, http.Header{"Origin": {origin}})
			if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
				t.Fatalf("dial from %s: %v %v", origin, res, err)
			}
			var b limitBody
			if body, _ := io.ReadAll(res.Body); json.Unmarshal(body, &b) != nil || b.code() != "FORBIDDEN" {
				t.Fatalf("body %s", body)
			}
		})
	}
	host := strings.TrimPrefix(h.Server.URL, "http://")
	for _, origin := range []string{"http://" + host, "https://app.example.org", "https://dash.lawvillage.test"} {
		t.Run("origin "+origin+" is allowed", func(t *testing.T) {
			c := limDial(t, h.Env, h.admin, http.Header{"Origin": {origin}})
			c.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `{ viewer { name } }`}})
			if m := c.next(t, "next"); !strings.Contains(fmt.Sprint(m["payload"]), "district_admin@320117") {
				t.Fatalf("answer %v", m)
			}
		})
	}
}

const limSubscription = `subscription { alertEvents(regionCode: "320117") { id } }`

func TestWebsocketLimits(t *testing.T) {
	h := limitHarness(t, func(c *config.Config) {
		c.WSMaxSubscriptions = 2
		c.WSIdleTimeout = time.Second
	})
	t.Run("a message over 64 KiB closes the connection", func(t *testing.T) {
		c := limDial(t, h.Env, h.admin, nil)
		big := `{ viewer { name } }` + strings.Repeat(" ", 65<<10)
		c.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": big}})
		if s := c.closed(t, 5*time.Second); s != websocket.StatusMessageTooBig {
			t.Fatalf("close status %v, want 1009 (%v)", s, c.err)
		}
	})
	t.Run("a message just under passes", func(t *testing.T) {
		c := limDial(t, h.Env, h.admin, nil)
		q := `{ viewer { name } }` + strings.Repeat(" ", 63<<10)
		c.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": q}})
		if m := c.next(t, "next"); !strings.Contains(fmt.Sprint(m["payload"]), "district_admin@320117") {
			t.Fatalf("answer %v", m)
		}
	})
	t.Run("subscriptions per connection are capped", func(t *testing.T) {
		c := limDial(t, h.Env, h.admin, nil)
		for _, id := range []string{"1", "2", "3"} {
			c.send(t, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": limSubscription}})
		}
		// The three start concurrently: one of them is refused.
		m := c.next(t, "next")
		if !strings.Contains(fmt.Sprint(m["payload"]), "TOO_MANY_SUBSCRIPTIONS") {
			t.Fatalf("third subscription: %v", m)
		}
		running := "1"
		if m["id"] == "1" {
			running = "2"
		}
		// Ending one makes room for another.
		c.send(t, map[string]any{"id": running, "type": "complete"})
		time.Sleep(300 * time.Millisecond)
		c.send(t, map[string]any{"id": "4", "type": "subscribe", "payload": map[string]any{"query": limSubscription}})
		for wait := time.After(700 * time.Millisecond); ; {
			select {
			case m := <-c.msgs:
				if m["id"] == "4" {
					t.Fatalf("the fourth subscription was answered: %v", m)
				}
				continue
			case <-wait:
			}
			break
		}
		c.send(t, map[string]any{"id": "5", "type": "subscribe", "payload": map[string]any{"query": limSubscription}})
		if m := c.next(t, "next"); m["id"] != "5" || !strings.Contains(fmt.Sprint(m["payload"]), "TOO_MANY_SUBSCRIPTIONS") {
			t.Fatalf("fifth subscription: %v", m)
		}
	})
	t.Run("an idle connection is closed", func(t *testing.T) {
		c := limDial(t, h.Env, h.admin, nil)
		start := time.Now()
		c.closed(t, 5*time.Second)
		if d := time.Since(start); d < 500*time.Millisecond {
			t.Fatalf("closed after %v, before the idle timeout", d)
		}
	})
	t.Run("a connection without init is closed", func(t *testing.T) {
		c := limDial(t, h.Env, "-", nil)
		c.send(t, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `{ viewer { name } }`}})
		if s := c.closed(t, 5*time.Second); s == websocket.StatusNormalClosure {
			t.Fatalf("subscribe before init: close status %v", s)
		}
	})
}

func TestCORS(t *testing.T) {
	const allowed = "https://app.example.org"
	h := limitHarness(t, func(c *config.Config) { c.AllowedOrigins = []string{allowed} })
	preflight := func(t *testing.T, origin, method, headers string) *rawResponse {
		return h.send(t, http.MethodOptions, "/graphql", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}, "")
	}
	t.Run("preflight from an allowed origin", func(t *testing.T) {
		r := preflight(t, allowed, "POST", "authorization,content-type")
		if r.StatusCode/100 != 2 || r.Header.Get("Access-Control-Allow-Origin") != allowed ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "content-type") ||
			r.Header.Get("Access-Control-Max-Age") != "600" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("HTTP %d headers %v", r.StatusCode, r.Header)
		}
		if r := preflight(t, allowed, "GET", ""); r.Header.Get("Access-Control-Allow-Origin") != allowed {
			t.Fatalf("GET preflight: headers %v", r.Header)
		}
	})
	denied := []struct{ name, origin, method, headers string }{
		{"another origin", "https://evil.example.com", "POST", "authorization,content-type"},
		{"http instead of https", "http://app.example.org", "POST", "content-type"},
		{"method PUT", allowed, "PUT", "content-type"},
		{"another header", allowed, "POST", "x-evil"},
	}
	for _, c := range denied {
		t.Run("preflight denied: "+c.name, func(t *testing.T) {
			r := preflight(t, c.origin, c.method, c.headers)
			if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Fatalf("Access-Control-Allow-Origin %q", v)
			}
		})
	}
	t.Run("requests", func(t *testing.T) {
		hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + h.admin, "Origin": allowed}
		r := h.send(t, http.MethodPost, "/graphql", hdr, postJSON(`{ viewer { name } }`, nil))
		if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != allowed ||
			!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "Ratelimit-Remaining") &&
				!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining") {
			t.Fatalf("HTTP %d headers %v", r.StatusCode, r.Header)
		}
		hdr["Origin"] = "https://evil.example.com"
		r = h.send(t, http.MethodPost, "/graphql", hdr, postJSON(`{ viewer { name } }`, nil))
		if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Fatalf("Access-Control-Allow-Origin %q for a foreign origin", v)
		}
	})
}

func TestIntrospectionOff(t *testing.T) {
	h := limitHarness(t, func(c *config.Config) { c.Introspection, c.GraphiQL = false, false })
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "Query") { name } }`,
		`{ viewer { name } ...F } fragment F on Query { __schema { types { name } } }`,
	} {
		t.Run(q, func(t *testing.T) {
			r, b := h.post(t, h.admin, "", q, nil)
			refused(t, r, b, http.StatusOK, "INTROSPECTION_DISABLED")
			r, b = h.post(t, h.admin, "application/graphql-response+json", q, nil)
			refused(t, r, b, http.StatusBadRequest, "INTROSPECTION_DISABLED")
		})
	}
	t.Run("__typename and queries still answer", func(t *testing.T) {
		r, b := h.post(t, h.admin, "", `{ __typename viewer { name } }`, nil)
		ok(t, r, b)
	})
	t.Run("GraphiQL is not served", func(t *testing.T) {
		if r := h.send(t, http.MethodGet, "/", nil, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /: HTTP %d", r.StatusCode)
		}
	})
	t.Run("both on by default", func(t *testing.T) {
		on := limitHarness(t, nil)
		r, b := on.post(t, on.admin, "", `{ __schema { queryType { name } } }`, nil)
		ok(t, r, b)
		if r := on.send(t, http.MethodGet, "/", nil, ""); r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), "GraphiQL") {
			t.Fatalf("GET /: HTTP %d", r.StatusCode)
		}
	})
}
