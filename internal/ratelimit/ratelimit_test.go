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

func TestClientKeyBehindProxies(t *testing.T) {
	trusted, err := ParsePrefixes(" 10.0.0.0/8, 192.0.2.1 ,2001:db8:aaaa::/48")
	if err != nil || len(trusted) != 3 {
		t.Fatal(trusted, err)
	}
	if _, err := ParsePrefixes("10.0.0.0/8,proxy.example"); err == nil {
		t.Fatal("a host name was accepted")
	}
	l := New(Config{PerMinute: 60, TrustedProxies: trusted})
	cases := []struct {
		peer string
		xff  []string
		want string
	}{
		{"198.51.100.9:1", []string{"203.0.113.5"}, "ip:198.51.100.9"},                     // an untrusted peer's header is ignored
		{"10.1.2.3:1", nil, "ip:10.1.2.3"},                                                 // a trusted peer without the header
		{"10.1.2.3:1", []string{"203.0.113.5"}, "ip:203.0.113.5"},                          // one proxy
		{"10.1.2.3:1", []string{"198.51.100.1, 203.0.113.5, 192.0.2.1"}, "ip:203.0.113.5"}, // two proxies; the client's own claim is ignored
		{"10.1.2.3:1", []string{"203.0.113.5", "10.9.9.9"}, "ip:203.0.113.5"},              // the header repeated
		{"10.1.2.3:1", []string{"garbage, 10.9.9.9"}, "ip:10.9.9.9"},                       // stops at a malformed hop
		{"[2001:db8:aaaa::1]:1", []string{"2001:db8:1:2::7"}, "ip:2001:db8:1:2::/64"},      // IPv6 proxy and client
		{"10.1.2.3:1", []string{"::ffff:203.0.113.5"}, "ip:203.0.113.5"},                   // a mapped address
		{"10.1.2.3:1", []string{"10.4.4.4, 10.5.5.5"}, "ip:10.4.4.4"},                      // only proxies: the farthest
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := l.ClientKey(r); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.peer, c.xff, got, c.want)
		}
		if got := (*Limiter)(nil).ClientKey(r); got != ClientKey(r) {
			t.Errorf("a nil limiter trusts a proxy: %s", got)
		}
	}
}
