#!/usr/bin/env bash
# Real-app run of parity on fastapi/full-stack-fastapi-template (SQLModel + Alembic, PostgreSQL).
# Issue 17 "done when": production 4 Alembic revisions behind head (the template has 5 in all, so
# 4 is the most it can lag) with rows in it; `parity check` names the pending revisions;
# `parity apply --yes`, and in a second round `parity migrate up --yes`, bring it to head through
# the template's own Alembic; its `alembic upgrade head` is then a no-op; `alembic check` finds
# what it finds on a database Alembic upgraded itself; the seeded rows are intact; `parity
# rollback` restores the snapshot taken before.
#
#   bench/realapps/fastapi_template.sh TEMPLATE_CHECKOUT [WORKDIR]   (WORKDIR default /tmp/fastapirun)
#
# The checkout is copied (never modified). The template's interpreter: $FASTAPI_PYTHON_BASE
# (default pyenv's 3.13.0) makes $WORKDIR/venv with the uv.lock versions of what env.py and
# app/models.py import. The template wants Python >= 3.14 (models.py has a forward reference,
# `list[Item]`, that only 3.14's deferred annotations accept): the copy's models.py gets
# `from __future__ import annotations`, the only change to the copy's code. parity: $PARITY
# (default this worktree's .venv/bin/parity). PostgreSQL at 127.0.0.1:5432 as postgres (trust);
# databases fastapirun_* are created and dropped. Not run by the test suite or CI.
set -uo pipefail

CHECKOUT=$(realpath "${1:?usage: fastapi_template.sh TEMPLATE_CHECKOUT [WORKDIR]}")
WORK=${2:-/tmp/fastapirun}
HERE=$(cd "$(dirname "$0")" && pwd)
PARITY=${PARITY:-$HERE/../../.venv/bin/parity}
BASE_PY=${FASTAPI_PYTHON_BASE:-/root/.pyenv/versions/3.13.0/bin/python}
ROWS_PY=${ROWS_PYTHON:-/work/main/.venv/bin/python}  # SQLAlchemy + psycopg: parity's own venv has both
ROWS=$HERE/fastapi_rows.py
BEHIND=4
PG="-h 127.0.0.1 -p 5432 -U postgres"
DIALECT=postgres

mkdir -p "$WORK"
APP=$WORK/app
VENV=$WORK/venv
PY=$VENV/bin/python
ALEMBIC=$VENV/bin/alembic

say() { printf '\n### %s\n' "$*"; }
result() { printf 'RESULT %s: %s\n' "$MODE" "$*" | tee -a "$WORK/results.txt"; }

if [[ ! -x $PY ]]; then
  say "template venv ($BASE_PY)"
  "$BASE_PY" -m venv "$VENV"
  # uv.lock's versions; only what app/alembic/env.py, app/models.py and app/core/config.py import.
  "$VENV/bin/pip" install -q sqlmodel==0.0.39 sqlalchemy==2.0.51 alembic==1.18.5 pydantic==2.13.4 \
    pydantic-core==2.46.4 pydantic-settings==2.14.2 "psycopg[binary]==3.3.4" email-validator==2.3.0 \
    2>&1 | grep -v '^WARNING: Location' || true
fi
# `uv sync` installs the backend project (package `app`) into its venv; a .pth file does the same
# for the copy.
echo "$APP/backend" > "$("$PY" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/fastapi_template_app.pth"

say "copy of $CHECKOUT"
rm -rf "$APP"
cp -a "$CHECKOUT" "$APP"
rm -rf "$APP/.parity"
grep -q '^from __future__ import annotations' "$APP/backend/app/models.py" ||
  sed -i '1i from __future__ import annotations' "$APP/backend/app/models.py"

cd "$APP" || exit 1
read -r HEAD_REV BASE_REV PENDING < <(cd backend && "$PY" - "$BEHIND" <<'PY' 2>/dev/null | grep '^@@ ' | cut -c4-
import sys
from alembic.config import Config
from alembic.script import ScriptDirectory
s = ScriptDirectory.from_config(Config("alembic.ini"))
chain = [r.revision for r in s.walk_revisions()][::-1]  # base .. head: the history is linear
base = chain[-1 - int(sys.argv[1])]
print("@@", chain[-1], base, ",".join(chain[chain.index(base) + 1 :]))
PY
)
echo "head $HEAD_REV, production at $BASE_REV ($BEHIND behind): pending $PENDING"
: > "$WORK/results.txt"

