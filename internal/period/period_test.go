package period

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		in   string
		want Period
		str  string
	}{
		{"2026-05", M(2026, 5), "2026-05"},
		{"2026-01", M(2026, 1), "2026-01"},
		{"2026-12", M(2026, 12), "2026-12"},
		{"2026-Q2", Q(2026, 2), "2026-Q2"},
		{"2026-q2", Q(2026, 2), "2026-Q2"},
		{"2026-Q1", Q(2026, 1), "2026-Q1"},
		{"2026-Q4", Q(2026, 4), "2026-Q4"},
		{"2026", Y(2026), "2026"},
		{"2000", Y(2000), "2000"},
		{"2100", Y(2100), "2100"},
		{"2000-01", M(2000, 1), "2000-01"},
		{"2100-12", M(2100, 12), "2100-12"},
		{"2100-Q4", Q(2100, 4), "2100-Q4"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.str {
				t.Fatalf("String() = %q, want %q", got.String(), tt.str)
			}
			if !got.Valid() {
				t.Fatalf("%v not Valid", got)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	bad := []string{
		"", " ", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-Q", "2026-Q12",
		"26-05", "2026-5", "2026/05", "2026.05", "202605", "2026-005", "2026-05-01",
		" 2026-05", "2026-05 ", "2026 -05", "2026- 5", "2026-\t5", "2026\n",
		"２０２６-05", "2026-０５", "٢٠٢٦", "2026-Q２", "2026年5月", "2026-M05",
		"1999", "1999-12", "2101", "2101-01", "0000", "9999-Q1", "-2026", "+2026",
		"2026-+5", "2026--5", "2026-Qa", "2026-QQ", "2026-x5", "2026-05\x00",
		"abcd", "20a6", "2026-H1", "2026-W01", "\xff\xfe\xfd\xfc",
		strings.Repeat("2026", 100),
	}
	for _, in := range bad {
		t.Run(in, func(t *testing.T) {
			p, err := Parse(in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", in, p)
			}
			e := core.AsError(err)
			if e == nil || e.Code != core.EINVALIDPERIOD {
				t.Fatalf("Parse(%q) error %v, want code %s", in, err, core.EINVALIDPERIOD)
			}
			for _, msg := range []string{e.Zh, e.En} {
				if !strings.Contains(msg, "2026-05") || !strings.Contains(msg, "2026-Q2") {
					t.Errorf("message %q does not show the accepted forms", msg)
				}
				if len(msg) > 300 {
					t.Errorf("message too long (%d bytes)", len(msg))
				}
			}
			if !strings.HasPrefix(e.Zh, "期间格式错误") || !strings.HasPrefix(e.En, "invalid period") {
				t.Errorf("unexpected messages %q / %q", e.Zh, e.En)
			}
			if p != (Period{}) {
				t.Errorf("Parse(%q) returned non-zero period %+v with an error", in, p)
			}
		})
	}
}

func TestParseMessage(t *testing.T) {
	_, err := Parse("2026-13")
	e := core.AsError(err)
	if e.Zh != `期间格式错误："2026-13"，应为 2026-05、2026-Q2 或 2026` {
		t.Errorf("Zh = %q", e.Zh)
	}
	if e.En != `invalid period "2026-13": use 2026-05, 2026-Q2 or 2026` {
		t.Errorf("En = %q", e.En)
	}
	_, err = Parse("1999")
	e = core.AsError(err)
	if !strings.Contains(e.Zh, "2000 至 2100") || !strings.Contains(e.En, "from 2000 to 2100") {
		t.Errorf("year-range message: %q / %q", e.Zh, e.En)
	}
	_, err = Parse("bad\nline" + strings.Repeat("x", 100))
	e = core.AsError(err)
	if strings.Contains(e.En, "\n") || !strings.Contains(e.En, "…") {
		t.Errorf("input not escaped/cut: %q", e.En)
	}
}

func TestStartEnd(t *testing.T) {
	loc := Location()
	tests := []struct {
		p          Period
		start, end time.Time
		first      Date
		last       Date
		days       int
	}{
		{M(2026, 5), time.Date(2026, 5, 1, 0, 0, 0, 0, loc), time.Date(2026, 6, 1, 0, 0, 0, 0, loc), Date{2026, 5, 1}, Date{2026, 5, 31}, 31},
		{M(2024, 2), time.Date(2024, 2, 1, 0, 0, 0, 0, loc), time.Date(2024, 3, 1, 0, 0, 0, 0, loc), Date{2024, 2, 1}, Date{2024, 2, 29}, 29},
		{M(2026, 2), time.Date(2026, 2, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 1, 0, 0, 0, 0, loc), Date{2026, 2, 1}, Date{2026, 2, 28}, 28},
		{M(2000, 2), time.Date(2000, 2, 1, 0, 0, 0, 0, loc), time.Date(2000, 3, 1, 0, 0, 0, 0, loc), Date{2000, 2, 1}, Date{2000, 2, 29}, 29},
		{M(2100, 2), time.Date(2100, 2, 1, 0, 0, 0, 0, loc), time.Date(2100, 3, 1, 0, 0, 0, 0, loc), Date{2100, 2, 1}, Date{2100, 2, 28}, 28},
		{M(2026, 12), time.Date(2026, 12, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc), Date{2026, 12, 1}, Date{2026, 12, 31}, 31},
		{Q(2026, 1), time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc), Date{2026, 1, 1}, Date{2026, 3, 31}, 90},
		{Q(2024, 1), time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2024, 4, 1, 0, 0, 0, 0, loc), Date{2024, 1, 1}, Date{2024, 3, 31}, 91},
		{Q(2026, 2), time.Date(2026, 4, 1, 0, 0, 0, 0, loc), time.Date(2026, 7, 1, 0, 0, 0, 0, loc), Date{2026, 4, 1}, Date{2026, 6, 30}, 91},
		{Q(2026, 3), time.Date(2026, 7, 1, 0, 0, 0, 0, loc), time.Date(2026, 10, 1, 0, 0, 0, 0, loc), Date{2026, 7, 1}, Date{2026, 9, 30}, 92},
		{Q(2026, 4), time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc), Date{2026, 10, 1}, Date{2026, 12, 31}, 92},
		{Y(2026), time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc), Date{2026, 1, 1}, Date{2026, 12, 31}, 365},
		{Y(2024), time.Date(2024, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc), Date{2024, 1, 1}, Date{2024, 12, 31}, 366},
		{Y(2100), time.Date(2100, 1, 1, 0, 0, 0, 0, loc), time.Date(2101, 1, 1, 0, 0, 0, 0, loc), Date{2100, 1, 1}, Date{2100, 12, 31}, 365},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			if got := tt.p.Start(); !got.Equal(tt.start) || got.Location() != loc {
				t.Errorf("Start = %v, want %v", got, tt.start)
			}
			if got := tt.p.End(); !got.Equal(tt.end) {
				t.Errorf("End = %v, want %v", got, tt.end)
			}
			if got := tt.p.FirstDay(); got != tt.first {
				t.Errorf("FirstDay = %v, want %v", got, tt.first)
			}
			if got := tt.p.LastDay(); got != tt.last {
				t.Errorf("LastDay = %v, want %v", got, tt.last)
			}
			if got := tt.p.Days(); got != tt.days {
				t.Errorf("Days = %d, want %d", got, tt.days)
			}
			// The end is exactly the start of the next period.
			if !tt.p.End().Equal(tt.p.Next().Start()) {
				t.Errorf("End %v != Next().Start %v", tt.p.End(), tt.p.Next().Start())
			}
			// Shanghai is UTC+8 with no DST: the start is 16:00 UTC the day before.
			if u := tt.p.Start().UTC(); u.Hour() != 16 {
				t.Errorf("Start in UTC = %v, want 16:00", u)
			}
			if !tt.p.ContainsTime(tt.p.Start()) || tt.p.ContainsTime(tt.p.End()) ||
				!tt.p.ContainsTime(tt.p.End().Add(-time.Nanosecond)) || tt.p.ContainsTime(tt.p.Start().Add(-time.Nanosecond)) {
				t.Errorf("ContainsTime bounds wrong")
			}
			if !tt.p.Contains(tt.first) || !tt.p.Contains(tt.last) ||
				tt.p.Contains(tt.first.AddDays(-1)) || tt.p.Contains(tt.last.AddDays(1)) {
				t.Errorf("Contains bounds wrong")
			}
		})
	}
}

