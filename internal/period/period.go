// Package period models the calendar periods of lawvillage (a month 2026-05, a
// quarter 2026-Q2, a year 2026) in China Standard Time (Asia/Shanghai).
//
// Instants (Start, End, Of, Elapsed) are time.Time values in Asia/Shanghai;
// calendar days (FirstDay, LastDay, Contains) use the civil Date type, which
// carries no time of day and no zone.
package period

import (
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // so Asia/Shanghai loads on hosts without system tzdata
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Accepted range of years, inclusive.
const (
	MinYear = 2000
	MaxYear = 2100
)

// MaxRange is the largest number of periods Range returns.
const MaxRange = 1200

// Kind is the length of a period.
type Kind int

// Period kinds. The zero Kind is invalid.
const (
	Month Kind = iota + 1
	Quarter
	Year
)

// String returns "month", "quarter" or "year".
func (k Kind) String() string {
	switch k {
	case Month:
		return "month"
	case Quarter:
		return "quarter"
	case Year:
		return "year"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Zh returns the Chinese name of the kind: 月, 季度 or 年.
func (k Kind) Zh() string {
	switch k {
	case Month:
		return "月"
	case Quarter:
		return "季度"
	case Year:
		return "年"
	}
	return "未知"
}

// Period is one calendar month, quarter or year. N is the month (1-12) for a
// Month, the quarter (1-4) for a Quarter and 0 for a Year.
type Period struct {
	Kind Kind
	Year int
	N    int
}

var shanghai = mustLoad()

func mustLoad() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable: time/tzdata is embedded.
		panic("period: load Asia/Shanghai: " + err.Error())
	}
	return loc
}

// Location returns the Asia/Shanghai time zone every period is computed in.
func Location() *time.Location { return shanghai }

// M returns the month period year-month; it does not validate.
func M(year, month int) Period { return Period{Kind: Month, Year: year, N: month} }

// Q returns the quarter period year-Qq; it does not validate.
func Q(year, quarter int) Period { return Period{Kind: Quarter, Year: year, N: quarter} }

// Y returns the year period; it does not validate.
func Y(year int) Period { return Period{Kind: Year, Year: year} }

// Parse reads a period written exactly as 2026-05, 2026-Q2 (or 2026-q2) or 2026,
// with a year from MinYear to MaxYear. Any other input gives a *core.Error with
// code core.EINVALIDPERIOD.
func Parse(s string) (Period, error) {
	if len(s) != 4 && len(s) != 7 {
		return Period{}, invalid(s)
	}
	y, ok := digits(s[:4])
	if !ok {
		return Period{}, invalid(s)
	}
	var p Period
	switch {
	case len(s) == 4:
		p = Y(y)
	case s[4] != '-':
		return Period{}, invalid(s)
	case s[5] == 'Q' || s[5] == 'q':
		q, ok := digits(s[6:])
		if !ok || q < 1 || q > 4 {
			return Period{}, invalid(s)
		}
		p = Q(y, q)
	default:
		m, ok := digits(s[5:])
		if !ok || m < 1 || m > 12 {
			return Period{}, invalid(s)
		}
		p = M(y, m)
	}
	if y < MinYear || y > MaxYear {
		return Period{}, core.Errorf(core.EINVALIDPERIOD,
			"期间格式错误：%s，年份应在 %d 至 %d 之间，格式应为 2026-05、2026-Q2 或 2026",
			"invalid period %s: the year must be from %d to %d; use 2026-05, 2026-Q2 or 2026",
			quote(s), MinYear, MaxYear)
	}
	return p, nil
}

// MustParse is Parse for constants in code and tests; it panics on a bad period.
func MustParse(s string) Period {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// digits parses a string of ASCII digits only (no sign, no spaces).
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func invalid(s string) *core.Error {
	return core.Errorf(core.EINVALIDPERIOD,
		"期间格式错误：%s，应为 2026-05、2026-Q2 或 2026",
		"invalid period %s: use 2026-05, 2026-Q2 or 2026",
		quote(s))
}

// quote shows user input safely in a message: quoted, escaped, and cut to 40 runes.
func quote(s string) string {
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
	return strconv.Quote(s)
}

// Valid reports whether p is a well-formed period with a year from MinYear to MaxYear.
func (p Period) Valid() bool {
	if p.Year < MinYear || p.Year > MaxYear {
		return false
	}
	switch p.Kind {
	case Month:
		return p.N >= 1 && p.N <= 12
	case Quarter:
		return p.N >= 1 && p.N <= 4
	case Year:
		return p.N == 0
	}
	return false
}

// IsZero reports whether p is the zero Period (no period).
func (p Period) IsZero() bool { return p == Period{} }

// String formats p the way Parse reads it: 2026-05, 2026-Q2 or 2026.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	case Year:
		return fmt.Sprintf("%04d", p.Year)
	}
	return fmt.Sprintf("Period{%d %d %d}", int(p.Kind), p.Year, p.N)
}

