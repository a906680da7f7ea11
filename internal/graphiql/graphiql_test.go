package graphiql

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// get serves one request through h and returns the recorded response.
func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// body reads a response body.
func body(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parsePage parses HTML and fails the test on error.
func parsePage(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	return doc
}

// walk calls f for every element node under n.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// attr returns an attribute's value and whether it is present.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// text returns the text content of n.
func text(n *html.Node) string {
	var sb strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return sb.String()
}

// find returns the elements of the given tag.
func find(doc *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(doc, func(n *html.Node) {
		if n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

// byID returns the element with the given id, or nil.
func byID(doc *html.Node, id string) *html.Node {
	var out *html.Node
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "id"); ok && v == id && out == nil {
			out = n
		}
	})
	return out
}

// refs returns the src of every script and the href of every link, in order.
func refs(doc *html.Node) []string {
	var out []string
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "script":
			if v, ok := attr(n, "src"); ok {
				out = append(out, v)
			}
		case "link":
			if v, ok := attr(n, "href"); ok {
				out = append(out, v)
			}
		}
	})
	return out
}

// readPage fetches the page from h at target.
func readPage(t *testing.T, h http.Handler, target string) []byte {
	t.Helper()
	res := get(t, h, http.MethodGet, target, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", target, res.StatusCode)
	}
	return body(t, res)
}

func TestPageIsServed(t *testing.T) {
	h := Handler(Options{Endpoint: "/graphql", WSEndpoint: "/graphql", Title: "村务 GraphiQL"})
	res := get(t, h, http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, k := range []string{"ETag", "Cache-Control", "Content-Security-Policy"} {
		if res.Header.Get(k) == "" {
			t.Errorf("no %s header", k)
		}
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", res.Header.Get("X-Content-Type-Options"))
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	b := body(t, res)
	doc := parsePage(t, b)
	if titles := find(doc, "title"); len(titles) != 1 || text(titles[0]) != "村务 GraphiQL" {
		t.Errorf("title: %v", titles)
	}
	s := string(b)
	for _, want := range []string{"需要访问令牌", "A token is needed", "#token="} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks the hint %q", want)
		}
	}
	root := byID(doc, "graphiql")
	if root == nil {
		t.Fatal("no #graphiql element")
	}
	if v, _ := attr(root, "data-endpoint"); v != "/graphql" {
		t.Errorf("data-endpoint %q", v)
	}
	if v, _ := attr(root, "data-ws-endpoint"); v != "/graphql" {
		t.Errorf("data-ws-endpoint %q", v)
	}

	// Revalidation and HEAD.
	etag := res.Header.Get("ETag")
	if res := get(t, h, http.MethodGet, "/", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
	head := get(t, h, http.MethodHead, "/", nil)
	if head.StatusCode != http.StatusOK || len(body(t, head)) != 0 {
		t.Errorf("HEAD: status %d", head.StatusCode)
	}
}

func TestPageScriptMatchesPage(t *testing.T) {
	doc := parsePage(t, readPage(t, Handler(Options{}), "/"))
	js, err := os.ReadFile("static/lawvillage-graphiql.js")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`getElementById\('([^']+)'\)`).FindAllStringSubmatch(string(js), -1)
	if len(ids) == 0 {
		t.Fatal("the page script looks up no element")
	}
	for _, m := range ids {
		if byID(doc, m[1]) == nil {
			t.Errorf("the page script uses #%s, which the page lacks", m[1])
		}
	}
	for _, want := range []string{"GraphiQL.createFetcher", "subscriptionUrl", "wsClient", "graphqlWs.createClient", "isHeadersEditorEnabled: true", "Authorization", "localStorage", "'wss:'"} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the page script lacks %q", want)
		}
	}
}

