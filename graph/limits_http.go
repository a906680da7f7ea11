package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/ratelimit"
)

// NewHTTPHandler is the whole /graphql endpoint: CORS (an allow-list),
// authentication, per-token rate limiting with RateLimit headers, request
// body limits, and the GraphQL server of NewHandler.
func NewHTTPHandler(r *Resolver, opts Options) http.Handler {
	lim := opts.Limits.withDefaults()
	var h http.Handler = NewHandler(r, opts)
	h = bodyLimit(h, lim, opts.maxUploadBytes())
	h = rateLimited(opts.RateLimiter, h)
	h = authenticated(r, opts.RateLimiter, h)
	h = wsOrigin(opts.OriginPatterns, h)
	return corsHandler(opts.OriginPatterns).Handler(h)
}

// wsOrigin refuses, with 403 FORBIDDEN, a websocket upgrade from a browser
// page of another origin than the server's own host and the allowed ones
// (the websocket library checks the same again).
func wsOrigin(patterns []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && r.Header.Get("Upgrade") != "" {
			u, err := url.Parse(o)
			if err != nil || !strings.EqualFold(u.Host, r.Host) && !OriginAllowed(o, patterns) {
				writeError(w, http.StatusForbidden, limitError(core.EFORBIDDEN,
					"不接受来自该来源的 websocket 连接", "websocket connections from this origin are not allowed"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// corsHandler answers CORS for the allowed origins only: POST and GET with
// the Authorization and Content-Type headers, preflights cached 10 minutes,
// rate limit headers readable by scripts. Any other origin gets no CORS
// headers (same-origin pages need none).
func corsHandler(patterns []string) *cors.Cors {
	return cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return OriginAllowed(origin, patterns) },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:  []string{"Authorization", "Content-Type"},
		ExposedHeaders:  []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "Retry-After"},
		MaxAge:          600,
	})
}

// OriginAllowed matches an Origin header against the patterns the way the
// websocket transport does (coder/websocket): a pattern without "://" is
// matched against the origin's host[:port], one with it against
// scheme://host[:port]; `*` matches within a name (path.Match).
func OriginAllowed(origin string, patterns []string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}

type clientKeyCtx struct{}

// clientKey is the rate limit key of the caller: its token, or its address.
func clientKey(ctx context.Context) string {
	if a := core.ActorFrom(ctx); a != nil && a.TokenID != 0 {
		return "token:" + strconv.FormatInt(a.TokenID, 10)
	}
	k, _ := ctx.Value(clientKeyCtx{}).(string)
	return k
}

// authenticated is AuthMiddleware that also charges a failed authentication
// to the client's address, so guessing tokens is rate limited too.
func authenticated(r *Resolver, l *ratelimit.Limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req = req.WithContext(context.WithValue(req.Context(), clientKeyCtx{}, l.ClientKey(req)))
		if strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, req) // websockets authenticate in connection_init
			return
		}
		a, err := authenticate(req.Context(), r, req.Header.Get("Authorization"))
		if err != nil {
			code := http.StatusUnauthorized
			if core.ErrorCode(err) == core.EUNAVAILABLE {
				code = http.StatusServiceUnavailable
			} else if !allow(w, l, clientKey(req.Context())) {
				return
			}
			writeError(w, code, presentError(req.Context(), r.Log, err))
			return
		}
		if a != nil {
			req = req.WithContext(core.WithActor(req.Context(), a))
		}
		next.ServeHTTP(w, req)
	})
}

// rateLimited takes one request from the caller's bucket, answering 429 when it is empty.
func rateLimited(l *ratelimit.Limiter, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if allow(w, l, clientKey(req.Context())) {
			next.ServeHTTP(w, req)
		}
	})
}

// allow takes a request from the bucket of key and sets the RateLimit
// headers; on a refusal it answers 429 with Retry-After and reports false.
func allow(w http.ResponseWriter, l *ratelimit.Limiter, key string) bool {
	if l == nil {
		return true
	}
	d := l.Allow(key)
	ratelimit.SetHeaders(w.Header(), d)
	if !d.Allowed {
		writeError(w, http.StatusTooManyRequests, rateLimitError(d))
	}
	return d.Allowed
}

func rateLimitError(d ratelimit.Decision) *gqlerror.Error {
	secs := int(d.RetryAfter / time.Second)
	e := limitError(core.ERATELIMITED, "请求过于频繁，请 %d 秒后重试", "too many requests: retry in %d s", secs)
	e.Extensions["retryAfterSeconds"] = secs
	return e
}

// bodyLimit holds a JSON (or any non-multipart) body to lim.MaxJSONBytes and
// a multipart upload to maxUpload bytes and lim.MaxUploadFiles files; a body
// over its limit is answered 413 with code TOO_LARGE.
func bodyLimit(next http.Handler, lim Limits, maxUpload int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "multipart/form-data" {
			if r.ContentLength > maxUpload {
				writeError(w, http.StatusRequestEntityTooLarge, requestTooLarge(maxUpload))
				return
			}
			g := &multipartGuard{body: http.MaxBytesReader(w, r.Body, maxUpload), maxUpload: maxUpload,
				maxHead: lim.MaxJSONBytes, maxFiles: lim.MaxUploadFiles, delim: []byte("--" + params["boundary"])}
			r.Body = g
			next.ServeHTTP(&guardWriter{ResponseWriter: w, g: g}, r)
			return
		}
		if r.ContentLength > lim.MaxJSONBytes {
			writeError(w, http.StatusRequestEntityTooLarge, requestTooLarge(lim.MaxJSONBytes))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, lim.MaxJSONBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, http.StatusRequestEntityTooLarge, requestTooLarge(lim.MaxJSONBytes))
			} else {
				writeError(w, http.StatusBadRequest, limitError(core.EINVALID, "无法读取请求体", "could not read the request body"))
			}
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func requestTooLarge(n int64) *gqlerror.Error {
	return limitError(core.ETOOLARGE, "请求体超过 %d 字节", "the request body is over %d bytes", n)
}

