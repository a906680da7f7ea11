// Package postgres implements lawvillage's storage on PostgreSQL with sqlx and
// lib/pq. Every exported method runs in one transaction that carries the
// caller's scope (see InScope), so row-level security in the database decides
// what each caller may see and change.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/migrations"
)

var statementsTotal = promauto.NewCounter(prometheus.CounterOpts{
	Name: "lawvillage_db_statements_total",
	Help: "SQL statements sent to PostgreSQL by the application.",
})

// DB is the application's connection pool.
type DB struct {
	x *sqlx.DB
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// Open connects to PostgreSQL and checks that the role is subject to
// row-level security (not a superuser, no BYPASSRLS): scope depends on it.
func Open(ctx context.Context, url string) (*DB, error) {
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	x.SetMaxOpenConns(20)
	x.SetMaxIdleConns(10)
	x.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		_ = x.Close()
		return nil, unavailable(fmt.Errorf("connect to database: %w", err))
	}
	var super, bypass bool
	if err := x.QueryRowContext(pctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass); err != nil {
		_ = x.Close()
		return nil, fmt.Errorf("check database role: %w", err)
	}
	if super || bypass {
		_ = x.Close()
		return nil, core.Errorf(core.EINVALID,
			"数据库用户不能是超级用户或具有 BYPASSRLS 权限：数据范围由行级安全策略保证，请使用普通角色连接",
			"the database user must not be a superuser or have BYPASSRLS: scope is enforced by row-level security; connect as an ordinary role (see README)")
	}
	return &DB{x: x, Now: time.Now}, nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.x.Close() }

// Ping checks the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.x.PingContext(ctx) }

// Migrate applies every pending migration; replicas starting together take a
// session advisory lock so only one migrates.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.x.DB, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// Tx is a transaction bound to a request's context; its methods count the
// statements they send (see StatementCounter).
type Tx struct {
	tx  *sqlx.Tx
	ctx context.Context
	n   *atomic.Int64
}

// sent counts every statement of the process, for benchmarks.
var sent atomic.Int64

// StatementsSent returns how many SQL statements the process has sent so far.
func StatementsSent() int64 { return sent.Load() }

func (t *Tx) count() {
	statementsTotal.Inc()
	sent.Add(1)
	if t.n != nil {
		t.n.Add(1)
	}
}

// Get runs a query expected to return one row into dest.
func (t *Tx) Get(dest any, query string, args ...any) error {
	t.count()
	return t.tx.GetContext(t.ctx, dest, query, args...)
}

// Select runs a query and scans all rows into dest (a slice).
func (t *Tx) Select(dest any, query string, args ...any) error {
	t.count()
	return t.tx.SelectContext(t.ctx, dest, query, args...)
}

// Exec runs a statement and returns the number of rows it affected.
func (t *Tx) Exec(query string, args ...any) (int64, error) {
	t.count()
	r, err := t.tx.ExecContext(t.ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// Query runs a query and returns its rows for streaming.
func (t *Tx) Query(query string, args ...any) (*sqlx.Rows, error) {
	t.count()
	return t.tx.QueryxContext(t.ctx, query, args...)
}

// Raw returns the underlying transaction (for COPY).
func (t *Tx) Raw() *sqlx.Tx { return t.tx }

// Ctx returns the transaction's context.
func (t *Tx) Ctx() context.Context { return t.ctx }

type counterKey struct{}

// WithStatementCounter returns a context whose transactions add the number of
// statements they send to n (used by benchmarks and tests to show that a query
// costs a constant number of statements).
func WithStatementCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey{}, n)
}

// InScope runs fn in one transaction limited to the actor's scope: the
// transaction sets lv.scope, and row-level security applies it to every
// statement. Read-only roles get a read-only transaction. No actor: error.
func (db *DB) InScope(ctx context.Context, fn func(tx *Tx) error) error {
	a := core.ActorFrom(ctx)
	if a == nil {
		return core.Errorf(core.EUNAUTHENTICATED, "需要有效的访问令牌", "a valid access token is required")
	}
	return db.run(ctx, a.ScopePath, a.Role.ReadOnly(), fn)
}

