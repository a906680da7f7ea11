package divcode

import (
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
)

func TestLevel(t *testing.T) {
	tests := []struct {
		l      Level
		en, zh string
		digits int
	}{
		{Province, "province", "省", 2},
		{City, "city", "市", 4},
		{District, "district", "区县", 6},
		{Town, "town", "镇街道", 9},
		{Village, "village", "村社区", 12},
		{0, "Level(0)", "未知级别", 0},
		{6, "Level(6)", "未知级别", 0},
		{-1, "Level(-1)", "未知级别", 0},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.en {
			t.Errorf("Level(%d).String() = %q, want %q", int(tt.l), got, tt.en)
		}
		if got := tt.l.Zh(); got != tt.zh {
			t.Errorf("Level(%d).Zh() = %q, want %q", int(tt.l), got, tt.zh)
		}
		if got := tt.l.Digits(); got != tt.digits {
			t.Errorf("Level(%d).Digits() = %d, want %d", int(tt.l), got, tt.digits)
		}
		l, ok := ParseLevel(tt.en)
		if ok != tt.l.Valid() || (ok && l != tt.l) {
			t.Errorf("ParseLevel(%q) = %v, %v", tt.en, l, ok)
		}
	}
	if int(Province) != 1 || int(City) != 2 || int(District) != 3 || int(Town) != 4 || int(Village) != 5 {
		t.Errorf("level constants changed")
	}
	if len(Levels) != 5 || Levels[0] != Province || Levels[4] != Village {
		t.Errorf("Levels = %v", Levels)
	}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		in     string
		level  Level
		parent Code
	}{
		{"32", Province, ""},
		{"11", Province, ""},
		{"3201", City, "32"},
		{"320102", District, "3201"},
		{"320117", District, "3201"},
		{"320101", District, "3201"},
		{"320102002", Town, "320102"},
		{"320117100", Town, "320117"},
		{"320102002001", Village, "320102002"},
		{"320117100210", Village, "320117100"},
		{"320100000001", Village, "320100000"}, // only the last segment must be non-zero
		{"99", Province, ""},
		{"01", Province, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if string(c) != tt.in || c.String() != tt.in || !c.Valid() {
				t.Errorf("Parse(%q) = %q", tt.in, c)
			}
			if got := LevelOf(c); got != tt.level || c.Level() != tt.level {
				t.Errorf("LevelOf(%q) = %v, want %v", c, got, tt.level)
			}
			if got := c.Parent(); got != tt.parent {
				t.Errorf("Parent(%q) = %q, want %q", c, got, tt.parent)
			}
			if tt.parent != "" && (!tt.parent.IsPrefixOf(c) || c.IsPrefixOf(tt.parent)) {
				t.Errorf("prefix relation of %q and %q wrong", tt.parent, c)
			}
			if !c.IsPrefixOf(c) {
				t.Errorf("%q is not a prefix of itself", c)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		in   string
		want string // part of the English message
	}{
		{"", "must be 2, 4, 6, 9 or 12 digits"},
		{"3", "1 digits"},
		{"320", "3 digits"},
		{"32011", "5 digits"},
		{"3201170", "7 digits"},
		{"32011700", "8 digits"},
		{"3201170011", "10 digits"},
		{"32011700100", "11 digits"},
		{"3201170010011", "13 digits"},
		{"320117001001000000", "18 digits"},
		{"3a", "only the digits"},
		{"32 1", "only the digits"},
		{" 32", "must be 2, 4, 6, 9 or 12"},
		{"32 ", "must be 2, 4, 6, 9 or 12"},
		{"3201 ", "must be 2, 4, 6, 9 or 12"},
		{"-320", "only the digits"},
		{"+3", "only the digits"},
		{"32.0", "only the digits"},
		{"３２", "only the digits"},            // full-width digits: 6 bytes
		{"٣٢٠١", "must be 2, 4, 6, 9 or 12"}, // Arabic-Indic digits: 8 bytes
		{"३२", "only the digits"},            // Devanagari: 6 bytes
		{"３2", "only the digits"},            // 4 bytes, non-ASCII
		{"320x17", "only the digits"},
		{"32011700100\x00", "only the digits"},
		{"00", "all zeros"},
		{"3200", "all zeros"},
		{"320100", "all zeros"},
		{"320117000", "all zeros"},
		{"320117001000", "all zeros"},
		{"320000000000", "all zeros"},
		{"江苏", "only the digits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tt.in, c)
			}
			e := core.AsError(err)
			if e == nil || e.Code != core.EINVALIDCODE {
				t.Fatalf("Parse(%q) error %v, want %s", tt.in, err, core.EINVALIDCODE)
			}
			if !strings.Contains(e.En, tt.want) {
				t.Errorf("En = %q, want it to contain %q", e.En, tt.want)
			}
			if e.Zh == "" || !strings.Contains(e.Zh, "区划代码") {
				t.Errorf("Zh = %q", e.Zh)
			}
			if c != "" || Code(tt.in).Valid() {
				t.Errorf("bad code %q reported valid", tt.in)
			}
		})
	}
	_, err := Parse(strings.Repeat("9", 200))
	if e := core.AsError(err); len(e.En) > 200 || !strings.Contains(e.En, "…") {
		t.Errorf("long input not cut: %q", e.En)
	}
}

