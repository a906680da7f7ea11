// Package regioncsv parses and validates a region listing file (one region per
// row: code, name, parent code, optional kind) entirely in memory. A file is
// accepted whole or rejected whole: on any bad row Parse returns every problem
// it found and no rows. Whether a parent outside the file exists is for the
// caller to decide (see File.ExternalParents); nothing here touches a database.
package regioncsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/divcode"
)

// Kinds of a village-level region.
const (
	KindVillage   = "village"   // 村 (村民委员会)
	KindCommunity = "community" // 社区 (居民委员会)
)

// Limits.
const (
	DefaultMaxRows = 1_000_000 // data rows accepted when Options.MaxRows is 0
	MaxErrors      = 1000      // row errors listed before a final note says how many more there were
	MaxNameRunes   = 100       // longest name accepted, in characters
)

// Column names of the header, in order. The kind column is optional.
const (
	ColCode   = "code"
	ColName   = "name"
	ColParent = "parent_code"
	ColKind   = "kind"
)

// Options tunes Parse. The zero Options is the default.
type Options struct {
	// MaxRows is the largest number of data rows accepted; 0 means DefaultMaxRows.
	MaxRows int
	// AllowNonPrefixParent turns off the statistics-bureau rule that a parent
	// code is a prefix of its child's code (on by default, i.e. when false).
	AllowNonPrefixParent bool
}

// Row is one valid region of the file.
type Row struct {
	Line       int           // 1-based line where the row starts; the header is line 1
	Code       divcode.Code  // the region's division code
	Name       string        // trimmed name
	ParentCode divcode.Code  // empty for a province
	Level      divcode.Level // from the code's length
	Kind       string        // KindVillage or KindCommunity for a village-level row, "" otherwise
}

// File is a parsed, valid region listing.
type File struct {
	// Rows are sorted by level, then code, so parents come before children.
	Rows []Row
}

// ExternalParents returns, sorted and without repeats, the parent codes that
// rows refer to but that are not themselves rows of the file; the caller must
// check that they exist (for instance in the database) with the right level.
func (f *File) ExternalParents() []divcode.Code {
	in := make(map[divcode.Code]bool, len(f.Rows))
	for _, r := range f.Rows {
		in[r.Code] = true
	}
	seen := map[divcode.Code]bool{}
	var out []divcode.Code
	for _, r := range f.Rows {
		if r.ParentCode != "" && !in[r.ParentCode] && !seen[r.ParentCode] {
			seen[r.ParentCode] = true
			out = append(out, r.ParentCode)
		}
	}
	slices.Sort(out)
	return out
}

// InferKind tells from a village-level name whether it is a community (the name
// contains 居委会, 居民委员会 or 社区) or a village (it contains 村委会 or 村民委员会,
// or ends with 村). It returns false when the name says neither.
func InferKind(name string) (string, bool) {
	name = strings.TrimSpace(name)
	for _, s := range []string{"居委会", "居民委员会", "社区"} {
		if strings.Contains(name, s) {
			return KindCommunity, true
		}
	}
	if strings.Contains(name, "村委会") || strings.Contains(name, "村民委员会") || strings.HasSuffix(name, "村") {
		return KindVillage, true
	}
	return "", false
}