func TestEveryReferencedAssetIsServed(t *testing.T) {
	h := Handler(Options{})
	doc := parsePage(t, readPage(t, h, "/"))
	rs := refs(doc)
	base, _ := url.Parse("http://127.0.0.1:8080/")
	var files []string
	for _, r := range rs {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatalf("bad reference %q: %v", r, err)
		}
		if u.Scheme == "data" {
			continue
		}
		if u.IsAbs() || u.Host != "" || strings.HasPrefix(r, "/") {
			t.Errorf("reference %q is not relative", r)
			continue
		}
		abs := base.ResolveReference(u)
		if !strings.HasPrefix(abs.Path, AssetPrefix) {
			t.Errorf("reference %q is outside %s", r, AssetPrefix)
			continue
		}
		name := strings.TrimPrefix(abs.Path, AssetPrefix)
		files = append(files, name)
		res := get(t, h, http.MethodGet, abs.RequestURI(), nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", r, res.StatusCode)
			continue
		}
		want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(name)]
		if ct := res.Header.Get("Content-Type"); want == "" || ct != want {
			t.Errorf("%s: Content-Type %q, want %q", r, ct, want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", r)
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q for a versioned link", r, cc)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", r)
		}
		got := body(t, res)
		onDisk := readEmbeddedSource(t, name)
		if !bytes.Equal(got, onDisk) {
			t.Errorf("%s: served body differs from the file", r)
		}
		if res := get(t, h, http.MethodGet, abs.RequestURI(), map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: status %d, want 304", r, res.StatusCode)
		}
		// Without the version the file is still served, with a short cache life.
		plain := get(t, h, http.MethodGet, abs.Path, nil)
		if plain.StatusCode != http.StatusOK || strings.Contains(plain.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s without ?v=: status %d, Cache-Control %q", abs.Path, plain.StatusCode, plain.Header.Get("Cache-Control"))
		}
	}
	// The page loads React before ReactDOM before GraphiQL before its own script.
	want := []string{"graphiql.min.css", "lawvillage-graphiql.css", "react.production.min.js", "react-dom.production.min.js", "graphql-ws.min.js", "graphiql.min.js", "lawvillage-graphiql.js"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("page references %v, want %v", files, want)
	}
}

// readEmbeddedSource returns the file behind an asset name from the source tree.
func readEmbeddedSource(t *testing.T, name string) []byte {
	t.Helper()
	for _, dir := range []string{"assets", "static"} {
		if b, err := os.ReadFile(dir + "/" + name); err == nil {
			return b
		}
	}
	t.Fatalf("no file for asset %s", name)
	return nil
}

func TestVendoredAssetsMatchVersions(t *testing.T) {
	f, err := os.Open("assets/VERSIONS.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := Handler(Options{})
	listed := map[string]bool{"VERSIONS.txt": true}
	pins := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		switch len(fields) {
		case 2: // package@version integrity
			at := strings.LastIndex(fields[0], "@")
			if at <= 0 || !strings.HasPrefix(fields[1], "sha512-") {
				t.Errorf("bad package line %q", line)
				continue
			}
			pins[fields[0][:at]] = fields[0][at+1:]
		case 5: // file package@version path sha256 bytes
			name, sum, size := fields[0], fields[3], fields[4]
			listed[name] = true
			res := get(t, h, http.MethodGet, AssetPrefix+name, nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", name, res.StatusCode)
				continue
			}
			b := body(t, res)
			got := sha256.Sum256(b)
			if hex.EncodeToString(got[:]) != sum {
				t.Errorf("%s: served sha256 %x, VERSIONS.txt says %s", name, got, sum)
			}
			if strconv.Itoa(len(b)) != size {
				t.Errorf("%s: %d bytes, VERSIONS.txt says %s", name, len(b), size)
			}
		default:
			t.Errorf("bad line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for pkg, major := range map[string]string{"graphiql": "3.", "react": "18.", "react-dom": "18.", "graphql-ws": "5."} {
		if !strings.HasPrefix(pins[pkg], major) {
			t.Errorf("%s is pinned at %q, want %sx", pkg, pins[pkg], major)
		}
	}
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("assets/%s is not listed in VERSIONS.txt (run scripts/vendor-graphiql.sh)", e.Name())
		}
	}
}

