package gen

import (
	"fmt"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/postgres"
)

// putFunc sends one row, its values in the order of the table's columns.
type putFunc func(values ...any) error

// table is a target of COPY: its columns and, for the staging table only,
// extra columns given as "expression AS name".
type table struct {
	name  string
	cols  []string
	extra []string
}

func (t table) stageName() string { return "gen_stage_" + t.name }

// copyCols returns the columns of the staging table, extra ones included.
func (t table) copyCols() []string {
	out := append([]string(nil), t.cols...)
	for _, e := range t.extra {
		out = append(out, e[strings.LastIndex(e, " ")+1:])
	}
	return out
}

// insert returns the statement that moves the staged rows into the table;
// ids come from the generator, so identity columns are overridden.
func (t table) insert() string {
	cols := strings.Join(t.cols, ", ")
	override := ""
	if t.cols[0] == "id" {
		override = " OVERRIDING SYSTEM VALUE"
	}
	return fmt.Sprintf(`INSERT INTO %s (%s)%s SELECT %s FROM %s`, t.name, cols, override, cols, t.stageName())
}

// stage creates the temporary staging table of t (the columns' types taken
// from t, no constraints, no row-level security) and streams rows into it
// with COPY FROM STDIN: fill calls put once per row.
func (l *loader) stage(tx *postgres.Tx, t table, fill func(put putFunc) error) error {
	sel := append(append([]string(nil), t.cols...), t.extra...)
	if _, err := tx.Exec(fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`,
		t.stageName(), strings.Join(sel, ", "), t.name)); err != nil {
		return plain(t.name, err)
	}
	ctx := tx.Ctx()
	stmt, err := tx.Raw().PrepareContext(ctx, fmt.Sprintf(`COPY %s (%s) FROM STDIN`, t.stageName(), strings.Join(t.copyCols(), ", ")))
	if err != nil {
		return plain(t.name, err)
	}
	put := func(values ...any) error {
		_, err := stmt.ExecContext(ctx, values...)
		return err
	}
	if err := fill(put); err != nil {
		_ = stmt.Close()
		return plain(t.name, err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		_ = stmt.Close()
		return plain(t.name, err)
	}
	return plain(t.name, stmt.Close())
}

// copy writes the rows fill makes into t through its staging table, and
// reports them as chunk of chunks.
func (l *loader) copy(tx *postgres.Tx, t table, chunk, chunks int, fill func(put putFunc) error) error {
	t0 := time.Now()
	if err := l.stage(tx, t, fill); err != nil {
		return err
	}
	n, err := tx.Exec(t.insert())
	if err != nil {
		return plain(t.name, err)
	}
	if _, err := tx.Exec(`DROP TABLE ` + t.stageName()); err != nil {
		return plain(t.name, err)
	}
	l.prog.add(t.name, n, chunk, chunks, time.Since(t0))
	return nil
}
