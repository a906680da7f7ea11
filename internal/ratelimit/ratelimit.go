// Package ratelimit keeps one token bucket per caller (a token, or a client
// address for anonymous callers) in memory and answers with the figures of
// the IETF RateLimit header fields draft. Each replica keeps its own buckets:
// behind a load balancer spreading requests over n replicas a caller gets up
// to n times the configured rate.
package ratelimit

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets the rate and size of every bucket.
type Config struct {
	PerMinute int // sustained requests per minute; 0 or less turns limiting off
	Burst     int // bucket size: requests allowed at once (default: PerMinute/6, at least 1)
	MaxKeys   int // most buckets kept (default 100000); past it arbitrary buckets are dropped
	// TrustedProxies are the reverse proxies (load balancers) in front of
	// the server: from a request whose TCP peer is one of them, the client
	// address is taken from X-Forwarded-For (the nearest address that is not
	// itself a trusted proxy). Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
}

// Limiter holds the buckets; it is safe for concurrent use.
type Limiter struct {
	rate    rate.Limit
	burst   int
	maxKeys int
	idle    time.Duration // a bucket untouched this long is full again: dropping it changes nothing
	now     func() time.Time

	trusted []netip.Prefix

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// New returns a limiter, or nil when c turns limiting off (a nil *Limiter allows everything).
func New(c Config) *Limiter {
	if c.PerMinute <= 0 {
		return nil
	}
	if c.Burst <= 0 {
		c.Burst = max(c.PerMinute/6, 1)
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = 100000
	}
	r := rate.Limit(float64(c.PerMinute) / 60)
	idle := time.Duration(float64(c.Burst) / float64(r) * float64(time.Second))
	return &Limiter{rate: r, burst: c.Burst, maxKeys: c.MaxKeys, idle: max(idle, time.Second),
		now: time.Now, buckets: map[string]*bucket{}, trusted: c.TrustedProxies}
}

// Decision is the outcome of one request against its bucket.
type Decision struct {
	Allowed    bool
	Limit      int           // bucket size (RateLimit-Limit)
	Remaining  int           // whole requests left now (RateLimit-Remaining)
	Reset      time.Duration // until the bucket is full again (RateLimit-Reset)
	RetryAfter time.Duration // when refused: until one request is allowed (Retry-After)
	Window     time.Duration // the time a full bucket takes to refill (RateLimit-Policy w=)
}

// Allow takes one request from the bucket of key.
func (l *Limiter) Allow(key string) Decision {
	if l == nil {
		return Decision{Allowed: true}
	}
	now := l.now()
	l.mu.Lock()
	if now.After(l.nextSweep) || len(l.buckets) >= l.maxKeys {
		l.sweepLocked(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.last = now
	l.mu.Unlock()

	ok := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	d := Decision{Allowed: ok, Limit: l.burst, Remaining: max(int(math.Floor(tokens)), 0),
		Reset: l.seconds(float64(l.burst) - tokens), Window: l.seconds(float64(l.burst))}
	if !ok {
		d.RetryAfter = max(l.seconds(1-tokens), time.Second)
	}
	return d
}

// seconds is how long the bucket takes to gain n tokens, rounded up to whole seconds.
func (l *Limiter) seconds(n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(n/float64(l.rate))) * time.Second
}

// sweepLocked drops idle buckets (they are full, as a new one would be) and,
// when still at the cap, arbitrary others, so memory stays bounded.
func (l *Limiter) sweepLocked(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.idle {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys {
			break
		}
		delete(l.buckets, k)
	}
	l.nextSweep = now.Add(min(l.idle, time.Minute))
}

// Len returns the number of buckets kept.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// SetHeaders writes the RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset
// and RateLimit-Policy fields, and Retry-After on a refusal.
func SetHeaders(h http.Header, d Decision) {
	if d.Limit == 0 {
		return
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(int(d.Reset/time.Second)))
	h.Set("RateLimit-Policy", strconv.Itoa(d.Limit)+";w="+strconv.Itoa(int(d.Window/time.Second)))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(int(d.RetryAfter/time.Second)))
	}
}

// ClientKey is the bucket key of an anonymous request: its client address,
// IPv6 addresses grouped by /64 (one host usually holds a whole /64). The
// address is the TCP peer's, unless the peer is a trusted proxy (see
// Config.TrustedProxies): then X-Forwarded-For is read from the right, past
// the trusted proxies, and the first other address is the client's. A nil
// limiter trusts no proxy.
func (l *Limiter) ClientKey(r *http.Request) string {
	var trusted []netip.Prefix
	if l != nil {
		trusted = l.trusted
	}
	return ClientKeyVia(r, trusted)
}

// ClientKey is the bucket key of a request when no proxy is trusted.
func ClientKey(r *http.Request) string { return ClientKeyVia(r, nil) }

// ClientKeyVia is the bucket key of a request behind the trusted proxies.
func ClientKeyVia(r *http.Request, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return "ip:" + r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if isTrusted(a, trusted) {
		// Each proxy appends the address it received the request from.
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed hop: stop at the last good one
			}
			a = h.Unmap()
			if !isTrusted(a, trusted) {
				break
			}
		}
	}
	return keyOf(a)
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func keyOf(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR prefixes.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
