package recordimport

// Fuzz targets of the record importer's parser (no database): the CSV path
// (FuzzParseCSV), the .xlsx path over small workbooks built from fuzzed cells
// (FuzzParseXLSX), and the readers of single cells (FuzzCells). Whatever the
// bytes, Parse must not panic, must either return checked rows or an
// IMPORT_REJECTED error with both messages, and the rows it returns must keep
// the promises the writer relies on: lines increasing, values trimmed and as
// in the file, types valid, and every row without a listed error complete
// and consistent.

import (
	"bytes"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// fuzzNow is the parser's clock in the fuzz targets, so that a crasher
// replays the same way on any day.
var fuzzNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func pinClock(tb testing.TB) period.Date {
	old := now
	now = func() time.Time { return fuzzNow }
	tb.Cleanup(func() { now = old })
	return period.DateOf(fuzzNow)
}

// fuzzVillage is a well-formed village code for the seeds.
const fuzzVillage = "320117001201"

// seedRows are realistic files of every kind (header first).
var seedRows = map[core.RecordKind][]string{
	core.RecordHousehold: {
		"村(社区)代码,户号,户主姓名,联系电话,村民小组,网格,人口数,学法用法示范户年份,有家规家训,加入法润民生群,参加普法志愿服务年份",
		fuzzVillage + ",001,张三,13812341234,第一村民小组,第一网格,4,2024,是,是,2024、2025",
		fuzzVillage + ",002,李四,,第二村民小组,第二网格,3,,否,是,",
		fuzzVillage + ",003,王五,025-52345678,,,5.0,,否,否,2025年",
		fuzzVillage + ",001,赵六,,,,,,Y,n,2023，2024",
	},
	core.RecordLegalSavvyPerson: {
		"村(社区)代码,网格,姓名,联系电话,培训日期,任职起始日期,任职截止日期",
		fuzzVillage + ",第一网格,赵六,13900001111,2025-03-15,2025-01-01,",
		fuzzVillage + ",第二网格,钱七,,2025/4/2,2025年1月1日,2025.12.31",
		fuzzVillage + ",第二网格,孙八,,2025-03-15 00:00:00,2025-06-01,2025-01-01",
	},
	core.RecordMediationCase: {
		"村(社区)代码,案件编号,受理日期,办结日期,调处结果,是否民转刑,当事人,案情摘要",
		fuzzVillage + ",QH-2025-001,2025-03-01,2025-03-20,成功,否,张三、李四,宅基地纠纷",
		fuzzVillage + ",QH-2025-002,2025-04-01,,调处中,否,王五,邻里纠纷",
		fuzzVillage + ",QH-2025-003,2025-05-01,2025-06-01,不成功,是,赵六,\"债务纠纷，涉及\"\"借条\"\"\n两张\"",
		fuzzVillage + ",QH-2025-004,2025-05-01,,成功,否,,",
	},
	core.RecordSurvey: {
		"村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
		fuzzVillage + ",群众安全感,2025,2025-12-20,200,193",
		fuzzVillage + ",说事平台满意度,2025-Q2,2025-06-28,50,46",
		fuzzVillage + ",群众安全感,2025年第2季度,2025-07-02,80,80",
		fuzzVillage + ",满意度,2025/5,2025-05-30,10,11",
	},
	core.RecordIncident: {
		"村(社区)代码,类型,发生日期,来源部门,情况说明",
		fuzzVillage + ",民转刑,2025-08-08,公安局,邻里纠纷升级为故意伤害",
		"320117100201,群体访或群体性事件,2025-09-09,信访局,",
		fuzzVillage + ",civil_to_criminal,2025-08-08,公安局,",
	},
	core.RecordLawsuit: {
		"村(社区)代码,年份,民事案件数,行政案件数,来源部门",
		fuzzVillage + ",2023,12,1,法院", fuzzVillage + ",2024,9,0,法院", fuzzVillage + ",2025,7,1,",
	},
	core.RecordCultureCarrier: {
		"村(社区)代码,类型,名称",
		fuzzVillage + ",法治广场,秋湖法治广场", fuzzVillage + ",宣传栏,村委会门前宣传栏", fuzzVillage + ",法治书屋,农家书屋",
	},
}

// csvSeeds are CSV files for the corpus: the templates, realistic rows,
// and the ways users get them wrong.
func csvSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	lf := func(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }
	for _, k := range core.RecordKinds {
		tmpl, err := TemplateCSV(k)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, tmpl) // header only: no data rows
		rows := seedRows[k]
		plain := lf(rows...)
		out = append(out, plain, append(append([]byte(nil), utf8BOM...), bytes.ReplaceAll(plain, []byte("\n"), []byte("\r\n"))...))
		// The template's own header with one realistic row.
		out = append(out, append(append([]byte(nil), tmpl...), []byte(rows[1]+"\r\n")...))
		if gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(plain); err == nil {
			out = append(out, gbk)
		}
	}
	hh := seedRows[core.RecordHousehold][0]
	row := fuzzVillage + ",001,张三,,,,3,,是,否,"
	out = append(out,
		lf(hh, "", row, "   ,  ,", ""), // empty and blank lines
		lf(" 村(社区)代码* ,户号＊,户主姓名", " "+fuzzVillage+" ,\t001 ,　张三　"), // stars, spaces, ideographic spaces
		lf("村(社区)代码,户号,户号", fuzzVillage+",001,002"),                // a column twice
		lf("村(社区)代码,户主名", fuzzVillage+",张三"),                       // unknown column, required one missing
		lf(hh, fuzzVillage+",\"00\"1,张三"),                          // a bare quote
		lf(hh, fuzzVillage+",\"001,张三"),                            // an unclosed quote
		lf(hh, "3.20117001201E+11,001,张三", "32011700120,002,李四", "３２０１１７００１２０１,003,王五"),
		lf(hh, fuzzVillage+",001,"+strings.Repeat("张", 60)+",,,,,,,,"),              // over 50 characters
		lf(hh, fuzzVillage+",001,张\x01三,电话,,,二百,1980,可能,否,2020、1900"),               // control character, bad cells
		lf(hh, fuzzVillage+",001,张三\uFFFD,+86 (025) 5234-5678,,,200,2026,√,×,2026"), // replacement character
		lf("村(社区)代码,案件编号,受理日期,办结日期", fuzzVillage+",A1,2025-03-01,2025-03-05"),       // outcome column missing
		lf("村(社区)代码,案件编号,受理日期,办结日期,调处结果,案情摘要",
			fuzzVillage+",A1,2025-03-01,2025-03-05,成功,\""+strings.Repeat("案情，", 2600)+"\""), // a huge cell
		lf("村(社区)代码,调查类型,调查期间,调查日期,受访人数,肯定回答人数",
			fuzzVillage+",群众安全感,2025-Q3,2025-06-30,100,99", fuzzVillage+",安全感,2026年6月,2026-06-30,0,0"),
		[]byte("\xEF\xBB\xBF"), []byte(""), []byte("\r\n\r\n"),
		[]byte("\xFF\xFE村\x00"), []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0},
		[]byte("PK\x03\x04garbage"),
	)
	return out
}