// ReadInScope is InScope with a read-only transaction.
func (db *DB) ReadInScope(ctx context.Context, fn func(tx *Tx) error) error {
	a := core.ActorFrom(ctx)
	if a == nil {
		return core.Errorf(core.EUNAUTHENTICATED, "需要有效的访问令牌", "a valid access token is required")
	}
	return db.run(ctx, a.ScopePath, true, fn)
}

// AsSystem runs fn in one transaction that sees every row (jobs, the CLI, token checks).
func (db *DB) AsSystem(ctx context.Context, fn func(tx *Tx) error) error {
	return db.run(ctx, "*", false, fn)
}

func (db *DB) run(ctx context.Context, scope string, readOnly bool, fn func(tx *Tx) error) (err error) {
	if scope == "" {
		return core.Errorf(core.EFORBIDDEN, "令牌没有数据范围", "the token has no scope")
	}
	sqltx, err := db.x.BeginTxx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return unavailable(err)
	}
	n, _ := ctx.Value(counterKey{}).(*atomic.Int64)
	tx := &Tx{tx: sqltx, ctx: ctx, n: n}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
		}
	}()
	if _, err = tx.Exec(`SELECT set_config('lv.scope', $1, true)`, scope); err != nil {
		return mapError(err)
	}
	if err = fn(tx); err != nil {
		return mapError(err)
	}
	tx.count()
	if err = sqltx.Commit(); err != nil {
		return mapError(err)
	}
	return nil
}

// mapError turns database errors users can act on into application errors;
// others pass through (and are reported as internal errors).
func mapError(err error) error {
	if err == nil || core.AsError(err) != nil {
		return err
	}
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		switch pqe.Code {
		case "23505":
			return withCause(core.Errorf(core.ECONFLICT, "记录已存在", "the record already exists"), err)
		case "23503":
			return withCause(core.NotFound("关联记录 / referenced record"), err)
		case "23514", "22001", "22P02", "22007", "22008", "22021", "22003":
			// 22021: text PostgreSQL cannot hold (invalid UTF-8, NUL); 22003: a number out of range.
			return withCause(core.Errorf(core.EINVALID, "输入不符合规则", "the input breaks a rule"), err)
		case "42501":
			// A row-level security WITH CHECK failure: the row lies outside the scope.
			if strings.Contains(pqe.Message, "row-level security") {
				return withCause(core.NotFound("所属村(社区) / village"), err)
			}
		case "40001", "40P01":
			return withCause(core.Errorf(core.ECONFLICT, "并发修改冲突，请重试", "concurrent change, try again"), err)
		}
		if strings.HasPrefix(string(pqe.Code), "08") || pqe.Code == "57P01" || pqe.Code == "57P02" || pqe.Code == "57P03" || pqe.Code == "53300" {
			return unavailable(err)
		}
		return err
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) || lostConnection(err) {
		return unavailable(err)
	}
	return err
}

// lostConnection reports whether err says the connection to the server broke
// or could not be made (a restart, a network failure). lib/pq reports a
// session the server ended (FATAL, e.g. at shutdown) and a connection found
// dead mid-transaction as driver.ErrBadConn, others as network errors.
func lostConnection(err error) bool {
	var ne *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// causedError keeps the database's own error for logs while showing users
// the application error.
type causedError = unavailableError

func withCause(app *core.Error, cause error) error { return &causedError{app: app, cause: cause} }

// unavailableError keeps the cause of an outage for logs while showing users
// the UNAVAILABLE application error.
type unavailableError struct {
	app   *core.Error
	cause error
}

func (e *unavailableError) Error() string   { return e.app.Error() + ": " + e.cause.Error() }
func (e *unavailableError) Unwrap() []error { return []error{e.app, e.cause} }

func unavailable(cause error) error {
	return &unavailableError{
		app:   core.Errorf(core.EUNAVAILABLE, "数据库暂不可用，请稍后重试", "the database is unavailable, try again later"),
		cause: cause,
	}
}
