package recordimport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
)

// workbook builds an .xlsx file whose first sheet holds the rows as text cells.
func workbook(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		row := make([]any, len(r))
		for j, c := range r {
			row[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// An .xlsx cell 1E+600000000 in a code or phone column is not expanded into
// its 600 million digits (1E+10000000 alone took 8 s): it is a bad code at
// once.
func TestSciIntegerHugeExponent(t *testing.T) {
	for _, v := range []string{"1e600000000", "1E+646000000", "1e999999999", "9.99E+30", "1e31"} {
		if got, ok := sciInteger(v); ok || got != v {
			t.Errorf("sciInteger(%q) = %.40q %v, want it unchanged and false", v, got, ok)
		}
	}
	for v, want := range map[string]string{"3.20117001201E+11": "320117001201", "1.38E+10": "13800000000", "1E+29": "1" + strings.Repeat("0", 29)} {
		if got, ok := sciInteger(v); !ok || got != want {
			t.Errorf("sciInteger(%q) = %q %v, want %q", v, got, ok, want)
		}
	}
	pinClock(t)
	data := workbook(t, []string{ColVillage, ColHousehold, ColPhone},
		[]string{"1E+600000000", "001", "1e646000000"},
		[]string{"3.20117001201E+11", "002", "1.38123E+10"})
	p, err := Parse(core.RecordHousehold, data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.File.Errors {
		got = append(got, fmt.Sprintf("%d %s", e.Row, e.Column))
	}
	if want := []string{"2 " + ColVillage, "2 " + ColPhone}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("problems %v, want %v", got, want)
	}
	if h := p.Households[1]; h.VillageCode != "320117001201" || h.Phone != "13812300000" {
		t.Fatalf("row 3: %+v", h)
	}
}

// A header of thousands of unknown columns lists at most MaxErrors problems
// and says how many more there are, as the rows do.
func TestHeaderProblemsCapped(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, "列%d,", i)
	}
	b.WriteString("\n1\n")
	_, err := Parse(core.RecordHousehold, []byte(b.String()))
	e := core.AsError(err)
	if e == nil || e.Code != core.EIMPORT {
		t.Fatalf("error %v, want IMPORT_REJECTED", err)
	}
	if len(e.Details) != MaxErrors+1 {
		t.Fatalf("%d details, want %d", len(e.Details), MaxErrors+1)
	}
	// 3000 unknown columns and the two required ones missing.
	if last := e.Details[MaxErrors]; last.Row != 1 || !strings.Contains(last.Zh, "2002") || !strings.Contains(last.En, "2002") {
		t.Fatalf("last detail %+v", last)
	}
	if !strings.Contains(e.Zh, "3002") || !strings.Contains(e.En, "3002") {
		t.Fatalf("message %q / %q", e.Zh, e.En)
	}
}

// A period typed as 2025.06 in an .xlsx text cell is June 2025, as in a CSV
// file, not Excel's day 2025 (July 1905); a real Excel date is its month.
func TestPeriodDecimalInXLSX(t *testing.T) {
	pinClock(t)
	data := workbook(t, []string{ColVillage, ColSurveyKind, ColPeriod, ColSurveyedOn, ColRespondents, ColPositive},
		[]string{fuzzVillage, "群众安全感", "2025.06", "2025-06-30", "10", "9"},
		[]string{fuzzVillage, "说事平台满意度", "2025.6", "2025-06-30", "10", "9"},
		[]string{"320117001001", "群众安全感", "45809", "2025-06-30", "10", "9"}, // 2025-06-01 as an Excel date
		[]string{"320117001001", "说事平台满意度", "1e300", "2025-06-30", "10", "9"})
	p, err := Parse(core.RecordSurvey, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.File.Errors) != 1 || p.File.Errors[0].Row != 5 || p.File.Errors[0].Column != ColPeriod {
		t.Fatalf("problems %+v, want only the period of line 5", p.File.Errors)
	}
	for i, want := range []string{"2025-06", "2025-06", "2025-06", ""} {
		if got := p.Surveys[i].Period; got != want {
			t.Errorf("line %d: period %q, want %q", i+2, got, want)
		}
	}
}
