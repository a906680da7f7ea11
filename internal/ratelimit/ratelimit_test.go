package ratelimit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(c Config) (*Limiter, *clock) {
	l := New(c)
	clk := &clock{t: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	l.now = clk.now
	return l, clk
}

func TestBucket(t *testing.T) {
	l, clk := newTest(Config{PerMinute: 60, Burst: 3}) // one a second, three at once
	for i := 2; i >= 0; i-- {
		d := l.Allow("a")
		if !d.Allowed || d.Remaining != i || d.Limit != 3 {
			t.Fatalf("request %d: %+v", 3-i, d)
		}
	}
	d := l.Allow("a")
	if d.Allowed || d.Remaining != 0 || d.RetryAfter != time.Second || d.Reset != 3*time.Second || d.Window != 3*time.Second {
		t.Fatalf("4th request: %+v", d)
	}
	if d := l.Allow("b"); !d.Allowed {
		t.Fatalf("another key shares the bucket: %+v", d)
	}
	clk.t = clk.t.Add(time.Second)
	if d := l.Allow("a"); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after a second: %+v", d)
	}
	h := http.Header{}
	SetHeaders(h, l.Allow("a"))
	if h.Get("RateLimit-Limit") != "3" || h.Get("RateLimit-Remaining") != "0" || h.Get("Retry-After") != "1" ||
		h.Get("RateLimit-Reset") != "3" || h.Get("RateLimit-Policy") != "3;w=3" {
		t.Fatalf("headers = %v", h)
	}
}

func TestOffAllowsAll(t *testing.T) {
	var l *Limiter = New(Config{})
	if l != nil {
		t.Fatal("PerMinute 0 should turn limiting off")
	}
	if d := l.Allow("x"); !d.Allowed || l.Len() != 0 {
		t.Fatalf("nil limiter: %+v", d)
	}
	h := http.Header{}
	SetHeaders(h, l.Allow("x"))
	if len(h) != 0 {
		t.Fatalf("headers from a nil limiter: %v", h)
	}
}

func TestIdleBucketsEvicted(t *testing.T) {
	l, clk := newTest(Config{PerMinute: 600, Burst: 10}) // a full refill takes a second
	for i := range 1000 {
		l.Allow(fmt.Sprint("k", i))
	}
	if l.Len() != 1000 {
		t.Fatalf("len = %d", l.Len())
	}
	clk.t = clk.t.Add(2 * time.Second)
	l.Allow("fresh")
	if l.Len() != 1 {
		t.Fatalf("idle buckets kept: len = %d", l.Len())
	}
}

func TestMaxKeys(t *testing.T) {
	l, _ := newTest(Config{PerMinute: 60, Burst: 5, MaxKeys: 100})
	for i := range 1000 {
		l.Allow(fmt.Sprint("k", i))
		if l.Len() > 100 {
			t.Fatalf("len = %d after %d keys", l.Len(), i+1)
		}
	}
}

func TestClientKey(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7:5555":               "ip:192.0.2.7",
		"[::ffff:192.0.2.7]:5555":      "ip:192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":   "ip:2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":   "ip:2001:db8:1:2::/64",
		"not-an-address":               "ip:not-an-address",
		"[2001:db8:1:3::1]:443":        "ip:2001:db8:1:3::/64",
		"127.0.0.1:1":                  "ip:127.0.0.1",
		"[fe80::1%eth0]:80":            "ip:fe80::/64",
		"[2001:db8:ffff:ffff::9]:8080": "ip:2001:db8:ffff:ffff::/64",
	}
	for addr, want := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		if got := ClientKey(r); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}