// Zh formats p in Chinese: 2026年5月, 2026年第2季度 or 2026年.
func (p Period) Zh() string {
	switch p.Kind {
	case Month:
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	case Year:
		return fmt.Sprintf("%d年", p.Year)
	}
	return p.String()
}

// MarshalText implements encoding.TextMarshaler with String.
func (p Period) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, invalid(p.String())
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (p *Period) UnmarshalText(b []byte) error {
	q, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// firstMonth returns the first month (1-12) of p.
func (p Period) firstMonth() int {
	switch p.Kind {
	case Month:
		return p.N
	case Quarter:
		return 3*(p.N-1) + 1
	}
	return 1
}

// months returns the number of months in p.
func (p Period) months() int {
	switch p.Kind {
	case Month:
		return 1
	case Quarter:
		return 3
	}
	return 12
}

// Start returns the first instant of p in Asia/Shanghai.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month(p.firstMonth()), 1, 0, 0, 0, 0, shanghai)
}

// End returns the first instant after p in Asia/Shanghai (p is [Start, End)).
func (p Period) End() time.Time {
	return time.Date(p.Year, time.Month(p.firstMonth()+p.months()), 1, 0, 0, 0, 0, shanghai)
}

// ContainsTime reports whether the instant t falls inside p (Start <= t < End).
func (p Period) ContainsTime(t time.Time) bool {
	return !t.Before(p.Start()) && t.Before(p.End())
}

// FirstDay returns the first calendar day of p.
func (p Period) FirstDay() Date {
	return Date{Year: p.Year, Month: time.Month(p.firstMonth()), Day: 1}
}

// LastDay returns the last calendar day of p (inclusive).
func (p Period) LastDay() Date {
	m := p.firstMonth() + p.months() - 1
	return Date{Year: p.Year, Month: time.Month(m), Day: daysIn(p.Year, time.Month(m))}
}

// Days returns the number of calendar days in p.
func (p Period) Days() int {
	n := 0
	for _, m := range p.Months() {
		n += daysIn(m.Year, time.Month(m.N))
	}
	return n
}

// Contains reports whether the calendar day d falls inside p.
func (p Period) Contains(d Date) bool {
	return d.Compare(p.FirstDay()) >= 0 && d.Compare(p.LastDay()) <= 0
}

// Months returns the months inside p in order: p itself for a month, three for
// a quarter, twelve for a year.
func (p Period) Months() []Period {
	first, n := p.firstMonth(), p.months()
	out := make([]Period, n)
	for i := range out {
		out[i] = M(p.Year, first+i)
	}
	return out
}

// Quarters returns the quarters inside p in order: four for a year, p itself
// for a quarter, none for a month (use Of(Quarter, p.Start()) for the quarter
// a month belongs to).
func (p Period) Quarters() []Period {
	switch p.Kind {
	case Quarter:
		return []Period{p}
	case Year:
		return []Period{Q(p.Year, 1), Q(p.Year, 2), Q(p.Year, 3), Q(p.Year, 4)}
	}
	return nil
}

// perYear returns how many periods of kind k make a year.
func perYear(k Kind) int {
	switch k {
	case Month:
		return 12
	case Quarter:
		return 4
	}
	return 1
}

