// Package graphiql serves the GraphiQL IDE for lawvillage's GraphQL API with
// every browser file embedded in the binary, so that the page works with no
// internet access: no file is ever loaded from a CDN.
//
// The vendored files under assets/ come from pinned npm packages and are
// reproduced by scripts/vendor-graphiql.sh (see assets/VERSIONS.txt); the
// page's own script and style are under static/.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// AssetPrefix is the URL path under which the page's files are served.
const AssetPrefix = "/graphiql/assets/"

// Defaults used for empty Options fields.
const (
	DefaultEndpoint = "/graphql"
	DefaultTitle    = "lawvillage GraphiQL"
)

// Options configures the GraphiQL page.
type Options struct {
	// Endpoint is the GraphQL HTTP endpoint, as a path on the same host
	// (e.g. "/graphql") or an absolute http(s) URL; empty means "/graphql".
	Endpoint string
	// WSEndpoint is the GraphQL over WebSocket endpoint for subscriptions.
	// A path (e.g. "/graphql") is turned by the page into
	// ws(s)://<current host><path>, wss when the page is served over https;
	// an absolute ws(s) URL is used as is; empty disables subscriptions.
	WSEndpoint string
	// Title is the page title; empty means "lawvillage GraphiQL".
	Title string
}

//go:embed assets/*.js assets/*.css assets/*.txt static/*.js static/*.css
var files embed.FS

//go:embed page.html
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// asset is one file served under AssetPrefix.
type asset struct {
	name  string
	body  []byte
	ctype string
	etag  string
	ver   string // short content hash, used as ?v= in the page's links
}

// pageData is what page.html is rendered with.
type pageData struct {
	Title      string
	Endpoint   string
	WSEndpoint string
	Assets     map[string]string // file name -> relative URL with ?v=
}

// Asset returns the relative URL of an embedded file, or an error if there is
// no such file (so that a typo in page.html fails loudly).
func (d pageData) Asset(name string) (string, error) {
	u, ok := d.Assets[name]
	if !ok {
		return "", fmt.Errorf("graphiql: page.html links %q, which is not embedded", name)
	}
	return u, nil
}

// handler serves the page and its assets.
type handler struct {
	page     []byte
	pageETag string
	csp      string
	assets   map[string]*asset
}

// Handler returns an http.Handler that serves the GraphiQL page at exactly "/"
// and its files at "/graphiql/assets/<file>"; every other path is 404.
// Mount it at the site root, or under a prefix with http.StripPrefix (the page
// links its files by relative URLs).
func Handler(opts Options) http.Handler {
	if opts.Endpoint == "" {
		opts.Endpoint = DefaultEndpoint
	}
	if opts.Title == "" {
		opts.Title = DefaultTitle
	}
	h := &handler{assets: loadAssets()}
	data := pageData{
		Title:      opts.Title,
		Endpoint:   opts.Endpoint,
		WSEndpoint: opts.WSEndpoint,
		Assets:     map[string]string{},
	}
	for name, a := range h.assets {
		data.Assets[name] = strings.TrimPrefix(AssetPrefix, "/") + name + "?v=" + a.ver
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		// The template and its data are fixed at build time; a failure is a bug.
		panic("graphiql: rendering the page: " + err.Error())
	}
	h.page = buf.Bytes()
	h.pageETag = etag(h.page)
	h.csp = contentSecurityPolicy(opts)
	return h
}

// loadAssets reads the embedded files and computes their types and hashes.
func loadAssets() map[string]*asset {
	out := map[string]*asset{}
	for _, dir := range []string{"assets", "static"} {
		entries, err := fs.ReadDir(files, dir)
		if err != nil {
			panic("graphiql: reading embedded " + dir + ": " + err.Error())
		}
		for _, e := range entries {
			name := e.Name()
			body, err := files.ReadFile(dir + "/" + name)
			if err != nil {
				panic("graphiql: reading embedded " + name + ": " + err.Error())
			}
			if _, dup := out[name]; dup {
				panic("graphiql: two embedded files named " + name)
			}
			sum := sha256.Sum256(body)
			out[name] = &asset{
				name:  name,
				body:  body,
				ctype: contentType(name),
				etag:  `"` + hex.EncodeToString(sum[:16]) + `"`,
				ver:   hex.EncodeToString(sum[:6]),
			}
		}
	}
	return out
}

// contentType returns the Content-Type for an embedded file name.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// etag returns a strong ETag for body.
func etag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// contentSecurityPolicy allows only this server's own files, plus the origins
// of absolute endpoints when the options name any.
func contentSecurityPolicy(opts Options) string {
	connect := []string{"'self'"}
	for _, ep := range []string{opts.Endpoint, opts.WSEndpoint} {
		if o := origin(ep); o != "" {
			connect = append(connect, o)
		}
	}
	if opts.WSEndpoint != "" && origin(opts.WSEndpoint) == "" {
		// Browsers before CSP level 3 do not count ws(s) on the same host as
		// 'self'; the page only opens the socket it was configured with.
		connect = append(connect, "ws:", "wss:")
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'self'",
	}, "; ")
}

// origin returns scheme://host of an absolute http(s) or ws(s) URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return ""
	}
	// A CSP source must not contain separators that would start a new
	// source or directive.
	if strings.ContainsAny(u.Host, " ;,'\"\t\r\n") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ServeHTTP serves the page at "/" and the files under AssetPrefix.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var a *asset
	switch {
	case p == "/":
	case strings.HasPrefix(p, AssetPrefix):
		a = h.assets[strings.TrimPrefix(p, AssetPrefix)]
		if a == nil {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if a == nil {
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", h.pageETag)
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("Referrer-Policy", "no-referrer")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
		return
	}
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == a.ver {
		// The page links each file with its content hash: safe to keep.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
