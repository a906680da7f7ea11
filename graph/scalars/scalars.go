// Package scalars maps lawvillage's GraphQL scalars (Date, DateTime, Period,
// DivisionCode) to Go types, with errors in the application's codes.
package scalars

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/divcode"
	"github.com/lawvillage/lawvillage/internal/period"
)

func asString(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", core.Errorf(core.EINVALID, "%s必须是字符串", "%s must be a string", what)
	}
	return s, nil
}

// MarshalDate writes a civil date (midnight UTC) as 2026-05-31.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.DateOnly)))
	})
}

// UnmarshalDate reads 2026-05-31 as midnight UTC of that civil date.
func UnmarshalDate(v any) (time.Time, error) {
	s, err := asString(v, "日期 / date")
	if err != nil {
		return time.Time{}, err
	}
	d, err := period.ParseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), nil
}

// MarshalDateTime writes an instant in RFC 3339, UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339)))
	})
}

// UnmarshalDateTime reads an RFC 3339 instant.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, err := asString(v, "时刻 / date-time")
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, core.Errorf(core.EINVALID, "时刻格式错误：%q，应为 RFC 3339", "invalid date-time %q: use RFC 3339", s)
	}
	return t.UTC(), nil
}

// MarshalPeriod writes a period as 2026-05, 2026-Q2 or 2026.
func MarshalPeriod(p period.Period) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(p.String()))
	})
}

// UnmarshalPeriod reads a period; a bad one is an INVALID_PERIOD error.
func UnmarshalPeriod(v any) (period.Period, error) {
	s, err := asString(v, "期间 / period")
	if err != nil {
		return period.Period{}, err
	}
	return period.Parse(s)
}

// MarshalDivisionCode writes a division code.
func MarshalDivisionCode(c string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(c)) })
}

// UnmarshalDivisionCode reads and checks a division code; a bad one is an INVALID_CODE error.
func UnmarshalDivisionCode(v any) (string, error) {
	s, err := asString(v, "区划代码 / division code")
	if err != nil {
		return "", err
	}
	c, err := divcode.Parse(s)
	return string(c), err
}
