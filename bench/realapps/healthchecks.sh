#!/usr/bin/env bash
# Real-app run of parity on healthchecks/healthchecks (Django migrations), SQLite and PostgreSQL.
# Issue 17 "done when": production 8 migrations behind head (api.0116–0123 pending, the other apps
# at their head) with rows in it; `parity check` names the pending migrations; `parity apply
# --yes`, and in a second round `parity migrate up --yes`, bring it to head through Django's own
# `migrate`; `manage.py migrate` is then a no-op ("No migrations to apply"); `makemigrations
# --check` sees no change; the seeded rows are what Django's own upgrade of the same rows gives;
# `parity rollback` restores the snapshot taken before.
#
#   bench/realapps/healthchecks.sh HEALTHCHECKS_CHECKOUT [WORKDIR]   (WORKDIR default /tmp/hcrun)
#
# The checkout is copied (never modified). The app's interpreter: $HC_PYTHON_BASE (default pyenv's
# 3.13.0; Django 6.1 wants >= 3.12) makes $WORKDIR/venv from its requirements.txt. parity: $PARITY
# (default this worktree's .venv/bin/parity). PostgreSQL at 127.0.0.1:5432 as postgres (trust);
# databases hcrun_* are created and dropped. Not run by the test suite or CI.
set -uo pipefail

CHECKOUT=$(realpath "${1:?usage: healthchecks.sh HEALTHCHECKS_CHECKOUT [WORKDIR]}")
WORK=${2:-/tmp/hcrun}
HERE=$(cd "$(dirname "$0")" && pwd)
PARITY=${PARITY:-$HERE/../../.venv/bin/parity}
BASE_PY=${HC_PYTHON_BASE:-/root/.pyenv/versions/3.13.0/bin/python}
ROWS=$HERE/healthchecks_rows.py
BASE_MIGRATION=0115_flip_api_flip_owner_created
PG="-h 127.0.0.1 -p 5432 -U postgres"

mkdir -p "$WORK"
APP=$WORK/app
VENV=$WORK/venv
PY=$VENV/bin/python

say() { printf '\n### %s\n' "$*"; }
result() { printf 'RESULT %s %s: %s\n' "$DIALECT" "$MODE" "$*" | tee -a "$WORK/results.txt"; }

if [[ ! -x $PY ]]; then
  say "healthchecks venv ($BASE_PY)"
  "$BASE_PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$CHECKOUT/requirements.txt" "psycopg[binary]==3.3.4" 2>&1 |
    grep -v '^WARNING: Location' || true
fi

say "copy of $CHECKOUT"
rm -rf "$APP"
cp -a "$CHECKOUT" "$APP"
rm -rf "$APP/.parity" "$APP/hc.sqlite"
cd "$APP" || exit 1
PENDING=$(ls hc/api/migrations | sed -n 's/^\(01\(1[6-9]\|2[0-3]\)_.*\)\.py$/\1/p' | tr '\n' ' ')
echo "pending: $PENDING"
: > "$WORK/results.txt"

