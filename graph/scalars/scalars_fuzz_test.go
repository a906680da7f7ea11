package scalars

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lawvillage/lawvillage/internal/core"
)

// written returns what a marshaler writes, unquoted.
func written(t *testing.T, m graphql.Marshaler) string {
	t.Helper()
	var b bytes.Buffer
	m.MarshalGQL(&b)
	s, err := strconv.Unquote(b.String())
	if err != nil {
		t.Fatalf("marshaler wrote %s, not a JSON string", b.String())
	}
	return s
}

// FuzzScalars feeds the same arbitrary input to every custom scalar's
// parser (Date, DateTime, Period, DivisionCode), as a string and as a
// number: none panics, a refusal is an application error with a code, and
// what a parser accepts the server writes back in a form the parser reads
// as the same value.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{"2026-05-31", "2026-02-29", "2024-02-29", "0000-01-01", "2026-05-31T08:00:00+08:00",
		"2026-05-31T23:59:59.999Z", "0000-01-01T00:00:00+01:00", "2026-05", "2026-Q2", "2026", "320117001201", "32", "3201170012",
		"", "２０２６-05-31", "2026-5-1", "\x00"} {
		f.Add(s, int64(0))
	}
	f.Add("", int64(20260531))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		refused := func(what string, err error) {
			t.Helper()
			if core.AsError(err) == nil || core.ErrorCode(err) == "" || core.ErrorCode(err) == core.EINTERNAL {
				t.Fatalf("%s(%q): %v, want an application error with a code", what, s, err)
			}
		}
		for _, v := range []any{n, float64(n), true, nil, []any{s}} {
			_, err := UnmarshalDate(v)
			refused("UnmarshalDate", err)
			_, err = UnmarshalDateTime(v)
			refused("UnmarshalDateTime", err)
			_, err = UnmarshalPeriod(v)
			refused("UnmarshalPeriod", err)
			_, err = UnmarshalDivisionCode(v)
			refused("UnmarshalDivisionCode", err)
		}

		if d, err := UnmarshalDate(s); err != nil {
			refused("UnmarshalDate", err)
		} else {
			if !d.Equal(d.Truncate(24*time.Hour)) || d.Location() != time.UTC {
				t.Fatalf("UnmarshalDate(%q) = %v, not midnight UTC", s, d)
			}
			if d2, err := UnmarshalDate(written(t, MarshalDate(d))); err != nil || !d2.Equal(d) {
				t.Fatalf("Date %q: wrote %q, read back %v %v", s, written(t, MarshalDate(d)), d2, err)
			}
		}

		if ts, err := UnmarshalDateTime(s); err != nil {
			refused("UnmarshalDateTime", err)
		} else if y := ts.Year(); y >= 1 && y <= 9999 { // instants the server can write in RFC 3339
			out := written(t, MarshalDateTime(ts))
			if ts2, err := UnmarshalDateTime(out); err != nil || !ts2.Equal(ts.Truncate(time.Second)) {
				t.Fatalf("DateTime %q: wrote %q, read back %v %v", s, out, ts2, err)
			}
		}

		if p, err := UnmarshalPeriod(s); err != nil {
			refused("UnmarshalPeriod", err)
		} else if p2, err := UnmarshalPeriod(written(t, MarshalPeriod(p))); err != nil || p2 != p {
			t.Fatalf("Period %q: read back %v %v", s, p2, err)
		}

		if c, err := UnmarshalDivisionCode(s); err != nil {
			refused("UnmarshalDivisionCode", err)
		} else if c2, err := UnmarshalDivisionCode(written(t, MarshalDivisionCode(c))); err != nil || c2 != c {
			t.Fatalf("DivisionCode %q: read back %q %v", s, c2, err)
		}
	})
}
