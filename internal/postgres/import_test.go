package postgres_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

const base = `code,name,parent_code
32,江苏省,
3201,南京市,32
320117,溧水区,3201
320117001,永阳街道,320117
320117100,白马镇,320117
320117001001,东门社区居委会,320117001
320117001201,秋湖村委会,320117001
320117100201,白马村委会,320117100
`

func system() context.Context { return core.WithActor(context.Background(), core.System("test")) }

func countRegions(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var n int
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM regions`)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportRegions(t *testing.T) {
	db := testenv.DB(t)
	ctx := system()

	res, err := regionimport.Import(ctx, db, strings.NewReader(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 8 || res.Updated != 0 || res.Unchanged != 0 {
		t.Fatalf("first import: %+v", res)
	}
	t.Run("SameFileChangesNothing", func(t *testing.T) {
		var before, after int
		_ = db.AsSystem(ctx, func(tx *postgres.Tx) error { return tx.Get(&before, `SELECT count(*) FROM audit_log`) })
		res, err := regionimport.Import(ctx, db, strings.NewReader(base), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Inserted != 0 || res.Updated != 0 || res.Unchanged != 8 {
			t.Fatalf("re-import: %+v", res)
		}
		_ = db.AsSystem(ctx, func(tx *postgres.Tx) error { return tx.Get(&after, `SELECT count(*) FROM audit_log`) })
		if before != after {
			t.Fatalf("re-import wrote %d audit records", after-before)
		}
		v, err := db.RegionByCode(ctx, "320117001201")
		if err != nil || v.Version != 1 || v.Path != "32.3201.320117.320117001.320117001201" || *v.Kind != core.KindVillage {
			t.Fatalf("village after re-import: %+v %v", v, err)
		}
	})
	t.Run("RenameUpdates", func(t *testing.T) {
		res, err := regionimport.Import(ctx, db, strings.NewReader("code,name,parent_code\n320117100201,白马新村村委会,320117100\n"), nil)
		if err != nil || res.Updated != 1 || res.Inserted != 0 {
			t.Fatalf("rename: %+v %v", res, err)
		}
		v, _ := db.RegionByCode(ctx, "320117100201")
		if v.Name != "白马新村村委会" || v.Version != 2 {
			t.Fatalf("renamed village: %+v", v)
		}
	})
	t.Run("ParentInDatabase", func(t *testing.T) {
		res, err := regionimport.Import(ctx, db, strings.NewReader("code,name,parent_code\n320117100202,石头寨村委会,320117100\n"), nil)
		if err != nil || res.Inserted != 1 {
			t.Fatalf("child of an existing town: %+v %v", res, err)
		}
	})

	bad := []struct {
		name, csv string
		row       int
		column    string
	}{
		{"ErrUnknownParent", "code,name,parent_code\n320117200,新镇,320117\n320117300201,某村委会,320117300\n", 3, "parent_code"},
		{"ErrWrongLevel", "code,name,parent_code\n3201172,某镇,320117\n", 2, "code"},
		{"ErrParentLevel", "code,name,parent_code\n320117005001,某社区,320117\n", 2, ""},
		{"ErrDuplicateCode", "code,name,parent_code\n320117200,新镇,320117\n320117200,又一个镇,320117\n", 3, "code"},
		{"ErrBadEncoding", "code,name,parent_code\n320117200,\xd0\xc2\xd5\xf2,320117\n", 2, ""},
		{"ErrMovedRegion", "code,name,parent_code\n320117100201,白马新村村委会,320117001\n", 2, "parent_code"},
		{"ErrEmptyName", "code,name,parent_code\n320117200,,320117\n", 2, "name"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			before := countRegions(t, db)
			_, err := regionimport.Import(ctx, db, strings.NewReader(c.csv), nil)
			e := core.AsError(err)
			if e == nil || e.Code != core.EIMPORT {
				t.Fatalf("want IMPORT_REJECTED, got %v", err)
			}
			found := false
			for _, d := range e.Details {
				if d.Row == c.row && (c.column == "" || d.Column == c.column) && d.Zh != "" && d.En != "" {
					found = true
				}
			}
			if !found {
				t.Fatalf("want an error on row %d column %q, got %+v", c.row, c.column, e.Details)
			}
			if after := countRegions(t, db); after != before {
				t.Fatalf("a rejected file wrote %d rows", after-before)
			}
		})
	}
	t.Run("ErrOneBadRowWritesNothing", func(t *testing.T) {
		before := countRegions(t, db)
		csv := "code,name,parent_code\n320117400,新镇,320117\n320117400201,一村委会,320117400\n320117400202,二村委会,320117499\n"
		if _, err := regionimport.Import(ctx, db, strings.NewReader(csv), nil); core.ErrorCode(err) != core.EIMPORT {
			t.Fatalf("want IMPORT_REJECTED, got %v", err)
		}
		if after := countRegions(t, db); after != before {
			t.Fatalf("partial write: %d rows", after-before)
		}
	})
}

func TestImportScope(t *testing.T) {
	db := testenv.DB(t)
	if _, err := regionimport.Import(system(), db, strings.NewReader(base), nil); err != nil {
		t.Fatal(err)
	}
	// A district admin of another district sees nothing of 320117: its towns
	// are "unknown parents", exactly as if they did not exist.
	if _, err := regionimport.Import(system(), db, strings.NewReader("code,name,parent_code\n320118,高淳区,3201\n"), nil); err != nil {
		t.Fatal(err)
	}
	other, _ := db.RegionByCode(system(), "320118")
	ctx := core.WithActor(context.Background(), &core.Actor{TokenID: 1, Name: "高淳区司法局", Role: core.RoleDistrictAdmin,
		ScopeID: other.ID, ScopeCode: "320118", ScopePath: other.Path})
	_, err := regionimport.Import(ctx, db, strings.NewReader("code,name,parent_code\n320117100209,某村委会,320117100\n"), nil)
	e := core.AsError(err)
	if e == nil || e.Code != core.EIMPORT || len(e.Details) != 1 || !strings.Contains(e.Details[0].En, "unknown parent") {
		t.Fatalf("want unknown parent, got %v %+v", err, e)
	}
	// Inside its own scope it imports.
	res, err := regionimport.Import(ctx, db, strings.NewReader("code,name,parent_code\n320118001,淳溪街道,320118\n"), nil)
	if err != nil || res.Inserted != 1 {
		t.Fatalf("own scope import: %+v %v", res, err)
	}
	// A region outside its scope, under a parent it cannot see either: rejected.
	_, err = regionimport.Import(ctx, db, strings.NewReader("code,name,parent_code\n3202,无锡市,32\n"), nil)
	if core.ErrorCode(err) != core.EIMPORT {
		t.Fatalf("outside scope: want IMPORT_REJECTED, got %v", err)
	}
}

func TestImportProvinceScale(t *testing.T) {
	db := testenv.DB(t)
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.Province(7, gen.JiangsuScale())); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	res, err := regionimport.Import(system(), db, bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted < 23400 || res.Inserted > 23800 {
		t.Fatalf("inserted %d", res.Inserted)
	}
	res2, err := regionimport.Import(system(), db, bytes.NewReader(data), nil)
	if err != nil || res2.Inserted != 0 || res2.Updated != 0 || res2.Unchanged != res.Inserted {
		t.Fatalf("re-import of the province: %+v %v", res2, err)
	}
}
