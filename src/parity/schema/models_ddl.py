"""Child process: import SQLAlchemy models and print the DDL ``create_all`` would run.

``python -m parity.schema.models_ddl ROOT module:Base DIALECT`` prints one JSON line,
``{"ddl": [statement, …]}`` or ``{"error": "…"}``. It runs the repository's code, so the parent
starts it with none of its own environment, and it connects to nothing: the DDL is rendered
against SQLAlchemy's mock engine, then screened and loaded by the parent like a schema file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def render(source: str, root: Path, dialect_name: str) -> list[str]:
    from sqlalchemy import create_mock_engine

    from parity.schema.sources import import_metadata

    metadata = import_metadata(source, root)
    statements: list[str] = []

    def collect(sql: Any, *_args: Any, **_kwargs: Any) -> None:
        statements.append(str(sql.compile(dialect=engine.dialect)).strip())

    engine = create_mock_engine(f"{dialect_name}://", collect)
    metadata.create_all(engine, checkfirst=False)
    return [s for s in statements if s]


def main(argv: list[str]) -> int:
    from parity.errors import ParityError

    root, source, dialect_name = Path(argv[0]), argv[1], argv[2]
    try:
        answer: dict[str, Any] = {"ddl": render(source, root, dialect_name)}
    except ParityError as exc:
        answer = {"error": exc.message}
    except Exception as exc:
        answer = {
            "error": f"create_all failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        }
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