# --- per dialect: the production layer, parity's URL, Django's settings ---------------------------
# The layer is docker/.env, what docker/docker-compose.yml reads: a copy of docker/.env.example
# with production's values, as healthchecks' docker/README.md says. No DATABASE_URL: parity reads
# the database from hc/settings.py, which builds DATABASES from DB, DB_NAME, DB_HOST… (the script
# exports those for the app's own commands too; $URL is the same database, for the dumps).
layer() {  # layer KEY=VALUE…: docker/.env from the example, those keys set (added when missing)
  local kv k
  cp "$CHECKOUT/docker/.env.example" "$APP/docker/.env"
  for kv in ALLOWED_HOSTS=hc.example.internal SECRET_KEY=a-production-secret-key-of-some-length \
    SITE_ROOT=https://hc.example.internal PING_ENDPOINT=https://hc.example.internal/ping/ \
    DB_PASSWORD=a-production-db-password "$@"; do
    k=${kv%%=*}
    if grep -q "^$k=" "$APP/docker/.env"; then
      sed -i "s|^$k=.*|$kv|" "$APP/docker/.env"
    else
      echo "$kv" >> "$APP/docker/.env"
    fi
  done
}
setup_sqlite() {
  DB_FILE=$OUT/hc.sqlite
  FRESH_FILE=$OUT/fresh.sqlite
  URL="sqlite:///$DB_FILE"
  # Any DB other than postgres/mysql/mariadb is SQLite in hc/settings.py, at DB_NAME.
  APP_ENV=(DB=sqlite DB_NAME="$DB_FILE")
  FRESH_ENV=(DB=sqlite DB_NAME="$FRESH_FILE")
  layer DB=sqlite DB_NAME="$DB_FILE"
}
setup_postgres() {
  for db in hcrun_prod hcrun_fresh; do
    psql $PG -qc "DROP DATABASE IF EXISTS $db" && psql $PG -qc "CREATE DATABASE $db"
  done
  URL="postgresql://postgres@127.0.0.1:5432/hcrun_prod"
  local pg=(DB=postgres DB_HOST=127.0.0.1 DB_PORT=5432 DB_USER=postgres DB_PASSWORD=)
  APP_ENV=("${pg[@]}" DB_NAME=hcrun_prod)
  FRESH_ENV=("${pg[@]}" DB_NAME=hcrun_fresh)
  # trust auth here: the password is one the server does not ask for
  layer DB=postgres DB_HOST=127.0.0.1 DB_NAME=hcrun_prod DB_PASSWORD=not-asked-by-trust-auth
}
dump() {  # dump prod|fresh schema|data|all FILE
  local db
  if [[ $DIALECT == sqlite ]]; then
    db=$([[ $1 == prod ]] && echo "$DB_FILE" || echo "$FRESH_FILE")
    case $2 in
      schema) sqlite3 "$db" .schema ;;
      data) sqlite3 "$db" .dump | grep '^INSERT' ;;
      all) sqlite3 "$db" .dump ;;
    esac > "$3"
  else
    db=hcrun_$1
    local opt=()
    [[ $2 == schema ]] && opt=(-s)
    [[ $2 == data ]] && opt=(-a)
    pg_dump $PG --no-owner "${opt[@]}" "$db" | grep -v '^\\\(un\)\?restrict ' > "$3"  # \restrict keys are random
  fi
}
app() { env "${APP_ENV[@]}" PYTHONPATH="$APP" PARITY_APP_PYTHON="$PY" "$@"; }
fresh() { env "${FRESH_ENV[@]}" PYTHONPATH="$APP" "$@"; }
pending_count() { app "$PY" manage.py showmigrations api 2> /dev/null | grep -c '\[ \]'; }
build_base() {  # build_base app|fresh: api at 0115, every other app at its head
  "$1" "$PY" manage.py migrate api "$BASE_MIGRATION" > "$OUT/base_$1.txt" 2>&1 || return 1
  local a
  for a in accounts admin auth contenttypes front logs payments sessions; do
    "$1" "$PY" manage.py migrate "$a" >> "$OUT/base_$1.txt" 2>&1 || return 1
  done
}