// FuzzParseCSV: Parse of arbitrary bytes, as each kind.
func FuzzParseCSV(f *testing.F) {
	today := pinClock(f)
	for _, s := range csvSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range core.RecordKinds {
			p, err := Parse(k, data)
			checkParse(t, k, data, p, err, today)
		}
	})
}

// FuzzParseXLSX: Parse of a small workbook whose first sheet holds the
// fuzzed cells (rows split by \x1e, cells by \x1f: characters an .xlsx
// cannot hold anyway), in the 1900 or the 1904 date system. A run builds
// and reads a workbook (milliseconds), so `make fuzz` caps the minimizing
// of each new input at 100 runs, which would otherwise take the whole time.
func FuzzParseXLSX(f *testing.F) {
	today := pinClock(f)
	for i, k := range core.RecordKinds {
		var rows []string
		for _, l := range seedRows[k] {
			rows = append(rows, strings.ReplaceAll(l, ",", "\x1f"))
		}
		f.Add(uint8(i), strings.Join(rows, "\x1e"), i%2 == 1)
	}
	hh := strings.ReplaceAll(seedRows[core.RecordHousehold][0], ",", "\x1f")
	f.Add(uint8(0), hh+"\x1e3.20117001201E+11\x1f001\x1f张三\x1f1.38E+10\x1e1e600000000\x1f002\x1f李四\x1f1E+30", false)
	f.Add(uint8(0), hh+"\x1e320117001201\x1f001\x1f张\x01三\x1f\x1f\x1f\x1f4.0\x1f2024.0\x1f1\x1f0\x1f2024.0、2025", false)
	f.Add(uint8(1), "村(社区)代码\x1f网格\x1f姓名\x1f联系电话\x1f培训日期\x1f任职起始日期\x1f任职截止日期\x1e"+
		"320117001201\x1f第一网格\x1f赵六\x1f\x1f45731\x1f45658.5\x1f2958466\x1e\x1e320117001201\x1f第一网格\x1f钱七\x1f\x1f-1\x1f59\x1f61", true)
	f.Add(uint8(3), "村(社区)代码\x1f调查类型\x1f调查期间\x1f调查日期\x1f受访人数\x1f肯定回答人数\x1e"+
		"320117001201\x1f安全感\x1f45809\x1f45836\x1f100.0\x1f99\x1e320117001201\x1f安全感\x1f1e300\x1f45836\x1f1\x1f1", false)
	f.Fuzz(func(t *testing.T, kind uint8, cells string, date1904 bool) {
		k := core.RecordKinds[int(kind)%len(core.RecordKinds)]
		data, ok := buildXLSX(t, cells, date1904)
		if !ok {
			return
		}
		p, err := Parse(k, data)
		checkParse(t, k, data, p, err, today)
	})
}

