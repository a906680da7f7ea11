package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
)

// Opt is a patch value for a field that may also be cleared: Set tells
// whether the field changes at all, V is its new value (nil clears it).
type Opt[T any] struct {
	Set bool
	V   T
}

// DateRange limits records to civil dates From..To inclusive; a zero bound is open.
type DateRange struct {
	From, To period.Date
}

// RangeOf returns the days of the period, or an open range for nil.
func RangeOf(p *period.Period) DateRange {
	if p == nil {
		return DateRange{}
	}
	return DateRange{From: p.FirstDay(), To: p.LastDay()}
}

// bounds returns the range as SQL date strings; open ends are far dates.
func (r DateRange) bounds() (string, string) {
	from, to := "0001-01-01", "9999-12-31"
	if !r.From.IsZero() {
		from = r.From.String()
	}
	if !r.To.IsZero() {
		to = r.To.String()
	}
	return from, to
}

// civil returns the calendar day of a date value (a civil date at midnight UTC).
func civil(t time.Time) period.Date {
	return period.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// dateArg writes a date value for a SQL date parameter.
func dateArg(t time.Time) string { return civil(t).String() }

// optDateArg writes a nullable date value for a SQL date parameter.
func optDateArg(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := dateArg(*t)
	return &s
}

// today is the current civil day in China Standard Time.
func (db *DB) today() period.Date { return period.DateOf(db.Now()) }

// notFuture checks that a date is not after today.
func (db *DB) notFuture(t time.Time, field, zh, en string) error {
	if today := db.today(); civil(t).After(today) {
		return invalidInput(field, fmt.Sprintf("%s不能晚于今天（%s）", zh, today), fmt.Sprintf("%s must not be after today (%s)", en, today))
	}
	return nil
}

// checkYear checks a year of a record: from 1990 (the database's lower bound)
// to the current year.
func (db *DB) checkYear(y int, field string) error {
	if now := db.today().Year; y < 1990 || y > now {
		return core.Errorf(core.EINVALID, "年份应在 1990 至 %d 之间", "the year must be from 1990 to %d", now).WithField("input", field)
	}
	return nil
}

// cleanText trims s and checks it is at most max characters without control
// characters; required rejects an empty value.
func cleanText(s *string, max int, required bool, field, zh, en string) error {
	*s = strings.TrimSpace(*s)
	switch {
	case required && *s == "":
		return invalidInput(field, zh+"不能为空", en+" is required")
	case utf8.RuneCountInString(*s) > max:
		return invalidInput(field, fmt.Sprintf("%s过长（最多 %d 个字符）", zh, max), fmt.Sprintf("%s is too long (at most %d characters)", en, max))
	case strings.IndexFunc(*s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		return invalidInput(field, zh+"含有控制字符", en+" contains control characters")
	}
	return nil
}

// invalidInput is an INVALID error on an input field, with its two messages.
func invalidInput(field, zh, en string) *core.Error {
	return (&core.Error{Code: core.EINVALID, Zh: zh, En: en}).WithField("input", field)
}

// CheckPhone reports whether s looks like a phone number: digits with
// optional +, -, spaces and parentheses, 5 to 20 digits. Empty is allowed.
func CheckPhone(s string) bool {
	if s == "" {
		return true
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() ", r):
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}

func checkPhone(s *string, field string) error {
	*s = strings.TrimSpace(*s)
	if !CheckPhone(*s) {
		return core.Errorf(core.EINVALID, "联系电话格式错误：只能含数字、+、-、空格和括号，5 至 20 位数字",
			"bad phone number: digits with optional + - spaces and parentheses, 5 to 20 digits").WithField("input", field)
	}
	return nil
}

// noRows turns sql.ErrNoRows into a NOT_FOUND error naming the input field.
func noRows(err error, what string, field ...string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.NotFound(what).WithField(field...)
	}
	return err
}

// villageOfPart returns the village of a villager group or grid in scope.
func villageOfPart(tx *Tx, table string, id int64, what, field string) (int64, error) {
	var v int64
	err := tx.Get(&v, `SELECT village_id FROM `+table+` WHERE id = $1`, id)
	return v, noRows(err, what, "input", field)
}

// checkParts checks that a villager group and a grid, when given, belong to the village.
func checkParts(tx *Tx, villageID int64, groupID, gridID *int64) error {
	if groupID != nil {
		v, err := villageOfPart(tx, "villager_groups", *groupID, "村民小组 / villager group", "villagerGroupId")
		if err != nil {
			return err
		}
		if v != villageID {
			return core.Errorf(core.EINVALID, "村民小组不属于该村(社区)", "the villager group belongs to another village").
				WithField("input", "villagerGroupId")
		}
	}
	if gridID != nil {
		v, err := villageOfPart(tx, "grids", *gridID, "网格 / grid", "gridId")
		if err != nil {
			return err
		}
		if v != villageID {
			return core.Errorf(core.EINVALID, "网格不属于该村(社区)", "the grid belongs to another village").WithField("input", "gridId")
		}
	}
	return nil
}

// reasonRequired checks the reason of a deletion.
func reasonRequired(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return core.Errorf(core.EINVALID, "必须说明理由", "a reason is required").WithField("input", "reason")
	}
	return nil
}

// GroupsByIDs returns villager groups in the order of ids (nil where missing or out of scope).
func (db *DB) GroupsByIDs(ctx context.Context, ids []int64) ([]*core.VillagerGroup, error) {
	var rows []*core.VillagerGroup
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, village_id, name, created_at FROM villager_groups WHERE id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(g *core.VillagerGroup) int64 { return g.ID }), nil
}

// GridsByIDs returns grids in the order of ids (nil where missing or out of scope).
func (db *DB) GridsByIDs(ctx context.Context, ids []int64) ([]*core.Grid, error) {
	var rows []*core.Grid
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, village_id, name, created_at FROM grids WHERE id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(g *core.Grid) int64 { return g.ID }), nil
}