// index numbers periods of one kind consecutively (month 2026-01 is 2026*12).
func (p Period) index() int {
	if p.Kind == Year {
		return p.Year
	}
	return p.Year*perYear(p.Kind) + p.N - 1
}

func fromIndex(k Kind, i int) Period {
	if k == Year {
		return Y(i)
	}
	n := perYear(k)
	y, r := i/n, i%n
	if r < 0 { // floor division for negative indexes
		y, r = y-1, r+n
	}
	return Period{Kind: k, Year: y, N: r + 1}
}

// Add returns the period n periods of the same kind after p (before, if n < 0).
func (p Period) Add(n int) Period { return fromIndex(p.Kind, p.index()+n) }

// Prev returns the period of the same kind just before p.
func (p Period) Prev() Period { return p.Add(-1) }

// Next returns the period of the same kind just after p.
func (p Period) Next() Period { return p.Add(1) }

// SameLastYear returns the same month, quarter or year one year earlier.
func (p Period) SameLastYear() Period {
	p.Year--
	return p
}

// Compare orders periods by start, then longer kinds after shorter ones; it
// returns -1, 0 or +1.
func (p Period) Compare(q Period) int {
	if c := p.Start().Compare(q.Start()); c != 0 {
		return c
	}
	switch {
	case p.Kind < q.Kind:
		return -1
	case p.Kind > q.Kind:
		return 1
	}
	return 0
}

// Before reports whether p sorts before q (see Compare).
func (p Period) Before(q Period) bool { return p.Compare(q) < 0 }

// Of returns the period of kind k that holds the instant t, read in Asia/Shanghai.
func Of(k Kind, t time.Time) Period {
	t = t.In(shanghai)
	y, m := t.Year(), int(t.Month())
	switch k {
	case Month:
		return M(y, m)
	case Quarter:
		return Q(y, (m-1)/3+1)
	}
	return Y(y)
}

// OfDate returns the period of kind k that holds the calendar day d.
func OfDate(k Kind, d Date) Period {
	switch k {
	case Month:
		return M(d.Year, int(d.Month))
	case Quarter:
		return Q(d.Year, (int(d.Month)-1)/3+1)
	}
	return Y(d.Year)
}

// Range returns every period from from to to inclusive. Both must be valid,
// of the same kind, with from <= to, and the range may hold at most MaxRange
// periods; otherwise it returns a core.EINVALIDPERIOD error.
func Range(from, to Period) ([]Period, error) {
	for _, p := range []Period{from, to} {
		if !p.Valid() {
			return nil, invalid(p.String())
		}
	}
	if from.Kind != to.Kind {
		return nil, &core.Error{Code: core.EINVALIDPERIOD,
			Zh: fmt.Sprintf("期间范围 %s 至 %s 的类型不同（%s与%s）", from, to, from.Kind.Zh(), to.Kind.Zh()),
			En: fmt.Sprintf("period range %s to %s mixes kinds (%s and %s)", from, to, from.Kind, to.Kind)}
	}
	n := to.index() - from.index() + 1
	if n < 1 {
		return nil, core.Errorf(core.EINVALIDPERIOD,
			"期间范围错误：起始 %s 晚于结束 %s",
			"invalid period range: %s is after %s",
			from, to)
	}
	if n > MaxRange {
		return nil, core.Errorf(core.EINVALIDPERIOD,
			"期间范围过大：%s 至 %s 共 %d 个期间，最多 %d 个",
			"period range too long: %s to %s spans %d periods, at most %d",
			from, to, n, MaxRange)
	}
	out := make([]Period, n)
	for i := range out {
		out[i] = from.Add(i)
	}
	return out, nil
}

// Elapsed returns the months of p that have started by now (Start <= now), in
// order: all of them once p is over, none before p starts. It answers "done so
// far" for a period still running.
func Elapsed(p Period, now time.Time) []Period {
	var out []Period
	for _, m := range p.Months() {
		if m.Start().After(now) {
			break
		}
		out = append(out, m)
	}
	return out
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
