package postgres

import (
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
)

var placeholder = regexp.MustCompile(`\$(\d+)`)

// checkParams fails unless the clause uses exactly the placeholders $1..$n
// for its n arguments.
func checkParams(t *testing.T, where string, args []any) {
	t.Helper()
	seen := map[int]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(where, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > len(args) {
			t.Fatalf("placeholder $%s with %d arguments in %q", m[1], len(args), where)
		}
		seen[n] = true
	}
	if len(seen) != len(args) {
		t.Fatalf("%d arguments but placeholders %v in %q", len(args), seen, where)
	}
}

// FuzzVillageWhere checks the village filter's WHERE clause for any filter
// values: the SQL text depends only on which filters are set, never on
// their values (which travel as arguments, verbatim), and its placeholders
// match its arguments. The filter's user text thus cannot change the query.
func FuzzVillageWhere(f *testing.F) {
	f.Add("32.3201.320117", "东门", "village", "retained", 3, uint8(0b1111))
	f.Add("32", "'; DROP TABLE regions; --", "community", "revoked'--", -1, uint8(0b0101))
	f.Add("", "$1 $2 %_\\", "$3", "$?", 0, uint8(0b1010))
	f.Add("x", "", "", "", 1<<40, uint8(0b10000))
	f.Fuzz(func(t *testing.T, path, name, kind, status string, batch int, set uint8) {
		build := func(path, name, kind, status string, batch int) (string, []any) {
			fl := VillageFilter{NameContains: name}
			if set&1 != 0 {
				k := core.VillageKind(kind)
				fl.Kind = &k
			}
			if set&2 != 0 {
				s := core.TitleStatus(status)
				fl.TitleStatus = &s
			}
			if set&4 != 0 {
				fl.Batch = &batch
			}
			if set&24 != 0 {
				has := set&8 != 0
				fl.HasTitle = &has
			}
			return villageWhere(path, fl)
		}
		where, args := build(path, name, kind, status, batch)
		checkParams(t, where, args)
		if args[0] != path {
			t.Fatalf("first argument %v, want the path", args[0])
		}
		other := "v"
		if name == "" {
			other = "" // an empty name is no filter
		}
		where2, args2 := build("p", other, "k", "s", batch+1)
		if where != where2 {
			t.Fatalf("the SQL depends on the filter's values:\n%s\n%s", where, where2)
		}
		if len(args) != len(args2) {
			t.Fatalf("%d arguments, then %d", len(args), len(args2))
		}
		want := []any{path}
		if set&1 != 0 {
			want = append(want, kind)
		}
		if name != "" {
			want = append(want, name)
		}
		if set&2 != 0 {
			want = append(want, status)
		}
		if set&4 != 0 {
			want = append(want, batch)
		}
		if !reflect.DeepEqual(args, want) {
			t.Fatalf("arguments %#v, want %#v", args, want)
		}
	})
}

// FuzzAlertWhere checks the alert filter's WHERE clause as FuzzVillageWhere
// does the village filter's.
func FuzzAlertWhere(f *testing.F) {
	f.Add("32.3201", "open", "breach", "2026-05", "lecture_months", 1)
	f.Add("", "'", "\"", "2026-Q2'; --", "$1", -5)
	f.Add("32", "", "", "", "", 40000)
	f.Fuzz(func(t *testing.T, path, state, severity, period, rule string, minEsc int) {
		fl := AlertFilter{State: state, Severity: severity, Period: period, Rule: rule, MinEscalation: minEsc}
		where, args := alertWhere(path, fl)
		checkParams(t, where, args)
		alt := func(s, v string) string {
			if s == "" {
				return ""
			}
			return v
		}
		altEsc := 0
		if minEsc > 0 {
			altEsc = 7
		}
		where2, _ := alertWhere("p", AlertFilter{State: alt(state, "s"), Severity: alt(severity, "v"), Period: alt(period, "p"),
			Rule: alt(rule, "r"), MinEscalation: altEsc})
		if where != where2 {
			t.Fatalf("the SQL depends on the filter's values:\n%s\n%s", where, where2)
		}
		want := []any{path}
		for _, s := range []string{state, severity, period, rule} {
			if s != "" {
				want = append(want, s)
			}
		}
		if minEsc > 0 {
			want = append(want, minEsc)
		}
		if !reflect.DeepEqual(args, want) {
			t.Fatalf("arguments %#v, want %#v", args, want)
		}
	})
}
