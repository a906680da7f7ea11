package regioncsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/divcode"
)

const header = "code,name,parent_code,kind\n"

// base is a valid hierarchy from the province down; tests append rows to it.
const base = header +
	"32,江苏省,,\n" + // line 2
	"3201,南京市,32,\n" + // line 3
	"320117,溧水区,3201,\n" + // line 4
	"320117100,青塘镇,320117,\n" + // line 5
	"320117001,星湖街道,320117,\n" // line 6

func parse(t *testing.T, in string) *File {
	t.Helper()
	f, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, details(err))
	}
	return f
}

func details(err error) string {
	e := core.AsError(err)
	if e == nil {
		return ""
	}
	var b strings.Builder
	for _, d := range e.Details {
		fmt.Fprintf(&b, "  row %d [%s] %s / %s\n", d.Row, d.Column, d.Zh, d.En)
	}
	return b.String()
}

func reject(t *testing.T, in string, opts Options) *core.Error {
	t.Helper()
	f, err := Parse(strings.NewReader(in), opts)
	if err == nil {
		t.Fatalf("Parse accepted the file: %+v", f.Rows)
	}
	if f != nil {
		t.Fatalf("Parse returned rows with an error")
	}
	e := core.AsError(err)
	if e == nil || e.Code != core.EIMPORT {
		t.Fatalf("error %v, want code %s", err, core.EIMPORT)
	}
	if len(e.Details) == 0 {
		t.Fatalf("no details in %v", e)
	}
	return e
}

// has reports whether e lists an error on row/column whose English message contains en.
func has(e *core.Error, row int, col, en string) bool {
	for _, d := range e.Details {
		if d.Row == row && d.Column == col && strings.Contains(d.En, en) && d.Zh != "" {
			return true
		}
	}
	return false
}

func TestParseValid(t *testing.T) {
	f := parse(t, base+
		"320117100201,王家桥村委会,320117100,\n"+ // 7 inferred village
		"320117100001,青塘社区居委会,320117100,\n"+ // 8 inferred community
		"320117001001,\"星湖社区, 东区\",320117001,社区\n"+ // 9 quoted comma
		"320117001002,翠苑,320117001,community\n"+ // 10
		"320117001201,东庄,320117001,村\n"+ // 11
		"320117001202,西庄,320117001,Village\n"+ // 12
		"320117001203,南庄村,320117001,  \n"+ // 13 inferred from 村 suffix
		"320117001204,北庄村民委员会,320117001,\n"+ // 14
		"320117001003,前湾居民委员会,320117001,\n") // 15
	want := []Row{
		{2, "32", "江苏省", "", divcode.Province, ""},
		{3, "3201", "南京市", "32", divcode.City, ""},
		{4, "320117", "溧水区", "3201", divcode.District, ""},
		{6, "320117001", "星湖街道", "320117", divcode.Town, ""},
		{5, "320117100", "青塘镇", "320117", divcode.Town, ""},
		{9, "320117001001", "星湖社区, 东区", "320117001", divcode.Village, KindCommunity},
		{10, "320117001002", "翠苑", "320117001", divcode.Village, KindCommunity},
		{15, "320117001003", "前湾居民委员会", "320117001", divcode.Village, KindCommunity},
		{11, "320117001201", "东庄", "320117001", divcode.Village, KindVillage},
		{12, "320117001202", "西庄", "320117001", divcode.Village, KindVillage},
		{13, "320117001203", "南庄村", "320117001", divcode.Village, KindVillage},
		{14, "320117001204", "北庄村民委员会", "320117001", divcode.Village, KindVillage},
		{8, "320117100001", "青塘社区居委会", "320117100", divcode.Village, KindCommunity},
		{7, "320117100201", "王家桥村委会", "320117100", divcode.Village, KindVillage},
	}
	if !slices.Equal(f.Rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", f.Rows, want)
	}
	if ext := f.ExternalParents(); len(ext) != 0 {
		t.Errorf("ExternalParents = %v", ext)
	}
}

