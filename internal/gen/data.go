package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Scales Load can generate.
const (
	ScaleDistrict = "district" // one district of the Jiangsu-scale tree (about 210 villages)
	ScaleCity     = "city"     // one city (about 1,700 villages)
	ScaleProvince = "province" // the whole province (22,000 villages)
)

// LoadOptions says what Load generates.
type LoadOptions struct {
	Scale                string    // ScaleDistrict, ScaleCity or ScaleProvince
	Seed                 int64     // the same seed gives the same rows
	Years                int       // years of records, ending with the current one; 0 means 5 (at most 30)
	HouseholdsPerVillage int       // average households per village (each varies ±40 %); 0 means 1000
	Now                  time.Time // the clock: no record is dated after its day in Asia/Shanghai; zero means time.Now()
}

// Stats tells what Load wrote.
type Stats struct {
	Scale    string
	Area     string // division code of the generated area
	Villages int
	Rows     map[string]int64 // rows written per table
	Seconds  float64
}

// Total returns the number of rows written in all tables.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Rows {
		n += v
	}
	return n
}

// Summary formats the statistics as a table, one line per table.
func (s Stats) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "generated %s %s: %d villages, %d rows in %.1fs (%.0f rows/s)\n",
		s.Scale, s.Area, s.Villages, s.Total(), s.Seconds, float64(s.Total())/max(s.Seconds, 1e-9))
	names := make([]string, 0, len(s.Rows))
	for n := range s.Rows {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return tableRank(names[i]) < tableRank(names[j]) })
	for _, n := range names {
		fmt.Fprintf(&b, "  %-26s %12d\n", n, s.Rows[n])
	}
	return b.String()
}

// Tables lists the tables Load writes, in the order it starts them.
var Tables = []string{"regions", "settings", "villager_groups", "grids", "titles", "title_events", "legal_advisers",
	"households", "household_volunteer_years", "activities", "mediation_cases", "surveys", "incidents", "lawsuits",
	"culture_carriers", "legal_savvy_persons", "legal_adviser_evaluations", "legal_checkups"}

func tableRank(name string) int {
	for i, t := range Tables {
		if t == name {
			return i
		}
	}
	return len(Tables)
}

// Sizes of the chunks (one staging table and one INSERT each): villages with
// about this many households, and this many villages for the other records.
const (
	householdsPerChunk = 100_000
	villagesPerChunk   = 500
)

