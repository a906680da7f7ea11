package graph

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/lawvillage/lawvillage/graph/generated"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/ratelimit"
)

// Options tune the GraphQL handler.
type Options struct {
	Introspection  bool               // allow schema introspection (for GraphiQL and tooling)
	MaxUploadBytes int64              // largest multipart request body (default 60 MiB)
	OriginPatterns []string           // websocket and CORS origins allowed besides the server's own host
	Limits         Limits             // abuse limits; zero fields take DefaultLimits
	RateLimiter    *ratelimit.Limiter // per-token rate limit; nil: none
}

func (o Options) maxUploadBytes() int64 {
	if o.MaxUploadBytes <= 0 {
		return 60 << 20
	}
	return o.MaxUploadBytes
}

// NewHandler builds the GraphQL server with explicit transports: POST, GET
// (queries only), multipart uploads and websockets (graphql-transport-ws and
// the older graphql-ws), the @can directive, per-operation loaders, the
// anonymous-caller rule, the query limits (tokens, depth, aliases, cost,
// with the cost reported in extensions.cost) and one error presenter. The
// HTTP-level limits (body size, rate, CORS) are added by NewHTTPHandler.
func NewHandler(r *Resolver, opts Options) *handler.Server {
	lim := opts.Limits.withDefaults()
	cfg := generated.Config{Resolvers: r}
	cfg.Directives.Can = func(ctx context.Context, obj any, next graphql.Resolver, p core.Permission) (any, error) {
		if _, err := core.Require(ctx, p); err != nil {
			return nil, err
		}
		return next(ctx)
	}
	srv := handler.New(generated.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Websocket{
		// Browsers' origins are checked at the upgrade (the server's own host is always allowed).
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: opts.OriginPatterns}},
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			a, err := authenticate(ctx, r, p.Authorization())
			if err != nil {
				return ctx, nil, err
			}
			if a != nil {
				ctx = core.WithActor(ctx, a)
			}
			return newWSConn(ctx, lim), nil, nil
		},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 20 * time.Second,   // graphql-ws (legacy) keep-alive messages
		PingPongInterval:      lim.WSPingInterval, // graphql-transport-ws: no pong within twice this closes the connection
		PayloadReadLimit:      &lim.WSReadLimit,   // a bigger message closes the connection (1009)
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(specStatus{transport.GET{}})
	srv.AddTransport(specStatus{transport.POST{}})
	// One byte over the request limit, so that bodyLimit, which answers 413, sees an oversize body first.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: opts.maxUploadBytes() + 1, MaxMemory: 1 << 20})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(lim.MaxTokens)
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(&limitsExtension{limits: lim, introspection: opts.Introspection})
	srv.AroundResponses(reportCost)
	srv.AroundOperations(wsGuard(opts.RateLimiter))
	srv.AroundOperations(anonymousGuard)
	srv.AroundOperations(LoadersMiddleware(r.DB))
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			return parserLimitError(gerr, lim.MaxTokens)
		}
		return presentError(ctx, r.Log, err)
	})
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		r.Log.ErrorContext(ctx, "graphql: panic", "panic", p)
		return core.Errorf(core.EINTERNAL, "内部错误", "internal error")
	})
	return srv
}

// specStatus corrects the HTTP status codes of gqlgen's GET and POST
// transports where they differ from the GraphQL-over-HTTP specification: a
// document that fails to parse or validate is answered 200 when the response
// is application/json (gqlgen sends 422; application/graphql-response+json
// keeps its 400), and a mutation sent by GET is answered 405 Method Not
// Allowed (gqlgen sends 406).
type specStatus struct{ graphql.Transport }

// Do runs the transport with the corrected status codes.
func (s specStatus) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s.Transport.Do(&specStatusWriter{ResponseWriter: w}, r, exec)
}

type specStatusWriter struct{ http.ResponseWriter }

func (w *specStatusWriter) WriteHeader(code int) {
	switch code {
	case http.StatusUnprocessableEntity:
		if mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type")); mt == "application/json" {
			code = http.StatusOK
		}
	case http.StatusNotAcceptable: // only the GET transport sends it: refusing a mutation
		w.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *specStatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// anonymousGuard lets a caller without a token run only `{ __typename }`.
func anonymousGuard(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if core.ActorFrom(ctx) != nil {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Query && onlyTypename(oc.Operation.SelectionSet) {
		return next(ctx)
	}
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
		Message:    "需要有效的访问令牌 / a valid access token is required",
		Extensions: map[string]any{"code": string(core.EUNAUTHENTICATED)},
	}}})
}

func onlyTypename(set ast.SelectionSet) bool {
	for _, s := range set {
		f, ok := s.(*ast.Field)
		if !ok || f.Name != "__typename" {
			return false
		}
	}
	return true
}

// presentError shows application errors with their code and both messages;
// anything else is logged and shown as an internal error.
func presentError(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Err == nil {
		// Parse and validation errors, and our own ErrorResponse texts.
		return gerr
	}
	path := graphql.GetPath(ctx)
	if e := core.AsError(err); e != nil {
		if e.Code == core.EUNAVAILABLE {
			log.WarnContext(ctx, "graphql: dependency unavailable", "path", path.String(), "err", err)
		}
		return &gqlerror.Error{Err: err, Message: e.Error(), Path: path,
			Extensions: map[string]any{"code": string(e.Code), "messageZh": e.Zh, "messageEn": e.En}}
	}
	if errors.Is(err, context.Canceled) {
		// The client went away: nothing failed on our side.
		log.DebugContext(ctx, "graphql: request cancelled by the client", "path", path.String())
	} else {
		log.ErrorContext(ctx, "graphql: internal error", "path", path.String(), "err", err)
	}
	return &gqlerror.Error{Err: err, Message: "内部错误 / internal error", Path: path,
		Extensions: map[string]any{"code": string(core.EINTERNAL)}}
}

// authenticate reads "Bearer <token>"; an empty header is anonymous (nil, nil).
func authenticate(ctx context.Context, r *Resolver, header string) (*core.Actor, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, nil
	}
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, core.Errorf(core.EUNAUTHENTICATED, "Authorization 头应为 Bearer <令牌>", "the Authorization header must be Bearer <token>")
	}
	return r.DB.Authenticate(ctx, strings.TrimSpace(secret))
}

// AuthMiddleware puts the caller of an HTTP request in its context; a bad
// token gets 401 at once, no token continues as anonymous. (NewHTTPHandler
// uses it with rate limiting.)
func AuthMiddleware(r *Resolver, next http.Handler) http.Handler {
	return authenticated(r, nil, next)
}
