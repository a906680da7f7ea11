// Package deploycheck holds only tests: they check the deployment files at the
// repository root (Dockerfile, docker-compose.yml, deploy/postgres/) without
// Docker, loading the compose file with compose-go as `docker compose config`
// does and reading the Dockerfile's instructions.
package deploycheck