// Load generates a district, a city or the whole province at Jiangsu scale
// into an empty database, deterministically from opts.Seed, and reports each
// chunk on progress (nil: nothing). It refuses a database that holds regions.
//
// Everything is written in one transaction run as the system, so a failed or
// interrupted load leaves the database empty. Rows are streamed with COPY FROM
// STDIN, never built in memory: row-level security forbids COPY into the
// scoped tables, so each chunk is copied into a temporary staging table and
// moved with one INSERT … SELECT. Ids are assigned here (OVERRIDING SYSTEM
// VALUE, then setval), so they depend on nothing but the seed. When the
// database role owns the tables, their foreign keys are dropped inside the
// transaction and re-created (and so checked in one pass each) before it
// commits: checked row by row they would cost three quarters of the time.
// The tables are analyzed before those checks and again after the commit.
func Load(ctx context.Context, db *postgres.DB, opts LoadOptions, progress io.Writer) (Stats, error) {
	start := time.Now()
	if progress == nil {
		progress = io.Discard
	}
	if opts.Years == 0 {
		opts.Years = 5
	}
	if opts.HouseholdsPerVillage == 0 {
		opts.HouseholdsPerVillage = 1000
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Years < 1 || opts.Years > 30 {
		return Stats{}, core.Errorf(core.EINVALID, "年数须在 1 到 30 之间：%d", "years must be from 1 to 30: %d", opts.Years)
	}
	if opts.HouseholdsPerVillage < 1 || opts.HouseholdsPerVillage > 5000 {
		return Stats{}, core.Errorf(core.EINVALID, "每村平均户数须在 1 到 5000 之间：%d",
			"households per village must be from 1 to 5000: %d", opts.HouseholdsPerVillage)
	}
	today := period.DateOf(opts.Now)
	if today.Year-opts.Years+1 < 1990 {
		return Stats{}, core.Errorf(core.EINVALID, "起始年份早于 1990", "the first year is before 1990")
	}
	p, err := makePlan(opts.Seed, opts.Scale, opts.Years, opts.HouseholdsPerVillage, today)
	if err != nil {
		return Stats{}, core.Errorf(core.EINVALID, "规模须为 district、city 或 province：%q",
			"the scale must be district, city or province: %q", opts.Scale)
	}
	l := &loader{db: db, p: p, prog: newProgress(progress, start)}
	fmt.Fprintf(progress, "gen: %s %s, %d villages, %d households, years %d-%d, seed %d\n",
		p.scale, p.area, len(p.villages), p.households, p.years[0], p.years[len(p.years)-1], p.seed)

	err = db.AsSystem(ctx, func(tx *postgres.Tx) error {
		var exists bool
		if err := tx.Get(&exists, `SELECT EXISTS (SELECT 1 FROM regions)`); err != nil {
			return err
		}
		if exists {
			return errNotEmpty
		}
		// Room for the one-pass checks of the foreign keys: PostgreSQL runs
		// each as a join of whole tables with maintenance_work_mem.
		if _, err := tx.Exec(`SET LOCAL maintenance_work_mem = '1GB'`); err != nil {
			return err
		}
		fks, err := l.dropForeignKeys(tx)
		if err != nil {
			return err
		}
		if err := l.structure(tx); err != nil {
			return err
		}
		if err := l.households(tx); err != nil {
			return err
		}
		if err := l.records(tx); err != nil {
			return err
		}
		// Statistics first: the checks of the foreign keys are planned with them.
		if err := l.analyze(tx); err != nil {
			return err
		}
		if err := l.restoreForeignKeys(tx, fks); err != nil {
			return err
		}
		return l.finish(tx)
	})
	if err != nil {
		return Stats{}, err
	}
	l.prog.line("committed")
	// Again after the commit, so that the statistics count the rows as committed.
	if err := db.AsSystem(ctx, l.analyze); err != nil {
		return Stats{}, err
	}
	st := Stats{Scale: p.scale, Area: string(p.area), Villages: len(p.villages), Rows: l.prog.totals(),
		Seconds: time.Since(start).Seconds()}
	fmt.Fprint(progress, st.Summary())
	return st, nil
}

// errNotEmpty is the error Load returns for a database that holds regions.
var errNotEmpty = core.Errorf(core.ECONFLICT,
	"数据库中已有区划数据：生成器只写入空数据库（请新建数据库后再运行）",
	"the database already holds regions: gen writes only into an empty database (create a new one)")

// loader writes one plan into the database.
type loader struct {
	db   *postgres.DB
	p    *plan
	prog *progress
}

// foreignKey is a constraint dropped for the load and re-created after it.
type foreignKey struct {
	Table string `db:"tbl"`
	Name  string `db:"conname"`
	Def   string `db:"def"`
}

// dropForeignKeys drops the foreign keys of the tables Load writes (but the
// regions' own parent key), when the role owns every one of those tables,
// and returns them for restoreForeignKeys.
func (l *loader) dropForeignKeys(tx *postgres.Tx) ([]foreignKey, error) {
	var owner bool
	if err := tx.Get(&owner, `SELECT coalesce(bool_and(pg_has_role(current_user, c.relowner, 'USAGE')), false)
		FROM pg_class c WHERE c.oid = ANY($1::text[]::regclass[])`, textArray(Tables)); err != nil {
		return nil, plain("foreign keys", err)
	}
	if !owner {
		l.prog.line("the database role does not own the tables: foreign keys stay and are checked row by row (slower)")
		return nil, nil
	}
	var fks []foreignKey
	if err := tx.Select(&fks, `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
		FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[]) AND conrelid <> confrelid
		ORDER BY 1, 2`, textArray(Tables)); err != nil {
		return nil, plain("foreign keys", err)
	}
	for _, fk := range fks {
		if _, err := tx.Exec(fmt.Sprintf(`ALTER TABLE %s DROP CONSTRAINT %s`, pq.QuoteIdentifier(fk.Table), pq.QuoteIdentifier(fk.Name))); err != nil {
			return nil, plain(fk.Table, err)
		}
	}
	l.prog.line(fmt.Sprintf("dropped %d foreign keys for the load (re-created before commit)", len(fks)))
	return fks, nil
}

// restoreForeignKeys re-creates the foreign keys, each checked in one pass.
func (l *loader) restoreForeignKeys(tx *postgres.Tx, fks []foreignKey) error {
	t0 := time.Now()
	for _, fk := range fks {
		t1 := time.Now()
		if _, err := tx.Exec(fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s %s`, pq.QuoteIdentifier(fk.Table), pq.QuoteIdentifier(fk.Name), fk.Def)); err != nil {
			return plain(fk.Table, err)
		}
		if d := time.Since(t1); d > time.Second {
			l.prog.line(fmt.Sprintf("checked %s.%s in %.1fs", fk.Table, fk.Name, d.Seconds()))
		}
	}
	if len(fks) > 0 {
		l.prog.line(fmt.Sprintf("re-created and checked %d foreign keys in %.1fs", len(fks), time.Since(t0).Seconds()))
	}
	return nil
}

// structure writes what every other record refers to: regions, the evidence
// setting, villager groups, grids, titles and their events, legal advisers.
func (l *loader) structure(tx *postgres.Tx) error {
	p := l.p
	if err := l.copy(tx, regionsTable, 1, 1, func(put putFunc) error { return putRegions(p, put) }); err != nil {
		return err
	}
	t0 := time.Now()
	n, err := tx.Exec(`INSERT INTO settings (key, valid_from, value, note, set_by)
		VALUES ('activity.requires_evidence', '2000-01-02', 'false', 'generated data has no evidence files', 'gen')
		ON CONFLICT (key, valid_from) DO UPDATE SET value = excluded.value, note = excluded.note, set_by = excluded.set_by`)
	if err != nil {
		return plain("settings", err)
	}
	l.prog.add("settings", n, 1, 1, time.Since(t0))
	for _, t := range structureTables {
		if err := l.copy(tx, t.table, 1, 1, func(put putFunc) error {
			for i := range p.villages {
				if err := t.gen(p, &p.villages[i], put); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// households writes the households and their volunteer years, by chunks of
// consecutive villages with about householdsPerChunk households. Both come
// from one staging table, whose extra column volunteer_mask has bit i set
// when the household served in year i.
func (l *loader) households(tx *postgres.Tx) error {
	p := l.p
	var chunks [][2]int
	for a := 0; a < len(p.villages); {
		b, n := a, 0
		for b < len(p.villages) && (b == a || n+p.villages[b].homes <= householdsPerChunk) {
			n += p.villages[b].homes
			b++
		}
		chunks = append(chunks, [2]int{a, b})
		a = b
	}
	t := householdsTable
	for c, ab := range chunks {
		t0 := time.Now()
		if err := l.stage(tx, t, func(put putFunc) error {
			for i := ab[0]; i < ab[1]; i++ {
				if err := putHouseholds(p, &p.villages[i], put); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		n, err := tx.Exec(t.insert())
		if err != nil {
			return plain(t.name, err)
		}
		l.prog.add(t.name, n, c+1, len(chunks), time.Since(t0))
		t0 = time.Now()
		n, err = tx.Exec(`INSERT INTO household_volunteer_years (household_id, village_id, year)
			SELECT s.id, s.village_id, y.year FROM `+t.stageName()+` s
			CROSS JOIN unnest($1::int[]) WITH ORDINALITY AS y(year, i)
			WHERE s.volunteer_mask & (1 << (y.i::int - 1)) <> 0`, intArray(p.years))
		if err != nil {
			return plain("household_volunteer_years", err)
		}
		l.prog.add("household_volunteer_years", n, c+1, len(chunks), time.Since(t0))
		if _, err = tx.Exec(`DROP TABLE ` + t.stageName()); err != nil {
			return plain(t.name, err)
		}
	}
	return nil
}

// records writes every other record, villagesPerChunk villages at a time;
// ids count up in the order of the villages.
func (l *loader) records(tx *postgres.Tx) error {
	p := l.p
	ids := make([]int64, len(recordTables))
	n := (len(p.villages) + villagesPerChunk - 1) / villagesPerChunk
	for c := 0; c < n; c++ {
		a, b := c*villagesPerChunk, min((c+1)*villagesPerChunk, len(p.villages))
		for ti, t := range recordTables {
			if err := l.copy(tx, t.table, c+1, n, func(put putFunc) error {
				for i := a; i < b; i++ {
					if err := t.gen(p, &p.villages[i], &ids[ti], put); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish moves the identity sequences past the ids written and notes the
// run in the audit trail.
func (l *loader) finish(tx *postgres.Tx) error {
	for _, t := range Tables {
		if !identityTables[t] {
			continue
		}
		if _, err := tx.Exec(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s`, t, t)); err != nil {
			return plain(t, err)
		}
	}
	rows := l.prog.totals()
	if _, err := tx.Exec(`INSERT INTO audit_log (actor_name, actor_role, action, object_type, after)
		VALUES ('cli:gen', $1, 'gen.load', 'gen', jsonb_build_object('scale', $2::text, 'area', $3::text, 'seed', $4::bigint,
			'years', $5::int, 'households', $6::bigint, 'villages', $7::int))`,
		string(core.RoleSystem), l.p.scale, string(l.p.area), l.p.seed, len(l.p.years), rows["households"], len(l.p.villages)); err != nil {
		return plain("audit_log", err)
	}
	return nil
}

