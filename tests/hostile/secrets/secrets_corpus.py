"""The hostile-repository corpus for secrets: one project holding every secret shape parity
must never print, each planted where a real repository keeps it.

Each :class:`Planted` names the value (and the forms of it that must not appear either: the
base64 of a Kubernetes Secret's ``data:``, the tail a first-``@`` URL parser would leak) and
the case it stands for. :func:`build` writes the project into a folder. A new hole found
becomes one more ``Planted`` here and is then checked by every test of the corpus.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Planted:
    case: str
    value: str
    also: tuple[str, ...] = ()  # other forms that must not appear (base64, a leaked tail)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.value, *self.also)


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


SLACK_TOKEN = "slackFAKEtokenValue1234"
SLACK_URL = f"https://hooks.slack.com/services/T0FAKE0001/B0FAKE0002/{SLACK_TOKEN}"
DISCORD_TOKEN = "dcFAKE-tok3n_Zq9Xw8Vu7Ts6Rr5Qp4"
DISCORD_URL = f"https://discord.com/api/webhooks/112233445566778899/{DISCORD_TOKEN}"
SLASH_AT_PASSWORD = "p@ss/w0rd-FAKE"
PEM_BODY = "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCFAKEFAKEFAKEbody"
CROSS_ENV = "mellon-fake-pw"  # DB_PASSWORD in production, DB_PW2 (no pattern) in staging
BILLING = "billing-fake-data-value"  # a Secret's data: (base64), key without any pattern
PARTNER = "partner-fake-string-value"  # a Secret's stringData:, key without any pattern
UPSTREAM = "upstream-fake-prod-value"  # a Secret's data:; the same key in staging is masked too
SET_VALUE = "setFAKEpw31"  # given with --set on the command line

PLANTED = (
    Planted("short value, key *PASS*", "hunter2"),
    Planted("short value, key *PASS*, staging", "staging-hunter"),
    Planted("Slack webhook token in the URL path", SLACK_URL, (SLACK_TOKEN,)),
    Planted("Discord webhook token in the URL path", DISCORD_URL, (DISCORD_TOKEN,)),
    Planted("password as a URL query parameter", "qpFAKEsecret77"),
    Planted("password with raw / and @ in the userinfo", SLASH_AT_PASSWORD, ("w0rd-FAKE",)),
    Planted("same value under an innocent key in another environment", CROSS_ENV),
    Planted("Kubernetes Secret data: (base64)", BILLING, (b64(BILLING),)),
    Planted("Kubernetes Secret stringData:", PARTNER, (b64(PARTNER),)),
    Planted("Kubernetes Secret data:, the key's value elsewhere", UPSTREAM, (b64(UPSTREAM),)),
    Planted("the key of a Kubernetes Secret, in staging's env file", "staging-upstream-fake"),
    Planted("compose environment:, key *PASSWORD*", "mailer-FAKE-pw-42"),
    Planted("compose environment:, password in a redis URL", "cache-FAKE-pw-42"),
    Planted("high entropy under an innocent key", "Zx8Qp2Lr7Tv4Nw1Ks9Hd3Fg6Jm5Bc0Ya"),
    Planted("malformed line (no '=') with a secret key", "hunter-malformed-9"),
    Planted("conflicting duplicates of a token (both values)", "dupFAKEfirst1"),
    Planted("conflicting duplicates of a token (both values), second", "dupFAKEsecond2"),
    Planted("private key (PEM) under an innocent key", PEM_BODY),
    Planted("ADO.NET connection string Password=", "mssqlFAKEpw9"),
    Planted("Authorization header value", "Basic ZmFrZTpmYWtlLXB3"),
    Planted("*SALT*", "saltFAKEvalue88"),
    Planted("*DSN* (Sentry key in the userinfo)", "https://fakeSentryKey4242@o0.ingest.sentry.io/0"),
    Planted("*SIGNATURE* / *SESSION* / *COOKIE*", "cookieFAKEsign5"),
    Planted("--set on the command line", SET_VALUE),
)

EXAMPLE = """\
DATABASE_URL=sqlite:///../../db/app.db
DB_PASS=
DB_PASSWORD=
DB_PW2=
ALERTS_URL=https://hooks.slack.com/services/REPLACE/ME/later
NOTIFY_ENDPOINT=
REPORTING_URL=postgresql://localhost/db
ANALYTICS_DATABASE_URL=postgresql://localhost/app
UPSTREAM_BLOB=
TLS_BUNDLE=
LEGACY_MSSQL=
AUTH_HEADER=
APP_SALT=
SENTRY_DSN=
SESSION_COOKIE_SIGNATURE=
UPSTREAM_ID=
FEATURE_ENABLE_EXPORTS=false
EXPORTS_BUCKET=exports-dev
"""

PRODUCTION = f"""\
DATABASE_URL=sqlite:///../../db/app.db
DB_PASS=hunter2
DB_PASSWORD={CROSS_ENV}
ALERTS_URL={SLACK_URL}
NOTIFY_ENDPOINT={DISCORD_URL}
REPORTING_URL=postgresql://reports.internal/db?password=qpFAKEsecret77&user=app
ANALYTICS_DATABASE_URL=postgresql://app:{SLASH_AT_PASSWORD}@db.internal/app
UPSTREAM_BLOB=Zx8Qp2Lr7Tv4Nw1Ks9Hd3Fg6Jm5Bc0Ya
ROOT_PASSWORD hunter-malformed-9
TLS_BUNDLE="-----BEGIN PRIVATE KEY-----
{PEM_BODY}
-----END PRIVATE KEY-----"
LEGACY_MSSQL=Server=db;User Id=app;Password=mssqlFAKEpw9;
AUTH_HEADER="Basic ZmFrZTpmYWtlLXB3"
APP_SALT=saltFAKEvalue88
SENTRY_DSN=https://fakeSentryKey4242@o0.ingest.sentry.io/0
SESSION_COOKIE_SIGNATURE=cookieFAKEsign5
FEATURE_ENABLE_EXPORTS=false
"""

STAGING = """\
DATABASE_URL=sqlite:///../../db/app.db
DB_PASS=staging-hunter
DB_PW2=mellon-fake-pw
UPSTREAM_ID=staging-upstream-fake
FEATURE_ENABLE_EXPORTS=true
EXPORTS_BUCKET=exports-staging
"""

# The root layer: a token bound twice with different values (ENV005 shows both, masked).
ROOT_PRODUCTION = """\
API_TOKEN=dupFAKEfirst1
API_TOKEN=dupFAKEsecond2
"""

COMPOSE = """\
services:
  api:
    build: ./services/api
    environment:
      MAILER_PASSWORD: "mailer-FAKE-pw-42"
      CACHE_URL: "redis://:cache-FAKE-pw-42@cache:6379/0"