var (
	absURL    = regexp.MustCompile(`(?i)\bhttps?://`)
	cssURL    = regexp.MustCompile(`(?i)url\(\s*['"]?([^'")]*)`)
	cssImport = regexp.MustCompile(`(?i)@import`)
	srcMapURL = regexp.MustCompile(`(?m)^//# sourceMappingURL=(\S+)`)
	cdnURL    = regexp.MustCompile(`(?i)(https?:)?//(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|esm\.sh|fonts\.googleapis\.com|fonts\.gstatic\.com)`)
)

func TestNoExternalReferences(t *testing.T) {
	h := Handler(Options{Endpoint: "/graphql", WSEndpoint: "/graphql"})
	page := readPage(t, h, "/")
	if m := absURL.Find(page); m != nil {
		t.Errorf("the page contains an absolute URL (%q)", m)
	}
	doc := parsePage(t, page)
	walk(doc, func(n *html.Node) {
		for _, a := range n.Attr {
			v := strings.TrimSpace(a.Val)
			switch a.Key {
			case "src", "href", "action", "formaction", "poster", "data", "srcset", "background", "manifest":
				if strings.HasPrefix(v, "//") || absURL.MatchString(v) {
					t.Errorf("<%s %s=%q> points to another host", n.Data, a.Key, v)
				}
			}
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an inline handler %s", n.Data, a.Key)
			}
		}
		if n.Data == "script" {
			if _, ok := attr(n, "src"); !ok || strings.TrimSpace(text(n)) != "" {
				t.Errorf("inline script in the page")
			}
		}
	})

	// Our own script and style: no absolute URL at all, no script loading.
	for _, name := range []string{"lawvillage-graphiql.js", "lawvillage-graphiql.css"} {
		b := readEmbeddedSource(t, name)
		if m := absURL.Find(b); m != nil {
			t.Errorf("%s contains an absolute URL (%q)", name, m)
		}
		for _, bad := range []string{"createElement('script')", "import(", "importScripts", "@import"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}

	// Every served file: no CDN address, CSS loads nothing remote, source maps
	// (if named) are relative.
	for name, a := range loadAssets() {
		if m := cdnURL.Find(a.body); m != nil {
			t.Errorf("%s refers to a CDN (%q)", name, m)
		}
		if m := srcMapURL.FindSubmatch(a.body); m != nil && (absURL.Match(m[1]) || bytes.HasPrefix(m[1], []byte("//"))) {
			t.Errorf("%s: absolute source map URL %q", name, m[1])
		}
		if path.Ext(name) != ".css" {
			continue
		}
		if cssImport.Match(a.body) {
			t.Errorf("%s uses @import", name)
		}
		for _, m := range cssURL.FindAllSubmatch(a.body, -1) {
			u := strings.TrimSpace(string(m[1]))
			if strings.HasPrefix(u, "data:") || u == "" {
				continue
			}
			if strings.HasPrefix(u, "//") || absURL.MatchString(u) || strings.HasPrefix(u, "/") {
				t.Errorf("%s: url(%s) is not a local relative file", name, u)
			}
		}
	}
}