func TestThreeColumns(t *testing.T) {
	f := parse(t, "code,name,parent_code\n320117100201,王家桥村委会,320117100\n320117100001,青塘社区居委会,320117100\n")
	if len(f.Rows) != 2 || f.Rows[0].Kind != KindCommunity || f.Rows[1].Kind != KindVillage {
		t.Errorf("rows = %+v", f.Rows)
	}
	e := reject(t, "code,name,parent_code\n320117100201,王家桥,320117100\n", Options{})
	if !has(e, 2, ColName, "cannot tell from the name") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestBOMHeaderSpacesCRLF(t *testing.T) {
	in := "\xEF\xBB\xBF code , name ,parent_code , kind \r\n" +
		"32, 江苏省 ,,\r\n" +
		"\r\n" + // blank line: skipped
		",,,\r\n" + // empty cells: skipped
		" 3201 ,南京市, 32 ,\r\n" +
		"3202,\u3000无锡市\u3000,32,\r\n"
	f := parse(t, in)
	if len(f.Rows) != 3 {
		t.Fatalf("rows = %+v", f.Rows)
	}
	if f.Rows[0].Name != "江苏省" || f.Rows[1] != (Row{5, "3201", "南京市", "32", divcode.City, ""}) || f.Rows[2].Name != "无锡市" || f.Rows[2].Line != 6 {
		t.Errorf("rows = %+v", f.Rows)
	}
}

func TestExternalParents(t *testing.T) {
	f := parse(t, header+
		"320117101,松岗镇,320117,\n"+
		"320117101201,松岗村,320117101,\n"+
		"320117102201,月泾村,320117102,\n"+
		"320117102202,月湾村,320117102,\n"+
		"320118100,禾洲镇,320118,\n")
	want := []divcode.Code{"320117", "320117102", "320118"}
	if got := f.ExternalParents(); !slices.Equal(got, want) {
		t.Errorf("ExternalParents = %v, want %v", got, want)
	}
}

func TestBadRows(t *testing.T) {
	tests := []struct {
		name string
		row  string // appended to base as line 7
		col  string
		en   string // part of the English message
	}{
		{"too few fields", "320117100201,王家桥村委会,320117100", "", "expected 4 fields, found 3"},
		{"too many fields", "320117100201,王家桥,村委会,320117100,", "", "put a name that holds a comma in double quotes"},
		{"code too short", "3201171002,王家桥村委会,320117100,", ColCode, "10 digits"},
		{"code with letters", "32011710020A,王家桥村委会,320117100,", ColCode, "only the digits"},
		{"code zero segment", "320117100000,王家桥村委会,320117100,", ColCode, "all zeros"},
		{"code empty", ",王家桥村委会,320117100,", ColCode, "must be 2, 4, 6, 9 or 12 digits"},
		{"code in scientific notation", "3.20117E+11,王家桥村委会,320117100,", ColCode, "scientific notation"},
		{"code full-width", "３２０１１７１００２０１,王家桥村委会,320117100,", ColCode, "must be"},
		{"empty name", "320117100201,,320117100,", ColName, "the name is empty"},
		{"blank name", "320117100201,  ,320117100,village", ColName, "the name is empty"},
		{"full-width blank name", "320117100201,\u3000,320117100,village", ColName, "the name is empty"},
		{"control character", "320117100201,王家\x01桥村,320117100,", ColName, "control"},
		{"tab inside name", "320117100201,王家\t桥村,320117100,", ColName, "control"},
		{"zero-width space", "320117100201,王家\u200b桥村,320117100,", ColName, "invisible"},
		{"replacement character", "320117100201,王家\ufffd桥村,320117100,", ColName, "replacement"},
		{"name too long", "320117100201," + strings.Repeat("长", 101) + "村,320117100,", ColName, "too long"},
		{"province with parent", "33,浙江省,32,", ColParent, "must have an empty parent_code"},
		{"missing parent", "320117100201,王家桥村委会,,", ColParent, "parent_code is empty"},
		{"missing parent of city", "3202,无锡市,,", ColParent, "parent_code is empty: a city needs the code of its parent province (2 digits)"},
		{"bad parent", "320117100201,王家桥村委会,32011710x,", ColParent, "bad parent_code"},
		{"parent two levels up", "320117100201,王家桥村委会,320117,", ColParent, "is a district (6 digits); the parent of a village must be a town (9 digits)"},
		{"parent below", "320117,溧水区,320117100,", ColParent, "the parent of a district must be a city"},
		{"parent same level", "320117102,月泾镇,320117101,", ColParent, "the parent of a town must be a district"},
		{"parent not a prefix", "320117100201,王家桥村委会,320117101,", ColParent, "not a prefix"},
		{"city under other province", "3301,杭州市,32,", ColParent, "not a prefix"},
		{"duplicate code", "320117100,青塘镇二,320117,", ColCode, "duplicate code 320117100, already on line 5"},
		{"unknown kind", "320117100201,王家桥村委会,320117100,hamlet", ColKind, "unknown kind \"hamlet\""},
		{"long unknown kind is cut", "320117100201,王家桥村委会,320117100," + strings.Repeat("x", 60), ColKind, "unknown kind \"" + strings.Repeat("x", 40) + "…\""},
		{"kind 村委会 is not a kind value", "320117100201,王家桥,320117100,村委会", ColKind, "unknown kind"},
		{"kind on a town", "320117101,松岗镇,320117,village", ColKind, "only for village-level rows"},
		{"kind on a province", "33,浙江省,,社区", ColKind, "only for village-level rows"},
		{"name tells neither", "320117100201,王家桥,320117100,", ColKind, "cannot tell from the name \"王家桥\""},
		{"name tells neither (委员会)", "320117100201,王家桥委员会,320117100,", ColKind, "cannot tell"},
		{"invalid UTF-8 (not GBK)", "320117100201,caf\xe9,320117100,", ColName, "not valid UTF-8"},
		{"bare quote", "320117100201,王家\"桥村,320117100,", "", "bad double quotes"},
		{"text after closing quote", "320117100201,\"王家桥村\" ,320117100,", "", "nothing after the closing quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := reject(t, base+tt.row+"\n", Options{})
			if !has(e, 7, tt.col, tt.en) {
				t.Errorf("want row 7 [%s] %q; got\n%s", tt.col, tt.en, details(e))
			}
			if e.Zh != "导入被拒绝：1 行有误，未写入任何数据" || e.En != "import rejected: 1 bad row, nothing was written" {
				t.Errorf("summary %q / %q", e.Zh, e.En)
			}
			for _, d := range e.Details {
				if d.Row != 7 {
					t.Errorf("unexpected error on row %d: %s", d.Row, d.En)
				}
				if !utf8.ValidString(d.Zh) || !utf8.ValidString(d.En) {
					t.Errorf("message is not valid UTF-8: %q", d.En)
				}
			}
		})
	}
}

