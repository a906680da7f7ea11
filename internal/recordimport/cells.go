package recordimport

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// sheet reads the cells of a table by column name and collects every problem.
type sheet struct {
	t       *table
	tmpl    Template
	idx     map[string]int // header -> index
	errs    []core.RowError
	omitted int
	today   period.Date
	bad     bool // the current row has an error
}

func (s *sheet) add(line int, col, zh, en string) {
	s.bad = true
	if len(s.errs) >= MaxErrors {
		s.omitted++
		return
	}
	s.errs = append(s.errs, core.RowError{Row: line, Column: col, Zh: zh, En: en})
}

// has reports whether the file has the column.
func (s *sheet) has(col string) bool {
	_, ok := s.idx[col]
	return ok
}

// raw returns the trimmed cell of the column ("" when the column is absent).
func (s *sheet) raw(r tableRow, col string) string {
	i, ok := s.idx[col]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// quote shows a cell in a message: quoted and cut to 30 characters.
func quote(v string) string {
	if utf8.RuneCountInString(v) > 30 {
		v = string([]rune(v)[:30]) + "…"
	}
	return strconv.Quote(v)
}

// text reads a text cell of at most max characters.
func (s *sheet) text(r tableRow, col string, max int, required bool) string {
	v := s.raw(r, col)
	switch {
	case v == "" && required:
		s.add(r.line, col, "必填，不能为空", "required, must not be empty")
	case utf8.RuneCountInString(v) > max:
		s.add(r.line, col, fmt.Sprintf("过长（%d 个字符，最多 %d 个）", utf8.RuneCountInString(v), max),
			fmt.Sprintf("too long (%d characters, at most %d)", utf8.RuneCountInString(v), max))
	case strings.IndexFunc(v, func(c rune) bool { return (unicode.IsControl(c) && c != '\n' && c != '\t') || c == utf8.RuneError }) >= 0:
		s.add(r.line, col, "含有控制字符或乱码字符（�）", "contains control or replacement (�) characters")
	default:
		return v
	}
	return ""
}

// sciMaxBits bounds the numbers sciInteger expands: below 2^100 (31 digits),
// room enough for division codes (12 digits) and phone numbers (20 digits).
const sciMaxBits = 100

// sciInteger turns a number an .xlsx file stores in scientific notation
// (3.20117001201E+11) into its digits when it is a whole number of at most
// 31 digits; a larger one (1E+600000000) is left as it is, never expanded.
func sciInteger(v string) (string, bool) {
	if !strings.ContainsAny(v, "eE") {
		return v, true
	}
	f, _, err := big.ParseFloat(v, 10, 200, big.ToNearestEven)
	if err != nil || !f.IsInt() || f.Sign() < 0 || f.MantExp(nil) > sciMaxBits {
		return v, false
	}
	i, _ := f.Int(nil)
	return i.String(), true
}

// villageCode reads the 12-digit village code ("" when bad).
func (s *sheet) villageCode(r tableRow) string {
	v := s.raw(r, ColVillage)
	if s.t.xlsx {
		v, _ = sciInteger(v)
	}
	switch {
	case v == "":
		s.add(r.line, ColVillage, "必填，不能为空", "required, must not be empty")
	case strings.ContainsAny(v, "eE") && strings.ContainsAny(v, ".+"):
		s.add(r.line, ColVillage, fmt.Sprintf("代码 %s 是科学计数法：请把该列设为文本格式后重新填写或导出", quote(v)),
			fmt.Sprintf("code %s is in scientific notation: format the column as text and enter or export it again", quote(v)))
	case len(v) != 12 || strings.IndexFunc(v, func(c rune) bool { return c < '0' || c > '9' }) >= 0:
		s.add(r.line, ColVillage, fmt.Sprintf("%s 不是 12 位村(社区)区划代码", quote(v)),
			fmt.Sprintf("%s is not a 12-digit village division code", quote(v)))
	default:
		return v
	}
	return ""
}

// phone reads a phone number cell.
func (s *sheet) phone(r tableRow, col string) string {
	v := s.raw(r, col)
	if s.t.xlsx {
		v, _ = sciInteger(v)
	}
	if !postgres.CheckPhone(v) {
		s.add(r.line, col, fmt.Sprintf("联系电话 %s 格式错误：只能含数字、+、-、空格和括号，5 至 20 位数字", quote(v)),
			fmt.Sprintf("bad phone number %s: digits with optional + - spaces and parentheses, 5 to 20 digits", quote(v)))
		return ""
	}
	return v
}

// integer reads a whole number from min to max; nil when empty (an error when required).
func (s *sheet) integer(r tableRow, col string, min, max int, required bool) *int {
	v := s.raw(r, col)
	if v == "" {
		if required {
			s.add(r.line, col, "必填，不能为空", "required, must not be empty")
		}
		return nil
	}
	w := strings.TrimSuffix(strings.TrimSuffix(v, ".0"), ".00")
	n, err := strconv.Atoi(w)
	if err != nil {
		s.add(r.line, col, fmt.Sprintf("%s 不是整数", quote(v)), fmt.Sprintf("%s is not a whole number", quote(v)))
		return nil
	}
	if n < min || n > max {
		s.add(r.line, col, fmt.Sprintf("%d 超出范围（%d 至 %d）", n, min, max), fmt.Sprintf("%d is out of range (%d to %d)", n, min, max))
		return nil
	}
	return &n
}

// boolean reads 是/否 (also yes/no, true/false, 1/0, Y/N); empty is 否.
func (s *sheet) boolean(r tableRow, col string) bool {
	v := s.raw(r, col)
	switch strings.ToLower(v) {
	case "是", "y", "yes", "true", "1", "√", "有":
		return true
	case "否", "n", "no", "false", "0", "×", "无", "":
		return false
	}
	s.add(r.line, col, fmt.Sprintf("%s 应为 是 或 否", quote(v)), fmt.Sprintf("%s must be 是 (yes) or 否 (no)", quote(v)))
	return false
}

// date reads a civil date: 2026-05-31, 2026/5/31, 2026.5.31, 2026年5月31日,
// or an Excel date; notFuture refuses days after today. "" when empty or bad.
func (s *sheet) date(r tableRow, col string, required, notFuture bool) string {
	v := s.raw(r, col)
	if v == "" {
		if required {
			s.add(r.line, col, "必填，不能为空", "required, must not be empty")
		}
		return ""
	}
	d, ok := s.parseDate(v)
	if !ok {
		s.add(r.line, col, fmt.Sprintf("日期 %s 无法识别，应为 2026-05-31 这样的日期", quote(v)),
			fmt.Sprintf("cannot read the date %s: write it like 2026-05-31", quote(v)))
		return ""
	}
	if notFuture && d.After(s.today) {
		s.add(r.line, col, fmt.Sprintf("日期 %s 晚于今天（%s）", d, s.today), fmt.Sprintf("the date %s is after today (%s)", d, s.today))
		return ""
	}
	return d.String()
}

func (s *sheet) parseDate(v string) (period.Date, bool) {
	if s.t.xlsx {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, s.t.date1904)
			if err != nil {
				return period.Date{}, false
			}
			d := period.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
			return d, d.Year >= period.MinYear && d.Year <= period.MaxYear
		}
	}
	w := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-").Replace(v)
	// A time of day (2026-05-31 00:00:00) is dropped.
	if i := strings.IndexAny(w, " T"); i > 0 {
		w = w[:i]
	}
	parts := strings.Split(w, "-")
	if len(parts) != 3 {
		return period.Date{}, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return period.Date{}, false
	}
	out, err := period.ParseDate(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
	return out, err == nil
}

