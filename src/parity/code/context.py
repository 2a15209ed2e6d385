"""Where a read runs: in a service, or in a test, CI job, build step, dev tool or one-off script.

Only a read a service runs in production can fail a production check. The others are real reads
(a key they read is not stale) but nothing in production executes them: a release script reading
``GITHUB_TOKEN`` or a Playwright config reading ``BASE_URL`` says nothing about production's env.

The context comes from the path first (test files and folders, CI folders, build configs, dev
tooling, script folders), then from the instruction in a Dockerfile (``RUN``/``FROM``/``COPY`` run at
build time; ``CMD``/``ENTRYPOINT`` at run time). A script in a script folder is a service's after all
when the runtime names it (a Dockerfile, compose ``command``/``entrypoint``, a manifest's
``command``): :func:`runtime_mentions` collects those names once per project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SERVICE = "service"
TEST = "test"
CI = "ci"
BUILD = "build"
TOOLING = "tooling"
SCRIPT = "script"
CONTEXTS = (SERVICE, TEST, CI, BUILD, TOOLING, SCRIPT)
# Not a context but what a file's text says of a read: it sits in ``if __name__ == "__main__":``,
# so it runs in a service only when the runtime starts that file as a script (:func:`main_block`).
MAIN_BLOCK = "main"

_TEST_DIRS = frozenset(
    {
        "test", "tests", "__tests__", "__test__", "spec", "specs", "e2e", "e2e-tests", "cypress",
        "playwright", "testing", "testdata", "test-data", "fixtures", "__mocks__", "mocks",
        "integration-tests", "integration_tests", "_integration-test", "_unit-test", "app-tests",
        "unit-tests", "unit_tests",
    }
)  # fmt: skip
_TEST_FILE = re.compile(
    r"""(?x)
    ^(?:test_.*\.py|.*_test\.(?:py|go|rb|exs?)|.*_spec\.rb|conftest\.py
      |.*\.(?:test|spec|e2e|cy|stories|story)\.[cm]?[jt]sx?
      |(?:playwright|vitest|jest|karma|cypress|protractor|wdio)\.conf(?:ig)?(?:\.[\w-]+)*\.[cm]?[jt]s
      |jest\.setup(?:\.[\w-]+)*\.[cm]?[jt]s|setupTests\.[cm]?[jt]sx?|.*Tests?\.(?:java|kt|cs))$
    """
)
# Development-only Rails/Phoenix/Django-style environment configs.
_DEV_CONFIG = re.compile(
    r"(?:^|/)config/environments/(?:development|test)\.rb$|(?:^|/)settings/(?:dev|development|test|testing|local)\.py$"
)

_CI_DIRS = frozenset(
    {
        ".github",
        ".gitlab",
        ".circleci",
        ".buildkite",
        ".ci",
        "ci",
        ".drone",
        ".azure-pipelines",
        ".woodpecker",
    }
)
_CI_FILE = re.compile(
    r"^(?:\.gitlab-ci.*|\.travis\.ya?ml|Jenkinsfile.*|azure-pipelines.*|bitbucket-pipelines\.ya?ml|\.drone\.ya?ml)$"
)

_BUILD_FILE = re.compile(
    r"""(?x)
    ^(?:(?:vite|vitest\.workspace|webpack|rollup|esbuild|tsup|next|nuxt|svelte|astro|remix|react-router|babel|postcss
        |tailwind|eslint|prettier|stylelint|commitlint|lint-staged|metro|craco|rspack|turbo|quasar|vue|angular
        |electron-builder|electron\.vite|forge|gatsby-config|gatsby-node|docusaurus|vuepress)(?:\.config)?(?:\.[\w-]+)*\.[cm]?[jt]s
      |\.eslintrc(?:\.[\w-]+)*|\.babelrc(?:\.[\w-]+)*|gulpfile\.[cm]?[jt]s|Gruntfile\.[cm]?[jt]s
      |setup\.py|noxfile\.py|fabfile\.py|Rakefile|Makefile|.*\.mk|build\.gradle(?:\.kts)?|settings\.gradle(?:\.kts)?
      |build\.rs|(?:build|gen|generate|codegen|compile|bundle|package|release|publish|bump|version)(?:[-_][\w-]+)?\.(?:sh|bash)
      |(?:build|release|publish|bump)(?:[-_][\w-]+)?\.(?:py|[cm]?[jt]s|rb)
      |[\w-]*gen[-_]proto[\w-]*\.sh)$
    """
)
_TOOLING_DIRS = frozenset(
    {
        ".devcontainer", ".vscode", ".idea", ".husky", ".storybook", "storybook", "tools", "tooling", "hack", "dev",
        "devtools", "dev-tools", "benchmarks", "bench", "benchmark", "docs", "doc", "website", "perf",
        "loadtest", "load-tests", "locust",
    }
)  # fmt: skip
# Not ``bin/``: in a Rails or Node app it holds what the services start (bin/rails, bin/www).
_SCRIPT_DIRS = frozenset({"scripts", "script", "install", "installer"})


def context_of(rel: str, mentioned: frozenset[str] = frozenset()) -> str:
    """The context of the file ``rel`` (posix, relative to the project root), from its path.

    ``mentioned``: base names and relative paths of files the runtime starts (see
    :func:`runtime_mentions`): a script there runs in a service, wherever it lives.
    """
    parts = rel.split("/")
    name = parts[-1]
    dirs = parts[:-1]
    lowered = [d.lower() for d in dirs]
    if rel in mentioned or name in mentioned:
        return SERVICE
    if any(d in _CI_DIRS for d in lowered) or _CI_FILE.match(name):
        return CI
    if _TEST_FILE.match(name) or any(d in _TEST_DIRS for d in lowered) or _DEV_CONFIG.search(rel):
        return TEST
    if _BUILD_FILE.match(name):
        return BUILD
    if any(d in _TOOLING_DIRS for d in lowered):
        return TOOLING
    if any(d in _SCRIPT_DIRS for d in lowered):
        return SCRIPT
    # A shell script at the root of the repository (install-app.sh, docker-gen-proto.sh) is run by
    # a person, not a service, unless the runtime starts it.
    if not dirs and name.endswith((".sh", ".bash", ".zsh")):
        return SCRIPT
    return SERVICE


def main_block(rel: str, mentioned: frozenset[str]) -> str:
    """The context of a read in a ``__main__`` block of ``rel`` (a service's file by its path).

    Servers import a module (``gunicorn app:app``, ``uvicorn main:app``): its ``__main__`` block runs
    only when the runtime starts the file itself (``python wsgi.py``, ``python -m pkg.mod``). When
    nothing of the runtime is known, the read keeps its service.
    """
    name = rel.rsplit("/", 1)[-1]
    if not mentioned or name == "__main__.py" or rel in mentioned or name in mentioned:
        return SERVICE
    return SCRIPT


_DOCKER_RUNTIME = re.compile(r"^\s*(?:CMD|ENTRYPOINT|HEALTHCHECK)\b", re.I)
_DOCKER_INSTR = re.compile(r"^\s*([A-Za-z]+)\s")


def dockerfile_runtime_lines(text: str) -> frozenset[int]:
    """Lines of a Dockerfile whose variables are expanded when the container runs (``CMD``,
    ``ENTRYPOINT``, ``HEALTHCHECK`` and their continuation lines); every other instruction is
    expanded by the builder, from build args, never from an env file."""
    out: set[int] = set()
    runtime = False
    continued = False
    for no, line in enumerate(text.splitlines(), start=1):
        if not continued:
            runtime = bool(_DOCKER_RUNTIME.match(line)) if _DOCKER_INSTR.match(line) else runtime
        if runtime:
            out.add(no)
        continued = line.rstrip().endswith("\\")
    return frozenset(out)


_WORD = re.compile(r"[\w./-]+\.(?:sh|bash|py|rb|js|mjs|cjs|ts|pl)\b")
_MODULE = re.compile(r"(?:^|[\s\"'\[,])-m[\s\"',]+(?P<m>[A-Za-z_][\w.]*)")


def runtime_mentions(texts: Iterable[str]) -> frozenset[str]:
    """Script names the runtime starts: every ``name.sh``/``path/name.py``-like word in the given
    Dockerfiles, compose files, manifests and package.json scripts, as its base name and as written."""
    out: set[str] = set()
    for text in texts:
        for m in _WORD.finditer(text):
            word = m.group(0).lstrip("./")
            out.add(word)
            out.add(word.rsplit("/", 1)[-1])
        for m in _MODULE.finditer(text):
            # ``python -m pkg.mod`` starts pkg/mod.py, or pkg/mod/__main__.py for a package.
            path = m["m"].replace(".", "/")
            out.update((f"{path}.py", path.rsplit("/", 1)[-1] + ".py", f"{path}/__main__.py"))
    return frozenset(out)
