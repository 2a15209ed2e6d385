#!/usr/bin/env bash
# Real-app run of parity on mealie-recipes/mealie (SQLAlchemy + Alembic), SQLite and PostgreSQL.
# Issue 17 "done when": production 8 Alembic revisions behind head with rows in it; `parity check`
# names the pending revisions; `parity apply` brings it to head through mealie's own Alembic;
# mealie's `alembic upgrade head` is then a no-op and `alembic check` finds what it finds on a
# database Alembic upgraded itself; the seeded rows are intact; `parity rollback` restores the
# snapshot; and an `apply` killed by SIGTERM midway, with what it leaves.
#
#   bench/realapps/mealie.sh MEALIE_CHECKOUT [WORKDIR]      (WORKDIR default /tmp/mealierun)
#
# The checkout is copied (never modified). mealie's interpreter: $MEALIE_PYTHON_BASE (a Python
# >= 3.10, default pyenv's 3.12.1) makes $WORKDIR/venv with the few packages mealie's env.py and
# revisions import. parity: $PARITY (default this worktree's .venv/bin/parity). PostgreSQL at
# 127.0.0.1:5432 as postgres (trust); databases mealierun_* are created and dropped.
# Not run by the test suite or CI: it needs a mealie checkout and takes about two minutes.
set -uo pipefail

CHECKOUT=$(realpath "${1:?usage: mealie.sh MEALIE_CHECKOUT [WORKDIR]}")
WORK=${2:-/tmp/mealierun}
HERE=$(cd "$(dirname "$0")" && pwd)
PARITY=${PARITY:-$HERE/../../.venv/bin/parity}
BASE_PY=${MEALIE_PYTHON_BASE:-/root/.pyenv/versions/3.12.1/bin/python}
ROWS=$HERE/mealie_rows.py
BEHIND=8
PG="-h 127.0.0.1 -p 5432 -U postgres"

mkdir -p "$WORK"
APP=$WORK/app
VENV=$WORK/venv
PY=$VENV/bin/python
ALEMBIC=$VENV/bin/alembic

say() { printf '\n### %s\n' "$*"; }
result() { printf 'RESULT %s: %s\n' "$DIALECT" "$*" | tee -a "$WORK/results.txt"; }

if [[ ! -x $PY ]]; then
  say "mealie venv ($BASE_PY)"
  "$BASE_PY" -m venv "$VENV"
  # The versions of mealie's poetry.lock; only what alembic/env.py, the models and the revisions import.
  "$VENV/bin/pip" install -q sqlalchemy==2.0.36 alembic==1.13.3 pydantic==2.9.2 pydantic-settings==2.6.0 \
    psycopg2-binary==2.9.10 python-dotenv==1.0.1 python-dateutil python-slugify==8.0.4 text-unidecode==1.3 \
    uvicorn==0.32.0 2>&1 | grep -v '^WARNING: Location' || true
fi

say "copy of $CHECKOUT"
rm -rf "$APP"
cp -a "$CHECKOUT" "$APP"
rm -rf "$APP/.parity"
# The production layer a user adds (as bench/realworld/mealie.toml): a root .env.production that
# a compose override loads. DATABASE_URL is parity's pointer to the production database; mealie
# itself reads DB_ENGINE / POSTGRES_* (or DATA_DIR for SQLite) from its environment.
cat > "$APP/docker/docker-compose.production.yml" <<'YAML'
# docker compose -f docker-compose.yml -f docker-compose.production.yml up -d
services:
  mealie:
    env_file:
      - ../.env.production
YAML

