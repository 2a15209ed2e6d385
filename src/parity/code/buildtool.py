"""Variables a JavaScript build tool defines itself: no environment has to set them.

Create React App (``react-scripts``) sets ``PUBLIC_URL`` at build time from ``homepage`` (and
``NODE_ENV``, a system variable everywhere); a read of it in such a package is no key production
lacks. Known by the package's own ``package.json``, the nearest one above the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from parity.code.refs import Reference

#: Build tool (a dependency name) → the variables it defines for the code it builds.
_DEFINED = {"react-scripts": frozenset({"PUBLIC_URL", "FAST_REFRESH"})}
_MAX_BYTES = 1_000_000


def _defined_by(package: Path) -> frozenset[str]:
    try:
        if package.stat().st_size > _MAX_BYTES or package.is_symlink():
            return frozenset()
        data = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return frozenset()
    if not isinstance(data, dict):
        return frozenset()
    deps: set[str] = set()
    for section in ("dependencies", "devDependencies"):
        value = data.get(section)
        if isinstance(value, dict):
            deps |= set(value)
    return frozenset().union(*(names for tool, names in _DEFINED.items() if tool in deps))


def drop_build_defined(root: Path, refs: Iterable[Reference]) -> list[Reference]:
    """``refs`` without the JS reads of variables the file's build tool defines."""
    cache: dict[PurePosixPath, frozenset[str]] = {}

    def defined(folder: PurePosixPath) -> frozenset[str]:
        if folder not in cache:
            package = root / folder / "package.json"
            if package.is_file():
                cache[folder] = _defined_by(package)
            elif folder == folder.parent:
                cache[folder] = frozenset()
            else:
                cache[folder] = defined(folder.parent)
        return cache[folder]

    wanted = frozenset().union(*_DEFINED.values())
    return [
        r
        for r in refs
        if not (
            r.language == "javascript"
            and r.name in wanted
            and r.name in defined(PurePosixPath(r.file).parent)
        )
    ]