func TestNextPrev(t *testing.T) {
	tests := []struct{ p, next, prev Period }{
		{M(2026, 12), M(2027, 1), M(2026, 11)},
		{M(2026, 1), M(2026, 2), M(2025, 12)},
		{M(2026, 5), M(2026, 6), M(2026, 4)},
		{Q(2026, 4), Q(2027, 1), Q(2026, 3)},
		{Q(2026, 1), Q(2026, 2), Q(2025, 4)},
		{Y(2026), Y(2027), Y(2025)},
		{M(2000, 1), M(2000, 2), M(1999, 12)},
		{M(2100, 12), M(2101, 1), M(2100, 11)},
	}
	for _, tt := range tests {
		if got := tt.p.Next(); got != tt.next {
			t.Errorf("%v.Next() = %v, want %v", tt.p, got, tt.next)
		}
		if got := tt.p.Prev(); got != tt.prev {
			t.Errorf("%v.Prev() = %v, want %v", tt.p, got, tt.prev)
		}
		if got := tt.p.Next().Prev(); got != tt.p {
			t.Errorf("%v.Next().Prev() = %v", tt.p, got)
		}
	}
	if got := M(2026, 5).Add(-17); got != M(2024, 12) {
		t.Errorf("Add(-17) = %v", got)
	}
	if got := Q(2026, 2).Add(11); got != Q(2029, 1) {
		t.Errorf("Add(11) = %v", got)
	}
	if got := M(1, 1).Add(-1); got != M(0, 12) {
		t.Errorf("Add across year 0 = %v", got)
	}
	if got := M(0, 1).Add(-1); got != M(-1, 12) {
		t.Errorf("Add into negative years = %v", got)
	}
	if M(2101, 1).Valid() || M(1999, 12).Valid() {
		t.Errorf("out-of-range periods reported valid")
	}
}

