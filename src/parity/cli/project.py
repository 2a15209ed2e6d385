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
    # A link is written at its target only when that stays inside the repository.
    target = guarded(lambda: project.fs.write_target(project.root / "parity.toml"))
    if target.exists() and not force:
        raise fail_usage(f"{target} exists; use --force to overwrite it")
    if not project.services:
        raise fail_usage(
            f"{project.root}: found no services: no compose service, Kubernetes workload, or folder "
            "with a .env.example / .env.<environment> file up to depth 3; nothing written"
        )
    services: dict[str, dict[str, object]] = {}
    for s in project.services:
        entry: dict[str, object] = {"path": project.rel(s.path), "overrides": []}
        if s.image_only:
            entry["image_only"] = True
        elif s.code is not None and s.code != s.path:
            entry["code"] = project.rel(s.code)
        if not s.inherits_root:
            entry["root_env"] = False
        services[s.name] = entry
    for name in project.idle:
        # Listed so the config names every service; with no env given, nothing of it is checked.
        services[name] = {"path": ".", "image_only": True}
    data: dict[str, object] = {
        "environments": list(project.environments),
        "overrides": [],
        "services": services,
    }
    header = "# parity configuration, written by `parity init`. Docs: README.md of parity.\n"
    guarded(lambda: atomic_write_text(target, header + tomli_w.dumps(data)))
    runtime = sum(1 for s in project.services if s.units) + len(project.idle)
    image_only = sum(1 for s in project.services if s.image_only)
    echo(
        f"wrote {target} ({len(project.services) + len(project.idle)} services: {runtime} from compose/Kubernetes, "
        f"{image_only + len(project.idle)} image-only, {len(project.idle)} of them given no env; environments: {', '.join(project.environments) or 'none found'})"
    )


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
