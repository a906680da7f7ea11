package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// filterCSV is a district whose village names hold characters that mean
// something to SQL or to LIKE patterns.
const filterCSV = `code,name,parent_code
32,江苏省,
3201,南京市,32
320117,溧水区,3201
320117001,永阳街道,320117
320117100,白马镇,320117
320117001001,东门社区居委会,320117001
320117001201,百分%村委会,320117001
320117001202,下划_线村委会,320117001
320117001203,反斜\杠村委会,320117001
320117100201,"引号'与""双引号""村委会",320117100
320117100202,美元$1村委会,320117100
320117100003,表情😀社区居委会,320117100
`

// fuzzDB is a database holding filterCSV, some alerts, and a district
// administrator's context to query it with.
type fuzzDB struct {
	db       *postgres.DB
	ctx      context.Context // the district administrator
	path     string          // the district's path
	villages []*core.Region
	alerts   []alertRow
}

type alertRow struct {
	ID         int64  `db:"id"`
	Rule       string `db:"rule"`
	Escalation int    `db:"escalation_level"`
}

func newFuzzDB(f *testing.F) *fuzzDB {
	db := testenv.DB(f)
	sys := core.WithActor(context.Background(), core.System("fuzz"))
	if _, err := regionimport.Import(sys, db, strings.NewReader(filterCSV), nil); err != nil {
		f.Fatalf("import: %v", err)
	}
	district, err := db.RegionByCode(sys, "320117")
	if err != nil {
		f.Fatal(err)
	}
	fd := &fuzzDB{db: db, path: district.Path,
		ctx: core.WithActor(context.Background(), &core.Actor{TokenID: 1, Name: "fuzz", Role: core.RoleDistrictAdmin,
			ScopeID: district.ID, ScopeCode: district.Code, ScopePath: district.Path})}
	if err := db.AsSystem(sys, func(tx *postgres.Tx) error {
		if err := tx.Select(&fd.villages, `SELECT id, code, name, kind FROM regions WHERE level = 5 ORDER BY code`); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO alerts (rule, region_id, period, severity, state, escalation_level, raised_at)
			SELECT rule, r.id, '2026-05', 'breach', 'open', lvl, now()
			FROM regions r CROSS JOIN (VALUES ('lecture_months', 0), ('board_months', 1), ('规则''%_', 2), ('x', 3)) k(rule, lvl)
			WHERE r.level = 5`); err != nil {
			return err
		}
		return tx.Select(&fd.alerts, `SELECT id, rule, escalation_level FROM alerts ORDER BY id DESC`)
	}); err != nil {
		f.Fatal(err)
	}
	return fd
}

// textOK reports whether s can travel to PostgreSQL as text.
func textOK(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// FuzzVillagesFilter runs the villages query of a district with arbitrary
// name filters and cursors against the database: it never fails but with
// INVALID on text PostgreSQL cannot hold (invalid UTF-8, NUL), and returns
// exactly the villages whose name contains the text (after the cursor), as
// the count does.
func FuzzVillagesFilter(f *testing.F) {
	fd := newFuzzDB(f)
	for _, s := range []string{"", "村", "%", "_", "\\", "'", "\"", "$1", "😀", "社区", "' OR 1=1 --", "a\x00b", "\xff", "百分%"} {
		f.Add(s, "", uint8(0))
	}
	f.Add("村", "320117001201", uint8(1))
	f.Add("", "\xfe", uint8(2))
	f.Add("", "3201171", uint8(0))
	f.Fuzz(func(t *testing.T, name, after string, kindSel uint8) {
		fl := postgres.VillageFilter{NameContains: name}
		switch kindSel % 3 {
		case 1:
			k := core.KindVillage
			fl.Kind = &k
		case 2:
			k := core.KindCommunity
			fl.Kind = &k
		}
		got, more, err := fd.db.Villages(fd.ctx, fd.path, fl, postgres.Page{First: 100, After: after})
		n, cerr := fd.db.CountVillages(fd.ctx, fd.path, fl)
		if !textOK(name) || !textOK(after) {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("name %q after %q: %v, want INVALID", name, after, err)
			}
			if !textOK(name) && core.ErrorCode(cerr) != core.EINVALID {
				t.Fatalf("count with name %q: %v, want INVALID", name, cerr)
			}
			return
		}
		if err != nil || cerr != nil {
			t.Fatalf("name %q after %q: %v / count: %v", name, after, err, cerr)
		}
		var want, all []string
		for _, v := range fd.villages {
			if (name == "" || strings.Contains(v.Name, name)) && (fl.Kind == nil || (v.Kind != nil && *v.Kind == *fl.Kind)) {
				all = append(all, v.Code)
				if v.Code > after { // codes are digits; the test cluster's collation is C
					want = append(want, v.Code)
				}
			}
		}
		var codes []string
		for _, v := range got {
			codes = append(codes, v.Code)
		}
		if more || !slices.Equal(codes, want) {
			t.Fatalf("name %q kind %v after %q: got %v (more %v), want %v", name, fl.Kind, after, codes, more, want)
		}
		if n != len(all) {
			t.Fatalf("name %q: count %d, want %d", name, n, len(all))
		}
	})
}

// FuzzAlertsFilter runs the alerts query of a district with arbitrary rule
// and escalation filters and cursors: text PostgreSQL cannot hold is
// INVALID, a cursor that is not an alert id is INVALID_CURSOR, and otherwise
// the result is exactly the matching alerts, newest first.
func FuzzAlertsFilter(f *testing.F) {
	fd := newFuzzDB(f)
	f.Add("", 0, "")
	f.Add("lecture_months", 1, "")
	f.Add("规则'%_", 2, "")
	f.Add("x", 40000, "")
	f.Add("", -1, "5")
	f.Add("", 1<<40, "9223372036854775807")
	f.Add("a\x00", 0, "x")
	f.Fuzz(func(t *testing.T, rule string, minEsc int, after string) {
		fl := postgres.AlertFilter{Rule: rule, MinEscalation: minEsc}
		got, more, err := fd.db.Alerts(fd.ctx, fd.path, fl, postgres.Page{First: 100, After: after})
		cursor, cerr := strconv.ParseInt(after, 10, 64)
		switch {
		case after != "" && cerr != nil:
			if core.ErrorCode(err) != core.EINVALIDCURSOR {
				t.Fatalf("after %q: %v, want INVALID_CURSOR", after, err)
			}
			return
		case !textOK(rule):
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("rule %q: %v, want INVALID", rule, err)
			}
			return
		case err != nil:
			t.Fatalf("rule %q min %d after %q: %v", rule, minEsc, after, err)
		}
		if after == "" {
			cursor = 1<<62 - 1
		}
		var want []int64
		for _, a := range fd.alerts {
			if (rule == "" || a.Rule == rule) && (minEsc <= 0 || a.Escalation >= minEsc) && a.ID < cursor {
				want = append(want, a.ID)
			}
		}
		var ids []int64
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if more || !slices.Equal(ids, want) {
			t.Fatalf("rule %q min %d after %q: got %v (more %v), want %v", rule, minEsc, after, ids, more, want)
		}
		n, err := fd.db.CountAlerts(fd.ctx, fd.path, fl)
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		all := 0
		for _, a := range fd.alerts {
			if (rule == "" || a.Rule == rule) && (minEsc <= 0 || a.Escalation >= minEsc) {
				all++
			}
		}
		if n != all {
			t.Fatalf("rule %q min %d: count %d, want %d", rule, minEsc, n, all)
		}
	})
}