// multipartGuard reads a multipart body for the transport, counting its
// parts by their boundary delimiters: a request with more than maxFiles
// files, or whose operations and map parts are over maxHead bytes, is cut
// off before the next part is read.
type multipartGuard struct {
	body      io.ReadCloser
	maxUpload int64
	maxHead   int64
	maxFiles  int
	delim     []byte
	tail      []byte // the last len(delim)-1 bytes read, to find a delimiter split across reads
	delims    int
	read      int64
	refusal   *gqlerror.Error
}

var errLimit = errors.New("request over a limit")

// Read reads the body, stopping at the first limit crossed.
func (g *multipartGuard) Read(p []byte) (int, error) {
	if g.refusal != nil {
		return 0, errLimit
	}
	n, err := g.body.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		g.refusal = requestTooLarge(g.maxUpload)
		return 0, errLimit
	}
	if k := len(g.delim) - 1; k > 2 && n > 0 {
		// A delimiter either lies within p or starts in the tail and ends in p.
		edge := append(g.tail, p[:min(n, k)]...)
		g.delims += bytes.Count(edge, g.delim) + bytes.Count(p[:n], g.delim)
		if n >= k {
			g.tail = append(g.tail[:0], p[n-k:n]...)
		} else {
			g.tail = append(g.tail[:0], edge[max(0, len(edge)-k):]...)
		}
	}
	g.read += int64(n)
	// operations, map, the files, then the closing delimiter
	if g.delims > g.maxFiles+3 {
		g.refusal = limitError(core.ETOOLARGE, "一次请求最多上传 %d 个文件", "at most %d files may be uploaded in one request", g.maxFiles)
		return 0, errLimit
	}
	if g.delims < 3 && g.read > g.maxHead {
		g.refusal = limitError(core.ETOOLARGE, "operations 和 map 部分超过 %d 字节", "the operations and map parts are over %d bytes", g.maxHead)
		return 0, errLimit
	}
	return n, err
}

// Close closes the body.
func (g *multipartGuard) Close() error { return g.body.Close() }

// guardWriter replaces the transport's answer (it reports a broken multipart
// form) with 413 TOO_LARGE when the guard cut the body off. The transport
// reads the whole body before it writes anything.
type guardWriter struct {
	http.ResponseWriter
	g                *multipartGuard
	started, refused bool
}

func (w *guardWriter) refuse() bool {
	if !w.started {
		w.started = true
		if w.g.refusal != nil {
			w.refused = true
			writeError(w.ResponseWriter, http.StatusRequestEntityTooLarge, w.g.refusal)
		}
	}
	return w.refused
}

func (w *guardWriter) WriteHeader(code int) {
	if !w.refuse() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *guardWriter) Write(b []byte) (int, error) {
	if w.refuse() {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wsConn is the state of one websocket connection: its rate limit key, its
// running operations and subscriptions, and its idle timer.
type wsConn struct {
	key     string
	maxSubs int
	idle    time.Duration
	timer   *time.Timer // closes the connection after idle with nothing running

	mu      sync.Mutex
	running int
	subs    int
}

type wsConnCtx struct{}

// newWSConn returns ctx carrying the connection state; the connection closes
// when the returned context ends, which the idle timer does.
func newWSConn(ctx context.Context, lim Limits) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	c := &wsConn{key: clientKey(ctx), maxSubs: lim.WSMaxSubscriptions, idle: lim.WSIdleTimeout}
	c.timer = time.AfterFunc(lim.WSIdleTimeout, cancel)
	context.AfterFunc(ctx, func() { c.timer.Stop() })
	return context.WithValue(ctx, wsConnCtx{}, c)
}

// begin counts an operation in; it reports false when it is a subscription over the cap.
func (c *wsConn) begin(sub bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sub && c.subs >= c.maxSubs {
		return false
	}
	if sub {
		c.subs++
	}
	c.running++
	c.timer.Stop()
	return true
}

func (c *wsConn) end(sub bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sub {
		c.subs--
	}
	c.running--
	if c.running == 0 {
		c.timer.Reset(c.idle)
	}
}

// wsGuard applies the rate limit to operations sent over a websocket (each
// takes a request from the caller's bucket) and caps the subscriptions of
// one connection.
func wsGuard(l *ratelimit.Limiter) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		c, _ := ctx.Value(wsConnCtx{}).(*wsConn)
		if c == nil {
			return next(ctx) // HTTP: limited by the HTTP middleware
		}
		if d := l.Allow(c.key); !d.Allowed {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{rateLimitError(d)}})
		}
		oc := graphql.GetOperationContext(ctx)
		sub := oc.Operation != nil && oc.Operation.Operation == ast.Subscription
		if !c.begin(sub) {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{limitError(core.ETOOMANYSUBS,
				"一个连接最多同时订阅 %d 个", "at most %d subscriptions may run on one connection", c.maxSubs)}})
		}
		context.AfterFunc(ctx, func() { c.end(sub) })
		return next(ctx)
	}
}