func TestParentAncestor(t *testing.T) {
	v := Code("320117001002")
	want := map[Level]Code{Province: "32", City: "3201", District: "320117", Town: "320117001", Village: v}
	for l, w := range want {
		if got := v.Ancestor(l); got != w {
			t.Errorf("Ancestor(%v) = %q, want %q", l, got, w)
		}
	}
	if got := Code("3201").Ancestor(Town); got != "" {
		t.Errorf("Ancestor below own level = %q", got)
	}
	if got := Code("320").Ancestor(Province); got != "" {
		t.Errorf("Ancestor of invalid = %q", got)
	}
	if got := v.Ancestor(0); got != "" {
		t.Errorf("Ancestor(0) = %q", got)
	}
	// Walking up with Parent reaches the province in four steps.
	c, steps := v, 0
	for c.Parent() != "" {
		c = c.Parent()
		steps++
	}
	if c != "32" || steps != 4 {
		t.Errorf("walk ended at %q after %d steps", c, steps)
	}
	for _, in := range []Code{"", "3", "320", "32011700100", "32"} {
		if got := in.Parent(); got != "" {
			t.Errorf("Parent(%q) = %q, want empty", in, got)
		}
	}
}

func TestIsPrefixOf(t *testing.T) {
	tests := []struct {
		c, d Code
		want bool
	}{
		{"32", "3201", true},
		{"32", "320117001001", true},
		{"3201", "320117", true},
		{"320117", "320117001", true},
		{"320117", "320117", true},
		{"3201", "32", false},
		{"3202", "320117", false},
		{"320118", "320117001", false},
		{"32", "33", false},
		{"32", "320", false},   // d of invalid length
		{"320", "3201", false}, // c of invalid length
		{"", "32", false},
		{"", "", false},
		{"3201", "3201170", false},
	}
	for _, tt := range tests {
		if got := tt.c.IsPrefixOf(tt.d); got != tt.want {
			t.Errorf("%q.IsPrefixOf(%q) = %v, want %v", tt.c, tt.d, got, tt.want)
		}
	}
}

func TestLevelOfInvalidLength(t *testing.T) {
	for _, c := range []Code{"", "3", "320", "32011", "3201170", "32011700", "3201170010", "32011700100", "3201170010011"} {
		if l := LevelOf(c); l != 0 {
			t.Errorf("LevelOf(%q) = %v, want 0", c, l)
		}
	}
	// LevelOf looks only at the length.
	if LevelOf("ab") != Province {
		t.Errorf("LevelOf(ab) should be Province by length")
	}
}

func TestMustParse(t *testing.T) {
	if MustParse("3201") != "3201" {
		t.Fatal("MustParse")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustParse did not panic")
		}
	}()
	MustParse("3")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"32", "3201", "320117", "320117001", "320117001001", "", "3", "320000000000", "３２", "32a1", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALIDCODE {
				t.Fatalf("Parse(%q) error code %v", s, core.ErrorCode(err))
			}
			if c != "" {
				t.Fatalf("Parse(%q) = %q with an error", s, c)
			}
			if Code(s).Valid() {
				t.Fatalf("Valid(%q) disagrees with Parse", s)
			}
			return
		}
		if string(c) != s || !c.Valid() {
			t.Fatalf("Parse(%q) = %q", s, c)
		}
		l := LevelOf(c)
		if !l.Valid() || l.Digits() != len(s) {
			t.Fatalf("LevelOf(%q) = %v", s, l)
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				t.Fatalf("accepted non-digit in %q", s)
			}
		}
		p := c.Parent()
		if l == Province {
			if p != "" {
				t.Fatalf("province %q has parent %q", c, p)
			}
			return
		}
		if LevelOf(p) != l-1 || !p.IsPrefixOf(c) || c.IsPrefixOf(p) || c.Ancestor(l-1) != p {
			t.Fatalf("parent %q of %q inconsistent", p, c)
		}
	})
}