func TestAllBadRowsCollected(t *testing.T) {
	in := base +
		"320117100201,,320117100,\n" + // 7: empty name
		"320117100202,\"多行\n名称村\",320117100,\n" + // 8-9: name with a line break
		"320117100203,好村,320117100,\n" + // 10: fine
		"3201171002,坏代码村,320117100,\n" + // 11: bad code
		"320117100203,重复村,320117100,\n" + // 12: duplicate of line 10
		"320117100204,,,hamlet\n" // 13: three errors on one row
	e := reject(t, in, Options{})
	want := []struct {
		row int
		col string
		en  string
	}{
		{7, ColName, "empty"},
		{8, ColName, "control"},
		{11, ColCode, "digits"},
		{12, ColCode, "already on line 10"},
		{13, ColName, "empty"},
		{13, ColParent, "parent_code is empty"},
		{13, ColKind, "unknown kind"},
	}
	for _, w := range want {
		if !has(e, w.row, w.col, w.en) {
			t.Errorf("missing row %d [%s] %q", w.row, w.col, w.en)
		}
	}
	if len(e.Details) != len(want) {
		t.Errorf("got %d details:\n%s", len(e.Details), details(e))
	}
	if e.Zh != "导入被拒绝：5 行有误，未写入任何数据" || e.En != "import rejected: 5 bad rows, nothing was written" {
		t.Errorf("summary %q / %q", e.Zh, e.En)
	}
}

