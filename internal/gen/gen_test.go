package gen

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/divcode"
	"github.com/lawvillage/lawvillage/internal/regioncsv"
)

// checkHierarchy verifies codes, levels, parents, sibling names, kinds and order.
func checkHierarchy(t *testing.T, regions []Region) map[divcode.Level]int {
	t.Helper()
	byCode := map[divcode.Code]Region{}
	siblings := map[divcode.Code]map[string]bool{}
	counts := map[divcode.Level]int{}
	for i, r := range regions {
		if _, err := divcode.Parse(string(r.Code)); err != nil {
			t.Fatalf("region %d: %v", i, err)
		}
		if r.Level != r.Code.Level() {
			t.Fatalf("%s: level %v, code says %v", r.Code, r.Level, r.Code.Level())
		}
		if _, dup := byCode[r.Code]; dup {
			t.Fatalf("duplicate code %s", r.Code)
		}
		if r.Level == divcode.Province {
			if r.ParentCode != "" {
				t.Fatalf("province %s has parent %s", r.Code, r.ParentCode)
			}
		} else {
			p, ok := byCode[r.ParentCode]
			if !ok {
				t.Fatalf("%s: parent %s not generated before it", r.Code, r.ParentCode)
			}
			if p.Level != r.Level-1 || r.Code.Parent() != r.ParentCode {
				t.Fatalf("%s: parent %s is not one level up by prefix", r.Code, r.ParentCode)
			}
		}
		if i > 0 {
			prev := regions[i-1]
			if prev.Level > r.Level || (prev.Level == r.Level && prev.Code >= r.Code) {
				t.Fatalf("not sorted by level then code at %s after %s", r.Code, prev.Code)
			}
		}
		if siblings[r.ParentCode] == nil {
			siblings[r.ParentCode] = map[string]bool{}
		}
		if siblings[r.ParentCode][r.Name] {
			t.Fatalf("name %q repeated under %s", r.Name, r.ParentCode)
		}
		siblings[r.ParentCode][r.Name] = true
		switch r.Level {
		case divcode.Town:
			if !strings.HasSuffix(r.Name, "镇") && !strings.HasSuffix(r.Name, "街道") {
				t.Fatalf("town name %q", r.Name)
			}
		case divcode.Village:
			want, ok := regioncsv.InferKind(r.Name)
			if !ok || want != r.Kind {
				t.Fatalf("village %q has kind %q, name says %q", r.Name, r.Kind, want)
			}
			if !strings.HasSuffix(r.Name, "村委会") && !strings.HasSuffix(r.Name, "社区居委会") {
				t.Fatalf("village name %q", r.Name)
			}
		default:
			if r.Kind != "" {
				t.Fatalf("%s has kind %q", r.Code, r.Kind)
			}
		}
		byCode[r.Code] = r
		counts[r.Level]++
	}
	return counts
}

func communityShare(regions []Region) float64 {
	var v, c int
	for _, r := range regions {
		switch r.Kind {
		case KindVillage:
			v++
		case KindCommunity:
			c++
		}
	}
	return float64(c) / float64(v+c)
}

func TestJiangsuScale(t *testing.T) {
	regions := Province(1, JiangsuScale())
	if n := len(regions); n < 23400 || n > 23800 {
		t.Fatalf("JiangsuScale gave %d regions, want 23,400..23,800", n)
	}
	counts := checkHierarchy(t, regions)
	want := map[divcode.Level]int{divcode.Province: 1, divcode.City: 13, divcode.District: 104, divcode.Town: 1490, divcode.Village: 22000}
	for l, n := range want {
		if counts[l] != n {
			t.Errorf("%v: %d regions, want %d", l, counts[l], n)
		}
	}
	if regions[0].Code != "32" || regions[0].Name != "江苏省" {
		t.Errorf("province = %+v", regions[0])
	}
	if s := communityShare(regions); s < 0.25 || s > 0.35 {
		t.Errorf("community share %.3f, want about 0.30", s)
	}
	// Children per parent vary.
	per := map[divcode.Code]int{}
	for _, r := range regions {
		if r.Level == divcode.Town {
			per[r.ParentCode]++
		}
	}
	lo, hi := 1<<30, 0
	for _, n := range per {
		lo, hi = min(lo, n), max(hi, n)
	}
	if lo == hi {
		t.Errorf("every district has %d towns; want variation", lo)
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, regions); err != nil {
		t.Fatal(err)
	}
	f, err := regioncsv.Parse(bytes.NewReader(buf.Bytes()), regioncsv.Options{})
	if err != nil {
		t.Fatalf("regioncsv rejected the generated file: %v", err)
	}
	if len(f.Rows) != len(regions) {
		t.Fatalf("parsed %d rows, generated %d", len(f.Rows), len(regions))
	}
	for i, r := range f.Rows {
		g := regions[i]
		if r.Code != g.Code || r.Name != g.Name || r.ParentCode != g.ParentCode || r.Level != g.Level || r.Kind != g.Kind {
			t.Fatalf("row %d: parsed %+v, generated %+v", i, r, g)
		}
	}
	if ext := f.ExternalParents(); len(ext) != 0 {
		t.Errorf("a whole province has external parents %v", ext)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Province(7, JiangsuScale()), Province(7, JiangsuScale())
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	c := Province(8, JiangsuScale())
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same output")
	}
	if !slices.Equal(DemoDistrict(3), DemoDistrict(3)) {
		t.Fatal("DemoDistrict not deterministic")
	}
}

func TestSmallSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want map[divcode.Level]int
	}{
		{"averages", Spec{ProvinceCode: "11", ProvinceName: "示例省", Cities: 2, DistrictsPerCity: 3, TownsPerDistrict: 4, VillagesPerTown: 5},
			map[divcode.Level]int{1: 1, 2: 2, 3: 6, 4: 24, 5: 120}},
		{"zero counts become one", Spec{ProvinceCode: "65"},
			map[divcode.Level]int{1: 1, 2: 1, 3: 1, 4: 1, 5: 1}},
		{"exact totals", Spec{ProvinceCode: "44", Cities: 3, Districts: 10, Towns: 31, Villages: 333},
			map[divcode.Level]int{1: 1, 2: 3, 3: 10, 4: 31, 5: 333}},
		{"clamped to code space", Spec{ProvinceCode: "50", Cities: 150, DistrictsPerCity: 1, TownsPerDistrict: 1, VillagesPerTown: 1},
			map[divcode.Level]int{1: 1, 2: 99, 3: 99, 4: 99, 5: 99}},
		{"many per parent", Spec{ProvinceCode: "51", Cities: 1, DistrictsPerCity: 98, TownsPerDistrict: 2, Villages: 999 * 196},
			map[divcode.Level]int{1: 1, 2: 1, 3: 98, 4: 196, 5: 999 * 196}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions := Province(1, tt.spec)
			counts := checkHierarchy(t, regions)
			for l, n := range tt.want {
				if counts[l] != n {
					t.Errorf("%v: %d, want %d", l, counts[l], n)
				}
			}
			var buf bytes.Buffer
			if err := WriteCSV(&buf, regions); err != nil {
				t.Fatal(err)
			}
			if _, err := regioncsv.Parse(&buf, regioncsv.Options{}); err != nil {
				t.Fatalf("regioncsv rejected it: %v", err)
			}
		})
	}
}

func TestProvincePanicsOnBadCode(t *testing.T) {
	for _, code := range []string{"", "3201", "3", "00"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Province with code %q did not panic", code)
				}
			}()
			Province(1, Spec{ProvinceCode: code})
		}()
	}
}

func TestDemoDistrict(t *testing.T) {
	regions := DemoDistrict(1)
	counts := checkHierarchy(t, regions)
	want := map[divcode.Level]int{divcode.Province: 1, divcode.City: 1, divcode.District: 1, divcode.Town: 8, divcode.Village: 100}
	for l, n := range want {
		if counts[l] != n {
			t.Errorf("%v: %d, want %d", l, counts[l], n)
		}
	}
	top := []Region{
		{Code: "32", Name: "江苏省", Level: divcode.Province},
		{Code: "3201", Name: "南京市", ParentCode: "32", Level: divcode.City},
		{Code: "320117", Name: "溧水区", ParentCode: "3201", Level: divcode.District},
	}
	if !slices.Equal(regions[:3], top) {
		t.Errorf("top = %+v", regions[:3])
	}
	var streets, towns int
	for _, r := range regions {
		if r.Level == divcode.Town {
			if strings.HasSuffix(r.Name, "街道") {
				streets++
			} else {
				towns++
			}
		}
	}
	if streets == 0 || towns == 0 {
		t.Errorf("streets %d, towns %d: want both", streets, towns)
	}
	for seed := int64(0); seed < 20; seed++ {
		if s := communityShare(DemoDistrict(seed)); s < 0.18 || s > 0.42 {
			t.Errorf("seed %d: community share %.2f, want about 0.30", seed, s)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	regions := []Region{
		{Code: "32", Name: "江苏省", Level: divcode.Province},
		{Code: "3201", Name: "南京市, \"示例\"", ParentCode: "32", Level: divcode.City},
		{Code: "320117", Name: "溧水区", ParentCode: "3201", Level: divcode.District},
		{Code: "320117100", Name: "青塘镇", ParentCode: "320117", Level: divcode.Town},
		{Code: "320117100201", Name: "王家桥村委会", ParentCode: "320117100", Level: divcode.Village, Kind: KindVillage},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, regions); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], []string{"code", "name", "parent_code", "kind"}) {
		t.Errorf("header = %v", recs[0])
	}
	if len(recs) != 6 || recs[2][1] != "南京市, \"示例\"" || !slices.Equal(recs[5], []string{"320117100201", "王家桥村委会", "320117100", "village"}) {
		t.Errorf("records = %q", recs)
	}
	if err := WriteCSV(failWriter{}, regions); err == nil {
		t.Errorf("write error not returned")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, bytes.ErrTooLarge }
