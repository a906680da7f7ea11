package deploycheck

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const repoRoot = "../.."

// prodVars are the server's production variables (README.md).
var prodVars = map[string]bool{
	"LV_LISTEN_ADDR": true, "LV_DATABASE_URL": true, "LV_S3_ENDPOINT": true,
	"LV_S3_ACCESS_KEY": true, "LV_S3_SECRET_KEY": true, "LV_S3_BUCKET": true,
	"LV_S3_USE_TLS": true, "LV_S3_REGION": true, "LV_S3_PUBLIC_ENDPOINT": true,
	"LV_TLS_CERT_FILE": true, "LV_TLS_KEY_FILE": true,
}

// requiredVars must be set on the app service.
var requiredVars = []string{"LV_DATABASE_URL", "LV_S3_ENDPOINT", "LV_S3_ACCESS_KEY", "LV_S3_SECRET_KEY", "LV_S3_BUCKET", "LV_LISTEN_ADDR"}

// load reads docker-compose.yml as `docker compose config` would, with env as
// the only environment (no .env file and no process environment, so that the
// result does not depend on the machine).
func load(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(list),
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

// service returns a service or fails the test.
func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("no service %q (have %v)", name, p.ServiceNames())
	}
	return s
}

// env returns a service's environment value ("" when unset or null).
func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

func TestComposeServices(t *testing.T) {
	p := load(t, nil)
	if p.Name != "lawvillage" {
		t.Errorf("project name %q", p.Name)
	}
	for _, name := range []string{"postgres", "minio", "migrate", "app"} {
		service(t, p, name)
	}
	root, _ := filepath.Abs(repoRoot)

	// app and migrate run the same image, built from the repository root.
	app, migrate := service(t, p, "app"), service(t, p, "migrate")
	if app.Image == "" || app.Image != migrate.Image {
		t.Errorf("images differ: app %q, migrate %q", app.Image, migrate.Image)
	}
	if app.Build == nil || migrate.Build == nil {
		t.Fatal("app and migrate must both have a build section")
	}
	if !reflect.DeepEqual(app.Build, migrate.Build) {
		t.Errorf("builds differ: app %+v, migrate %+v", app.Build, migrate.Build)
	}
	if filepath.Clean(app.Build.Context) != root {
		t.Errorf("build context %q, want the repository root %q", app.Build.Context, root)
	}
	if df := app.Build.Dockerfile; df != "Dockerfile" && filepath.Clean(df) != filepath.Join(root, "Dockerfile") {
		t.Errorf("build dockerfile %q", df)
	}
	if got := []string(app.Command); !reflect.DeepEqual(got, []string{"serve"}) {
		t.Errorf("app command %q", got)
	}
	if got := []string(migrate.Command); !reflect.DeepEqual(got, []string{"migrate", "up"}) {
		t.Errorf("migrate command %q", got)
	}
	if migrate.Restart != "" && migrate.Restart != "no" {
		t.Errorf("migrate restart %q: a one-shot job must not restart", migrate.Restart)
	}

	// The server's configuration.
	for _, name := range []string{"app", "migrate"} {
		s := service(t, p, name)
		for _, k := range requiredVars {
			if env(s, k) == "" {
				t.Errorf("%s: %s is not set", name, k)
			}
		}
		for k := range s.Environment {
			if strings.HasPrefix(k, "LV_") && !prodVars[k] {
				t.Errorf("%s: %s is not a documented LV_* variable", name, k)
			}
		}
	}
	if v := env(app, "LV_LISTEN_ADDR"); v != "0.0.0.0:8080" {
		t.Errorf("LV_LISTEN_ADDR %q, want 0.0.0.0:8080", v)
	}
	if v := env(app, "LV_S3_ENDPOINT"); v != "minio:9000" {
		t.Errorf("LV_S3_ENDPOINT %q, want minio:9000", v)
	}
	if v := env(app, "LV_S3_BUCKET"); v != "lawvillage-evidence" {
		t.Errorf("LV_S3_BUCKET %q", v)
	}
	dbURL, err := url.Parse(env(app, "LV_DATABASE_URL"))
	if err != nil {
		t.Fatalf("LV_DATABASE_URL: %v", err)
	}
	if dbURL.Scheme != "postgres" || dbURL.Host != "postgres:5432" || dbURL.Path != "/lawvillage" || dbURL.User.Username() != "lawvillage" {
		t.Errorf("LV_DATABASE_URL %q: want the app role lawvillage at postgres:5432/lawvillage", dbURL.Redacted())
	}
	pgsvc := service(t, p, "postgres")
	if dbURL.User.Username() == env(pgsvc, "POSTGRES_USER") {
		t.Errorf("the app connects as the superuser %q", dbURL.User.Username())
	}
	if pw, _ := dbURL.User.Password(); pw == "" || pw != env(pgsvc, "LAWVILLAGE_DB_PASSWORD") {
		t.Errorf("the app role's password in LV_DATABASE_URL differs from the one the init script gets")
	}

	// depends_on.
	wantDeps := map[string]map[string]string{
		"migrate": {"postgres": types.ServiceConditionHealthy},
		"app": {
			"migrate": types.ServiceConditionCompletedSuccessfully,
			"minio":   types.ServiceConditionHealthy,
		},
	}
	for name, deps := range wantDeps {
		s := service(t, p, name)
		for dep, cond := range deps {
			got, ok := s.DependsOn[dep]
			if !ok {
				t.Errorf("%s does not depend on %s", name, dep)
				continue
			}
			if got.Condition != cond {
				t.Errorf("%s depends on %s with %q, want %q", name, dep, got.Condition, cond)
			}
		}
	}

	// The app's port.
	var published bool
	for _, port := range app.Ports {
		if port.Target == 8080 && port.Published == "8080" {
			published = true
		}
	}
	if !published {
		t.Errorf("app does not publish 8080:8080: %+v", app.Ports)
	}
}