run_mode() {  # run_mode DIALECT apply|migrate
  DIALECT=$1
  MODE=$2
  OUT=$WORK/$DIALECT/$MODE
  rm -rf "$OUT"
  mkdir -p "$OUT"
  "setup_$DIALECT"
  say "$DIALECT $MODE 1. Django at api.$BASE_MIGRATION, rows seeded"
  build_base app || { tail "$OUT/base_app.txt"; return 1; }
  app "$PY" "$ROWS" seed
  app "$PY" "$ROWS" show > "$OUT/rows_before.txt"
  result "seeded $(grep -c '^  ' "$OUT/rows_before.txt") rows in $(grep -c ' rows$' "$OUT/rows_before.txt") models; $(pending_count) api migrations pending"
  # The comparison database: the same state and rows, upgraded by Django alone.
  build_base fresh && fresh "$PY" "$ROWS" seed

  say "$DIALECT $MODE 2. snapshot and parity check"
  dump prod schema "$OUT/before.schema"
  dump prod data "$OUT/before.data"
  app "$PARITY" check . --env production > "$OUT/check.txt" 2>&1
  local rc=$? named=0 m
  for m in $PENDING; do grep -q "$m" "$OUT/check.txt" && named=$((named + 1)); done
  result "check rc=$rc: $(grep -o 'SCH0[0-9]* [0-9]* Django migrations\? pending[^:]*' "$OUT/check.txt" | head -1); names $named/8 pending"

  local t0=$SECONDS
  if [[ $MODE == apply ]]; then
    app "$PARITY" apply . --env production --yes > "$OUT/up.txt" 2>&1
  else
    app "$PARITY" migrate up . --env production --yes > "$OUT/up.txt" 2>&1
  fi
  rc=$?
  result "$MODE --yes rc=$rc in $((SECONDS - t0)) s, last line '$(tail -1 "$OUT/up.txt")'; $(grep -o 'applied [0-9]* Django migration(s)' "$OUT/up.txt" | head -1); $(pending_count) api migrations pending after"
  [[ $rc == 0 ]] || grep '✗\|error' "$OUT/up.txt" | head -5 | cut -c1-300 | sed 's/^/    /'

  say "$DIALECT $MODE 4. manage.py migrate (no-op?), makemigrations --check"
  app "$PY" manage.py migrate --noinput > "$OUT/migrate_again.txt" 2>&1
  result "manage.py migrate after: rc=$? '$(grep -o 'No migrations to apply.' "$OUT/migrate_again.txt")' $(grep -c 'Applying' "$OUT/migrate_again.txt") applied"
  app "$PY" manage.py makemigrations --check --dry-run > "$OUT/makemigrations.txt" 2>&1
  result "makemigrations --check: rc=$? $(grep -v '^\s' "$OUT/makemigrations.txt" | grep -v 'WARNINGS\|System check\|^?:\|^$' | head -2 | tr '\n' ' ')"
  fresh "$PY" manage.py migrate --noinput > "$OUT/fresh_migrate.txt" 2>&1
  dump prod schema "$OUT/schema_parity.sql"
  dump fresh schema "$OUT/schema_fresh.sql"
  diff "$OUT/schema_parity.sql" "$OUT/schema_fresh.sql" > "$OUT/schema.diff"
  result "schema vs Django's own upgrade: $(grep -c '^[<>]' "$OUT/schema.diff") differing lines"

  say "$DIALECT $MODE 5. old rows"
  app "$PY" "$ROWS" show > "$OUT/rows_after.txt"
  fresh "$PY" "$ROWS" show > "$OUT/rows_fresh.txt"
  diff "$OUT/rows_before.txt" "$OUT/rows_after.txt" > "$OUT/rows.diff"
  result "rows after $MODE: same as Django's own upgrade of the same rows: $(diff -q "$OUT/rows_after.txt" "$OUT/rows_fresh.txt" > /dev/null && echo yes || echo NO); vs before $(grep -c '^<' "$OUT/rows.diff") lines changed by the data migrations (rows_before/after.txt)"

  say "$DIALECT $MODE 6. parity rollback"
  app "$PARITY" rollback . --env production > "$OUT/rollback.txt" 2>&1
  rc=$?
  result "rollback rc=$rc: $(grep -v '^$\|───\|^parity rollback' "$OUT/rollback.txt" | head -4 | cut -c1-220 | tr '\n' ' ')"
  if [[ $MODE == migrate && $rc != 0 ]]; then
    app "$PARITY" migrate rollback . --env production --yes > "$OUT/migrate_rollback.txt" 2>&1
    rc=$?
    result "  migrate rollback --yes rc=$rc: $(grep -v '^$\|───' "$OUT/migrate_rollback.txt" | head -3 | cut -c1-220 | tr '\n' ' ')"
  fi
  dump prod schema "$OUT/after_rollback.schema"
  dump prod data "$OUT/after_rollback.data"
  diff "$OUT/before.schema" "$OUT/after_rollback.schema" > "$OUT/rollback_schema.diff"
  diff "$OUT/before.data" "$OUT/after_rollback.data" > "$OUT/rollback_data.diff"
  app "$PY" "$ROWS" show > "$OUT/rows_after_rollback.txt" 2>&1
  result "after rollback: $(pending_count) api migrations pending (was 8); schema diff $(grep -c '^[<>]' "$OUT/rollback_schema.diff") lines; data diff $(grep -c '^[<>]' "$OUT/rollback_data.diff") lines; seeded rows $(diff -q "$OUT/rows_before.txt" "$OUT/rows_after_rollback.txt" > /dev/null && echo identical || echo DIFFERENT)"
}

for d in ${DIALECTS:-sqlite postgres}; do
  for m in ${MODES:-apply migrate}; do
    run_mode "$d" "$m"
  done
done
if [[ ${KEEP:-} != 1 ]]; then
  for db in hcrun_prod hcrun_fresh; do psql $PG -qc "DROP DATABASE IF EXISTS $db"; done
fi
say "results ($WORK/results.txt; outputs under $WORK/<dialect>/<mode>/)"
cat "$WORK/results.txt"
