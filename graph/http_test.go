package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// rawResponse is an HTTP response with its body read.
type rawResponse struct {
	*http.Response
	Body []byte
}

// graphqlBody is a GraphQL response document.
type graphqlBody struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r *rawResponse) graphql(t testing.TB) graphqlBody {
	t.Helper()
	var b graphqlBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("HTTP %d body is not a GraphQL response: %s", r.StatusCode, r.Body)
	}
	return b
}

func (b graphqlBody) code() string {
	if len(b.Errors) == 0 {
		return ""
	}
	c, _ := b.Errors[0].Extensions["code"].(string)
	return c
}

// send does one HTTP request to the test server.
func (h *harness) send(t testing.TB, method, path string, header map[string]string, body string) *rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.Server.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &rawResponse{Response: res, Body: b}
}

// noData reports whether the response has no data (absent or null).
func noData(b graphqlBody) bool {
	s := strings.TrimSpace(string(b.Data))
	return s == "" || s == "null"
}

func postJSON(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func mediaType(r *rawResponse) string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.TrimSpace(ct)
}

func TestHTTPAnonymous(t *testing.T) {
	h := newHarness(t)
	t.Run("typename answers", func(t *testing.T) {
		for _, q := range []string{`{ __typename }`, `query Ping { t: __typename }`} {
			r := h.Do(t, "", q, nil)
			if r.Status != http.StatusOK || len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"Query"`) {
				t.Fatalf("%s: HTTP %d %s %+v", q, r.Status, r.Data, r.Errors)
			}
		}
	})
	denied := []struct{ name, query string }{
		{"viewer", `{ viewer { name } }`},
		{"typename with a field", `{ __typename region(code: "320117") { name } }`},
		{"village", `{ village(code: "320117001201") { name } }`},
		{"node", `{ node(id: "UmVnaW9uOjE") { id } }`},
		{"introspection", `{ __schema { queryType { name } } }`},
		{"fragment", `{ ...F } fragment F on Query { __typename }`},
		{"mutation typename", `mutation { __typename }`},
		{"mutation", `mutation { revokeToken(input: {id: "VG9rZW46MQ"}) { userErrors { code } } }`},
	}
	for _, c := range denied {
		t.Run(c.name+" is UNAUTHENTICATED", func(t *testing.T) {
			r := h.Do(t, "", c.query, nil)
			wantCode(t, r, "UNAUTHENTICATED")
			if s := strings.TrimSpace(string(r.Data)); s != "" && s != "null" {
				t.Fatalf("data for an anonymous caller: %s", s)
			}
		})
	}
	t.Run("a token still works", func(t *testing.T) {
		var d struct{ Viewer struct{ Name string } }
		h.data(t, h.admin, `{ viewer { name } }`, nil, &d)
		if d.Viewer.Name != "district_admin@320117" {
			t.Fatalf("viewer = %+v", d)
		}
	})
}

func TestHTTPBadToken(t *testing.T) {
	h := newHarness(t)
	revokedTok, revokedSecret := h.createToken(t, h.admin, "待吊销", "TOWN_OFFICIAL", town1)
	noUserErrors(t, h.Do(t, h.admin, mRevokeToken, map[string]any{"in": map[string]any{"id": revokedTok.ID}}), "revokeToken")
	cases := []struct{ name, header string }{
		{"basic scheme", "Basic dXNlcjpwYXNz"},
		{"scheme only", "Bearer"},
		{"no scheme", h.admin},
		{"unknown token", "Bearer lv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"not a token", "Bearer hello"},
		{"admin token with junk", "Bearer " + h.admin + "x"},
		{"revoked token", "Bearer " + revokedSecret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Even the query an anonymous caller may send is refused with a bad token.
			for _, q := range []string{`{ __typename }`, `{ viewer { name } }`} {
				r := h.send(t, http.MethodPost, "/graphql", map[string]string{"Content-Type": "application/json", "Authorization": c.header}, postJSON(q, nil))
				if r.StatusCode != http.StatusUnauthorized {
					t.Fatalf("HTTP %d, want 401: %s", r.StatusCode, r.Body)
				}
				if b := r.graphql(t); b.code() != "UNAUTHENTICATED" || !noData(b) {
					t.Fatalf("body = %s", r.Body)
				}
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") || mediaType(r) != "application/json" {
					t.Fatalf("headers = %v", r.Header)
				}
			}
		})
	}
	t.Run("lowercase bearer works", func(t *testing.T) {
		r := h.send(t, http.MethodPost, "/graphql", map[string]string{"Content-Type": "application/json", "Authorization": "bearer " + h.admin},
			postJSON(`{ viewer { name } }`, nil))
		if r.StatusCode != http.StatusOK || r.graphql(t).code() != "" {
			t.Fatalf("HTTP %d %s", r.StatusCode, r.Body)
		}
	})
}

func TestHTTPContentNegotiation(t *testing.T) {
	h := newHarness(t)
	const valid = `{ viewer { name } }`
	const invalid = `{ viewer { nosuchfield } }`
	const unparsable = `{ viewer { name `
	cases := []struct {
		name, accept, query string
		status              int
		mediaType           string
		code                string
	}{
		{"graphql-response+json ok", "application/graphql-response+json", valid, 200, "application/graphql-response+json", ""},
		{"graphql-response+json validation error", "application/graphql-response+json", invalid, 400, "application/graphql-response+json", "GRAPHQL_VALIDATION_FAILED"},
		{"graphql-response+json parse error", "application/graphql-response+json", unparsable, 400, "application/graphql-response+json", "GRAPHQL_PARSE_FAILED"},
		{"graphql-response+json preferred", "application/graphql-response+json, application/json;q=0.9", invalid, 400, "application/graphql-response+json", "GRAPHQL_VALIDATION_FAILED"},
		{"json ok", "application/json", valid, 200, "application/json", ""},
		{"json validation error", "application/json", invalid, 200, "application/json", "GRAPHQL_VALIDATION_FAILED"},
		{"json parse error", "application/json", unparsable, 200, "application/json", "GRAPHQL_PARSE_FAILED"},
		{"no Accept validation error", "", invalid, 200, "application/json", "GRAPHQL_VALIDATION_FAILED"},
		{"graphql-response+json field error", "application/graphql-response+json",
			`{ region(code: "320117") { children(first: 101) { totalCount } } }`, 200, "application/graphql-response+json", "INVALID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + h.admin}
			if c.accept != "" {
				hdr["Accept"] = c.accept
			}
			r := h.send(t, http.MethodPost, "/graphql", hdr, postJSON(c.query, nil))
			if r.StatusCode != c.status || mediaType(r) != c.mediaType {
				t.Fatalf("HTTP %d %q, want %d %q: %s", r.StatusCode, mediaType(r), c.status, c.mediaType, r.Body)
			}
			b := r.graphql(t)
			if b.code() != c.code {
				t.Fatalf("code = %q, want %q: %s", b.code(), c.code, r.Body)
			}
			if c.code == "" && !strings.Contains(string(b.Data), "district_admin@320117") {
				t.Fatalf("data = %s", b.Data)
			}
		})
	}
}

func TestHTTPGet(t *testing.T) {
	h := newHarness(t)
	auth := map[string]string{"Authorization": "Bearer " + h.admin}
	get := func(t *testing.T, params url.Values, hdr map[string]string) *rawResponse {
		return h.send(t, http.MethodGet, "/graphql?"+params.Encode(), hdr, "")
	}
	t.Run("query", func(t *testing.T) {
		r := get(t, url.Values{"query": {`query($c: DivisionCode!) { region(code: $c) { name } }`}, "variables": {`{"c":"320117"}`}}, auth)
		b := r.graphql(t)
		if r.StatusCode != http.StatusOK || b.code() != "" || !strings.Contains(string(b.Data), "溧水区") {
			t.Fatalf("HTTP %d %s", r.StatusCode, r.Body)
		}
	})
	t.Run("query without token is anonymous", func(t *testing.T) {
		r := get(t, url.Values{"query": {`{ viewer { name } }`}}, nil)
		if b := r.graphql(t); b.code() != "UNAUTHENTICATED" {
			t.Fatalf("HTTP %d %s", r.StatusCode, r.Body)
		}
		r = get(t, url.Values{"query": {`{ __typename }`}}, nil)
		if b := r.graphql(t); r.StatusCode != 200 || b.code() != "" {
			t.Fatalf("HTTP %d %s", r.StatusCode, r.Body)
		}
	})
	t.Run("mutation is refused with 405", func(t *testing.T) {
		vid := h.villageID(t, h.admin, v1b)
		m := `mutation($in: AddVillagePartInput!) { addGrid(input: $in) { grid { id } } }`
		vars, _ := json.Marshal(map[string]any{"in": map[string]any{"villageId": vid, "name": "经GET新增"}})
		r := get(t, url.Values{"query": {m}, "variables": {string(vars)}}, auth)
		if r.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("GET mutation: HTTP %d, Allow %q: %s", r.StatusCode, r.Header.Get("Allow"), r.Body)
		}
		if b := r.graphql(t); len(b.Errors) == 0 || !noData(b) {
			t.Fatalf("body = %s", r.Body)
		}
		var d struct {
			Village struct{ Grids []struct{ Name string } }
		}
		h.data(t, h.admin, `{ village(code: "`+v1b+`") { grids { name } } }`, nil, &d)
		if len(d.Village.Grids) != 0 {
			t.Fatalf("the GET mutation ran: %+v", d)
		}
	})
	t.Run("bad variables is 400", func(t *testing.T) {
		r := get(t, url.Values{"query": {`{ viewer { name } }`}, "variables": {`{not json`}}, auth)
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("HTTP %d %s", r.StatusCode, r.Body)
		}
	})
}

func TestHTTPMalformed(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, contentType, body string
	}{
		{"truncated JSON", "application/json", `{"query": "{ viewer { name } }"`},
		{"not JSON", "application/json", `query { viewer { name } }`},
		{"JSON array", "application/json", `[1, 2]`},
		{"unsupported content type", "text/plain", `{ viewer { name } }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.send(t, http.MethodPost, "/graphql", map[string]string{"Content-Type": c.contentType, "Authorization": "Bearer " + h.admin}, c.body)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("HTTP %d, want 400: %s", r.StatusCode, r.Body)
			}
			if b := r.graphql(t); len(b.Errors) == 0 {
				t.Fatalf("no errors in %s", r.Body)
			}
		})
	}
}

func TestHTTPEndpoints(t *testing.T) {
	h := newHarness(t)
	// One GraphQL request, so the request counter has a series for the route.
	h.data(t, h.admin, `{ viewer { name } }`, nil, &struct{}{})
	cases := []struct {
		path, mediaType, contains string
	}{
		{"/", "text/html", "GraphiQL"},
		{"/healthz", "text/plain", "ok"},
		{"/readyz", "text/plain", "ready"},
		{"/metrics", "text/plain", `lawvillage_http_requests_total{code="2xx",route="graphql"}`},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			r := h.send(t, http.MethodGet, c.path, nil, "")
			if r.StatusCode != http.StatusOK || mediaType(r) != c.mediaType || !strings.Contains(string(r.Body), c.contains) {
				t.Fatalf("GET %s: HTTP %d %q: %.300s", c.path, r.StatusCode, r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
	t.Run("readyz says ready", func(t *testing.T) {
		if r := h.send(t, http.MethodGet, "/readyz", nil, ""); strings.TrimSpace(string(r.Body)) != "ready" {
			t.Fatalf("readyz = %q", r.Body)
		}
	})
	t.Run("unknown path is 404", func(t *testing.T) {
		if r := h.send(t, http.MethodGet, "/nosuchpage", nil, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("HTTP %d", r.StatusCode)
		}
	})
}