// ParseKind reads a kind cell: village, community (any letter case), 村 or 社区.
// An empty cell gives "", true (infer the kind from the name).
func ParseKind(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", true
	case strings.EqualFold(s, KindVillage) || s == "村":
		return KindVillage, true
	case strings.EqualFold(s, KindCommunity) || s == "社区":
		return KindCommunity, true
	}
	return "", false
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a region listing: UTF-8 CSV (a leading BOM is skipped) whose
// header is code,name,parent_code, optionally followed by kind. Rows whose
// cells are all empty are skipped; a file without data rows is rejected. It
// returns the valid file, or a *core.Error with code core.EIMPORT whose
// Details list the bad rows (at most MaxErrors, then a note without a row
// number). An error reading r is returned unchanged.
func Parse(r io.Reader, opts Options) (*File, error) {
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	p := &parser{opts: opts, seen: map[divcode.Code]int{}}

	// The header.
	rec, err := cr.Read()
	switch {
	case err == io.EOF:
		return nil, fileError(1, "",
			"文件为空：第一行应为表头 code,name,parent_code（可再加 kind 列）",
			"the file is empty: the first line must be the header code,name,parent_code (optionally ,kind)")
	case err != nil:
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, err
		}
		return nil, fileError(1, "",
			"表头格式错误（引号不匹配），应为 code,name,parent_code（可再加 kind 列）",
			"bad header (unbalanced quotes): it must be code,name,parent_code (optionally ,kind)")
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			if e := encodingError(1, "", f); e != nil {
				return nil, e
			}
			return nil, fileError(1, "",
				fmt.Sprintf("表头第 %d 列不是有效的 UTF-8 文本", i+1),
				fmt.Sprintf("header field %d is not valid UTF-8", i+1))
		}
	}
	cols := make([]string, len(rec))
	for i, f := range rec {
		cols[i] = strings.TrimSpace(f)
	}
	if !slices.Equal(cols, []string{ColCode, ColName, ColParent}) &&
		!slices.Equal(cols, []string{ColCode, ColName, ColParent, ColKind}) {
		got := strings.Join(cols, ",")
		return nil, fileError(1, "",
			fmt.Sprintf("表头应为 code,name,parent_code 或 code,name,parent_code,kind，实际为 %s", clip(got)),
			fmt.Sprintf("the header must be code,name,parent_code or code,name,parent_code,kind, not %s", clip(got)))
	}
	p.cols = cols

	// The data rows.
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, err
			}
			p.add(pe.StartLine, "",
				fmt.Sprintf("双引号使用错误（第 %d 行附近）：含逗号或换行的单元格须整体用英文双引号括起，单元格内的双引号写作两个，右引号后不能再有字符", pe.Line),
				fmt.Sprintf("bad double quotes (near line %d): quote a whole cell that holds a comma or line break, double any quote inside it, and put nothing after the closing quote", pe.Line))
			continue
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		n++
		if n > maxRows {
			return nil, fileError(line, "",
				fmt.Sprintf("文件超过 %d 行的上限", maxRows),
				fmt.Sprintf("the file has more than %d rows", maxRows))
		}
		if e := p.row(line, rec); e != nil {
			return nil, e
		}
	}
	if p.badRows > 0 {
		return nil, p.reject()
	}
	if n == 0 {
		return nil, fileError(1, "",
			"文件只有表头，没有数据行",
			"the file has a header but no data rows")
	}
	rows := p.rows
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Level != b.Level {
			return int(a.Level) - int(b.Level)
		}
		return strings.Compare(string(a.Code), string(b.Code))
	})
	return &File{Rows: rows}, nil
}

type parser struct {
	opts        Options
	cols        []string
	rows        []Row
	seen        map[divcode.Code]int // code -> line of its first row
	errs        []core.RowError
	omitted     int  // errors not listed beyond MaxErrors
	badRows     int  // distinct bad rows
	lastBad     int  // line of the last bad row counted
	gbkChecked  bool // the first invalid UTF-8 cell was tested for GBK
	rowHasError bool
}

// add records an error on the row starting at line.
func (p *parser) add(line int, col, zh, en string) {
	p.rowHasError = true
	if p.badRows == 0 || line != p.lastBad {
		p.badRows++
		p.lastBad = line
	}
	if len(p.errs) >= MaxErrors {
		p.omitted++
		return
	}
	p.errs = append(p.errs, core.RowError{Row: line, Column: col, Zh: zh, En: en})
}

