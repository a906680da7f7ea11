// Package app wires lawvillage together: configuration, PostgreSQL, the
// object store, the evidence service, the GraphQL server, the HTTP endpoints
// operators expect, and the scheduler. It is the only place that does.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lawvillage/lawvillage/graph"
	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/graphiql"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/objectstore"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/ratelimit"
	"github.com/lawvillage/lawvillage/internal/recordimport"
	"github.com/lawvillage/lawvillage/jobs"
)

// Main holds the running parts of a lawvillage process.
type Main struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *postgres.DB
	Store    *objectstore.Store
	Evidence *evidence.Service
	Metrics  *metrics.Computer
	Notifier *notify.Notifier
	Runner   *jobs.Runner
	Broker   *notify.Broker
}

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// Open connects to PostgreSQL (applying migrations when migrate is true) and
// to the object store (creating the bucket when missing).
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*Main, error) {
	if err := cfg.RequireStorage(); err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
	}
	store, err := objectstore.New(objectstore.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey,
		SecretKey: cfg.S3SecretKey, Bucket: cfg.S3Bucket, Region: cfg.S3Region, UseTLS: cfg.S3UseTLS,
		PublicEndpoint: cfg.S3PublicURL})
	if err != nil {
		db.Close()
		return nil, err
	}
	bctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := store.EnsureBucket(bctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("object store: %w", err)
	}
	m := &Main{Config: cfg, Log: log, DB: db, Store: store}
	m.Evidence = &evidence.Service{DB: db, Store: store, Log: log}
	m.Metrics = &metrics.Computer{DB: db, Now: time.Now}
	m.Notifier = notify.New(db, log)
	m.Runner = jobs.NewRunner(db, log, jobs.All(m.Evidence, &jobs.Compliance{Metrics: m.Metrics, Notifier: m.Notifier})...)
	if m.Broker, err = notify.StartBroker(m.DB, cfg.DatabaseURL, log); err != nil {
		db.Close()
		return nil, fmt.Errorf("listen for alert events: %w", err)
	}
	return m, nil
}

// Close releases the connections.
func (m *Main) Close() error {
	if m.Broker != nil {
		_ = m.Broker.Close()
	}
	return m.DB.Close()
}

var httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "lawvillage_http_requests_total",
	Help: "HTTP requests by route and status class.",
}, []string{"route", "code"})

var httpSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "lawvillage_http_request_seconds",
	Help:    "HTTP request duration by route.",
	Buckets: prometheus.DefBuckets,
}, []string{"route"})

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times requests of a route; it logs no personal data
// (no query text, variables, or tokens).
func instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		httpRequests.WithLabelValues(route, fmt.Sprintf("%dxx", sw.code/100)).Inc()
		httpSeconds.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// Handler returns the HTTP routes: GraphQL, GraphiQL, health, readiness, metrics.
func (m *Main) Handler() http.Handler {
	r := &graph.Resolver{DB: m.DB, EvidenceService: m.Evidence, Runner: m.Runner, Broker: m.Broker, Log: m.Log}
	c := m.Config
	gql := graph.NewHTTPHandler(r, graph.Options{Introspection: c.Introspection,
		MaxUploadBytes: c.MaxUploadBytes, OriginPatterns: c.AllowedOrigins,
		Limits: graph.Limits{MaxJSONBytes: c.MaxJSONBytes, MaxUploadFiles: c.MaxUploadFiles,
			MaxTokens: c.MaxQueryTokens, MaxDepth: c.MaxQueryDepth, MaxAliases: c.MaxQueryAliases, MaxCost: c.MaxQueryCost,
			WSReadLimit: c.WSMaxMessageBytes, WSPingInterval: c.WSPingInterval, WSIdleTimeout: c.WSIdleTimeout,
			WSMaxSubscriptions: c.WSMaxSubscriptions},
		// In memory: each replica keeps its own buckets.
		RateLimiter: ratelimit.New(ratelimit.Config{PerMinute: c.RateLimitPerMinute, Burst: c.RateLimitBurst,
			TrustedProxies: c.TrustedProxies})})
	mux := http.NewServeMux()
	mux.Handle("/graphql", instrument("graphql", gql))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := m.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database: unavailable\n"))
			return
		}
		if err := m.Store.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("object storage: unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.Handler())
	mux.Handle("GET /templates/", recordimport.TemplateHandler()) // import templates hold no data: no token needed
	if m.Config.GraphiQL {
		gi := graphiql.Handler(graphiql.Options{Endpoint: "/graphql", WSEndpoint: "/graphql", Title: "lawvillage GraphiQL"})
		mux.Handle("/", gi)
	} else {
		mux.Handle("/", http.NotFoundHandler())
	}
	return mux
}

// Serve runs the HTTP server (and the scheduler when configured) until ctx is
// cancelled, then shuts down gracefully: it stops accepting, lets requests and
// running jobs finish within the shutdown timeout, and releases leadership.
// ready, when not nil, receives the listening address.
func (m *Main) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", m.Config.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.ListenAddr, err)
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	if m.Config.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(m.Config.TLSCertFile, m.Config.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	var sched *jobs.Scheduler
	if m.Config.Scheduler {
		if sched, err = jobs.Start(m.Runner); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	m.Log.Info("serving", "addr", ln.Addr().String(), "tls", m.Config.TLSCertFile != "", "scheduler", sched != nil)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		m.Log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	if sched != nil {
		if serr := sched.Stop(); serr != nil {
			m.Log.Warn("scheduler stop", "err", serr)
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
