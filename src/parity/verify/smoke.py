"""Smoke checks declared per service in parity.toml: a command run with the service's effective
env for the target environment (output captured and masked), or an HTTP request with an
expected status and optional body text.

    [smoke]
    api = [{ name = "exports route", command = "python -m app.main /exports" }]

A leading ``python`` runs with the interpreter that runs parity.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from parity.config import SmokeCheck
from parity.env.secrets import is_secret, mask_text
from parity.model.env import EffectiveEnv
from parity.project import EnvLayer

# The machine's variables a command needs to start at all; everything else comes from the
# service's effective env, so the smoke check sees what production would see.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass(frozen=True, slots=True)
class SmokeResult:
    service: str
    name: str
    ok: bool
    detail: str  # masked


def _secrets_of(env: EffectiveEnv, extra: list[str]) -> list[str]:
    """The values of ``env`` output must not show: secret by key or shape, or from a Kubernetes
    Secret (whatever its key); the project's other known secrets come from the scope."""
    return [
        v.value for v in env.values.values() if v.value and (v.secret or is_secret(v.key, v.value, extra))
    ]


def run_smoke(
    service: EnvLayer, check: SmokeCheck, env: EffectiveEnv, extra_secret_patterns: list[str]
) -> SmokeResult:
    name = check.name or check.command or check.url or "smoke"
    secrets = _secrets_of(env, extra_secret_patterns)
    if check.command:
        proc_env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
        proc_env.update(env.as_dict())
        try:
            argv = shlex.split(check.command)
            if argv and argv[0] in ("python", "python3"):
                # The interpreter running parity: the same one whether or not a venv is on PATH.
                argv[0] = sys.executable
            proc = subprocess.run(
                argv,
                cwd=service.path,
                env=proc_env,
                capture_output=True,
                text=True,
                timeout=check.timeout,
            )
        except FileNotFoundError as exc:
            return SmokeResult(service.name, name, False, f"cannot run: {exc.filename}")
        except subprocess.TimeoutExpired:
            return SmokeResult(service.name, name, False, f"timed out after {check.timeout:g}s")
        # Masked whole before the tail is cut, so a secret spanning lines (a PEM key) or cut at
        # the edge of the tail cannot leave a piece behind.
        out = mask_text(proc.stdout, secrets) + mask_text(proc.stderr, secrets)
        tail = out.strip().splitlines()[-3:]
        detail = mask_text(" | ".join(tail), secrets)
        return SmokeResult(
            service.name,
            name,
            proc.returncode == 0,
            f"exit {proc.returncode}" + (f": {detail}" if detail else ""),
        )
    if check.url:
        try:
            with urllib.request.urlopen(check.url, timeout=check.timeout) as resp:
                status, body = resp.status, resp.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, ""
        except (urllib.error.URLError, OSError) as exc:
            return SmokeResult(service.name, name, False, mask_text(f"request failed: {exc}", secrets))
        ok = status == check.expect_status and (check.expect_text is None or check.expect_text in body)
        detail = f"HTTP {status}" + (
            ""
            if check.expect_text is None
            else f", body {'has' if check.expect_text in body else 'lacks'} {check.expect_text!r}"
        )
        return SmokeResult(service.name, name, ok, detail)
    return SmokeResult(service.name, name, False, "neither command nor url given")
