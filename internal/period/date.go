package period

import (
	"cmp"
	"fmt"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Date is a civil calendar day with no time of day and no time zone. The zero
// Date is "no date". Build one with DateOf for an instant, or as a literal.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of the instant t in Asia/Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(shanghai).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads a day written as 2026-05-31; the year must be from MinYear to
// MaxYear. A bad date gives a *core.Error with code core.EINVALID.
func ParseDate(s string) (Date, error) {
	bad := func() (Date, error) {
		return Date{}, dateError(s)
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 || y < MinYear || y > MaxYear || m < 1 || m > 12 ||
		d < 1 || d > daysIn(y, time.Month(m)) {
		return bad()
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

func dateError(s string) *core.Error {
	return core.Errorf(core.EINVALID,
		"日期格式错误：%s，应为 2026-05-31",
		"invalid date %s: use 2026-05-31", quote(s))
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d is a real calendar day (any year).
func (d Date) Valid() bool {
	return d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// String formats d as 2026-05-31.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmp.Compare(d.Year, e.Year)
	case d.Month != e.Month:
		return cmp.Compare(int(d.Month), int(e.Month))
	}
	return cmp.Compare(d.Day, e.Day)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// AddDays returns the day n days after d (before, if n < 0).
func (d Date) AddDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC).Date()
	return Date{Year: y, Month: m, Day: dd}
}

// Start returns the first instant of d in Asia/Shanghai.
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, shanghai)
}

// MarshalText implements encoding.TextMarshaler with String.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	e, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = e
	return nil
}