// buildXLSX writes a workbook from the fuzzed cells (false when excelize
// refuses them, e.g. a cell over its length limit).
func buildXLSX(t *testing.T, cells string, date1904 bool) ([]byte, bool) {
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	for i, line := range strings.Split(cells, "\x1e") {
		if i >= 50 {
			break
		}
		var row []any
		for j, c := range strings.Split(line, "\x1f") {
			if j >= 30 {
				break
			}
			row = append(row, c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			return nil, false
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatalf("write workbook: %v", err)
	}
	return b.Bytes(), true
}

// FuzzCells: every reader of a single cell, in a CSV and in an .xlsx file.
func FuzzCells(f *testing.F) {
	today := pinClock(f)
	for _, v := range []string{"", " ", "320117001201", "3.20117001201E+11", "1e999999999", "1e600000000", "1E+30", "1E+31", "-1e3", "0e0",
		"13812341234", "+86 (025) 5234-5678", "电话", "4", "4.0", "4.00", "+4", "-0", "99999999999999999999", "二",
		"是", "否", "Y", "no", "√", "可能", "2026-05-31", "2026/5/31", "2026.5.31", "2026年5月31日", "2026-05-31 08:00:00",
		"2026-05-31T08:00", "2026-02-29", "2099-01-01", "1999-12-31", "45731", "45731.99", "60", "2958466", "NaN", "Inf",
		"2026", "2026-Q2", "2026年第2季度", "2026年5月", "2026/5", "2026-5", "2026.5", "2025.06", "2026年", "2026-13", "1e300",
		"2024、2025", "2024,2025年", "2025.0", "、", "1989", "2027", "张三", " 张三 ", "张\x01三", "张\uFFFD三", "\ufeff张三",
		strings.Repeat("长", 51), "a\nb", "\t"} {
		f.Add(v, false, false)
		f.Add(v, true, false)
	}
	f.Add("45731", true, true)
	f.Fuzz(func(t *testing.T, v string, xlsx, date1904 bool) {
		checkCells(t, v, xlsx, date1904, today)
	})
}

func checkCells(t *testing.T, v string, xlsx, date1904 bool, today period.Date) {
	const col = ColVillage // villageCode reads this column; the other readers are told it
	s := &sheet{t: &table{xlsx: xlsx, date1904: date1904}, idx: map[string]int{col: 0}, today: today}
	r := tableRow{line: 2, cells: []string{v}}
	raw := strings.TrimSpace(v)
	// errs runs a reader and returns the problems it added.
	errs := func(read func()) []core.RowError {
		s.errs = nil
		read()
		for _, e := range s.errs {
			if e.Row != 2 || e.Column != col || !goodMessage(e.Zh) || !goodMessage(e.En) {
				t.Fatalf("%q: bad problem %+v", v, e)
			}
		}
		if len(s.errs) > 1 {
			t.Fatalf("%q: %d problems for one cell: %+v", v, len(s.errs), s.errs)
		}
		return s.errs
	}

	for _, required := range []bool{false, true} {
		var got string
		e := errs(func() { got = s.text(r, col, 50, required) })
		switch {
		case len(e) > 0 && got != "":
			t.Fatalf("text %q: %q with a problem", v, got)
		case len(e) == 0 && got != raw:
			t.Fatalf("text %q: %q, want the trimmed cell", v, got)
		case len(e) == 0 && (required && got == "" || !cleanText(got, 50)):
			t.Fatalf("text %q accepted as %q", v, got)
		}
	}

	var code string
	e := errs(func() { code = s.villageCode(r) })
	if (len(e) == 0) != (code != "") || code != "" && !isDigits(code, 12) {
		t.Fatalf("village code %q: %q, problems %+v", v, code, e)
	}
	if !xlsx && code != "" && code != raw {
		t.Fatalf("village code %q read as %q from a CSV file", v, code)
	}

	var phone string
	e = errs(func() { phone = s.phone(r, col) })
	if len(e) > 0 && phone != "" || !postgres.CheckPhone(phone) || len(e) == 0 && raw != "" && phone == "" {
		t.Fatalf("phone %q: %q, problems %+v", v, phone, e)
	}

	if w, ok := sciInteger(raw); ok && strings.ContainsAny(raw, "eE") {
		if !isDigits(w, len(w)) || len(w) > 31 {
			t.Fatalf("sciInteger(%q) = %q", raw, w)
		}
		if f, _, err := big.ParseFloat(raw, 10, 200, big.ToNearestEven); err != nil || f.Cmp(new(big.Float).SetInt(bigInt(w))) != 0 {
			t.Fatalf("sciInteger(%q) = %q, a different number", raw, w)
		}
	}

	for _, required := range []bool{false, true} {
		var n *int
		e = errs(func() { n = s.integer(r, col, 1990, 2026, required) })
		if (n == nil) != (len(e) > 0 || raw == "" && !required) || n != nil && (*n < 1990 || *n > 2026) {
			t.Fatalf("integer %q: %v, problems %+v", v, n, e)
		}
	}

	var b bool
	e = errs(func() { b = s.boolean(r, col) })
	if len(e) > 0 && b || b && raw == "" {
		t.Fatalf("boolean %q: %v, problems %+v", v, b, e)
	}

	for _, notFuture := range []bool{false, true} {
		var d string
		e = errs(func() { d = s.date(r, col, false, notFuture) })
		if (d == "") != (len(e) > 0 || raw == "") {
			t.Fatalf("date %q: %q, problems %+v", v, d, e)
		}
		if d != "" {
			pd, err := period.ParseDate(d)
			if err != nil || pd.String() != d || notFuture && pd.After(today) {
				t.Fatalf("date %q read as %q", v, d)
			}
			// A date the parser wrote reads back as itself.
			if again, ok := s.parseDate(d); !ok || again != pd {
				t.Fatalf("date %q read as %q, which reads as %v %v", v, d, again, ok)
			}
		}
	}

	var p period.Period
	var ok bool
	e = errs(func() { p, ok = s.periodCell(r, col) })
	if ok == (len(e) > 0) {
		t.Fatalf("period %q: %v, problems %+v", v, ok, e)
	}
	if ok {
		if q, err := period.Parse(p.String()); err != nil || q != p {
			t.Fatalf("period %q read as %v", v, p)
		}
	}

	var years []int
	e = errs(func() { years = s.years(r, col) })
	if len(e) > 0 && years != nil {
		t.Fatalf("years %q: %v with a problem", v, years)
	}
	seen := map[int]bool{}
	for _, y := range years {
		if y < 1990 || y > today.Year || seen[y] {
			t.Fatalf("years %q: %v", v, years)
		}
		seen[y] = true
	}

	var k core.CarrierKind
	e = errs(func() { k, ok = choice(s, r, col, carrierLabels, []string{"法治广场"}) })
	if ok == (len(e) > 0) || ok != (k != "") || ok && !validCarrier(k) {
		t.Fatalf("choice %q: %q %v, problems %+v", v, k, ok, e)
	}

	// A cell a CSV file may hold reads the same from an .xlsx file (where
	// numbers may also be Excel dates or scientific notation).
	if !xlsx {
		x := &sheet{t: &table{xlsx: true, date1904: date1904}, idx: s.idx, today: today}
		csvCode, xlsxCode := s.villageCode(r), x.villageCode(r)
		csvPhone, xlsxPhone := s.phone(r, col), x.phone(r, col)
		csvDate, xlsxDate := s.date(r, col, false, false), x.date(r, col, false, false)
		csvPeriod, csvOK := s.periodCell(r, col)
		xlsxPeriod, xlsxOK := x.periodCell(r, col)
		if csvCode != "" && xlsxCode != csvCode || csvPhone != "" && xlsxPhone != csvPhone || csvDate != "" && xlsxDate != csvDate ||
			csvOK && (!xlsxOK || xlsxPeriod != csvPeriod) {
			t.Fatalf("%q reads differently from CSV and .xlsx: code %q %q, phone %q %q, date %q %q, period %v %v %v %v",
				v, csvCode, xlsxCode, csvPhone, xlsxPhone, csvDate, xlsxDate, csvPeriod, csvOK, xlsxPeriod, xlsxOK)
		}
	}

	if q := quote(v); !utf8.ValidString(q) || utf8.RuneCountInString(q) > 2+31*10 {
		t.Fatalf("quote(%q) = %q", v, q)
	}
}

// checkParse checks what Parse made of a file (see the file comment).
func checkParse(t *testing.T, kind core.RecordKind, data []byte, p *Parsed, err error, today period.Date) {
	if err != nil {
		if p != nil {
			t.Fatalf("%s: rows returned with an error", kind)
		}
		checkRejected(t, kind, err)
		return
	}
	if p == nil || p.Kind != kind {
		t.Fatalf("%s: no error and no file (%v)", kind, p)
	}
	// The file reads the same way again: this is the table the rows came from.
	tbl, err := readTable(data)
	if err != nil {
		t.Fatalf("%s: parsed, but the table does not read: %v", kind, err)
	}
	tmpl, _ := TemplateOf(kind)
	c := &checker{t: t, kind: kind, p: p, tbl: tbl, today: today, idx: map[string]int{}, lines: map[int][]string{}, keys: map[string]int{}}
	c.header(tmpl)
	c.problems()

	n, last := 0, 1
	line := func(r postgres.ImportRow) {
		if r.Line <= last || c.lines[r.Line] == nil {
			t.Fatalf("%s: row at line %d after line %d (data lines %v)", kind, r.Line, last, keysOf(c.lines))
		}
		last = r.Line
		n++
		c.village(r)
	}
	others := len(p.Households) + len(p.LegalSavvy) + len(p.Mediation) + len(p.Surveys) + len(p.Incidents) + len(p.Lawsuits) + len(p.Carriers)
	for _, h := range p.Households {
		line(h.ImportRow)
		c.household(h)
	}
	for _, l := range p.LegalSavvy {
		line(l.ImportRow)
		c.legalSavvy(l)
	}
	for _, m := range p.Mediation {
		line(m.ImportRow)
		c.mediation(m)
	}
	for _, v := range p.Surveys {
		line(v.ImportRow)
		c.survey(v)
	}
	for _, i := range p.Incidents {
		line(i.ImportRow)
		c.incident(i)
	}
	for _, l := range p.Lawsuits {
		line(l.ImportRow)
		c.lawsuit(l)
	}
	for _, k := range p.Carriers {
		line(k.ImportRow)
		c.carrier(k)
	}
	if n == 0 || n != p.Rows || others != n || n != len(c.lines) {
		t.Fatalf("%s: %d rows of the kind, Rows %d, %d rows of any kind, %d data lines", kind, n, p.Rows, others, len(c.lines))
	}
}

// checkRejected checks a rejection: IMPORT_REJECTED, both messages, and
// details with a line, at most MaxErrors of them and a last one telling
// how many more there are.
func checkRejected(t *testing.T, kind core.RecordKind, err error) {
	e := core.AsError(err)
	if e == nil || e.Code != core.EIMPORT || !goodMessage(e.Zh) || !goodMessage(e.En) {
		t.Fatalf("%s: want IMPORT_REJECTED with both messages, got %#v", kind, err)
	}
	if len(e.Details) == 0 || len(e.Details) > MaxErrors+1 {
		t.Fatalf("%s: %d details", kind, len(e.Details))
	}
	for _, d := range e.Details {
		if d.Row < 1 || !goodMessage(d.Zh) || !goodMessage(d.En) || !utf8.ValidString(d.Column) {
			t.Fatalf("%s: bad detail %+v", kind, d)
		}
	}
}

type checker struct {
	t     *testing.T
	kind  core.RecordKind
	p     *Parsed
	tbl   *table
	today period.Date
	idx   map[string]int    // header -> index
	lines map[int][]string  // line of every data row that is not blank -> its cells
	bad   map[int]bool      // lines with a listed problem
	whole func(int) bool    // whether every problem of a line is listed
	keys  map[string]int    // natural key of a clean row -> its line
	req   map[string]bool   // required columns
	names map[string]Column // the template's columns by name
}

// header: every required column once, no unknown column, Present as the header says.
func (c *checker) header(tmpl Template) {
	c.req, c.names = map[string]bool{}, map[string]Column{}
	for _, col := range tmpl.Columns {
		c.names[col.Name] = col
		c.req[col.Name] = col.Required
	}
	for i, h := range c.tbl.header {
		if h == "" {
			continue
		}
		if _, ok := c.names[h]; !ok {
			c.t.Fatalf("%s: accepted the unknown column %q", c.kind, h)
		}
		if _, dup := c.idx[h]; dup {
			c.t.Fatalf("%s: accepted the column %q twice", c.kind, h)
		}
		c.idx[h] = i
	}
	present := map[string]bool{}
	for _, col := range tmpl.Columns {
		_, has := c.idx[col.Name]
		if col.Required && !has {
			c.t.Fatalf("%s: accepted without the required column %q", c.kind, col.Name)
		}
		if col.db != "" && has {
			present[col.db] = true
		}
	}
	if len(present) != len(c.p.File.Present) {
		c.t.Fatalf("%s: Present %v, want %v", c.kind, c.p.File.Present, present)
	}
	for k := range present {
		if !c.p.File.Present[k] {
			c.t.Fatalf("%s: Present %v, want %v", c.kind, c.p.File.Present, present)
		}
	}
	if _, a := c.idx[ColOutcome]; c.kind == core.RecordMediationCase {
		if _, b := c.idx[ColConcludedOn]; a != b {
			c.t.Fatalf("%s: accepted %s without %s or the other way round", c.kind, ColOutcome, ColConcludedOn)
		}
	}
	if f := c.p.File; f.VillageCol != ColVillage || f.GroupCol != ColGroup || f.GridCol != ColGrid {
		c.t.Fatalf("%s: reference columns %q %q %q", c.kind, f.VillageCol, f.GroupCol, f.GridCol)
	}
	for _, r := range c.tbl.rows {
		if !r.blank() {
			c.lines[r.line] = r.cells
		}
	}
}

// problems: listed in line order, at data lines and columns of the file,
// at most MaxErrors and then one telling how many more.
func (c *checker) problems() {
	errs := c.p.File.Errors
	c.bad = map[int]bool{}
	if len(errs) > MaxErrors+1 {
		c.t.Fatalf("%s: %d problems listed", c.kind, len(errs))
	}
	truncated := len(errs) == MaxErrors+1
	lastListed := 0
	for i, e := range errs {
		if !goodMessage(e.Zh) || !goodMessage(e.En) {
			c.t.Fatalf("%s: problem without both messages %+v", c.kind, e)
		}
		if truncated && i == MaxErrors {
			if e.Row != 0 || e.Column != "" {
				c.t.Fatalf("%s: the last of %d problems is %+v", c.kind, len(errs), e)
			}
			continue
		}
		if c.lines[e.Row] == nil || e.Row < lastListed {
			c.t.Fatalf("%s: problem %+v at a line that is not a data line or out of order", c.kind, e)
		}
		if _, ok := c.idx[e.Column]; !ok {
			c.t.Fatalf("%s: problem %+v in a column the file does not have", c.kind, e)
		}
		lastListed = e.Row
		c.bad[e.Row] = true
	}
	c.whole = func(line int) bool { return !truncated || line < lastListed }
}

// clean reports whether the row at the line has no problem (as far as the list tells).
func (c *checker) clean(line int) bool { return !c.bad[line] && c.whole(line) }

// cell is the trimmed cell of the column at the line ("" when the file lacks the column).
func (c *checker) cell(line int, col string) string {
	i, ok := c.idx[col]
	cells := c.lines[line]
	if !ok || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

func (c *checker) fail(line int, col, format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s line %d column %s (cell %q, clean %v, problems %+v): %s", c.kind, line, col, c.cell(line, col), c.clean(line),
		c.p.File.Errors, fmt.Sprintf(format, args...))
}

func (c *checker) village(r postgres.ImportRow) {
	v := r.VillageCode
	if v != "" && !isDigits(v, 12) || v == "" && c.clean(r.Line) || !c.tbl.xlsx && v != "" && v != c.cell(r.Line, ColVillage) {
		c.fail(r.Line, ColVillage, "village code %q", v)
	}
}

// text: "" or the cell as it is, valid; the cell itself on a clean row.
func (c *checker) text(line int, col, v string, max int) {
	cell := c.cell(line, col)
	switch {
	case v != "" && (v != cell || !cleanText(v, max)):
		c.fail(line, col, "text %q", v)
	case c.clean(line) && v != cell:
		c.fail(line, col, "text %q on a clean row", v)
	case c.clean(line) && c.req[col] && v == "":
		c.fail(line, col, "required text empty on a clean row")
	}
}

func (c *checker) phone(line int, col, v string) {
	cell := c.cell(line, col)
	if !postgres.CheckPhone(v) || v != "" && !c.tbl.xlsx && v != cell || c.clean(line) && cell != "" && v == "" {
		c.fail(line, col, "phone %q", v)
	}
}

// date: "" or a valid date (not after today when notFuture); on a clean
// row, a date whenever the cell has one, and the cell itself when it is
// written as the parser writes dates.
func (c *checker) date(line int, col, v string, notFuture bool) {
	cell := c.cell(line, col)
	if v != "" {
		d, err := period.ParseDate(v)
		if err != nil || d.String() != v || notFuture && d.After(c.today) {
			c.fail(line, col, "date %q", v)
		}
	}
	if !c.clean(line) {
		return
	}
	if cell != "" && v == "" || c.req[col] && v == "" {
		c.fail(line, col, "no date on a clean row")
	}
	if d, err := period.ParseDate(cell); err == nil && d.String() == cell && v != cell {
		c.fail(line, col, "date %q read as %q", cell, v)
	}
}

func (c *checker) optDate(line int, col string, v *string, notFuture bool) {
	if v != nil && *v == "" {
		c.fail(line, col, "a pointer to an empty date")
	}
	s := ""
	if v != nil {
		s = *v
	}
	c.date(line, col, s, notFuture)
}

func (c *checker) integer(line int, col string, v *int, min, max int) {
	if v != nil && (*v < min || *v > max) || c.clean(line) && v == nil && (c.cell(line, col) != "" || c.req[col]) {
		c.fail(line, col, "whole number %v", v)
	}
}

func (c *checker) boolean(line int, col string, v bool) {
	if v && c.cell(line, col) == "" {
		c.fail(line, col, "true from an empty cell")
	}
}

// key: complete rows have distinct natural keys.
func (c *checker) key(line int, key string) {
	if !c.clean(line) {
		return
	}
	if first, dup := c.keys[key]; dup {
		c.fail(line, "", "the key %q of line %d again", key, first)
	}
	c.keys[key] = line
}

func (c *checker) household(h postgres.HouseholdRow) {
	l := h.Line
	c.text(l, ColHousehold, h.Code, postgres.MaxHouseholdCode)
	c.text(l, ColHeadName, h.HeadName, postgres.MaxPersonName)
	c.phone(l, ColPhone, h.Phone)
	c.text(l, ColGroup, h.Group, 100)
	c.text(l, ColGrid, h.Grid, 100)
	c.integer(l, ColMembers, h.Members, 0, postgres.MaxMembers)
	c.integer(l, ColModelYear, h.ModelHouseholdYear, 1990, c.today.Year)
	c.boolean(l, ColFamilyRule, h.HasFamilyRule)
	c.boolean(l, ColWechat, h.WechatMember)
	seen := map[int]bool{}
	for _, y := range h.VolunteerYears {
		if y < 1990 || y > c.today.Year || seen[y] {
			c.fail(l, ColVolunteer, "years %v", h.VolunteerYears)
		}
		seen[y] = true
	}
	c.key(l, h.VillageCode+"\x00"+h.Code)
}

func (c *checker) legalSavvy(p postgres.LegalSavvyRow) {
	l := p.Line
	c.text(l, ColGrid, p.Grid, 100)
	c.text(l, ColName, p.Name, postgres.MaxPersonName)
	c.phone(l, ColPhone, p.Phone)
	c.optDate(l, ColTrainedOn, p.TrainedOn, true)
	c.date(l, ColActiveFrom, p.ActiveFrom, false)
	c.optDate(l, ColActiveTo, p.ActiveTo, false)
	if c.clean(l) && p.ActiveTo != nil && *p.ActiveTo < p.ActiveFrom {
		c.fail(l, ColActiveTo, "in office from %s to %s", p.ActiveFrom, *p.ActiveTo)
	}
	c.key(l, p.VillageCode+"\x00"+p.Grid+"\x00"+p.Name)
}

func (c *checker) mediation(m postgres.MediationRow) {
	l := m.Line
	c.text(l, ColCaseNo, m.CaseNo, postgres.MaxCaseNo)
	c.date(l, ColReceivedOn, m.ReceivedOn, true)
	c.optDate(l, ColConcludedOn, m.ConcludedOn, true)
	c.boolean(l, ColCriminal, m.TurnedCriminal)
	c.text(l, ColParties, m.Parties, postgres.MaxParties)
	c.text(l, ColSummary, m.Summary, postgres.MaxSummary)
	switch m.Outcome {
	case core.OutcomeSuccess, core.OutcomeFailure, core.OutcomePending:
	case "":
		if c.clean(l) {
			c.fail(l, ColOutcome, "no outcome on a clean row")
		}
	default:
		c.fail(l, ColOutcome, "outcome %q", m.Outcome)
	}
	if c.clean(l) {
		if (m.Outcome == core.OutcomePending) != (m.ConcludedOn == nil) {
			c.fail(l, ColOutcome, "outcome %q with conclusion date %v", m.Outcome, m.ConcludedOn)
		}
		if m.ConcludedOn != nil && *m.ConcludedOn < m.ReceivedOn {
			c.fail(l, ColConcludedOn, "concluded %s before received %s", *m.ConcludedOn, m.ReceivedOn)
		}
	}
	c.key(l, m.VillageCode+"\x00"+m.CaseNo)
}

func (c *checker) survey(v postgres.SurveyRow) {
	l := v.Line
	if v.Kind != "" && v.Kind != core.SurveySafety && v.Kind != core.SurveyDeliberation || c.clean(l) && v.Kind == "" {
		c.fail(l, ColSurveyKind, "kind %q", v.Kind)
	}
	c.date(l, ColSurveyedOn, v.SurveyedOn, true)
	if v.Period != "" {
		per, err := period.Parse(v.Period)
		if err != nil || per.String() != v.Period {
			c.fail(l, ColPeriod, "period %q", v.Period)
		}
		if c.clean(l) && v.SurveyedOn < per.FirstDay().String() {
			c.fail(l, ColSurveyedOn, "surveyed on %s, before the period %s", v.SurveyedOn, v.Period)
		}
	} else if c.clean(l) {
		c.fail(l, ColPeriod, "no period on a clean row")
	}
	if v.Respondents < 0 || v.Respondents > postgres.MaxRespondents || v.Positive < 0 || v.Positive > v.Respondents && c.clean(l) ||
		c.clean(l) && v.Respondents < 1 {
		c.fail(l, ColRespondents, "respondents %d, positive %d", v.Respondents, v.Positive)
	}
	c.key(l, v.VillageCode+"\x00"+string(v.Kind)+"\x00"+v.Period)
}

func (c *checker) incident(i postgres.IncidentRow) {
	l := i.Line
	valid := false
	for _, k := range core.IncidentKinds {
		valid = valid || i.Kind == k
	}
	if i.Kind != "" && !valid || c.clean(l) && i.Kind == "" {
		c.fail(l, ColIncidentKind, "kind %q", i.Kind)
	}
	c.date(l, ColOccurredOn, i.OccurredOn, true)
	c.text(l, ColDepartment, i.SourceDepartment, postgres.MaxDepartment)
	c.text(l, ColDescription, i.Description, postgres.MaxSummary)
	c.key(l, i.VillageCode+"\x00"+string(i.Kind)+"\x00"+i.OccurredOn+"\x00"+i.SourceDepartment)
}

func (c *checker) lawsuit(s postgres.LawsuitRow) {
	l := s.Line
	if s.Year != 0 && (s.Year < 1990 || s.Year > c.today.Year) || c.clean(l) && s.Year == 0 {
		c.fail(l, ColYear, "year %d", s.Year)
	}
	if s.Civil < 0 || s.Civil > postgres.MaxLawsuits || s.Administrative < 0 || s.Administrative > postgres.MaxLawsuits {
		c.fail(l, ColCivil, "counts %d %d", s.Civil, s.Administrative)
	}
	c.text(l, ColDepartment, s.SourceDepartment, postgres.MaxDepartment)
	c.key(l, s.VillageCode+"\x00"+strconv.Itoa(s.Year))
}

func (c *checker) carrier(k postgres.CarrierRow) {
	l := k.Line
	if k.Kind != "" && !validCarrier(k.Kind) || c.clean(l) && k.Kind == "" {
		c.fail(l, ColCarrierKind, "kind %q", k.Kind)
	}
	c.text(l, ColCarrierName, k.Name, postgres.MaxCarrierName)
	c.key(l, k.VillageCode+"\x00"+string(k.Kind)+"\x00"+k.Name)
}

func validCarrier(k core.CarrierKind) bool {
	for _, x := range core.CarrierKinds {
		if k == x {
			return true
		}
	}
	return false
}

// cleanText: trimmed, at most max characters, no control characters but
// line breaks and tabs, no replacement characters.
func cleanText(v string, max int) bool {
	return utf8.ValidString(v) && strings.TrimSpace(v) == v && utf8.RuneCountInString(v) <= max &&
		strings.IndexFunc(v, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' || c == utf8.RuneError }) < 0
}

func goodMessage(s string) bool { return strings.TrimSpace(s) != "" && utf8.ValidString(s) }

func isDigits(s string, n int) bool {
	if len(s) != n || n == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func bigInt(s string) *big.Int {
	i, _ := new(big.Int).SetString(s, 10)
	return i
}

func keysOf(m map[int][]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
