"""Check that each python-dotenv release reads back exactly what parity's env writer writes.

    python scripts/dotenv_roundtrip.py                 # every release from 1.0.0 to 1.2.4
    python scripts/dotenv_roundtrip.py 1.0.0 1.2.4     # the ones named

parity (with the python-dotenv it is installed with) edits a key of many small env files to
hostile values (raw CR and LF, backslashes, quotes, ``#``, spaces, unicode, BOM, CRLF) and appends
a new key with the same value. Each release is installed with pip into a temporary ``--target``
folder, and a child interpreter that sees only that folder (``-S``) reads every written file with
``dotenv_values(path)``, as an application's ``load_dotenv()`` would. Any value that differs is
printed; the exit status is 1 if there was one. Needs the package index (pip).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from parity.env.edit import SetKey, apply_edits
from parity.env.parse import parse_text
from parity.errors import WriteRefused

RELEASES = ["1.0.0", "1.0.1", "1.1.0", "1.1.1", "1.2.0", "1.2.1", "1.2.2", "1.2.3", "1.2.4"]

# The line the edited key starts on.
ORIGINALS = [
    "A=1\n",
    "A=1 # c\n",
    "A='1' # c\n",
    'export A="1"\n',
    "A= # c\n",
    "  A = 1   # c\n",
    "A='1'#c\n",
    'A="one\ntwo"\n',
    "A\n",
]
# Around it: quotes after it, so a quoted value that runs on (python-dotenv < 1.2.3) shows.
BEFORE = "PRE=1\n\n# about A\n"
AFTER = "B=\"b\" # keep\nC='c'\n\nD=3\n"
OTHERS = {"PRE": "1", "B": "b", "C": "c", "D": "3"}

FIXED = [
    "x\ry",
    "a\r\nb",
    "line\nnext",
    "trail\\",
    "a b\\",
    "\\",
    "\\\\",
    '\\"',
    "\\'",
    'q"uote',
    "q'uote",
    "#hash",
    "a #b",
    "a#b",
    " lead",
    "trail ",
    "\t",
    "ünïcødé ✓ 🎉",
    "$HOME",
    "${",
    "'quoted'",
    '"double"',
    "\\n",
    "",
]
ALPHABET = list("aZ0 \t\r\n\\'\"#$=é🎉\x0b\x85\u2028")

CHILD = r"""
import json, os, sys, tempfile
import dotenv
from dotenv import dotenv_values
cases = json.load(open(sys.argv[1], encoding="utf-8"))
bad = []
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, ".env")
    for case in cases:
        with open(path, "wb") as f:
            f.write(case["text"].encode("utf-8"))
        got = {k.lstrip("\ufeff"): v for k, v in dotenv_values(path).items()}
        if got != case["expected"]:
            bad.append({"text": case["text"], "expected": case["expected"], "got": got})
print(json.dumps({"module": dotenv.__file__, "cases": len(cases), "bad": bad}))
"""


def values(count: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    out = list(FIXED)
    for _ in range(count):
        out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10))))
    return out


def corpus(count: int) -> tuple[list[dict[str, object]], Counter[str]]:
    cases: list[dict[str, object]] = []
    refused: Counter[str] = Counter()
    for value in values(count):
        for original in ORIGINALS:
            for newline in ("\n", "\r\n"):
                for bom in ("", "\ufeff"):
                    text = bom + (BEFORE + original + AFTER).replace("\n", newline)
                    try:
                        out = apply_edits(parse_text(text), [SetKey("A", value), SetKey("NEW", value)])
                    except WriteRefused as err:
                        refused[err.message.split(": ", 1)[-1]] += 1
                        continue
                    cases.append({"text": out, "expected": {**OTHERS, "A": value, "NEW": value}})
    return cases, refused


def check(version: str, cases_file: Path, work: Path) -> dict[str, object]:
    target = work / f"dotenv-{version}"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
    subprocess.run([*pip, f"python-dotenv=={version}"], check=True)
    done = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, str(cases_file)],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    assert str(result["module"]).startswith(str(target)), result["module"]
    return result


def main(argv: list[str]) -> int:
    versions = argv or RELEASES
    cases, refused = corpus(count=400)
    print(f"{len(cases)} written files, {sum(refused.values())} edits refused:")
    for reason, n in refused.most_common():
        print(f"  {n:6}  {reason}")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases_file = work / "cases.json"
        cases_file.write_text(json.dumps(cases), encoding="utf-8")
        for version in versions:
            result = check(version, cases_file, work)
            bad = result["bad"]
            assert isinstance(bad, list)
            print(f"python-dotenv {version}: {result['cases']} files read, {len(bad)} differ")
            for b in bad[:5]:
                print(f"    {b['text']!r}: expected {b['expected']!r}, got {b['got']!r}")
            failed = failed or bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
