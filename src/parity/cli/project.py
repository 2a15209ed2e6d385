"""``parity init``: write what discovery found to parity.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parity.cli.common import echo, fail_usage, guarded


def init_cmd(
    path: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing parity.toml.")] = False,
) -> None:
    """Discover services and environments and write them to parity.toml (edit it to name overrides)."""
    import tomli_w

    from parity.env.write import atomic_write_text
    from parity.project import discover

    project = guarded(lambda: discover(path))
    target = project.root / "parity.toml"
    if target.exists() and not force:
        raise fail_usage(f"{target} exists; use --force to overwrite it")
    data: dict[str, object] = {
        "environments": list(project.environments),
        "reference": "example",
        "overrides": [],
        "services": {s.name: {"path": project.rel(s.path), "overrides": []} for s in project.services},
    }
    header = "# parity configuration, written by `parity init`. Docs: README.md of parity.\n"
    guarded(lambda: atomic_write_text(target, header + tomli_w.dumps(data)))
    echo(
        f"wrote {target} ({len(project.services)} services, environments: {', '.join(project.environments)})"
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
