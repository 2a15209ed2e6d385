"""``parity.sum``: edited, reordered, removed or added migration files are detected and named."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.errors import MigrationError
from parity.migrate import checksum
from parity.migrate import dir as mdir


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    mdir.write(folder, "create users", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    mdir.write(
        folder,
        "add email",
        "ALTER TABLE users ADD COLUMN email TEXT;",
        "ALTER TABLE users DROP COLUMN email;",
    )
    mdir.write(
        folder, "add name", "ALTER TABLE users ADD COLUMN name TEXT;", "ALTER TABLE users DROP COLUMN name;"
    )
    return folder


def test_written_sum_verifies_and_lists_every_file_with_a_running_hash(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    s = checksum.verify(folder)
    names = [n for n, _ in s.entries]
    assert names == [
        "V0001__create_users.up.sql",
        "V0001__create_users.down.sql",
        "V0002__add_email.up.sql",
        "V0002__add_email.down.sql",
        "V0003__add_name.up.sql",
        "V0003__add_name.down.sql",
    ]
    text = (folder / "parity.sum").read_text()
    assert text.splitlines()[0] == f"h1:{s.total}"
    assert s.entries[-1][1] == s.total  # the last running hash is the total
    assert len({h for _, h in s.entries}) == 6


@pytest.mark.parametrize(
    ("tamper", "message", "culprit"),
    [
        (
            lambda f: (f / "V0002__add_email.up.sql").write_text("ALTER TABLE users ADD COLUMN mail TEXT;\n"),
            "was edited",
            "V0002__add_email.up.sql",
        ),
        (lambda f: (f / "V0002__add_email.down.sql").unlink(), "is missing", "V0002__add_email.down.sql"),
        (
            lambda f: (f / "V0004__extra.up.sql").write_text("SELECT 1;\n"),
            "added without updating parity.sum",
            "V0004__extra.up.sql",
        ),
        (
            # Swap the order of two migrations by renumbering them.
            lambda f: [
                (f / "V0002__add_email.up.sql").rename(f / "V0009__add_email.up.sql"),
                (f / "V0002__add_email.down.sql").rename(f / "V0009__add_email.down.sql"),
            ],
            "out of order",
            "V0009__add_email.up.sql",
        ),
        (
            lambda f: (f / "V0001__create_users.up.sql").write_bytes(
                b"CREATE TABLE users (id INTEGER PRIMARY KEY);  \n"
            ),
            "was edited",
            "V0001__create_users.up.sql",
        ),
    ],
    ids=["edited", "missing", "added", "reordered", "whitespace-edit"],
)
def test_tampering_is_refused_naming_the_file(tmp_path: Path, tamper, message: str, culprit: str) -> None:  # type: ignore[no-untyped-def]
    folder = _folder(tmp_path)
    tamper(folder)
    with pytest.raises(MigrationError, match=message) as info:
        checksum.verify(folder)
    assert info.value.file is not None and info.value.file.endswith(culprit)


def test_a_folder_without_sum_is_refused_but_an_empty_one_is_fine(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "parity.sum").unlink()
    with pytest.raises(MigrationError, match=r"no parity\.sum") as info:
        checksum.verify(folder)
    assert info.value.hint is not None and "parity migrate hash" in info.value.hint
    assert checksum.verify(tmp_path / "nothing-here").entries == ()


def test_malformed_sum_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "parity.sum").write_text("not a sum\n")
    with pytest.raises(MigrationError, match=r"not a parity\.sum file") as info:
        checksum.verify(folder)
    assert info.value.line == 1


def test_bad_file_names_and_duplicate_versions_are_errors(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "0004_add_x.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="not a migration file name"):
        mdir.load(folder)
    (folder / "0004_add_x.sql").unlink()
    (folder / "V0003__other.up.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="two migrations with version 0003"):
        mdir.load(folder)
    (folder / "V0003__other.up.sql").unlink()
    (folder / "V0008__orphan.down.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="down migration without its up"):
        mdir.load(folder)


def test_new_migration_is_not_stacked_on_a_tampered_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "V0001__create_users.up.sql").write_text("DROP TABLE users;\n")
    with pytest.raises(MigrationError, match="was edited"):
        mdir.write(folder, "more", "SELECT 1;", "SELECT 1;")
    assert not list(folder.glob("V0004*"))


def test_versions_numbers_and_slugs() -> None:
    assert mdir.slug("Add order status!") == "add_order_status"
    with pytest.raises(MigrationError):
        mdir.slug("!!!")
    assert mdir.next_version(()) == "0001"


def test_no_transaction_directive_is_read_from_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    m = mdir.write(
        folder, "idx", "-- parity:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);", "SELECT 1;"
    )
    plain = mdir.write(folder, "plain", "CREATE INDEX i2 ON t (a);", "SELECT 1;")
    assert not m.transactional and plain.transactional