func TestComposeDependencies(t *testing.T) {
	p := load(t, nil)
	root, _ := filepath.Abs(repoRoot)

	pg := service(t, p, "postgres")
	if pg.Image != "postgres:15" && !strings.HasPrefix(pg.Image, "postgres:15.") && !strings.HasPrefix(pg.Image, "postgres:15-") {
		t.Errorf("postgres image %q, want postgres:15", pg.Image)
	}
	for _, k := range []string{"POSTGRES_USER", "POSTGRES_PASSWORD", "LAWVILLAGE_DB_PASSWORD"} {
		if env(pg, k) == "" {
			t.Errorf("postgres: %s is not set", k)
		}
	}
	if pg.HealthCheck == nil || len(pg.HealthCheck.Test) < 2 || !strings.Contains(strings.Join(pg.HealthCheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck %+v", pg.HealthCheck)
	}
	var initMounted bool
	for _, v := range pg.Volumes {
		if v.Target == "/docker-entrypoint-initdb.d" && v.Type == types.VolumeTypeBind && filepath.Clean(v.Source) == filepath.Join(root, "deploy", "postgres") {
			initMounted = true
		}
	}
	if !initMounted {
		t.Errorf("postgres does not mount ./deploy/postgres at /docker-entrypoint-initdb.d: %+v", pg.Volumes)
	}
	checkNamedVolume(t, p, pg, "/var/lib/postgresql/data")

	minio := service(t, p, "minio")
	if minio.Image != "minio/minio" && !strings.HasPrefix(minio.Image, "minio/minio:") {
		t.Errorf("minio image %q", minio.Image)
	}
	if got := []string(minio.Command); !reflect.DeepEqual(got, []string{"server", "/data", "--console-address", ":9001"}) {
		t.Errorf("minio command %q", got)
	}
	if minio.HealthCheck == nil || !strings.Contains(strings.Join(minio.HealthCheck.Test, " "), "/minio/health/ready") {
		t.Errorf("minio healthcheck %+v does not ask /minio/health/ready", minio.HealthCheck)
	}
	checkNamedVolume(t, p, minio, "/data")
	app := service(t, p, "app")
	if env(minio, "MINIO_ROOT_USER") == "" || env(minio, "MINIO_ROOT_USER") != env(app, "LV_S3_ACCESS_KEY") ||
		env(minio, "MINIO_ROOT_PASSWORD") == "" || env(minio, "MINIO_ROOT_PASSWORD") != env(app, "LV_S3_SECRET_KEY") {
		t.Errorf("the app's S3 keys are not MinIO's credentials")
	}
}

// checkNamedVolume checks that s keeps target on a named volume of p.
func checkNamedVolume(t *testing.T, p *types.Project, s types.ServiceConfig, target string) {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target != target {
			continue
		}
		if v.Type != types.VolumeTypeVolume {
			t.Errorf("%s: %s is a %s, want a named volume", s.Name, target, v.Type)
			return
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			t.Errorf("%s: volume %q is not declared", s.Name, v.Source)
		}
		return
	}
	t.Errorf("%s: no volume at %s", s.Name, target)
}

