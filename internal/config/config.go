// Package config reads lawvillage's configuration from the environment, with
// defaults that suit the development stack.
package config

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/ratelimit"
)

// Config is the whole configuration of a lawvillage process.
type Config struct {
	ListenAddr     string   // LV_LISTEN_ADDR
	DatabaseURL    string   // LV_DATABASE_URL
	S3Endpoint     string   // LV_S3_ENDPOINT
	S3AccessKey    string   // LV_S3_ACCESS_KEY
	S3SecretKey    string   // LV_S3_SECRET_KEY
	S3Bucket       string   // LV_S3_BUCKET
	S3Region       string   // LV_S3_REGION
	S3UseTLS       bool     // LV_S3_USE_TLS
	S3PublicURL    string   // LV_S3_PUBLIC_ENDPOINT
	TLSCertFile    string   // LV_TLS_CERT_FILE
	TLSKeyFile     string   // LV_TLS_KEY_FILE
	GraphiQL       bool     // LV_GRAPHIQL
	Introspection  bool     // LV_INTROSPECTION
	Scheduler      bool     // LV_SCHEDULER
	MaxUploadBytes int64    // LV_MAX_REQUEST_BYTES: the largest multipart request
	AllowedOrigins []string // LV_ALLOWED_ORIGINS: comma-separated, for websockets and CORS

	// Abuse limits (see README, "Limits"); in a Config built by hand a zero
	// value takes graph.DefaultLimits, and RateLimitPerMinute 0 turns rate
	// limiting off.
	MaxJSONBytes       int64          // LV_MAX_JSON_BYTES: the largest non-multipart request body
	MaxUploadFiles     int            // LV_MAX_UPLOAD_FILES: files in one multipart request
	MaxQueryTokens     int            // LV_MAX_QUERY_TOKENS: parser tokens in one query document
	MaxQueryDepth      int            // LV_MAX_QUERY_DEPTH: nesting of selections
	MaxQueryAliases    int            // LV_MAX_QUERY_ALIASES: aliased fields in one operation
	MaxQueryCost       int            // LV_MAX_QUERY_COST: query cost (grows with first)
	RateLimitPerMinute int            // LV_RATE_LIMIT_PER_MINUTE: sustained requests per token (or address) per minute; 0 turns it off
	RateLimitBurst     int            // LV_RATE_LIMIT_BURST: requests allowed at once
	TrustedProxies     []netip.Prefix // LV_TRUSTED_PROXIES: addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed
	WSMaxMessageBytes  int64          // LV_WS_MAX_MESSAGE_BYTES: the largest websocket message
	WSPingInterval     time.Duration  // LV_WS_PING_INTERVAL: graphql-transport-ws ping; no pong within twice it closes
	WSIdleTimeout      time.Duration  // LV_WS_IDLE_TIMEOUT: a websocket with nothing running this long is closed
	WSMaxSubscriptions int            // LV_WS_MAX_SUBSCRIPTIONS: subscriptions at once on one websocket
	LogLevel           string         // LV_LOG_LEVEL: debug, info, warn, error
	LogFormat          string         // LV_LOG_FORMAT: json or text
	ShutdownTimeout    time.Duration  // LV_SHUTDOWN_TIMEOUT
}

