"""Put the current text report of ``parity check examples/shop --env production`` into README.md.

    python scripts/readme_report.py          # rewrite README.md in place
    python scripts/readme_report.py --check  # exit 1 when the README's copy is out of date

The README shows the report as users see it; a test runs ``--check`` so it cannot drift.
Fingerprints are keyed per checkout (``.parity/fingerprint-salt``), so ``--check`` compares
them by shape only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<summary>The text report of .*?</summary>\n\n```text\n)(.*?)(```\n)", re.S)
FINGERPRINT = re.compile(r"hmac:[0-9a-f]{16}")


def same_but_fingerprints(a: str, b: str) -> bool:
    return FINGERPRINT.sub("hmac:…", a) == FINGERPRINT.sub("hmac:…", b)


def current_report() -> str:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("FORCE_COLOR", None)
    out = subprocess.run(
        [sys.executable, "-m", "parity", "check", "examples/shop", "--env", "production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    # Rich pads table captions and rules with spaces up to the width; trailing blanks are noise in a README.
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    match = BLOCK.search(text)
    if match is None:
        print("README.md has no report block", file=sys.stderr)
        return 2
    report = current_report()
    if "--check" in sys.argv:
        return 0 if same_but_fingerprints(match.group(2), report) else 1
    readme.write_text(text[: match.start(2)] + report + text[match.end(2) :])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