func TestLineNumbersAfterMultilineField(t *testing.T) {
	// A quoted field spanning lines 2-4 moves the next row to line 5.
	in := "code,name,parent_code\n" +
		"320117100001,\"青塘\n社区\n居委会\",320117100\n" +
		"320117100002,,320117100\n"
	e := reject(t, in, Options{})
	if !has(e, 2, ColName, "control") || !has(e, 5, ColName, "empty") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestQuotes(t *testing.T) {
	f := parse(t, header+
		"320117100001,\"青塘\"\"新\"\"社区\",320117100,\n"+
		"320117100002,\"翠湾社区, 一期\",320117100,\n"+
		"320117100003, \"东苑社区\",320117100,\n")
	got := []string{f.Rows[0].Name, f.Rows[1].Name, f.Rows[2].Name}
	if !slices.Equal(got, []string{"青塘\"新\"社区", "翠湾社区, 一期", "东苑社区"}) {
		t.Errorf("names = %q", got)
	}
}

func TestParseErrorThenMoreRows(t *testing.T) {
	in := header +
		"320117100201,王家\"桥村,320117100,\n" + // 2: bare quote
		"320117100202,,320117100,\n" // 3: still checked
	e := reject(t, in, Options{})
	if !has(e, 2, "", "bad double quotes") || !has(e, 3, ColName, "empty") {
		t.Errorf("details:\n%s", details(e))
	}
	// An unclosed quote swallows the rest of the file into one field.
	e = reject(t, header+"320117100201,\"王家桥村,320117100,\n320117100202,李村,320117100,\n", Options{})
	if !has(e, 2, "", "bad double quotes") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name, in, en string
	}{
		{"empty file", "", "the file is empty"},
		{"only a BOM", "\xEF\xBB\xBF", "the file is empty"},
		{"blank lines only", "\n\n\n", "the file is empty"},
		{"header only", "code,name,parent_code\n", "no data rows"},
		{"header and blank rows", "code,name,parent_code,kind\n,,,\n\n", "no data rows"},
		{"missing column", "code,name\n32,江苏省\n", `not "code,name"`},
		{"wrong order", "name,code,parent_code\n", "the header must be code,name,parent_code"},
		{"extra column", "code,name,parent_code,kind,remark\n", "the header must be"},
		{"Chinese header", "代码,名称,上级代码\n", `not "代码,名称,上级代码"`},
		{"upper case", "CODE,NAME,PARENT_CODE\n", "the header must be"},
		{"no header", "32,江苏省,,\n", "the header must be"},
		{"quote error", "\"code,name,parent_code\n", "bad header"},
		{"invalid UTF-8", "code,name\xff,parent_code\n", "header field 2 is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := reject(t, tt.in, Options{})
			if len(e.Details) != 1 || !has(e, 1, "", tt.en) {
				t.Errorf("want %q; got\n%s", tt.en, details(e))
			}
			if !strings.HasPrefix(e.Zh, "导入被拒绝：") || !strings.HasSuffix(e.En, "nothing was written") {
				t.Errorf("summary %q / %q", e.Zh, e.En)
			}
		})
	}
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGBK(t *testing.T) {
	e := reject(t, gbk(t, base+"320117100201,王家桥村委会,320117100,\n"), Options{})
	if len(e.Details) != 1 || !has(e, 2, ColName, "file is not UTF-8 (looks like GBK): save it as UTF-8") {
		t.Errorf("details:\n%s", details(e))
	}
	if e.Details[0].Zh != "文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8" {
		t.Errorf("Zh = %q", e.Details[0].Zh)
	}
	if !strings.Contains(e.Zh, "可能是 GBK") || !strings.Contains(e.En, "looks like GBK") {
		t.Errorf("summary %q / %q", e.Zh, e.En)
	}
	// A GBK header (Chinese column names) is caught before the header check.
	e = reject(t, gbk(t, "代码,名称,上级代码\n32,江苏省,\n"), Options{})
	if !has(e, 1, "", "looks like GBK") {
		t.Errorf("details:\n%s", details(e))
	}
	// GBK text in a UTF-8 file after valid rows is still detected at its row.
	e = reject(t, base+gbk(t, "320117100201,王家桥村委会,320117100,\n"), Options{})
	if !has(e, 7, ColName, "looks like GBK") {
		t.Errorf("details:\n%s", details(e))
	}
	// A GB18030 file (four-byte sequences) is detected too.
	g18, err := simplifiedchinese.GB18030.NewEncoder().String(header + "320117100201,王家桥村委会€,320117100,\n")
	if err != nil {
		t.Fatal(err)
	}
	e = reject(t, g18, Options{})
	if !has(e, 2, ColName, "looks like GBK") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestInvalidUTF8NotGBK(t *testing.T) {
	// Latin-1 "café": not UTF-8, not GBK either. Every bad row is listed.
	in := base + "320117100201,caf\xe9,320117100,\n320117100202,ok村,320117100,\n320117100203,x\xff,320117100,\n"
	e := reject(t, in, Options{})
	if !has(e, 7, ColName, "not valid UTF-8") || !has(e, 9, ColName, "not valid UTF-8") || len(e.Details) != 2 {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestNonPrefixOption(t *testing.T) {
	in := base + "320117100201,王家桥村委会,320117001,\n"
	e := reject(t, in, Options{})
	if !has(e, 7, ColParent, "not a prefix") {
		t.Errorf("details:\n%s", details(e))
	}
	f, err := Parse(strings.NewReader(in), Options{AllowNonPrefixParent: true})
	if err != nil {
		t.Fatalf("AllowNonPrefixParent: %v\n%s", err, details(err))
	}
	last := f.Rows[len(f.Rows)-1]
	if last.Code != "320117100201" || last.ParentCode != "320117001" {
		t.Errorf("row = %+v", last)
	}
	// The level rule still holds without the prefix rule.
	e = reject(t, base+"320117100201,王家桥村委会,320117,\n", Options{AllowNonPrefixParent: true})
	if !has(e, 7, ColParent, "must be a town") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestMaxRows(t *testing.T) {
	in := base + "320117100201,王家桥村委会,320117100,\n"
	if _, err := Parse(strings.NewReader(in), Options{MaxRows: 6}); err != nil {
		t.Fatalf("6 rows with MaxRows 6: %v", err)
	}
	e := reject(t, in, Options{MaxRows: 5})
	if len(e.Details) != 1 || !has(e, 7, "", "more than 5 rows") {
		t.Errorf("details:\n%s", details(e))
	}
}

func TestErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	const bad = MaxErrors + 500
	for i := range bad {
		fmt.Fprintf(&b, "3201171%05d,,,\n", i+1) // two errors a row: empty name, missing parent
	}
	e := reject(t, b.String(), Options{})
	if len(e.Details) != MaxErrors+1 {
		t.Fatalf("%d details, want %d", len(e.Details), MaxErrors+1)
	}
	note := e.Details[MaxErrors]
	if note.Row != 0 || !strings.Contains(note.En, fmt.Sprintf("%d more errors not listed", 2*bad-MaxErrors)) || !strings.Contains(note.Zh, "未列出") {
		t.Errorf("note = %+v", note)
	}
	if !strings.Contains(e.En, fmt.Sprintf("%d bad rows", bad)) {
		t.Errorf("summary %q", e.En)
	}
	for i, d := range e.Details[:MaxErrors] {
		if want := 2 + i/2; d.Row != want {
			t.Fatalf("detail %d on row %d, want %d", i, d.Row, want)
		}
	}
}

type errReader struct{ n int }

var errBoom = errors.New("boom")

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		r.n++
		return copy(p, header+"32,江苏省,,\n"), nil
	}
	return 0, errBoom
}

func TestReaderError(t *testing.T) {
	_, err := Parse(&errReader{}, Options{})
	if !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
	_, err = Parse(iotestErr{}, Options{})
	if !errors.Is(err, errBoom) {
		t.Errorf("err = %v, want the reader's error on the header", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBoom }

func TestInferKind(t *testing.T) {
	tests := []struct {
		name string
		kind string
		ok   bool
	}{
		{"青塘社区居委会", KindCommunity, true},
		{"青塘社区", KindCommunity, true},
		{"青塘居委会", KindCommunity, true},
		{"青塘居民委员会", KindCommunity, true},
		{"新村社区居委会", KindCommunity, true}, // community wins
		{"王家桥村委会", KindVillage, true},
		{"王家桥村民委员会", KindVillage, true},
		{"王家桥村", KindVillage, true},
		{" 王家桥村 ", KindVillage, true},
		{"村口", "", false},
		{"王家桥", "", false},
		{"王家桥委员会", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		k, ok := InferKind(tt.name)
		if k != tt.kind || ok != tt.ok {
			t.Errorf("InferKind(%q) = %q, %v; want %q, %v", tt.name, k, ok, tt.kind, tt.ok)
		}
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		kind string
		ok   bool
	}{
		{"", "", true}, {"  ", "", true},
		{"village", KindVillage, true}, {"VILLAGE", KindVillage, true}, {"村", KindVillage, true}, {" 村 ", KindVillage, true},
		{"community", KindCommunity, true}, {"Community", KindCommunity, true}, {"社区", KindCommunity, true},
		{"村委会", "", false}, {"居委会", "", false}, {"town", "", false}, {"villages", "", false},
	}
	for _, tt := range tests {
		k, ok := ParseKind(tt.in)
		if k != tt.kind || ok != tt.ok {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, %v", tt.in, k, ok, tt.kind, tt.ok)
		}
	}
}

// validRow re-checks a returned row against every rule Parse applies.
func validRow(r Row, opts Options) error {
	if c, err := divcode.Parse(string(r.Code)); err != nil || c.Level() != r.Level {
		return fmt.Errorf("code %q level %v", r.Code, r.Level)
	}
	if r.Name == "" || r.Name != strings.TrimSpace(r.Name) || !utf8.ValidString(r.Name) ||
		strings.IndexFunc(r.Name, invisible) >= 0 || utf8.RuneCountInString(r.Name) > MaxNameRunes {
		return fmt.Errorf("name %q", r.Name)
	}
	if r.Level == divcode.Province {
		if r.ParentCode != "" {
			return fmt.Errorf("province with parent")
		}
	} else {
		if _, err := divcode.Parse(string(r.ParentCode)); err != nil || r.ParentCode.Level() != r.Level-1 {
			return fmt.Errorf("parent %q", r.ParentCode)
		}
		if !opts.AllowNonPrefixParent && !r.ParentCode.IsPrefixOf(r.Code) {
			return fmt.Errorf("parent %q not a prefix", r.ParentCode)
		}
	}
	if (r.Level == divcode.Village) != (r.Kind == KindVillage || r.Kind == KindCommunity) || (r.Level != divcode.Village && r.Kind != "") {
		return fmt.Errorf("kind %q at level %v", r.Kind, r.Level)
	}
	if r.Line < 2 {
		return fmt.Errorf("line %d", r.Line)
	}
	return nil
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(base + "320117100201,王家桥村委会,320117100,\n"))
	f.Add([]byte("\xEF\xBB\xBFcode,name,parent_code\n32,江苏省,\n3201,\"南京,市\",32\n"))
	f.Add([]byte("code,name,parent_code,kind\n320117100001,\"多\n行\",320117100,社区\n"))
	f.Add([]byte(gbkSample))
	f.Add([]byte("code,name,parent_code\n\"32,x\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{MaxRows: 50}, {MaxRows: 50, AllowNonPrefixParent: true}} {
			file, err := Parse(bytes.NewReader(data), opts)
			if err != nil {
				e := core.AsError(err)
				if e == nil || e.Code != core.EIMPORT || len(e.Details) == 0 || len(e.Details) > MaxErrors+1 {
					t.Fatalf("bad error %#v", err)
				}
				if file != nil {
					t.Fatal("rows returned with an error")
				}
				for _, d := range e.Details {
					if d.Row < 0 || d.Zh == "" || d.En == "" || !utf8.ValidString(d.Zh) || !utf8.ValidString(d.En) {
						t.Fatalf("bad detail %+v", d)
					}
				}
				continue
			}
			if len(file.Rows) == 0 || len(file.Rows) > 50 {
				t.Fatalf("%d rows", len(file.Rows))
			}
			codes := map[divcode.Code]bool{}
			for i, r := range file.Rows {
				if err := validRow(r, opts); err != nil {
					t.Fatalf("row %+v: %v", r, err)
				}
				if codes[r.Code] {
					t.Fatalf("duplicate %s accepted", r.Code)
				}
				codes[r.Code] = true
				if i > 0 {
					p := file.Rows[i-1]
					if p.Level > r.Level || (p.Level == r.Level && p.Code >= r.Code) {
						t.Fatalf("rows not sorted at %s", r.Code)
					}
				}
			}
			for _, c := range file.ExternalParents() {
				if codes[c] {
					t.Fatalf("external parent %s is in the file", c)
				}
			}
		}
	})
}

var gbkSample = func() string {
	s, _ := simplifiedchinese.GBK.NewEncoder().String(base)
	return s
}()

var _ io.Reader = (*errReader)(nil)