cd "$APP" || exit 1
# Loading the revision files imports mealie's settings (feecc8ffb956 does at import time).
mkdir -p "$WORK/scratch"
read -r HEAD_REV BASE_REV FIRST_REV PENDING < <(PRODUCTION=true DATA_DIR="$WORK/scratch" "$PY" - "$BEHIND" <<'PY' 2>/dev/null | grep '^@@ ' | cut -c4-
import sys
from alembic.config import Config
from alembic.script import ScriptDirectory
s = ScriptDirectory.from_config(Config("alembic.ini"))
chain = [r.revision for r in s.walk_revisions()][::-1]  # base .. head, mealie's history is linear
base = chain[-1 - int(sys.argv[1])]
pending = chain[chain.index(base) + 1 :]
print("@@", chain[-1], base, pending[0], ",".join(pending))
PY
)
echo "head $HEAD_REV, production at $BASE_REV ($BEHIND behind)"
: > "$WORK/results.txt"

# --- per dialect: how mealie's settings, parity's URL and dumps are made --------------------------
setup_sqlite() {
  OUT=$WORK/sqlite
  rm -rf "$OUT" "$WORK/sqlite_fresh"
  mkdir -p "$OUT" "$WORK/sqlite_fresh"
  URL="sqlite:///$OUT/mealie.db"          # mealie's SQLite path is always $DATA_DIR/mealie.db
  FRESH_URL="sqlite:///$WORK/sqlite_fresh/mealie.db"
  APP_ENV=(PRODUCTION=true DB_ENGINE=sqlite DATA_DIR="$OUT")
  FRESH_ENV=(PRODUCTION=true DB_ENGINE=sqlite DATA_DIR="$WORK/sqlite_fresh")
  printf 'API_PORT=9000\nDB_ENGINE=sqlite\nDATA_DIR=%s\nDATABASE_URL=%s\n' "$OUT" "$URL" > "$APP/.env.production"
}
setup_postgres() {
  OUT=$WORK/postgres
  rm -rf "$OUT"
  mkdir -p "$OUT"
  for db in mealierun_prod mealierun_fresh; do
    psql $PG -qc "DROP DATABASE IF EXISTS $db" && psql $PG -qc "CREATE DATABASE $db"
  done
  URL="postgresql://postgres@127.0.0.1:5432/mealierun_prod"
  FRESH_URL="postgresql://postgres@127.0.0.1:5432/mealierun_fresh"
  # trust auth: mealie's settings want a password, any will do.
  local pg=(PRODUCTION=true DB_ENGINE=postgres DATA_DIR="$OUT" POSTGRES_USER=postgres POSTGRES_PASSWORD=unused
    POSTGRES_SERVER=127.0.0.1 POSTGRES_PORT=5432)
  APP_ENV=("${pg[@]}" POSTGRES_DB=mealierun_prod)
  FRESH_ENV=("${pg[@]}" POSTGRES_DB=mealierun_fresh)
  printf 'API_PORT=9000\nDB_ENGINE=postgres\nDATA_DIR=%s\nPOSTGRES_SERVER=127.0.0.1\nPOSTGRES_DB=mealierun_prod\nDATABASE_URL=%s\n' \
    "$OUT" "$URL" > "$APP/.env.production"
}
dump() {  # dump URL FILE: schema and data, comparable across runs
  if [[ $DIALECT == sqlite ]]; then
    sqlite3 "${1#sqlite:///}" .dump > "$2"
  else
    # \restrict / \unrestrict carry a random key per dump: not part of the database.
    pg_dump $PG --no-owner "${1##*/}" | grep -v '^\\\(un\)\?restrict ' > "$2"
  fi
}
schema_dump() {
  if [[ $DIALECT == sqlite ]]; then
    sqlite3 "${1#sqlite:///}" .schema > "$2"
  else
    pg_dump $PG --no-owner -s "${1##*/}" | grep -v '^\\\(un\)\?restrict ' > "$2"
  fi
}
version() {
  if [[ $DIALECT == sqlite ]]; then
    sqlite3 -cmd ".timeout 2000" "${URL#sqlite:///}" "SELECT version_num FROM alembic_version" 2>/dev/null
  else
    psql $PG -d mealierun_prod -Atc "SELECT version_num FROM alembic_version" 2>/dev/null
  fi
}
norm() { sed 's/, *$//' "$1" | sort; }  # statement order aside (see mealie.md)
app() { env "${APP_ENV[@]}" PARITY_ALEMBIC_PYTHON="$PY" "$@"; }
fresh() { env "${FRESH_ENV[@]}" "$@"; }

