// Package divcode handles the national statistical division codes (统计用区划代码)
// that identify regions: 2 digits for a province, 4 for a city, 6 for a
// district or county, 9 for a town or subdistrict and 12 for a village or
// community. A code's level follows from its length; its parent by truncation
// is only a hint, because after a division adjustment a village's real parent
// comes from the data.
package divcode

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Level is the place of a region in the hierarchy, from Province (1) to Village (5).
type Level int

// Levels of the hierarchy. The zero Level is invalid.
const (
	Province Level = 1 // 省
	City     Level = 2 // 市
	District Level = 3 // 区县
	Town     Level = 4 // 镇街道
	Village  Level = 5 // 村社区
)

// Levels lists every valid level from the top down.
var Levels = []Level{Province, City, District, Town, Village}

var (
	lengths  = [...]int{0, 2, 4, 6, 9, 12}
	names    = [...]string{"", "province", "city", "district", "town", "village"}
	zhNames  = [...]string{"", "省", "市", "区县", "镇街道", "村社区"}
	levelLen = map[int]Level{2: Province, 4: City, 6: District, 9: Town, 12: Village}
)

// Valid reports whether l is one of Province..Village.
func (l Level) Valid() bool { return l >= Province && l <= Village }

// String returns the English name in lower case: province, city, district, town or village.
func (l Level) String() string {
	if !l.Valid() {
		return "Level(" + strconv.Itoa(int(l)) + ")"
	}
	return names[l]
}

// Zh returns the Chinese name: 省, 市, 区县, 镇街道 or 村社区.
func (l Level) Zh() string {
	if !l.Valid() {
		return "未知级别"
	}
	return zhNames[l]
}

// Digits returns the code length of the level (2, 4, 6, 9 or 12), or 0 for an invalid level.
func (l Level) Digits() int {
	if !l.Valid() {
		return 0
	}
	return lengths[l]
}

// ParseLevel reads a level from its English name as String returns it.
func ParseLevel(s string) (Level, bool) {
	for l := Province; l <= Village; l++ {
		if names[l] == s {
			return l, true
		}
	}
	return 0, false
}

// Code is a division code such as "32", "3201", "320117", "320117001" or
// "320117001001". Only Parse makes a checked Code; a Code converted from an
// arbitrary string may be invalid (see Valid).
type Code string

// Parse checks a division code: ASCII digits only, 2, 4, 6, 9 or 12 of them,
// and a last segment that is not all zeros (a zero segment is the padded form
// of the parent: write 32, not 320000000000). A bad code gives a *core.Error
// with code core.EINVALIDCODE.
func Parse(s string) (Code, error) {
	l, ok := levelLen[len(s)]
	if !ok {
		if len(s) > 0 && allDigits(s) {
			return "", errorf(s,
				"区划代码 %s 的位数不对（%d 位），应为 2、4、6、9 或 12 位数字",
				"invalid division code %s: %d digits, must be 2, 4, 6, 9 or 12 digits",
				len(s))
		}
		return "", errorf(s,
			"区划代码 %s 格式错误，应为 2、4、6、9 或 12 位数字",
			"invalid division code %s: must be 2, 4, 6, 9 or 12 digits")
	}
	if !allDigits(s) {
		return "", errorf(s,
			"区划代码 %s 只能包含数字 0-9",
			"invalid division code %s: only the digits 0-9 are allowed")
	}
	if strings.Trim(s[lengths[l-1]:], "0") == "" {
		return "", errorf(s,
			"区划代码 %s 的末段全为 0，请去掉补齐的 0（如 320000000000 应写作 32）",
			"invalid division code %s: its last segment is all zeros; drop the zero padding (write 32, not 320000000000)")
	}
	return Code(s), nil
}

// MustParse is Parse for constants in code and tests; it panics on a bad code.
func MustParse(s string) Code {
	c, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// errorf builds an EINVALIDCODE error; the first %s of both messages is the
// quoted input, further verbs take args.
func errorf(s, zh, en string, args ...any) *core.Error {
	return core.Errorf(core.EINVALIDCODE, zh, en, append([]any{quote(s)}, args...)...)
}

// quote shows user input safely in a message: quoted, escaped, and cut to 30 runes.
func quote(s string) string {
	const max = 30
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

// LevelOf returns the level of c from its length, or 0 when the length is not
// 2, 4, 6, 9 or 12. It does not check the digits; use Parse or Valid for that.
func LevelOf(c Code) Level { return levelLen[len(c)] }

// Level returns LevelOf(c).
func (c Code) Level() Level { return LevelOf(c) }

// Valid reports whether c would pass Parse.
func (c Code) Valid() bool {
	_, err := Parse(string(c))
	return err == nil
}

// String returns the code as a string.
func (c Code) String() string { return string(c) }

// Parent returns the code of the level above by truncation ("320117001" ->
// "320117"), or "" for a province or a code of invalid length. This is only a
// hint: a village's real parent comes from the data.
func (c Code) Parent() Code {
	l := LevelOf(c)
	if l <= Province {
		return ""
	}
	return c[:lengths[l-1]]
}

// Ancestor returns the truncation of c to level l, or "" when l is not above
// or equal to c's level. Like Parent it is only a hint.
func (c Code) Ancestor(l Level) Code {
	cl := LevelOf(c)
	if cl == 0 || !l.Valid() || l > cl {
		return ""
	}
	return c[:lengths[l]]
}

// IsPrefixOf reports whether c equals d or is an ancestor of d by truncation
// (the statistics-bureau rule, e.g. "3201" is a prefix of "320117001001").
// Both codes must be of valid length; "32" is not a prefix of "320".
func (c Code) IsPrefixOf(d Code) bool {
	cl, dl := LevelOf(c), LevelOf(d)
	return cl != 0 && dl != 0 && cl <= dl && strings.HasPrefix(string(d), string(c))
}