func TestOptionsAreEscaped(t *testing.T) {
	opts := Options{
		Title:      `</title><script>alert("t")</script><b>&amp;'"`,
		Endpoint:   `"><script>alert(1)</script><x a="`,
		WSEndpoint: `/graphql" onmouseover="alert(2)`,
	}
	h := Handler(opts)
	res := get(t, h, http.MethodGet, "/", nil)
	page := body(t, res)
	if bytes.Contains(page, []byte("<script>alert")) || bytes.Contains(page, []byte(`onmouseover="`)) {
		t.Fatalf("options were not escaped:\n%s", page)
	}
	doc := parsePage(t, page)
	if ts := find(doc, "title"); len(ts) != 1 || text(ts[0]) != opts.Title {
		t.Errorf("title elements %d, want one holding %q", len(ts), opts.Title)
	}
	if hs := find(doc, "h1"); len(hs) != 1 || text(hs[0]) != opts.Title {
		t.Errorf("h1 does not hold the title")
	}
	if n := len(find(doc, "b")) + len(find(doc, "x")); n != 0 {
		t.Errorf("options injected %d elements", n)
	}
	root := byID(doc, "graphiql")
	if root == nil {
		t.Fatal("no #graphiql element")
	}
	if v, _ := attr(root, "data-endpoint"); v != opts.Endpoint {
		t.Errorf("data-endpoint %q, want %q", v, opts.Endpoint)
	}
	if v, _ := attr(root, "data-ws-endpoint"); v != opts.WSEndpoint {
		t.Errorf("data-ws-endpoint %q, want %q", v, opts.WSEndpoint)
	}
	if n := len(find(doc, "script")); n != 5 {
		t.Errorf("%d script elements, want 5", n)
	}
	walk(doc, func(n *html.Node) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> got an attribute %s", n.Data, a.Key)
			}
		}
	})
	// The CSP takes only a clean origin from an absolute endpoint.
	csp := res.Header.Get("Content-Security-Policy")
	if strings.Contains(csp, "alert") || strings.Count(csp, ";") != 8 {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	evil := get(t, Handler(Options{Endpoint: "https://api.example.org/graphql; script-src *", WSEndpoint: "wss://ws.example.org/graphql"}), http.MethodGet, "/", nil)
	csp = evil.Header.Get("Content-Security-Policy")
	if strings.Contains(csp, "script-src *") || strings.Count(csp, ";") != 8 || !strings.Contains(csp, "wss://ws.example.org") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestDefaults(t *testing.T) {
	doc := parsePage(t, readPage(t, Handler(Options{}), "/"))
	if ts := find(doc, "title"); len(ts) != 1 || text(ts[0]) != DefaultTitle {
		t.Errorf("default title wrong")
	}
	root := byID(doc, "graphiql")
	if v, _ := attr(root, "data-endpoint"); v != DefaultEndpoint {
		t.Errorf("data-endpoint %q", v)
	}
	if v, ok := attr(root, "data-ws-endpoint"); !ok || v != "" {
		t.Errorf("data-ws-endpoint %q, want empty", v)
	}
}

func TestOtherPaths(t *testing.T) {
	h := Handler(Options{})
	for _, p := range []string{"/index.html", "/graphql", "/graphiql", "/graphiql/assets/", "/graphiql/assets/nope.js",
		"/graphiql/assets/../graphiql.go", "/graphiql/assets/assets/graphiql.min.js", "/graphiql/assets/page.html", "//", "/x/"} {
		if res := get(t, h, http.MethodGet, "http://127.0.0.1"+p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/", AssetPrefix + "graphiql.min.js"} {
		res := get(t, h, http.MethodPost, p, nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: status %d", p, res.StatusCode)
		}
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/ide/", http.StripPrefix("/ide", Handler(Options{})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	pageURL, _ := url.Parse(srv.URL + "/ide/")
	res, err := http.Get(pageURL.String())
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, res)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, r := range refs(parsePage(t, page)) {
		u, err := url.Parse(r)
		if err != nil || u.Scheme == "data" {
			continue // checked by TestEveryReferencedAssetIsServed
		}
		if u.IsAbs() || u.Host != "" {
			t.Errorf("reference %q is not relative", r)
			continue // never fetch from another host
		}
		abs := pageURL.ResolveReference(u)
		res, err := http.Get(abs.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", abs, res.StatusCode)
		}
	}
}
