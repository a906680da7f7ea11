package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask shows or hides the personal data of a village's residents (head of
// household, phone numbers, legal-savvy persons, parties to a dispute) for
// one reader. Build it with MaskFor; it is the only place the rule lives.
type Mask struct {
	// Clear is true when the reader sees personal data as recorded.
	Clear bool
}

// MaskFor returns how the actor sees the personal data of the village at
// villagePath (its ltree path). The rule: personal data is shown in clear to
// the people responsible for the village — a writing role whose scope is the
// village itself or its town (scope at town level or below, containing the
// village) — and to the system. Everyone else sees masks: district, city and
// province tokens, and the read-only partner and analyst roles whatever their
// scope.
func MaskFor(a *Actor, villagePath string) Mask {
	if a == nil {
		return Mask{}
	}
	if a.Role == RoleSystem || a.ScopePath == "*" {
		return Mask{Clear: true}
	}
	if a.Role.ReadOnly() || a.ScopePath == "" {
		return Mask{}
	}
	if strings.Count(a.ScopePath, ".")+1 < int(LevelTown) {
		return Mask{}
	}
	inside := villagePath == a.ScopePath || strings.HasPrefix(villagePath, a.ScopePath+".")
	return Mask{Clear: inside}
}

// Name shows a person's name, or its first character followed by one * per
// further character (张三 → 张*, 欧阳娜娜 → 欧***; a one-character name → *).
func (m Mask) Name(s string) string {
	if m.Clear {
		return s
	}
	return maskName(s)
}

func maskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	if n == 1 {
		return "*"
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + strings.Repeat("*", n-1)
}

// Phone shows a phone number, or keeps its first three and last four digits
// and stars the others (13812341234 → 138****1234, 025-52345678 →
// 025-****5678); a number of fewer than seven digits is starred whole.
// Separators stay as they are.
func (m Mask) Phone(s string) string {
	if m.Clear {
		return s
	}
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if !unicode.IsDigit(r) {
			b.WriteRune(r)
			continue
		}
		if digits >= 7 && (i < 3 || i >= digits-4) {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// Names shows a list of names (the parties to a dispute, separated by 、 , ，
// ; ； / or spaces), or masks each name as Name does, keeping the separators.
func (m Mask) Names(s string) string {
	if m.Clear {
		return s
	}
	var b, tok strings.Builder
	flush := func() {
		b.WriteString(maskName(tok.String()))
		tok.Reset()
	}
	for _, r := range s {
		if strings.ContainsRune("、,，;；/", r) || unicode.IsSpace(r) {
			flush()
			b.WriteRune(r)
			continue
		}
		tok.WriteRune(r)
	}
	flush()
	return b.String()
}