// row checks one data record and keeps it when it is valid. It returns a
// non-nil error only when the whole file must be rejected at once (GBK).
func (p *parser) row(line int, rec []string) *core.Error {
	p.rowHasError = false
	for i, f := range rec {
		if utf8.ValidString(f) {
			continue
		}
		col := ""
		if i < len(p.cols) {
			col = p.cols[i]
		}
		if !p.gbkChecked {
			p.gbkChecked = true
			if e := encodingError(line, col, f); e != nil {
				return e
			}
		}
		p.add(line, col, "不是有效的 UTF-8 文本，请将文件另存为 UTF-8", "not valid UTF-8 text: save the file as UTF-8")
	}
	if p.rowHasError {
		return nil
	}
	if len(rec) != len(p.cols) {
		zh := fmt.Sprintf("应有 %d 列，实际 %d 列", len(p.cols), len(rec))
		en := fmt.Sprintf("expected %d fields, found %d", len(p.cols), len(rec))
		if len(rec) > len(p.cols) {
			zh += "（名称含逗号时须用英文双引号括起）"
			en += " (put a name that holds a comma in double quotes)"
		}
		p.add(line, "", zh, en)
		return nil
	}

	var row Row
	row.Line = line

	// code
	rawCode := strings.TrimSpace(rec[0])
	code, err := divcode.Parse(rawCode)
	if err != nil {
		e := core.AsError(err)
		zh, en := e.Zh, e.En
		if strings.ContainsAny(rawCode, "Ee") && strings.ContainsAny(rawCode, ".+") {
			zh += "（Excel 可能把代码转成了科学计数法，请把该列设为文本后重新导出）"
			en += " (Excel may have turned the code into scientific notation: format the column as text and export again)"
		}
		p.add(line, ColCode, zh, en)
	} else {
		row.Code = code
		row.Level = code.Level()
		if first, dup := p.seen[code]; dup {
			p.add(line, ColCode,
				fmt.Sprintf("代码 %s 重复，已在第 %d 行出现", code, first),
				fmt.Sprintf("duplicate code %s, already on line %d", code, first))
		} else {
			p.seen[code] = line
		}
	}

	// name
	name := strings.TrimSpace(rec[1])
	switch {
	case name == "":
		p.add(line, ColName, "名称为空", "the name is empty")
	case strings.IndexFunc(name, invisible) >= 0:
		p.add(line, ColName, "名称含有控制字符、不可见字符或乱码字符（�）", "the name contains control, invisible or replacement (�) characters")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		p.add(line, ColName,
			fmt.Sprintf("名称过长（%d 个字符，最多 %d 个）", utf8.RuneCountInString(name), MaxNameRunes),
			fmt.Sprintf("the name is too long (%d characters, at most %d)", utf8.RuneCountInString(name), MaxNameRunes))
	}
	row.Name = name

	// parent_code
	rawParent := strings.TrimSpace(rec[2])
	switch {
	case row.Level == 0:
		// The code is bad; its parent cannot be judged.
	case row.Level == divcode.Province:
		if rawParent != "" {
			p.add(line, ColParent,
				"省级（2 位代码）行的 parent_code 应为空",
				"a province (2-digit code) must have an empty parent_code")
		}
	case rawParent == "":
		want := row.Level - 1
		p.add(line, ColParent,
			fmt.Sprintf("parent_code 为空：%s级区划须填写上级（%s级，%d 位）代码", row.Level.Zh(), want.Zh(), want.Digits()),
			fmt.Sprintf("parent_code is empty: a %s needs the code of its parent %s (%d digits)", row.Level, want, want.Digits()))
	default:
		parent, err := divcode.Parse(rawParent)
		if err != nil {
			e := core.AsError(err)
			p.add(line, ColParent, "上级代码错误："+e.Zh, "bad parent_code: "+e.En)
			break
		}
		row.ParentCode = parent
		want := row.Level - 1
		if pl := parent.Level(); pl != want {
			p.add(line, ColParent,
				fmt.Sprintf("上级代码 %s 是%s级（%d 位），%s级区划的上级应为%s级（%d 位）", parent, pl.Zh(), pl.Digits(), row.Level.Zh(), want.Zh(), want.Digits()),
				fmt.Sprintf("parent_code %s is a %s (%d digits); the parent of a %s must be a %s (%d digits)", parent, pl, pl.Digits(), row.Level, want, want.Digits()))
		} else if !p.opts.AllowNonPrefixParent && !parent.IsPrefixOf(row.Code) {
			p.add(line, ColParent,
				fmt.Sprintf("上级代码 %s 不是代码 %s 的前缀（统计用区划代码规则）", parent, row.Code),
				fmt.Sprintf("parent_code %s is not a prefix of code %s (statistical division code rule)", parent, row.Code))
		}
	}

	// kind
	rawKind := ""
	if len(p.cols) == 4 {
		rawKind = strings.TrimSpace(rec[3])
	}
	kind, ok := ParseKind(rawKind)
	switch {
	case !ok:
		p.add(line, ColKind,
			fmt.Sprintf("kind 值 %s 无法识别，应为 village、community、村 或 社区（或留空）", clip(rawKind)),
			fmt.Sprintf("unknown kind %s: use village, community, 村 or 社区 (or leave it empty)", clip(rawKind)))
	case row.Level == 0:
		// The code is bad; whether a kind belongs here cannot be judged.
	case row.Level != divcode.Village:
		if kind != "" {
			p.add(line, ColKind,
				"只有村级（12 位代码）行可以填写 kind",
				"kind is only for village-level rows (12-digit codes)")
		}
	case kind == "" && name != "":
		inferred, ok := InferKind(name)
		if !ok {
			col := ColName
			if len(p.cols) == 4 {
				col = ColKind
			}
			p.add(line, col,
				fmt.Sprintf("无法从名称 %s 判断是村还是社区，请在 kind 列填写 村 或 社区", clip(name)),
				fmt.Sprintf("cannot tell from the name %s whether it is a village or a community: fill the kind column with village or community", clip(name)))
		}
		kind = inferred
	}
	row.Kind = kind

	if !p.rowHasError {
		p.rows = append(p.rows, row)
	}
	return nil
}