"""

SECRET_MANIFEST = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: api-secrets
type: Opaque
data:
  billing: {b64(BILLING)}
  upstream: {b64(UPSTREAM)}
stringData:
  partner: {PARTNER}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.invalid/api:1
          env:
            - name: BILLING_ACCOUNT
              valueFrom:
                secretKeyRef: {name: api-secrets, key: billing}
            - name: PARTNER_CODE
              valueFrom:
                secretKeyRef: {name: api-secrets, key: partner}
            - name: UPSTREAM_ID
              valueFrom:
                secretKeyRef: {name: api-secrets, key: upstream}
"""

# The smoke command echoes its whole env to stdout and every value to stderr (one line each,
# since only the tail of the output is reported), and the private key as it is.
DUMP_ENV = """\
import os
import sys

flat = {k: v for k, v in sorted(os.environ.items()) if "\\n" not in v}
if sys.argv[1] == "out":
    print(" ".join(f"{k}={v}" for k, v in flat.items()))
elif sys.argv[1] == "err":
    sys.stderr.write(" | ".join(flat.values()) + "\\n")
else:
    sys.stderr.write(os.environ.get("TLS_BUNDLE", "") + "\\n")
"""

CONFIG = """\
[smoke]
api = [
    { name = "env to stdout", command = "python dump_env.py out" },
    { name = "values to stderr", command = "python dump_env.py err" },
    { name = "private key to stderr", command = "python dump_env.py pem" },
]
"""

CODE = """\
import os


def export_orders():
    hook = os.environ["ALERTS_URL"]
    password = os.getenv("DB_PW2")
    partner = os.getenv("PARTNER_CODE")
    return hook, password, partner


def main():
    if os.getenv("FEATURE_ENABLE_EXPORTS", "false") == "true":
        export_orders()
"""

SCHEMA = """\
CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);
CREATE TABLE exports (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
"""

FILES = {
    "parity.toml": CONFIG,
    ".env.production": ROOT_PRODUCTION,
    "compose.yaml": COMPOSE,
    "k8s/production/secrets.yaml": SECRET_MANIFEST,
    "k8s/production/api.yaml": DEPLOYMENT,
    "db/schema.sql": SCHEMA,
    "services/api/.env.example": EXAMPLE,
    "services/api/.env.production": PRODUCTION,
    "services/api/.env.staging": STAGING,
    "services/api/dump_env.py": DUMP_ENV,
    "services/api/app/__init__.py": "",
    "services/api/app/main.py": CODE,
}


def build(root: Path) -> Path:
    """Write the hostile project into ``root`` (created) and its production SQLite database."""
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with sqlite3.connect(root / "db" / "app.db") as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")
        conn.executemany("INSERT INTO orders (note) VALUES (?)", [("a",), ("b",)])
    conn.close()
    return root


def leaks(text: str) -> list[str]:
    """The planted forms present in ``text`` (empty: nothing leaked)."""
    return [f"{p.case}: {form!r}" for p in PLANTED for form in p.forms if form in text]