func TestSameLastYear(t *testing.T) {
	for _, tt := range []struct{ p, want Period }{
		{M(2026, 5), M(2025, 5)}, {Q(2026, 1), Q(2025, 1)}, {Y(2026), Y(2025)}, {M(2024, 2), M(2023, 2)},
	} {
		if got := tt.p.SameLastYear(); got != tt.want {
			t.Errorf("%v.SameLastYear() = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestMonthsQuarters(t *testing.T) {
	if got := M(2026, 5).Months(); len(got) != 1 || got[0] != M(2026, 5) {
		t.Errorf("month Months = %v", got)
	}
	if got := Q(2026, 2).Months(); len(got) != 3 || got[0] != M(2026, 4) || got[2] != M(2026, 6) {
		t.Errorf("Q2 Months = %v", got)
	}
	if got := Q(2026, 4).Months(); got[0] != M(2026, 10) || got[2] != M(2026, 12) {
		t.Errorf("Q4 Months = %v", got)
	}
	ym := Y(2026).Months()
	if len(ym) != 12 {
		t.Fatalf("year Months len = %d", len(ym))
	}
	for i, m := range ym {
		if m != M(2026, i+1) {
			t.Errorf("year Months[%d] = %v", i, m)
		}
	}
	if got := Y(2026).Quarters(); len(got) != 4 || got[0] != Q(2026, 1) || got[3] != Q(2026, 4) {
		t.Errorf("year Quarters = %v", got)
	}
	if got := Q(2026, 3).Quarters(); len(got) != 1 || got[0] != Q(2026, 3) {
		t.Errorf("quarter Quarters = %v", got)
	}
	if got := M(2026, 3).Quarters(); got != nil {
		t.Errorf("month Quarters = %v, want nil", got)
	}
	// Months of the quarters of a year are the months of the year.
	var all []Period
	for _, q := range Y(2025).Quarters() {
		all = append(all, q.Months()...)
	}
	for i, m := range Y(2025).Months() {
		if all[i] != m {
			t.Errorf("month %d: %v vs %v", i, all[i], m)
		}
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		t     time.Time
		month Period
		q     Period
		y     Period
	}{
		// 2026-05-31T16:30Z is 2026-06-01 00:30 in Shanghai.
		{time.Date(2026, 5, 31, 16, 30, 0, 0, time.UTC), M(2026, 6), Q(2026, 2), Y(2026)},
		{time.Date(2026, 5, 31, 15, 59, 59, 0, time.UTC), M(2026, 5), Q(2026, 2), Y(2026)},
		{time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC), M(2026, 7), Q(2026, 3), Y(2026)},
		{time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), M(2027, 1), Q(2027, 1), Y(2027)},
		{time.Date(2026, 12, 31, 15, 59, 59, 999999999, time.UTC), M(2026, 12), Q(2026, 4), Y(2026)},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, Location()), M(2026, 1), Q(2026, 1), Y(2026)},
		// An instant given in another zone is still read in Shanghai.
		{time.Date(2026, 3, 31, 12, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), M(2026, 4), Q(2026, 2), Y(2026)},
	}
	for _, tt := range tests {
		if got := Of(Month, tt.t); got != tt.month {
			t.Errorf("Of(Month, %v) = %v, want %v", tt.t, got, tt.month)
		}
		if got := Of(Quarter, tt.t); got != tt.q {
			t.Errorf("Of(Quarter, %v) = %v, want %v", tt.t, got, tt.q)
		}
		if got := Of(Year, tt.t); got != tt.y {
			t.Errorf("Of(Year, %v) = %v, want %v", tt.t, got, tt.y)
		}
		d := DateOf(tt.t)
		for _, k := range []Kind{Month, Quarter, Year} {
			if OfDate(k, d) != Of(k, tt.t) {
				t.Errorf("OfDate(%v, %v) = %v, Of = %v", k, d, OfDate(k, d), Of(k, tt.t))
			}
			if !Of(k, tt.t).ContainsTime(tt.t) {
				t.Errorf("Of(%v, %v) does not contain it", k, tt.t)
			}
		}
	}
	if d := DateOf(time.Date(2026, 5, 31, 16, 30, 0, 0, time.UTC)); d != (Date{2026, 6, 1}) {
		t.Errorf("DateOf = %v", d)
	}
	// Every month of quarter q is in quarter q.
	for m := 1; m <= 12; m++ {
		p := M(2026, m)
		q := Of(Quarter, p.Start())
		found := false
		for _, mm := range q.Months() {
			found = found || mm == p
		}
		if !found {
			t.Errorf("month %v not in its quarter %v", p, q)
		}
	}
}