// reject builds the error for a file with bad rows.
func (p *parser) reject() *core.Error {
	errs := p.errs
	if p.omitted > 0 {
		errs = append(errs, core.RowError{
			Zh: fmt.Sprintf("另有 %d 处错误未列出", p.omitted),
			En: fmt.Sprintf("%d more errors not listed", p.omitted),
		})
	}
	en := fmt.Sprintf("import rejected: %d bad rows, nothing was written", p.badRows)
	if p.badRows == 1 {
		en = "import rejected: 1 bad row, nothing was written"
	}
	return &core.Error{
		Code:    core.EIMPORT,
		Zh:      fmt.Sprintf("导入被拒绝：%d 行有误，未写入任何数据", p.badRows),
		En:      en,
		Details: errs,
	}
}

// fileError rejects the whole file for one reason found at line.
func fileError(line int, col, zh, en string) *core.Error {
	return &core.Error{
		Code:    core.EIMPORT,
		Zh:      "导入被拒绝：" + zh + "，未写入任何数据",
		En:      "import rejected: " + en + "; nothing was written",
		Details: []core.RowError{{Row: line, Column: col, Zh: zh, En: en}},
	}
}

// encodingError returns the whole-file GBK error when the invalid UTF-8 text s
// decodes cleanly as GBK/GB18030, and nil otherwise.
func encodingError(line int, col, s string) *core.Error {
	if !looksGBK(s) {
		return nil
	}
	return fileError(line, col,
		"文件不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8",
		"file is not UTF-8 (looks like GBK): save it as UTF-8")
}

// looksGBK reports whether s decodes as GB18030 (a superset of GBK) without a
// single invalid byte and holds at least one Chinese character.
func looksGBK(s string) bool {
	out, err := simplifiedchinese.GB18030.NewDecoder().String(s)
	if err != nil || strings.ContainsRune(out, utf8.RuneError) {
		return false
	}
	return strings.IndexFunc(out, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// invisible reports control, format and line/paragraph separator characters.
func invisible(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7f, r >= 0x4e00 && r <= 0x9fff: // printable ASCII, common Han
		return false
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// blank reports whether every cell of rec is empty or spaces.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// clip quotes user text for a message and cuts it to 40 characters.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		n := 0
		for i := range s {
			if n == max {
				s = s[:i] + "…"
				break
			}
			n++
		}
	}
	return fmt.Sprintf("%q", s)
}