func TestComposeSecretsComeFromEnvironment(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every interpolation has a default, so that `docker compose up` works
	// without a .env file, and the secrets can be overridden.
	ref := regexp.MustCompile(`\$\{([^}]*)\}`)
	for _, m := range ref.FindAllStringSubmatch(string(raw), -1) {
		if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*:-`).MatchString(m[1]) {
			t.Errorf("${%s} has no ${VAR:-default} form", m[1])
		}
	}
	secrets := map[string]string{
		"POSTGRES_PASSWORD":      "pg-super-Secret1",
		"LAWVILLAGE_DB_PASSWORD": "app-Secret2",
		"MINIO_ROOT_USER":        "minio-user3",
		"MINIO_ROOT_PASSWORD":    "minio-Secret4",
		"LV_S3_PUBLIC_ENDPOINT":  "files.example.org:443",
	}
	p := load(t, secrets)
	app, pg, minio := service(t, p, "app"), service(t, p, "postgres"), service(t, p, "minio")
	checks := []struct{ what, got, want string }{
		{"postgres POSTGRES_PASSWORD", env(pg, "POSTGRES_PASSWORD"), secrets["POSTGRES_PASSWORD"]},
		{"postgres LAWVILLAGE_DB_PASSWORD", env(pg, "LAWVILLAGE_DB_PASSWORD"), secrets["LAWVILLAGE_DB_PASSWORD"]},
		{"minio MINIO_ROOT_USER", env(minio, "MINIO_ROOT_USER"), secrets["MINIO_ROOT_USER"]},
		{"minio MINIO_ROOT_PASSWORD", env(minio, "MINIO_ROOT_PASSWORD"), secrets["MINIO_ROOT_PASSWORD"]},
		{"app LV_S3_ACCESS_KEY", env(app, "LV_S3_ACCESS_KEY"), secrets["MINIO_ROOT_USER"]},
		{"app LV_S3_SECRET_KEY", env(app, "LV_S3_SECRET_KEY"), secrets["MINIO_ROOT_PASSWORD"]},
		{"app LV_S3_PUBLIC_ENDPOINT", env(app, "LV_S3_PUBLIC_ENDPOINT"), secrets["LV_S3_PUBLIC_ENDPOINT"]},
		{"app LV_DATABASE_URL", env(app, "LV_DATABASE_URL"), "postgres://lawvillage:app-Secret2@postgres:5432/lawvillage?sslmode=disable"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	// No secret value is baked into the image or its build.
	b, _ := json.Marshal(app.Build)
	for _, v := range secrets {
		if strings.Contains(string(b), v) {
			t.Errorf("a secret reaches the build: %s", b)
		}
	}
}

func TestPostgresInitScript(t *testing.T) {
	path := filepath.Join(repoRoot, "deploy", "postgres", "10-app-role.sh")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s is not executable (the postgres image would source it into its entrypoint)", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"CREATE ROLE lawvillage", "NOSUPERUSER", "NOBYPASSRLS", "LOGIN",
		"CREATE DATABASE lawvillage OWNER lawvillage",
		`\connect lawvillage`, "CREATE EXTENSION IF NOT EXISTS ltree",
		"LAWVILLAGE_DB_PASSWORD", ":'app_password'", "ON_ERROR_STOP=1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
	// The role is created before the database it owns, and ltree in that database.
	if strings.Index(s, "CREATE ROLE") > strings.Index(s, "CREATE DATABASE") ||
		strings.Index(s, `\connect lawvillage`) > strings.Index(s, "CREATE EXTENSION") {
		t.Errorf("%s: statements out of order", path)
	}
	// The shell never splices the password into SQL: the here-document is quoted.
	if !regexp.MustCompile(`<<\s*'SQL'`).MatchString(s) {
		t.Errorf("%s: the SQL here-document must be quoted (<<'SQL')", path)
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("bash -n %s: %v\n%s", path, err, out)
	}
}

// instruction is one Dockerfile instruction.
type instruction struct {
	cmd  string // upper case
	args string
}

// parseDockerfile returns the instructions of a Dockerfile, joining continued
// lines and dropping comments (enough for the checks below).
func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
	}
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return out
}

// stage is one FROM stage.
type stage struct {
	image, name string
	body        []instruction
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	var stages []stage
	for _, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") { // --platform=...
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("FROM without an image")
			}
			st := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Errorf("%s before the first FROM", in.cmd)
			}
			continue
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	if len(stages) < 2 {
		t.Fatalf("%d FROM stages, want a multi-stage build", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if build.image != "golang:1.26-bookworm" {
		t.Errorf("builder image %q, want golang:1.26-bookworm", build.image)
	}
	if build.name == "" {
		t.Errorf("the builder stage has no name")
	}
	if final.image != "gcr.io/distroless/static-debian12:nonroot" && final.image != "debian:bookworm-slim" {
		t.Errorf("runtime image %q", final.image)
	}

	has := func(st stage, cmd string, match func(string) bool) bool {
		for _, in := range st.body {
			if in.cmd == cmd && match(in.args) {
				return true
			}
		}
		return false
	}
	if !has(build, "RUN", func(a string) bool { return strings.Contains(a, "go mod download") }) {
		t.Errorf("the builder does not run go mod download")
	}
	goBuild := regexp.MustCompile(`go build .*-trimpath .*-ldflags "-s -w" .*-o /out/lawvillage \.$`)
	if !has(build, "RUN", goBuild.MatchString) {
		t.Errorf(`the builder does not run go build -trimpath -ldflags "-s -w" -o /out/lawvillage .`)
	}
	if !has(build, "ENV", func(a string) bool { return strings.ReplaceAll(a, " ", "=") == "CGO_ENABLED=0" }) {
		t.Errorf("the builder does not set CGO_ENABLED=0")
	}
	if !has(final, "COPY", func(a string) bool {
		return strings.Contains(a, "--from="+build.name+" ") && strings.Contains(a, "/out/lawvillage /lawvillage")
	}) {
		t.Errorf("the runtime stage does not copy /out/lawvillage from the builder")
	}
	checks := []struct{ cmd, args string }{
		{"ENTRYPOINT", `["/lawvillage"]`},
		{"CMD", `["serve"]`},
		{"EXPOSE", "8080"},
		{"ENV", "LV_LISTEN_ADDR=0.0.0.0:8080"},
	}
	for _, c := range checks {
		if !has(final, c.cmd, func(a string) bool { return a == c.args }) {
			t.Errorf("the runtime stage lacks %s %s", c.cmd, c.args)
		}
	}
	if final.image == "gcr.io/distroless/static-debian12:nonroot" && has(final, "HEALTHCHECK", func(string) bool { return true }) {
		t.Errorf("distroless has no shell for a HEALTHCHECK")
	}
}
