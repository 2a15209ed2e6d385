"""Integrity verification on real databases: the database builds per-chunk digests; any changed
value, lost row, lost column or lost table is found, and NULL is not the string 'NULL'."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.migrate.runtime import open_runtime
from parity.verify import integrity
from test_migrate_helpers import DIALECTS, Db, make_db, sqlite_db


@pytest.fixture(params=DIALECTS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    return make_db(request, tmp_path)


def _seed(db: Db, rows: int = 25) -> None:
    db.run("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50), qty INTEGER NOT NULL)")
    db.run("CREATE TABLE tags (label VARCHAR(20), weight INTEGER)")  # no primary key: one chunk
    values = ", ".join(
        f"({i}, {('NULL' if i % 5 == 0 else repr(f'näme {i}'))}, {i * 3})" for i in range(1, rows + 1)
    )
    db.run(f"INSERT INTO items (id, name, qty) VALUES {values}")
    db.run("INSERT INTO tags (label, weight) VALUES ('a', 1), ('NULL', 2), (NULL, 3)")


def _snap(db: Db, chunk: int = 7, progress=None) -> integrity.Snapshot:  # type: ignore[no-untyped-def]
    rt = open_runtime(db.url, read_only=True)
    try:
        return integrity.snapshot(rt, chunk=chunk, progress=progress)
    finally:
        rt.close()


def test_snapshot_is_stable_and_survives_an_added_column(db: Db) -> None:
    _seed(db)
    calls: list[tuple[str, int]] = []
    before = _snap(db, progress=lambda t, n: calls.append((t, n)))
    assert before.table("items") is not None and before.table("items").rows == 25  # type: ignore[union-attr]
    # 25 rows in chunks of 7: four chunks reported as they stream; the key-less table in one.
    assert [n for t, n in calls if t == "items"] == [7, 14, 21, 25]
    assert [n for t, n in calls if t == "tags"] == [3]
    assert _snap(db) == before
    db.run("ALTER TABLE items ADD COLUMN note VARCHAR(20) DEFAULT 'x'")
    assert integrity.compare(before, _snap(db)) == ()


@pytest.mark.parametrize(
    ("change", "code", "key"),
    [
        ("UPDATE items SET qty = 1000 WHERE id = 17", "VER004", "items"),
        ("UPDATE items SET name = 'NULL' WHERE id = 5", "VER004", "items"),  # NULL became the string 'NULL'
        ("DELETE FROM items WHERE id = 3", "VER002", "items"),
        ("UPDATE tags SET label = 'b' WHERE weight = 1", "VER004", "tags"),
        ("DROP TABLE tags", "VER001", "tags"),
    ],
    ids=["value", "null-vs-string", "row", "keyless-value", "table"],
)
def test_any_loss_is_found(db: Db, change: str, code: str, key: str) -> None:
    _seed(db)
    before = _snap(db)
    db.run(change)
    found = integrity.compare(before, _snap(db))
    assert [(f.code, f.key) for f in found] == [(code, key)]
    assert all(f.severity.value == "error" and f.area == "verify" for f in found)


def test_changed_value_names_the_column(db: Db) -> None:
    _seed(db)
    before = _snap(db)
    db.run("UPDATE items SET qty = 0 WHERE id = 9")
    (f,) = integrity.compare(before, _snap(db))
    assert "items.qty" in f.message


def test_dropped_column_is_found(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    _seed(lite)
    before = _snap(lite)
    lite.run("ALTER TABLE items DROP COLUMN name")
    assert [f.code for f in integrity.compare(before, _snap(lite))] == ["VER003"]


def test_sqlite_rebuild_keeps_digests(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    _seed(lite)
    before = _snap(lite)
    lite.run(
        "CREATE TABLE _new_items (id INTEGER PRIMARY KEY, name VARCHAR(50), qty INTEGER NOT NULL, extra TEXT);"
        "INSERT INTO _new_items (id, name, qty) SELECT id, name, qty FROM items;"
        "DROP TABLE items; ALTER TABLE _new_items RENAME TO items;"
    )
    assert integrity.compare(before, _snap(lite)) == ()


def test_sqlite_health_checks(tmp_path: Path) -> None:
    lite = sqlite_db(tmp_path)
    lite.run(
        "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id))"
    )
    rt = open_runtime(lite.url, read_only=True)
    assert integrity.health(rt) == ()
    rt.close()
    lite.run("INSERT INTO c VALUES (1, 42)")  # foreign keys are not enforced on this connection
    rt = open_runtime(lite.url, read_only=True)
    try:
        assert [f.code for f in integrity.health(rt)] == ["VER006"]
    finally:
        rt.close()


def test_snapshot_round_trips_through_json() -> None:
    snap = integrity.Snapshot((integrity.TableDigest("t", 2, (("a", "x"), ("b", "y"))),))
    assert integrity.Snapshot.from_dict(snap.as_dict()) == snap


def test_other_sessions_writes_excuse_counts_and_digests_but_never_a_gone_column() -> None:
    before = integrity.Snapshot((integrity.TableDigest("t", 2, (("a", "x"), ("b", "y"))),))
    grown = integrity.Snapshot((integrity.TableDigest("t", 3, (("a", "x2"), ("b", "y2"))),))
    shrunk = integrity.Snapshot((integrity.TableDigest("t", 3, (("a", "x2"),)),))
    assert [f.code for f in integrity.compare(before, grown)] == ["VER002"]
    assert [(f.code, f.severity.value) for f in integrity.compare(before, grown, written={"t": 1})] == [
        ("VER008", "warning")
    ]
    findings = integrity.compare(before, shrunk, written={"t": 1})
    assert [f.code for f in findings] == ["VER003", "VER008"]
    assert "t.b" in findings[0].message and "other old columns" in findings[1].message