run_dialect() {
  DIALECT=$1
  "setup_$DIALECT"
  say "$DIALECT 1. alembic upgrade $BASE_REV and seed rows"
  app "$ALEMBIC" upgrade "$BASE_REV" > "$OUT/alembic_base.txt" 2>&1 || { cat "$OUT/alembic_base.txt"; return 1; }
  "$PY" "$ROWS" seed "$URL"
  "$PY" "$ROWS" show "$URL" > "$OUT/rows_before.txt"
  result "seeded $(grep -c '^  ' "$OUT/rows_before.txt") rows in $(grep -c ' rows$' "$OUT/rows_before.txt") tables at $(version)"
  # The comparison database: the same revision and rows, upgraded by Alembic alone.
  fresh "$ALEMBIC" upgrade "$BASE_REV" > /dev/null 2>&1
  "$PY" "$ROWS" seed "$FRESH_URL"

  say "$DIALECT 2. snapshot and parity check"
  dump "$URL" "$OUT/before.dump"
  local t0=$SECONDS
  app "$PARITY" check . --env production > "$OUT/check.txt" 2>&1
  local rc=$?
  result "check rc=$rc in $((SECONDS - t0)) s: $(grep -o 'SCH009 [0-9]* Alembic revisions pending[^:]*' "$OUT/check.txt")"
  local named=0 r
  for r in ${PENDING//,/ }; do
    grep -q "$r" "$OUT/check.txt" && named=$((named + 1))
  done
  result "check names $named of $BEHIND pending revisions"

  say "$DIALECT 3. parity apply --yes"
  t0=$SECONDS
  app "$PARITY" apply . --env production --yes > "$OUT/apply.txt" 2>&1
  rc=$?
  result "apply rc=$rc last line $(tail -1 "$OUT/apply.txt") in $((SECONDS - t0)) s; $(grep -o 'applied [0-9]* Alembic revision(s)' "$OUT/apply.txt"); alembic_version $(version)"

  say "$DIALECT 4. alembic upgrade head (no-op?), current, check"
  app "$ALEMBIC" upgrade head > "$OUT/alembic_upgrade_again.txt" 2>&1
  result "alembic upgrade head again: $(grep -c 'Running upgrade' "$OUT/alembic_upgrade_again.txt") revisions run; current $(app "$ALEMBIC" current 2>/dev/null | grep -o '^[0-9a-f]\{12\}.*')"
  app "$ALEMBIC" check > "$OUT/alembic_check_parity.txt" 2>&1
  echo "rc=$?" >> "$OUT/alembic_check_parity.txt"
  fresh "$ALEMBIC" upgrade head > "$OUT/alembic_fresh_upgrade.txt" 2>&1
  fresh "$ALEMBIC" check > "$OUT/alembic_check_fresh.txt" 2>&1
  echo "rc=$?" >> "$OUT/alembic_check_fresh.txt"
  local a b
  # What autogenerate proposes, without its notes on SERIAL sequences (it omits those) and object
  # addresses, in a stable order.
  checked() { grep -o "Detected [^']*'[^']*'.*\|No new upgrade operations detected\|^rc=.*" "$1" |
    grep -v '^Detected sequence' | sed 's/ at 0x[0-9a-f]*//g' | sort -u; }
  a=$(checked "$OUT/alembic_check_parity.txt")
  b=$(checked "$OUT/alembic_check_fresh.txt")
  echo "$a" > "$OUT/alembic_check_parity.summary"
  echo "$b" > "$OUT/alembic_check_fresh.summary"
  result "alembic check after parity: $(echo "$a" | tr '\n' ';')"
  result "alembic check on Alembic's own upgrade of the same rows: same as after parity: $([[ $a == "$b" ]] && echo yes || echo NO)"
  schema_dump "$URL" "$OUT/schema_parity.sql"
  schema_dump "$FRESH_URL" "$OUT/schema_fresh.sql"
  diff "$OUT/schema_parity.sql" "$OUT/schema_fresh.sql" > "$OUT/schema.diff"
  result "schema vs Alembic's own upgrade: $(grep -c '^[<>]' "$OUT/schema.diff") differing lines as dumped, $(diff <(norm "$OUT/schema_parity.sql") <(norm "$OUT/schema_fresh.sql") | grep -c '^[<>]') once sorted"

  say "$DIALECT 5. old rows"
  "$PY" "$ROWS" show "$URL" > "$OUT/rows_after.txt"
  result "old rows after apply: $(diff -q "$OUT/rows_before.txt" "$OUT/rows_after.txt" > /dev/null && echo identical || echo DIFFERENT) ($(grep -c '^  ' "$OUT/rows_after.txt") rows)"

  say "$DIALECT 6. parity rollback"
  app "$PARITY" rollback . --env production > "$OUT/rollback.txt" 2>&1
  rc=$?
  dump "$URL" "$OUT/after_rollback.dump"
  diff "$OUT/before.dump" "$OUT/after_rollback.dump" > "$OUT/rollback.diff"
  result "rollback rc=$rc last line $(tail -1 "$OUT/rollback.txt"); alembic_version $(version); dump diff $(grep -c '^[<>]' "$OUT/rollback.diff") lines, $(diff <(norm "$OUT/before.dump") <(norm "$OUT/after_rollback.dump") | grep -c '^[<>]') once sorted"

  if [[ $(version) != "$BASE_REV" ]]; then
    result "  (database not back at $BASE_REV after rollback: restored from before.dump for the SIGTERM cases)"
    restore_base "$OUT/before.dump"
  fi
  sigterm_case during "while the Alembic transaction runs"
  sigterm_case after "after Alembic committed head, while parity verifies"
}

migrating() {  # has the Alembic child begun writing? (parity's backup and snapshot only read)
  if [[ $DIALECT == sqlite ]]; then
    [[ -e ${URL#sqlite:///}-journal || -e ${URL#sqlite:///}-wal ]]
  else
    [[ $(psql $PG -d mealierun_prod -Atc "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE a.datname = 'mealierun_prod' AND l.mode = 'AccessExclusiveLock' AND a.pid <> pg_backend_pid()") -gt 0 ]]
  fi
}

sigterm_case() {  # sigterm_case NAME WHEN: an apply, SIGTERM to parity's pid at WHEN, then check / rollback
  local name=$1 when=$2 pid child="" i rc state
  say "$DIALECT 7. apply killed by SIGTERM $when"
  local o=$OUT/sigterm_$name
  mkdir -p "$o"
  "$PY" "$ROWS" show "$URL" > "$o/rows_before.txt"
  dump "$URL" "$o/before.dump"
  # Not through app(): a backgrounded function is a subshell, and its pid is not parity's.
  env "${APP_ENV[@]}" PARITY_ALEMBIC_PYTHON="$PY" "$PARITY" apply . --env production --yes > "$o/apply.txt" 2>&1 &
  pid=$!  # env execs parity: this is parity's pid
  for i in $(seq 1 1200); do  # the Alembic child: the app's interpreter running parity's child script
    for c in $(pgrep -P "$pid"); do
      [[ $(tr '\0' '\n' < "/proc/$c/cmdline" 2> /dev/null | head -1) == "$PY" ]] && child=$c
    done
    [[ -n $child ]] && break
    sleep 0.02
  done
  if [[ $name == during ]]; then
    # parity's child runs the whole upgrade in one transaction, so no intermediate alembic_version
    # is visible from outside: wait for its first write (SQLite's journal file, PostgreSQL's
    # AccessExclusiveLocks), then $KILL_DELAY more (default 0.05 s on SQLite, where the upgrade
    # takes ~0.5 s; none on PostgreSQL, where it commits within ~0.1 s of its first lock).
    for i in $(seq 1 1000); do migrating && break; sleep 0.01; done
    sleep "${KILL_DELAY:-$([[ $DIALECT == sqlite ]] && echo 0.05 || echo 0)}"
  else
    while [[ -n $child ]] && kill -0 "$child" 2> /dev/null; do sleep 0.01; done
  fi
  # Nothing slow between the wait and the signal: PostgreSQL commits the upgrade within ~0.1 s.
  state="child $([[ -n $child ]] && kill -0 "$child" 2> /dev/null && echo running || echo exited)"
  kill -TERM "$pid"
  state="$state; alembic_version just after the signal $(version)"
  wait "$pid"
  rc=$?
  sleep 1
  {
    echo "SIGTERM to parity pid $pid (Alembic child ${child:-none}) $when; at that moment: $state"
    echo "parity exit status $rc; child alive 1 s later: $([[ -n $child ]] && kill -0 "$child" 2> /dev/null && echo yes || echo no)"
    echo "alembic_version after: $(version)"
  } > "$o/sigterm.txt"
  dump "$URL" "$o/after_kill.dump"
  diff "$o/before.dump" "$o/after_kill.dump" > "$o/kill.diff"
  result "SIGTERM $when ($state): parity rc=$rc; it printed: $(grep -i 'undone\|undo\|rolled back\|interrupt\|SIGTERM' "$o/apply.txt" | head -4 | tr '\n' ' ')"
  result "  after SIGTERM: alembic_version $(version); dump vs before: $(grep -c '^[<>]' "$o/kill.diff") differing lines"
  app "$PARITY" check . --env production > "$o/check.txt" 2>&1
  result "  check after SIGTERM rc=$?: $(grep -o '^[✗!] [A-Z]*[0-9]* [^(]*' "$o/check.txt" | tr '\n' ';')"
  app "$PARITY" rollback . --env production > "$o/rollback.txt" 2>&1
  rc=$?
  dump "$URL" "$o/after_rollback.dump"
  diff "$o/before.dump" "$o/after_rollback.dump" > "$o/rollback.diff"
  result "  rollback after SIGTERM rc=$rc: $(grep -v '^$\|───\|^parity rollback' "$o/rollback.txt" | head -3 | tr '\n' ' '); alembic_version $(version); dump diff $(grep -c '^[<>]' "$o/rollback.diff") lines"
  app "$PARITY" check . --env production > "$o/check2.txt" 2>&1
  result "  check after that rc=$?: $(grep -o 'SCH009 [0-9]* Alembic revisions pending[^:]*\|APL[0-9]* [^(]*' "$o/check2.txt" | tr '\n' ';')"
  "$PY" "$ROWS" show "$URL" > "$o/rows_after.txt"
  result "  old rows: $(diff -q "$o/rows_before.txt" "$o/rows_after.txt" > /dev/null && echo identical || echo DIFFERENT)"
  if [[ $(version) != "$BASE_REV" ]]; then  # leave the next case a database at the base revision
    result "  (database not back at $BASE_REV: restored from before.dump for the next case)"
    restore_base "$o/before.dump"
  fi
}

restore_base() {
  if [[ $DIALECT == sqlite ]]; then
    rm -f "${URL#sqlite:///}" && sqlite3 "${URL#sqlite:///}" < "$1"
  else
    psql $PG -qc "DROP DATABASE mealierun_prod WITH (FORCE)" && psql $PG -qc "CREATE DATABASE mealierun_prod" &&
      psql $PG -q -d mealierun_prod -f "$1" > /dev/null
  fi
}

for d in ${DIALECTS:-sqlite postgres}; do
  run_dialect "$d"
done
if [[ ${KEEP:-} != 1 ]]; then
  for db in mealierun_prod mealierun_fresh; do psql $PG -qc "DROP DATABASE IF EXISTS $db"; done
fi
say "results ($WORK/results.txt; outputs under $WORK/<dialect>/)"
cat "$WORK/results.txt"
