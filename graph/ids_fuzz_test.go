package graph

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
)

// FuzzParseID feeds arbitrary global IDs to parseID and idOf: they never
// panic, refuse with NOT_FOUND, and what they accept is a positive number of
// a type without ':' that encodes back to an ID parsing to the same.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{globalID("Village", 7), globalID("Activity", 1<<62), "", "garbage", "VmlsbGFnZTo=",
		base64.RawURLEncoding.EncodeToString([]byte("Village:-1")), base64.RawURLEncoding.EncodeToString([]byte("Village:+5")),
		base64.RawURLEncoding.EncodeToString([]byte(":1")), base64.RawURLEncoding.EncodeToString([]byte("a:b:1")),
		base64.StdEncoding.EncodeToString([]byte("Village:1")), "VmlsbGFnZToxMjM0NTY3ODkwMTIzNDU2Nzg5MA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, gid string) {
		typ, n, err := parseID(gid)
		if err != nil {
			if core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("parseID(%q): %v, want NOT_FOUND", gid, err)
			}
			if _, err := idOf(gid, "Village", "input", "id"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("idOf(%q) of a bad ID: %v", gid, err)
			}
			return
		}
		if n <= 0 || strings.Contains(typ, ":") {
			t.Fatalf("parseID(%q) = %q, %d", gid, typ, n)
		}
		typ2, n2, err := parseID(globalID(typ, n))
		if err != nil || typ2 != typ || n2 != n {
			t.Fatalf("round trip of %q: %q %d -> %q %d %v", gid, typ, n, typ2, n2, err)
		}
		if got, err := idOf(gid, typ); err != nil || got != n {
			t.Fatalf("idOf(%q, %q) = %d, %v", gid, typ, got, err)
		}
		if _, err := idOf(gid, typ+"x"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("idOf(%q) of another type: %v", gid, err)
		}
	})
}

// FuzzGlobalID checks that every ID the server hands out parses back.
func FuzzGlobalID(f *testing.F) {
	f.Add("Village", int64(1))
	f.Add("Activity", int64(1<<63-1))
	f.Add("", int64(0))
	f.Add("类型", int64(-3))
	f.Fuzz(func(t *testing.T, typ string, n int64) {
		got, m, err := parseID(globalID(typ, n))
		if n <= 0 || strings.Contains(typ, ":") { // never handed out
			if err == nil {
				t.Fatalf("parseID(globalID(%q, %d)) accepted %q %d", typ, n, got, m)
			}
			return
		}
		if err != nil || got != typ || m != n {
			t.Fatalf("parseID(globalID(%q, %d)) = %q %d %v", typ, n, got, m, err)
		}
	})
}

// FuzzDecodeCursor feeds arbitrary cursors to decodeCursor: it never
// panics, refuses with INVALID_CURSOR, accepts only keys that are valid
// UTF-8 without NUL (anything else would reach PostgreSQL as text it
// rejects), and every accepted key encodes back to a cursor of the same key.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{encodeCursor("320117001201"), encodeCursor("2026-05-01|17"), encodeCursor(""), "", "c1:", "YzE6",
		base64.RawURLEncoding.EncodeToString([]byte("c1:\xff\xfe")), base64.RawURLEncoding.EncodeToString([]byte("c1:a\x00b")),
		base64.RawURLEncoding.EncodeToString([]byte("c2:1")), "!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		key, err := decodeCursor(&c)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALIDCURSOR {
				t.Fatalf("decodeCursor(%q): %v, want INVALID_CURSOR", c, err)
			}
			return
		}
		if c == "" {
			if key != "" {
				t.Fatalf("empty cursor gave key %q", key)
			}
			return
		}
		if !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
			t.Fatalf("decodeCursor(%q) accepted key %q, which PostgreSQL refuses as text", c, key)
		}
		c2 := encodeCursor(key)
		if key2, err := decodeCursor(&c2); err != nil || key2 != key {
			t.Fatalf("round trip of %q: %q -> %q %v", c, key, key2, err)
		}
	})
}

// FuzzEncodeCursor checks that every key the server puts in a cursor decodes back.
func FuzzEncodeCursor(f *testing.F) {
	f.Add("320117001201")
	f.Add("2026-05-01|17")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		if !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
			return // keys come from the database: text without NUL
		}
		c := encodeCursor(key)
		got, err := decodeCursor(&c)
		if err != nil || got != key {
			t.Fatalf("decodeCursor(encodeCursor(%q)) = %q, %v", key, got, err)
		}
	})
}
