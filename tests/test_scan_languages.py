"""Precise-pattern extractors for the other languages, on real snippets: reads, defaults, dynamic
names, SDK calls, and names that only appear in comments or strings (not references)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.code.patterns import EXTRACTORS
from parity.code.scan import scan


def refs(lang: str, src: str) -> list[tuple[str, int, str | None, bool, bool, bool]]:
    return [
        (r.name, r.line, r.default, r.has_default, r.crashes, r.dynamic)
        for r in EXTRACTORS[lang](textwrap.dedent(src))
    ]


JS = """\
// process.env.IN_COMMENT is not read
/* process.env.BLOCK_COMMENT */
const msg = "process.env.IN_STRING";
export const api = process.env.API_BASE_URL;
export const cdn = process.env.CDN_URL || "http://localhost:9000";
export const secret = process.env["SESSION_SECRET"];
export const level = process.env.LOG_LEVEL ?? 'info';
const url = `${process.env.HOST}/path`;
const { PORT, REGION = "eu" } = process.env;
const vite = import.meta.env.VITE_KEY;
const flag = process.env[`FEATURE_${name}`];
const any = process.env[key];
"""

GO = """\
package main

import (
\t"fmt"
\tenv "os"
)

// os.Getenv("IN_COMMENT")
func main() {
\tfmt.Println("os.Getenv(\\"IN_STRING\\")")
\tport := env.Getenv("PORT")
\tif v, ok := env.LookupEnv("FEATURE_NEW_UI"); ok { fmt.Println(v) }
\tflag := client.BoolVariation("go-flag", ctx, false)
}
"""

RUBY = """\
# ENV["IN_COMMENT"]
puts "ENV['IN_STRING']"
url = ENV["DATABASE_URL"]
key = ENV.fetch("SECRET_KEY_BASE")
pool = ENV.fetch("POOL", 5)
host = ENV.fetch("HOST") { "localhost" }
name = ENV["APP_NAME"] || "shop"
"""

JAVA = """\
class App {
  // System.getenv("IN_COMMENT")
  String s = "System.getenv(\\"IN_STRING\\")";
  String url = System.getenv("DATABASE_URL");
  String mode = System.getenv().getOrDefault("MODE", "dev");
  boolean on = client.boolVariation("java-flag", ctx, false);
}
"""

KOTLIN = 'val region = System.getenv("REGION") ?: "eu"\n'

PHP = """\
<?php
// getenv('IN_COMMENT')
# $_ENV['IN_HASH_COMMENT']
$s = "getenv('IN_STRING')";
$db = getenv('DB_HOST');
$debug = $_ENV['APP_DEBUG'] ?? 'false';
$name = env('APP_NAME', 'Shop');
"""

SHELL = """\
#!/bin/sh
# ${IN_COMMENT}
echo '${IN_SINGLE_QUOTES}'
LOCAL_VAR=1
echo "$LOCAL_VAR ${HOME}"
exec app --db "${DATABASE_URL}" --port "${PORT:-8000}" --key "${API_KEY:?missing}" --q $QUEUE_URL
for f in *; do echo "${f}"; done
"""

DOCKERFILE = """\
FROM python:3.12
ARG VERSION
ENV APP_HOME=/app
# ${IN_COMMENT}
RUN echo ${VERSION} ${APP_HOME}
CMD ["sh", "-c", "app --port ${PORT:-8000} --db ${DATABASE_URL}"]
"""

COMPOSE = """\
services:
  api:
    image: "shop/api:${TAG:-latest}"
    environment:
      DATABASE_URL: ${DATABASE_URL}
      # ${IN_COMMENT}
      PRICE: "$$NOT_INTERPOLATED"
