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
)

// Options tune the GraphQL handler.
type Options struct {
	Introspection  bool     // allow schema introspection (for GraphiQL and tooling)
	MaxUploadBytes int64    // largest multipart request body
	OriginPatterns []string // websocket origins allowed besides the server's own host
}

// NewHandler builds the GraphQL server with explicit transports: POST, GET
// (queries only), multipart uploads and websockets (graphql-transport-ws and
// the older graphql-ws), the @can directive, per-operation loaders, the
// anonymous-caller rule and one error presenter.
func NewHandler(r *Resolver, opts Options) *handler.Server {
	cfg := generated.Config{Resolvers: r}
	cfg.Directives.Can = func(ctx context.Context, obj any, next graphql.Resolver, p core.Permission) (any, error) {
		if _, err := core.Require(ctx, p); err != nil {
			return nil, err
		}
		return next(ctx)
	}
	srv := handler.New(generated.NewExecutableSchema(cfg))
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: opts.OriginPatterns}},
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			a, err := authenticate(ctx, r, p.Authorization())
			if err != nil {
				return ctx, nil, err
			}
			if a != nil {
				ctx = core.WithActor(ctx, a)
			}
			return ctx, nil, nil
		},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 20 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(specStatus{transport.GET{}})
	srv.AddTransport(specStatus{transport.POST{}})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: opts.MaxUploadBytes, MaxMemory: 1 << 20})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.AroundOperations(anonymousGuard)
	srv.AroundOperations(LoadersMiddleware(r.DB))
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
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
	log.ErrorContext(ctx, "graphql: internal error", "path", path.String(), "err", err)
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
// token gets 401 at once, no token continues as anonymous.
func AuthMiddleware(r *Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, req) // websockets authenticate in connection_init
			return
		}
		a, err := authenticate(req.Context(), r, req.Header.Get("Authorization"))
		if err != nil {
			code := http.StatusUnauthorized
			if core.ErrorCode(err) == core.EUNAVAILABLE {
				code = http.StatusServiceUnavailable
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
