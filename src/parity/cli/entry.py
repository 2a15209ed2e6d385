"""The ``parity`` executable. ``parity lint`` on plain files (CI's gate on every push) runs
before typer is imported (:mod:`parity.cli.lint_direct`); everything else goes to typer's app."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["lint"]:
        from parity.cli.lint_direct import run

        code = run(sys.argv[2:])
        if code is not None:
            sys.exit(code)
    from parity.cli.app import main as app_main

    app_main()