"""

CASES = [
    (
        "javascript",
        JS,
        [
            ("API_BASE_URL", 4, None, False, False, False),
            ("CDN_URL", 5, "http://localhost:9000", True, False, False),
            ("SESSION_SECRET", 6, None, False, False, False),
            ("LOG_LEVEL", 7, "info", True, False, False),
            ("HOST", 8, None, False, False, False),
            ("PORT", 9, None, False, False, False),
            ("REGION", 9, "eu", True, False, False),
            ("VITE_KEY", 10, None, False, False, False),
            ("FEATURE_*", 11, None, False, False, True),
            ("*", 12, None, False, False, True),
        ],
    ),
    (
        "go",
        GO,
        [
            ("PORT", 11, None, False, False, False),
            ("FEATURE_NEW_UI", 12, None, True, False, False),
            ("go-flag", 13, None, False, False, False),
        ],
    ),
    (
        "ruby",
        RUBY,
        [
            ("POOL", 5, "5", True, False, False),
            ("SECRET_KEY_BASE", 4, None, False, True, False),
            ("HOST", 6, None, True, False, False),
            ("DATABASE_URL", 3, None, False, False, False),
            ("APP_NAME", 7, "shop", True, False, False),
        ],
    ),
    (
        "java",
        JAVA,
        [
            ("DATABASE_URL", 4, None, False, False, False),
            ("MODE", 5, "dev", True, False, False),
            ("java-flag", 6, None, False, False, False),
        ],
    ),
    ("java", KOTLIN, [("REGION", 1, "eu", True, False, False)]),
    (
        "php",
        PHP,
        [
            ("DB_HOST", 5, None, False, False, False),
            ("APP_DEBUG", 6, "false", True, False, False),
            ("APP_NAME", 7, "Shop", True, False, False),
        ],
    ),
    (
        "shell",
        SHELL,
        [
            ("DATABASE_URL", 6, None, False, False, False),
            ("PORT", 6, "8000", True, False, False),
            ("API_KEY", 6, None, False, True, False),
            ("QUEUE_URL", 6, None, False, False, False),
        ],
    ),
    (
        "dockerfile",
        DOCKERFILE,
        [("PORT", 6, "8000", True, False, False), ("DATABASE_URL", 6, None, False, False, False)],
    ),
    (
        "compose",
        COMPOSE,
        [("TAG", 3, "latest", True, False, False), ("DATABASE_URL", 5, None, False, False, False)],
    ),
]


@pytest.mark.parametrize(("lang", "src", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_language_reads(lang: str, src: str, expected: list[tuple[object, ...]]) -> None:
    assert sorted(refs(lang, src), key=lambda r: (r[1], str(r[0]))) == sorted(
        expected, key=lambda r: (r[1], str(r[0]))
    )


_FILES = {"javascript": "web/app.js", "go": "cmd/main.go", "java": "src/App.java", "ruby": "app/config.rb",
          "php": "public/index.php", "shell": "bin/start.sh", "dockerfile": "Dockerfile", "compose": "compose.yaml"}  # fmt: skip


SCANNED = [c for c in CASES if c[0] != "compose"]


def test_compose_files_are_no_code(tmp_path: Path) -> None:
    """A compose file's ``${VAR}`` is compose's own interpolation (parity.sources reads it), not
    a read by a running service: counting it as one made a finding per service per variable."""
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(COMPOSE), encoding="utf-8")
    assert refs("compose", COMPOSE)  # the extractor still knows the syntax
    assert scan(tmp_path, workers=1).references == ()


@pytest.mark.parametrize(
    ("lang", "src", "expected"), SCANNED, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCANNED)]
)
def test_scanner_finds_the_same_through_its_prefilter(
    tmp_path: Path, lang: str, src: str, expected: list[tuple[object, ...]]
) -> None:
    """The bytes prefilter must let through every file the extractor has something to say about."""
    rel = _FILES[lang]
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(textwrap.dedent(src), encoding="utf-8")
    got = {(r.name, r.line) for r in scan(tmp_path, workers=1).references}
    assert got == {(e[0], e[1]) for e in expected}
    assert all(r.language == lang for r in scan(tmp_path, workers=1).references)


def test_sdk_calls_are_marked() -> None:
    got = EXTRACTORS["javascript"](
        'const a = ld.variation("js-flag", user, false);\nunleash.isEnabled("u-flag");\n'
    )
    assert [(r.name, r.kind, r.via) for r in got] == [
        ("js-flag", "sdk", "LaunchDarkly variation"),
        ("u-flag", "sdk", "Unleash isEnabled"),
    ]


def test_template_interpolation_only_reads_code() -> None:
    got = EXTRACTORS["javascript"]("const s = `process.env.NOT_CODE ${process.env.CODE}`;\n")
    assert [r.name for r in got] == ["CODE"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab/*'\"`\\\n #${}x")), max_size=80))
def test_mask_keeps_every_offset_and_line(text: str) -> None:
    from parity.code.patterns import _C_TOKENS, _HASH_TOKENS, _PHP_TOKENS, _SHELL_TOKENS, mask

    for tokens in (_C_TOKENS, _HASH_TOKENS, _PHP_TOKENS, _SHELL_TOKENS):
        masked = mask(text, tokens)
        assert len(masked) == len(text)
        assert [i for i, c in enumerate(masked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


def test_variables_a_build_tool_defines_are_not_reads_production_must_set(tmp_path: Path) -> None:
    # Shaped after awesome-compose's React frontends: Create React App sets PUBLIC_URL itself.
    from parity.code.scan import scan

    cra = tmp_path / "frontend"
    (cra / "src").mkdir(parents=True)
    (cra / "package.json").write_text('{"dependencies": {"react": "18", "react-scripts": "5.0.1"}}')
    (cra / "src" / "serviceWorker.js").write_text(
        "const url = new URL(process.env.PUBLIC_URL, window.location.href);\nconst api = process.env.REACT_APP_API;\n"
    )
    other = tmp_path / "server"
    other.mkdir()
    (other / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (other / "index.js").write_text("const base = process.env.PUBLIC_URL;\n")
    names = {(r.file, r.name) for r in scan(tmp_path).references}
    assert ("frontend/src/serviceWorker.js", "PUBLIC_URL") not in names
    assert ("frontend/src/serviceWorker.js", "REACT_APP_API") in names
    assert ("server/index.js", "PUBLIC_URL") in names  # a server's PUBLIC_URL is the deployment's to set