// analyze refreshes the planner's statistics of the tables written.
func (l *loader) analyze(tx *postgres.Tx) error {
	t0 := time.Now()
	if _, err := tx.Exec(`ANALYZE ` + strings.Join(Tables, ", ")); err != nil {
		return plain("analyze", err)
	}
	l.prog.line(fmt.Sprintf("analyze: %.1fs", time.Since(t0).Seconds()))
	return nil
}

var identityTables = map[string]bool{
	"regions": true, "villager_groups": true, "grids": true, "titles": true, "title_events": true, "legal_advisers": true,
	"households": true, "activities": true, "mediation_cases": true, "surveys": true, "incidents": true,
	"culture_carriers": true, "legal_savvy_persons": true, "legal_adviser_evaluations": true, "legal_checkups": true,
}

// plain turns a driver error into a plain error that keeps its message (the
// storage layer would otherwise map it to a generic application error).
func plain(table string, err error) error {
	if err == nil || core.AsError(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("gen %s: %s", table, err.Error())
}

// textArray and intArray format PostgreSQL array literals.
func textArray(v []string) string {
	return "{" + strings.Join(v, ",") + "}"
}

func intArray(v []int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, x)
	}
	b.WriteByte('}')
	return b.String()
}

// progress prints a line per table per chunk and keeps the totals.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	rows  map[string]int64
}

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start, rows: map[string]int64{}}
}

// add counts n rows of a table written in d as chunk of chunks and prints:
// time since the start, the chunk, its rows and rate, the table's rows so far.
func (p *progress) add(table string, n int64, chunk, chunks int, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows[table] += n
	fmt.Fprintf(p.w, "[%7.1fs] %-26s chunk %4d/%-4d %+9d rows in %5.2fs (%8.0f rows/s), %11d so far\n",
		time.Since(p.start).Seconds(), table, chunk, chunks, n, d.Seconds(), float64(n)/max(d.Seconds(), 1e-6), p.rows[table])
}

func (p *progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%7.1fs] %s\n", time.Since(p.start).Seconds(), s)
}

func (p *progress) totals() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int64, len(p.rows))
	for k, v := range p.rows {
		out[k] = v
	}
	return out
}