// periodCell reads a period: 2026, 2026-Q2 or 2026-05 (an Excel date is read as its month).
func (s *sheet) periodCell(r tableRow, col string) (period.Period, bool) {
	v := s.raw(r, col)
	if v == "" {
		s.add(r.line, col, "必填，不能为空", "required, must not be empty")
		return period.Period{}, false
	}
	// An Excel date counts only when it falls in the years periods allow:
	// 2026.05 typed in a text cell is May 2026, not day 2026 of Excel (1905).
	if s.t.xlsx && len(v) > 4 {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 366 && f < 2958466 {
			if t, err := excelize.ExcelDateToTime(f, s.t.date1904); err == nil && t.Year() >= period.MinYear && t.Year() <= period.MaxYear {
				v = t.Format("2006-01")
			}
		}
	}
	v = strings.NewReplacer("年第", "-Q", "季度", "", "年", "-", "月", "", "/", "-", ".", "-").Replace(v)
	v = strings.TrimSuffix(v, "-")
	if len(v) == 6 && v[4] == '-' { // 2026-5
		v = v[:5] + "0" + v[5:]
	}
	p, err := period.Parse(v)
	if err != nil {
		e := core.AsError(err)
		s.add(r.line, col, e.Zh, e.En)
		return period.Period{}, false
	}
	return p, true
}

// choice reads a value from a list of labels (case-insensitive for Latin letters).
func choice[T any](s *sheet, r tableRow, col string, labels map[string]T, names []string) (T, bool) {
	var zero T
	v := s.raw(r, col)
	if v == "" {
		s.add(r.line, col, "必填，不能为空", "required, must not be empty")
		return zero, false
	}
	if x, ok := labels[v]; ok {
		return x, true
	}
	if x, ok := labels[strings.ToLower(v)]; ok {
		return x, true
	}
	list := strings.Join(names, "、")
	s.add(r.line, col, fmt.Sprintf("%s 无法识别，应为：%s", quote(v), list), fmt.Sprintf("unknown value %s: use one of %s", quote(v), list))
	return zero, false
}

// years reads a list of years separated by 、 , ， ; ； or spaces.
func (s *sheet) years(r tableRow, col string) []int {
	v := s.raw(r, col)
	if v == "" {
		return nil
	}
	fields := strings.FieldsFunc(v, func(c rune) bool { return strings.ContainsRune("、,，;；/", c) || unicode.IsSpace(c) })
	var out []int
	seen := map[int]bool{}
	for _, f := range fields {
		f = strings.TrimSuffix(strings.TrimSuffix(f, "年"), ".0")
		y, err := strconv.Atoi(f)
		if err != nil || y < 1990 || y > s.today.Year {
			s.add(r.line, col, fmt.Sprintf("年份 %s 无效（应为 1990 至 %d 的年份，多个用顿号分隔）", quote(f), s.today.Year),
				fmt.Sprintf("invalid year %s (years from 1990 to %d, separated by 、)", quote(f), s.today.Year))
			return nil
		}
		if !seen[y] {
			seen[y] = true
			out = append(out, y)
		}
	}
	return out
}

// now is the clock of the parser (today bounds dates and years).
var now = time.Now