// FromEnv reads the configuration; a malformed value is an error naming the variable.
func FromEnv() (Config, error) {
	c := Config{
		ListenAddr:      env("LV_LISTEN_ADDR", "127.0.0.1:8080"),
		DatabaseURL:     os.Getenv("LV_DATABASE_URL"),
		S3Endpoint:      os.Getenv("LV_S3_ENDPOINT"),
		S3AccessKey:     os.Getenv("LV_S3_ACCESS_KEY"),
		S3SecretKey:     os.Getenv("LV_S3_SECRET_KEY"),
		S3Bucket:        env("LV_S3_BUCKET", "lawvillage-evidence"),
		S3Region:        env("LV_S3_REGION", "us-east-1"),
		S3PublicURL:     os.Getenv("LV_S3_PUBLIC_ENDPOINT"),
		TLSCertFile:     os.Getenv("LV_TLS_CERT_FILE"),
		TLSKeyFile:      os.Getenv("LV_TLS_KEY_FILE"),
		LogLevel:        env("LV_LOG_LEVEL", "info"),
		LogFormat:       env("LV_LOG_FORMAT", "json"),
		ShutdownTimeout: 20 * time.Second,
	}
	var err error
	b := func(name string, def bool) bool {
		v, e := boolEnv(name, def)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	c.S3UseTLS = b("LV_S3_USE_TLS", false)
	c.GraphiQL = b("LV_GRAPHIQL", true)
	c.Introspection = b("LV_INTROSPECTION", true)
	c.Scheduler = b("LV_SCHEDULER", true)
	if err != nil {
		return c, err
	}
	c.MaxUploadBytes = 60 << 20
	if v := os.Getenv("LV_MAX_REQUEST_BYTES"); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n <= 0 {
			return c, fmt.Errorf("LV_MAX_REQUEST_BYTES: want a positive number of bytes, got %q", v)
		}
		c.MaxUploadBytes = n
	}
	if v := os.Getenv("LV_SHUTDOWN_TIMEOUT"); v != "" {
		d, e := time.ParseDuration(v)
		if e != nil {
			return c, fmt.Errorf("LV_SHUTDOWN_TIMEOUT: %w", e)
		}
		c.ShutdownTimeout = d
	}
	for _, o := range strings.Split(os.Getenv("LV_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if _, e := path.Match(o, ""); e != nil {
				return c, fmt.Errorf("LV_ALLOWED_ORIGINS: bad pattern %q", o)
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	n := func(name string, def int64, min int64) int64 {
		v, e := intEnv(name, def, min)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	d := func(name string, def time.Duration) time.Duration {
		v, e := durationEnv(name, def)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	c.MaxJSONBytes = n("LV_MAX_JSON_BYTES", 1<<20, 1)
	c.MaxUploadFiles = int(n("LV_MAX_UPLOAD_FILES", 10, 1))
	c.MaxQueryTokens = int(n("LV_MAX_QUERY_TOKENS", 15000, 1))
	c.MaxQueryDepth = int(n("LV_MAX_QUERY_DEPTH", 12, 1))
	c.MaxQueryAliases = int(n("LV_MAX_QUERY_ALIASES", 30, 1))
	c.MaxQueryCost = int(n("LV_MAX_QUERY_COST", 5000, 1))
	c.RateLimitPerMinute = int(n("LV_RATE_LIMIT_PER_MINUTE", 600, 0))
	c.RateLimitBurst = int(n("LV_RATE_LIMIT_BURST", 100, 1))
	if tp, e := ratelimit.ParsePrefixes(os.Getenv("LV_TRUSTED_PROXIES")); e != nil {
		return c, fmt.Errorf("LV_TRUSTED_PROXIES: want addresses or CIDR prefixes separated by commas: %w", e)
	} else {
		c.TrustedProxies = tp
	}
	c.WSMaxMessageBytes = n("LV_WS_MAX_MESSAGE_BYTES", 64<<10, 1)
	c.WSPingInterval = d("LV_WS_PING_INTERVAL", 30*time.Second)
	c.WSIdleTimeout = d("LV_WS_IDLE_TIMEOUT", 5*time.Minute)
	c.WSMaxSubscriptions = int(n("LV_WS_MAX_SUBSCRIPTIONS", 20, 1))
	if err != nil {
		return c, err
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return c, fmt.Errorf("LV_TLS_CERT_FILE and LV_TLS_KEY_FILE must be set together")
	}
	return c, nil
}

// RequireStorage checks the settings a server needs are present.
func (c Config) RequireStorage() error {
	var missing []string
	for name, v := range map[string]string{"LV_DATABASE_URL": c.DatabaseURL, "LV_S3_ENDPOINT": c.S3Endpoint,
		"LV_S3_ACCESS_KEY": c.S3AccessKey, "LV_S3_SECRET_KEY": c.S3SecretKey} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing configuration: %s (see README, or use `make run` for a local stack)", strings.Join(missing, ", "))
	}
	return nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func intEnv(name string, def, min int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > math.MaxInt32 {
		return def, fmt.Errorf("%s: want a whole number from %d to %d, got %q", name, min, math.MaxInt32, v)
	}
	return n, nil
}

func durationEnv(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s: want a positive duration such as 30s or 5m, got %q", name, v)
	}
	return d, nil
}

func boolEnv(name string, def bool) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s: want true or false, got %q", name, v)
	}
	return b, nil
}
