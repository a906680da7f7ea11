#!/usr/bin/env bash
# Creates lawvillage's application role and database. The postgres image runs
# this once, as the superuser, when it initialises an empty data volume
# (/docker-entrypoint-initdb.d); later changes of LAWVILLAGE_DB_PASSWORD need
# `ALTER ROLE lawvillage PASSWORD '...'` by hand.
#
# The role is NOSUPERUSER and NOBYPASSRLS on purpose: lawvillage enforces each
# user's scope with row-level security, which a superuser or a BYPASSRLS role
# would skip, so the server refuses to run as one.
set -eo pipefail

if [ -z "${LAWVILLAGE_DB_PASSWORD:-}" ]; then
	echo "10-app-role.sh: LAWVILLAGE_DB_PASSWORD is not set" >&2
	exit 1
fi

# The password goes in as a psql variable (:'app_password' quotes it as a
# literal), never spliced into SQL by the shell.
psql -v ON_ERROR_STOP=1 --no-psqlrc \
	--username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
	--set app_password="$LAWVILLAGE_DB_PASSWORD" <<'SQL'
CREATE ROLE lawvillage WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
	PASSWORD :'app_password';
CREATE DATABASE lawvillage OWNER lawvillage ENCODING 'UTF8' TEMPLATE template0;
\connect lawvillage
-- ltree holds the administrative division paths (region codes).
CREATE EXTENSION IF NOT EXISTS ltree;
SQL