func TestRange(t *testing.T) {
	got, err := Range(M(2025, 11), M(2026, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := []Period{M(2025, 11), M(2025, 12), M(2026, 1), M(2026, 2)}
	if len(got) != len(want) {
		t.Fatalf("Range = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Range[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if got, err := Range(Q(2026, 2), Q(2026, 2)); err != nil || len(got) != 1 {
		t.Errorf("single-quarter range = %v, %v", got, err)
	}
	if got, err := Range(Q(2025, 3), Q(2026, 2)); err != nil || len(got) != 4 || got[3] != Q(2026, 2) {
		t.Errorf("quarter range = %v, %v", got, err)
	}
	if got, err := Range(Y(2000), Y(2100)); err != nil || len(got) != 101 {
		t.Errorf("year range len = %d, %v", len(got), err)
	}
	// 2000-01..2099-12 is exactly 1200 months; one more is too many.
	if got, err := Range(M(2000, 1), M(2099, 12)); err != nil || len(got) != MaxRange {
		t.Errorf("max range len = %d, %v", len(got), err)
	}
	bad := []struct{ from, to Period }{
		{M(2026, 5), M(2026, 4)},
		{M(2026, 5), Q(2026, 3)},
		{Y(2026), M(2026, 1)},
		{M(2000, 1), M(2100, 1)},
		{M(1999, 1), M(2026, 1)},
		{M(2026, 1), M(2026, 13)},
		{Period{}, Period{}},
		{Period{Kind: 9, Year: 2026}, Period{Kind: 9, Year: 2026}},
		{Period{Kind: Year, Year: 2026, N: 1}, Y(2027)},
	}
	for _, b := range bad {
		got, err := Range(b.from, b.to)
		if err == nil || core.ErrorCode(err) != core.EINVALIDPERIOD || got != nil {
			t.Errorf("Range(%v, %v) = %v, %v; want EINVALIDPERIOD", b.from, b.to, got, err)
		}
	}
	_, err = Range(M(2026, 5), Q(2026, 3))
	if e := core.AsError(err); !strings.Contains(e.Zh, "月与季度") || !strings.Contains(e.En, "month and quarter") {
		t.Errorf("mixed-kind message %q / %q", e.Zh, e.En)
	}
}

func TestElapsed(t *testing.T) {
	loc := Location()
	tests := []struct {
		p    Period
		now  time.Time
		want []Period
	}{
		{Y(2026), time.Date(2025, 12, 31, 23, 59, 0, 0, loc), nil},
		{Y(2026), time.Date(2026, 1, 1, 0, 0, 0, 0, loc), []Period{M(2026, 1)}},
		{Y(2026), time.Date(2026, 3, 15, 0, 0, 0, 0, loc), []Period{M(2026, 1), M(2026, 2), M(2026, 3)}},
		// 2026-04-30T16:00Z is 2026-05-01 00:00 Shanghai: May has started.
		{Y(2026), time.Date(2026, 4, 30, 16, 0, 0, 0, time.UTC), []Period{M(2026, 1), M(2026, 2), M(2026, 3), M(2026, 4), M(2026, 5)}},
		{Y(2026), time.Date(2026, 4, 30, 15, 59, 59, 0, time.UTC), []Period{M(2026, 1), M(2026, 2), M(2026, 3), M(2026, 4)}},
		{Q(2026, 2), time.Date(2030, 1, 1, 0, 0, 0, 0, loc), []Period{M(2026, 4), M(2026, 5), M(2026, 6)}},
		{Q(2026, 2), time.Date(2026, 5, 2, 0, 0, 0, 0, loc), []Period{M(2026, 4), M(2026, 5)}},
		{M(2026, 5), time.Date(2026, 5, 31, 0, 0, 0, 0, loc), []Period{M(2026, 5)}},
		{M(2026, 5), time.Date(2026, 4, 1, 0, 0, 0, 0, loc), nil},
	}
	for _, tt := range tests {
		got := Elapsed(tt.p, tt.now)
		if len(got) != len(tt.want) {
			t.Errorf("Elapsed(%v, %v) = %v, want %v", tt.p, tt.now, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Elapsed(%v, %v)[%d] = %v, want %v", tt.p, tt.now, i, got[i], tt.want[i])
			}
		}
	}
}

func TestCompare(t *testing.T) {
	// Same start: month < quarter < year (shorter first).
	ordered := []Period{M(2025, 12), M(2026, 1), Q(2026, 1), Y(2026), M(2026, 2), M(2026, 4), Q(2026, 2)}
	for i := range ordered {
		for j := range ordered {
			got := ordered[i].Compare(ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", ordered[i], ordered[j], got, want)
			}
			if ordered[i].Before(ordered[j]) != (want < 0) {
				t.Errorf("%v.Before(%v) wrong", ordered[i], ordered[j])
			}
		}
	}
}

func TestKindAndZh(t *testing.T) {
	if Month.String() != "month" || Quarter.String() != "quarter" || Year.String() != "year" || Kind(0).String() != "Kind(0)" {
		t.Errorf("Kind.String wrong")
	}
	if Month.Zh() != "月" || Quarter.Zh() != "季度" || Year.Zh() != "年" || Kind(7).Zh() != "未知" {
		t.Errorf("Kind.Zh wrong")
	}
	for _, tt := range []struct {
		p    Period
		want string
	}{{M(2026, 5), "2026年5月"}, {Q(2026, 2), "2026年第2季度"}, {Y(2026), "2026年"}, {Period{}, "Period{0 0 0}"}} {
		if got := tt.p.Zh(); got != tt.want {
			t.Errorf("Zh(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	if !(Period{}).IsZero() || M(2026, 1).IsZero() {
		t.Errorf("IsZero wrong")
	}
	if (Period{Kind: Month, Year: 2026, N: 0}).Valid() || (Period{Kind: Quarter, Year: 2026, N: 5}).Valid() {
		t.Errorf("Valid accepted a bad N")
	}
}

func TestText(t *testing.T) {
	type doc struct {
		P Period `json:"p"`
		D Date   `json:"d"`
	}
	b, err := json.Marshal(doc{Q(2026, 2), Date{2026, 5, 31}})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p":"2026-Q2","d":"2026-05-31"}` {
		t.Errorf("json = %s", b)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"p":"2026-q3","d":"2024-02-29"}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.P != Q(2026, 3) || d.D != (Date{2024, 2, 29}) {
		t.Errorf("unmarshal = %+v", d)
	}
	if err := json.Unmarshal([]byte(`{"p":"2026-13"}`), &d); core.ErrorCode(err) != core.EINVALIDPERIOD {
		t.Errorf("unmarshal bad period: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2023-02-29"}`), &d); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("unmarshal bad date: %v", err)
	}
	if _, err := (Period{}).MarshalText(); core.ErrorCode(err) != core.EINVALIDPERIOD {
		t.Errorf("marshal zero period: %v", err)
	}
	if MustParse("2026-Q1") != Q(2026, 1) {
		t.Errorf("MustParse")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustParse did not panic")
		}
	}()
	MustParse("nope")
}

func TestDate(t *testing.T) {
	good := map[string]Date{
		"2026-05-31": {2026, 5, 31}, "2024-02-29": {2024, 2, 29}, "2000-02-29": {2000, 2, 29}, "2100-12-31": {2100, 12, 31},
	}
	for in, want := range good {
		got, err := ParseDate(in)
		if err != nil || got != want || got.String() != in || !got.Valid() {
			t.Errorf("ParseDate(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "2026-5-31", "2026-05-32", "2026-02-29", "2100-02-29", "2026/05/31", "1999-12-31", "2026-00-10", "2026-05-00", "２026-05-31", "2026-05-31T00:00", "2026-05- 1"} {
		if d, err := ParseDate(in); core.ErrorCode(err) != core.EINVALID || d != (Date{}) {
			t.Errorf("ParseDate(%q) = %v, %v; want EINVALID", in, d, err)
		}
	}
	a, b := Date{2026, 12, 31}, Date{2027, 1, 1}
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Compare(a) != 0 || a.AddDays(1) != b || b.AddDays(-1) != a {
		t.Errorf("Date order/AddDays wrong")
	}
	if (Date{2024, 2, 28}).AddDays(1) != (Date{2024, 2, 29}) || (Date{2100, 2, 28}).AddDays(1) != (Date{2100, 3, 1}) {
		t.Errorf("leap AddDays wrong")
	}
	if (Date{2026, 5, 1}).Compare(Date{2026, 4, 30}) != 1 || (Date{2026, 5, 1}).Compare(Date{2026, 5, 2}) != -1 {
		t.Errorf("Compare wrong")
	}
	if s := (Date{2026, 6, 1}).Start(); !s.Equal(time.Date(2026, 5, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("Date.Start = %v", s)
	}
	if !(Date{}).IsZero() || (Date{}).Valid() || (Date{2026, 2, 29}).Valid() {
		t.Errorf("IsZero/Valid wrong")
	}
}

func TestLocation(t *testing.T) {
	loc := Location()
	if loc.String() != "Asia/Shanghai" {
		t.Fatalf("Location = %v", loc)
	}
	_, off := time.Date(2026, 7, 1, 0, 0, 0, 0, loc).Zone()
	if off != 8*3600 {
		t.Errorf("offset = %d", off)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-05", "2026-Q2", "2026-q4", "2026", "2026-13", "2026-Q5", "26-05", "", "２０２６", "2100-12", "1999", "2026-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALIDPERIOD {
				t.Fatalf("Parse(%q) error code %v", s, core.ErrorCode(err))
			}
			if p != (Period{}) {
				t.Fatalf("Parse(%q) returned %v with an error", s, p)
			}
			return
		}
		if !p.Valid() {
			t.Fatalf("Parse(%q) = invalid %+v", s, p)
		}
		out := p.String()
		if out != s && out != strings.Replace(s, "q", "Q", 1) {
			t.Fatalf("Parse(%q).String() = %q", s, out)
		}
		q, err := Parse(out)
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %v, %v", out, q, err)
		}
		if !p.Start().Before(p.End()) || Of(p.Kind, p.Start()) != p || Of(p.Kind, p.End().Add(-1)) != p {
			t.Fatalf("%v: bounds inconsistent", p)
		}
		if ms := p.Months(); !ms[0].Start().Equal(p.Start()) || !ms[len(ms)-1].End().Equal(p.End()) {
			t.Fatalf("%v: months do not cover it", p)
		}
	})
}