URL="postgresql://postgres@127.0.0.1:5432/fastapirun_prod"
FRESH_URL="postgresql://postgres@127.0.0.1:5432/fastapirun_fresh"
# The production layer (as bench/realworld/full-stack-fastapi-template.toml): the root
# .env.production that `docker compose --env-file .env.production` reads; DATABASE_URL is both the
# template's setting and parity's pointer to the production database.
cat > "$APP/.env.production" <<EOF
# Production values for \`docker compose --env-file .env.production -f compose.yml -f compose.deploy.yml up\`
PROJECT_NAME="Full Stack FastAPI Project"
SECRET_KEY=a-production-secret-not-changethis
FIRST_SUPERUSER=admin@example.com
FIRST_SUPERUSER_PASSWORD=another-production-secret
SMTP_HOST=smtp.example.internal
EMAILS_FROM_EMAIL=noreply@example.com
SMTP_TLS=True
SMTP_PORT=587
DOMAIN=example.internal
# compose.yml's db service takes it (\${POSTGRES_PASSWORD:?}); the run's PostgreSQL is trust-only.
POSTGRES_PASSWORD=a-production-db-password
DATABASE_URL=$URL
EOF

# compose.yml gives the backend DATABASE_URL=postgresql://postgres:$POSTGRES_PASSWORD@db:5432/app
# (its own db service); this production runs against a managed server, so the deployment adds a
# file of its own that points the backend at DATABASE_URL of .env.production.
cat > "$APP/compose.production.yml" <<'YAML'
# docker compose --env-file .env.production -f compose.yml -f compose.deploy.yml -f compose.production.yml up -d
services:
  backend:
    environment:
      DATABASE_URL: ${DATABASE_URL:?Variable not set}
YAML

dump() { pg_dump $PG --no-owner "$@" | grep -v '^\\\(un\)\?restrict '; }  # \restrict keys are random per dump
version() { psql $PG -d "${1:-fastapirun_prod}" -Atc "SELECT version_num FROM alembic_version" 2>/dev/null; }
# The template's settings read DATABASE_URL from the environment (before its ../.env); parity's
# Alembic child inherits parity's environment. Alembic runs from backend/, as the template does.
app() { env DATABASE_URL="$URL" PARITY_ALEMBIC_PYTHON="$PY" "$@"; }
fresh() { env DATABASE_URL="$FRESH_URL" "$@"; }
alembic_app() { (cd backend && app "$ALEMBIC" "$@"); }
alembic_fresh() { (cd backend && fresh "$ALEMBIC" "$@"); }
# What autogenerate proposes, without object addresses, in a stable order.
checked() { grep -o "Detected .*\|No new upgrade operations detected\|^rc=.*\|[A-Za-z]*Error: .*" "$1" |
  sed 's/ at 0x[0-9a-f]*//g' | sort -u; }

