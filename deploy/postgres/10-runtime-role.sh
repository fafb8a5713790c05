#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: creates the role Bastion serves as.
# It owns nothing; at every start Bastion's owner role (POSTGRES_USER) applies the migrations and
# grants it only what the server needs, so it cannot rewrite the audit log.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$BASTION_APP_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE bastion_app LOGIN PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
