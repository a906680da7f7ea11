package regioncsv_test

// These tests read files made by internal/gen, which imports the storage
// packages that import regioncsv: they live in the external test package.

import (
	"bytes"
	"testing"

	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/regioncsv"
)

func TestGeneratedDemo(t *testing.T) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.DemoDistrict(1)); err != nil {
		t.Fatal(err)
	}
	f, err := regioncsv.Parse(&buf, regioncsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 3+8+100 {
		t.Errorf("%d rows", len(f.Rows))
	}
}

func BenchmarkParseProvince(b *testing.B) {
	var buf bytes.Buffer
	regions := gen.Province(1, gen.JiangsuScale())
	if err := gen.WriteCSV(&buf, regions); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := regioncsv.Parse(bytes.NewReader(data), regioncsv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(f.Rows) != len(regions) {
			b.Fatalf("%d rows", len(f.Rows))
		}
	}
	b.ReportMetric(float64(len(regions)), "rows/op")
}