run_mode() {  # run_mode apply|migrate: one production database, brought to head by that command
  MODE=$1
  OUT=$WORK/$MODE
  rm -rf "$OUT"
  mkdir -p "$OUT"
  for db in fastapirun_prod fastapirun_fresh; do
    psql $PG -qc "DROP DATABASE IF EXISTS $db" && psql $PG -qc "CREATE DATABASE $db"
  done
  say "$MODE 1. alembic upgrade $BASE_REV and seed rows"
  alembic_app upgrade "$BASE_REV" > "$OUT/alembic_base.txt" 2>&1 || { cat "$OUT/alembic_base.txt"; return 1; }
  "$ROWS_PY" "$ROWS" seed "$URL"
  "$ROWS_PY" "$ROWS" show "$URL" > "$OUT/rows_before.txt"
  result "seeded $(grep -c '^  ' "$OUT/rows_before.txt") rows in $(grep -c ' rows$' "$OUT/rows_before.txt") tables at $(version)"
  # The comparison database: the same revision and rows, upgraded by Alembic alone.
  alembic_fresh upgrade "$BASE_REV" > /dev/null 2>&1
  "$ROWS_PY" "$ROWS" seed "$FRESH_URL"

  say "$MODE 2. snapshot and parity check"
  dump fastapirun_prod > "$OUT/before.dump"
  dump -s fastapirun_prod > "$OUT/before.schema"
  dump -a fastapirun_prod > "$OUT/before.data"
  app "$PARITY" check . --env production > "$OUT/check.txt" 2>&1
  local rc=$? named=0 r
  for r in ${PENDING//,/ }; do grep -q "$r" "$OUT/check.txt" && named=$((named + 1)); done
  result "check rc=$rc: $(grep -o 'SCH009 [0-9]* Alembic revisions\? pending[^:]*' "$OUT/check.txt" | head -1); names $named/$BEHIND pending"

  local t0=$SECONDS
  if [[ $MODE == apply ]]; then
    say "$MODE 3. parity apply --yes"
    app "$PARITY" apply . --env production --yes > "$OUT/up.txt" 2>&1
  else
    say "$MODE 3. parity migrate up --yes"
    app "$PARITY" migrate up . --env production --yes > "$OUT/up.txt" 2>&1
  fi
  rc=$?
  result "$MODE rc=$rc in $((SECONDS - t0)) s, last line '$(tail -1 "$OUT/up.txt")'; $(grep -o 'applied [0-9]* Alembic revision(s)' "$OUT/up.txt" | head -1); alembic_version $(version) (head $HEAD_REV)"
  [[ $rc == 0 ]] || grep -i 'error\|fail\|✗' "$OUT/up.txt" | head -5 | sed 's/^/    /'

  say "$MODE 4. alembic upgrade head (no-op?), alembic check"
  alembic_app upgrade head > "$OUT/alembic_upgrade_again.txt" 2>&1
  result "app's alembic upgrade head: rc=$? $(grep -c 'Running upgrade' "$OUT/alembic_upgrade_again.txt") revisions run; current $(alembic_app current 2>/dev/null | grep -o '^[0-9a-f]\{12\}.*')"
  alembic_app check > "$OUT/alembic_check_parity.txt" 2>&1
  echo "rc=$?" >> "$OUT/alembic_check_parity.txt"
  alembic_fresh upgrade head > "$OUT/alembic_fresh_upgrade.txt" 2>&1
  alembic_fresh check > "$OUT/alembic_check_fresh.txt" 2>&1
  echo "rc=$?" >> "$OUT/alembic_check_fresh.txt"
  local a b
  a=$(checked "$OUT/alembic_check_parity.txt")
  b=$(checked "$OUT/alembic_check_fresh.txt")
  result "alembic check after parity: $(echo "$a" | tr '\n' ';')"
  result "alembic check on Alembic's own upgrade of the same rows: $(echo "$b" | tr '\n' ';') -> same as after parity: $([[ $a == "$b" ]] && echo yes || echo NO)"
  dump -s fastapirun_prod > "$OUT/schema_parity.sql"
  dump -s fastapirun_fresh > "$OUT/schema_fresh.sql"
  diff "$OUT/schema_parity.sql" "$OUT/schema_fresh.sql" > "$OUT/schema.diff"
  result "pg_dump -s vs Alembic's own upgrade: $(grep -c '^[<>]' "$OUT/schema.diff") differing lines"

  say "$MODE 5. old rows"
  "$ROWS_PY" "$ROWS" show "$URL" > "$OUT/rows_after.txt"
  result "old rows after $MODE: $(diff -q "$OUT/rows_before.txt" "$OUT/rows_after.txt" > /dev/null && echo identical || echo DIFFERENT) ($(grep -c '^  ' "$OUT/rows_after.txt") rows)"

  say "$MODE 6. parity rollback"
  app "$PARITY" rollback . --env production > "$OUT/rollback.txt" 2>&1
  rc=$?
  result "rollback rc=$rc: $(grep -v '^$\|───\|^parity rollback' "$OUT/rollback.txt" | head -4 | cut -c1-220 | tr '\n' ' ')"
  if [[ $MODE == migrate && $rc != 0 ]]; then
    app "$PARITY" migrate rollback . --env production --yes > "$OUT/migrate_rollback.txt" 2>&1
    rc=$?
    result "  migrate rollback --yes rc=$rc: $(grep -v '^$\|───' "$OUT/migrate_rollback.txt" | head -3 | cut -c1-220 | tr '\n' ' ')"
  fi
  dump fastapirun_prod > "$OUT/after_rollback.dump"
  dump -s fastapirun_prod > "$OUT/after_rollback.schema"
  dump -a fastapirun_prod > "$OUT/after_rollback.data"
  diff "$OUT/before.schema" "$OUT/after_rollback.schema" > "$OUT/rollback_schema.diff"
  diff "$OUT/before.data" "$OUT/after_rollback.data" > "$OUT/rollback_data.diff"
  "$ROWS_PY" "$ROWS" show "$URL" > "$OUT/rows_after_rollback.txt" 2>&1
  result "after rollback: alembic_version $(version) (was $BASE_REV); pg_dump -s diff $(grep -c '^[<>]' "$OUT/rollback_schema.diff") lines; data diff $(grep -c '^[<>]' "$OUT/rollback_data.diff") lines; seeded rows $(diff -q "$OUT/rows_before.txt" "$OUT/rows_after_rollback.txt" > /dev/null && echo identical || echo DIFFERENT)"
}

for m in ${MODES:-apply migrate}; do
  run_mode "$m"
done
if [[ ${KEEP:-} != 1 ]]; then
  for db in fastapirun_prod fastapirun_fresh; do psql $PG -qc "DROP DATABASE IF EXISTS $db"; done
fi
say "results ($WORK/results.txt; outputs under $WORK/<mode>/)"
cat "$WORK/results.txt"
