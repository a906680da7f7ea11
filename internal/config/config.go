// Package config reads lawvillage's configuration from the environment, with
// defaults that suit the development stack.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a lawvillage process.
type Config struct {
	ListenAddr      string        // LV_LISTEN_ADDR
	DatabaseURL     string        // LV_DATABASE_URL
	S3Endpoint      string        // LV_S3_ENDPOINT
	S3AccessKey     string        // LV_S3_ACCESS_KEY
	S3SecretKey     string        // LV_S3_SECRET_KEY
	S3Bucket        string        // LV_S3_BUCKET
	S3Region        string        // LV_S3_REGION
	S3UseTLS        bool          // LV_S3_USE_TLS
	S3PublicURL     string        // LV_S3_PUBLIC_ENDPOINT
	TLSCertFile     string        // LV_TLS_CERT_FILE
	TLSKeyFile      string        // LV_TLS_KEY_FILE
	GraphiQL        bool          // LV_GRAPHIQL
	Introspection   bool          // LV_INTROSPECTION
	Scheduler       bool          // LV_SCHEDULER
	MaxUploadBytes  int64         // LV_MAX_REQUEST_BYTES: the largest multipart request
	AllowedOrigins  []string      // LV_ALLOWED_ORIGINS: comma-separated, for websockets and CORS
	LogLevel        string        // LV_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // LV_LOG_FORMAT: json or text
	ShutdownTimeout time.Duration // LV_SHUTDOWN_TIMEOUT
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
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
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
