"""Store interface conformance from real source snippets: Protocol and ABC, keyword-only and
defaulted parameters, *args/**kwargs, async, classes spread over files, a file that does not parse."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parity.store.interface import (
    Conformance,
    Member,
    MemberKind,
    Param,
    ParamKind,
    check_interfaces,
    class_members,
    incompatibilities,
)
from parity.store.source import parse_source, scan_project


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def check(root: Path, configured: list[str] | None = None) -> dict[str, Conformance]:
    return {c.interface.name: c for c in check_interfaces(scan_project(root), configured)}


def gaps(conf: Conformance) -> dict[tuple[str, str], tuple[str, ...] | None]:
    """(implementation, member) → problems, or None when the member is missing."""
    return {(g.implementation.name, g.member): (None if g.actual is None else g.problems) for g in conf.gaps}


def method(source: str) -> Member:
    """The single method of ``class C`` in ``source``."""
    found, problem = parse_source(textwrap.dedent(source), Path("m.py"))
    assert problem is None
    node = found[0].node
    members = class_members(node, protocol=False)  # type: ignore[arg-type]
    (m,) = members.values()
    return m


P = ParamKind


@pytest.mark.parametrize(
    ("name", "iface", "impl", "expected"),
    [
        ("identical", "def f(self, a, b=1): ...", "def f(self, a, b=1): ...", []),
        ("extra optional param", "def f(self, a): ...", "def f(self, a, b=None): ...", []),
        ("extra keyword-only with default", "def f(self, a): ...", "def f(self, a, *, b=2): ...", []),
        (
            "new required param",
            "def f(self, a): ...",
            "def f(self, a, b): ...",
            ["new required parameter 'b'"],
        ),
        (
            "new required keyword-only",
            "def f(self, a): ...",
            "def f(self, a, *, b): ...",
            ["new required parameter 'b'"],
        ),
        ("removed param", "def f(self, a, b): ...", "def f(self, a): ...", ["parameter 'b' is missing"]),
        ("renamed", "def f(self, order_id): ...", "def f(self, oid): ...", ["renamed 'oid'"]),
        (
            "moved",
            "def f(self, a, b): ...",
            "def f(self, b, a): ...",
            ["moved from position 1", "moved from position 2"],
        ),
        (
            "default dropped",
            "def f(self, a=1): ...",
            "def f(self, a): ...",
            ["has a default in the interface"],
        ),
        ("default added is fine", "def f(self, a): ...", "def f(self, a=1): ...", []),
        ("keyword-only kept", "def f(self, *, a, b=1): ...", "def f(self, *, b=1, a): ...", []),
        (
            "keyword-only missing",
            "def f(self, *, a): ...",
            "def f(self): ...",
            ["keyword-only parameter 'a' is missing"],
        ),
        ("keyword-only taken as positional", "def f(self, *, a): ...", "def f(self, a): ...", []),
        (
            "positional made keyword-only",
            "def f(self, a): ...",
            "def f(self, *, a): ...",
            ["is keyword-only in the implementation but positional"],
        ),
        (
            "*args and **kwargs absorb everything",
            "def f(self, a, *, b): ...",
            "def f(self, *args, **kwargs): ...",
            [],
        ),
        ("**kwargs absorbs keyword-only", "def f(self, *, b): ...", "def f(self, **kw): ...", []),
        ("*args lost", "def f(self, *ids): ...", "def f(self): ...", ["*ids is not accepted"]),
        ("**kwargs lost", "def f(self, **opts): ...", "def f(self, *args): ...", ["**opts is not accepted"]),
        ("positional-only renamed is fine", "def f(self, a, /): ...", "def f(self, x, /): ...", []),
        (
            "positional made positional-only",
            "def f(self, a): ...",
            "def f(self, a, /): ...",
            ["positional-only in the implementation"],
        ),
        (
            "async vs sync",
            "async def f(self): ...",
            "def f(self): ...",
            ["is async in the interface but not async"],
        ),
        (
            "sync vs async",
            "def f(self): ...",
            "async def f(self): ...",
            ["is not async in the interface but async"],
        ),
        (
            "staticmethod keeps first param",
            "@staticmethod\ndef f(a): ...",
            "@staticmethod\ndef f(b): ...",
            ["renamed 'b'"],
        ),
    ],
)
def test_incompatibilities(name: str, iface: str, impl: str, expected: list[str]) -> None:
    def cls(body: str) -> str:
        return "class C:\n" + textwrap.indent(body, "    ") + "\n"

    problems = incompatibilities(method(cls(iface)), method(cls(impl)))
    assert len(problems) == len(expected), (name, problems)
    for want, got in zip(expected, problems, strict=True):
        assert want in got, (name, problems)


def test_signature_text_shows_markers() -> None:
    m = Member(
        "f",
        1,
        MemberKind.METHOD,
        (Param("a", P.POSITIONAL_ONLY), Param("b", P.POSITIONAL, True), Param("c", P.KEYWORD_ONLY)),
        is_async=True,
    )
    assert m.signature() == "async f(a, /, b=…, *, c)"


def test_protocol_over_several_files_with_all_parameter_kinds(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/store.py": """
                from __future__ import annotations
                from typing import Protocol

                class Store(Protocol):
                    def get(self, order_id: int, /) -> dict | None: ...
                    def add(self, customer_id: int, total: int, *, note: str | None = None) -> int: ...
                    async def fetch(self, *ids: int, **opts: str) -> list[dict]: ...
                    def close(self) -> None:
                        \"\"\"Release resources.\"\"\"
                    @property
                    def name(self) -> str: ...
            """,
            "app/backends/sql.py": """
                from app.store import Store

                class SqlStore:
                    name = "sql"
                    def get(self, order_id, /): ...
                    def add(self, customer_id, total, *, note=None, retries=3): ...
                    async def fetch(self, *ids, **opts): ...
                    def close(self): ...
            """,
            "app/backends/memory.py": """
                from app.store import Store

                class InMemoryStore(Store):
                    def __init__(self) -> None:
                        self.name = "memory"
                    def get(self, order_id): ...
                    def fetch(self, *ids): ...
            """,
        },
    )
    conf = check(tmp_path)["Store"]
    assert sorted(i.name for i in conf.implementations) == ["InMemoryStore", "SqlStore"]
    g = gaps(conf)
    # SqlStore is fine: an extra defaulted keyword-only parameter breaks no caller.
    assert not [k for k in g if k[0] == "SqlStore"]
    assert g[("InMemoryStore", "add")] is None
    assert (
        g[("InMemoryStore", "close")] is None
    )  # a Protocol body of only a docstring is not an implementation
    problems = g[("InMemoryStore", "fetch")]
    assert problems is not None
    assert any("async" in p for p in problems) and any("**opts" in p for p in problems)
    assert ("InMemoryStore", "name") not in g  # set on self in __init__
    assert ("InMemoryStore", "get") not in g  # positional-only in the interface: any name works


def test_abc_concrete_methods_are_inherited_abstract_ones_required(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "repo/base.py": """
                import abc

                class OrderRepository(abc.ABC):
                    @abc.abstractmethod
                    def save(self, order, *, flush: bool = True) -> None: ...

                    @abc.abstractmethod
                    async def load(self, order_id: int): ...

                    def save_all(self, orders) -> None:
                        for o in orders:
                            self.save(o)
            """,
            "repo/sql.py": """
                from repo.base import OrderRepository

                class SqlOrderRepository(OrderRepository):
                    def save(self, order, flush=True): ...
                    async def load(self, order_id): ...
            """,
            "repo/fake.py": """
                from repo.base import OrderRepository

                class FakeOrderRepository(OrderRepository):
                    def save(self, order, *, flush): ...
            """,
        },
    )
    conf = check(tmp_path)["OrderRepository"]
    g = gaps(conf)
    assert ("SqlOrderRepository", "save_all") not in g  # inherited from the ABC
    assert not [k for k in g if k[0] == "SqlOrderRepository"]
    assert g[("FakeOrderRepository", "load")] is None
    problems = g[("FakeOrderRepository", "save")]
    assert problems and "has a default in the interface" in problems[0]


def test_metaclass_abc_and_intermediate_base_class(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "s.py": """
                from abc import ABCMeta, abstractmethod

                class BlobStore(metaclass=ABCMeta):
                    @abstractmethod
                    def put(self, key: str, data: bytes) -> None: ...
                    @abstractmethod
                    def get(self, key: str) -> bytes: ...

                class _Base(BlobStore):
                    def get(self, key):
                        return b""

                class DiskBlobStore(_Base):
                    def put(self, key, data): ...

                class BrokenBlobStore(_Base):
                    pass
            """
        },
    )
    g = gaps(check(tmp_path)["BlobStore"])
    assert ("DiskBlobStore", "get") not in g  # found on the intermediate base
    assert g == {("BrokenBlobStore", "put"): None}


def test_unrelated_class_with_the_same_suffix_is_not_an_implementation(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": """
                from typing import Protocol

                class Store(Protocol):
                    def add_order(self, customer_id: int) -> int: ...
                    def get_order(self, order_id: int) -> dict: ...
            """,
            "b.py": """
                class SessionStore:  # e.g. a web framework's: nothing in common with Store
                    def load(self, key): ...
                    def save(self, key, value): ...

                class CachedStore:
                    def add_order(self, customer_id): ...
            """,
        },
    )
    conf = check(tmp_path)["Store"]
    assert [i.name for i in conf.implementations] == ["CachedStore"]
    assert gaps(conf) == {("CachedStore", "get_order"): None}


def test_most_specific_interface_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                from typing import Protocol

                class Store(Protocol):
                    def ping(self) -> bool: ...

                class OrderStore(Store, Protocol):
                    def get_order(self, order_id: int) -> dict: ...

                class SqlOrderStore:
                    def ping(self): ...

                class MemoryOrderStore(OrderStore):
                    def get_order(self, order_id): ...
            """
        },
    )
    result = check(tmp_path)
    assert set(result["OrderStore"].contract) == {"ping", "get_order"}
    assert gaps(result["OrderStore"]) == {
        ("SqlOrderStore", "get_order"): None,
        ("MemoryOrderStore", "ping"): None,
    }
    assert not result["Store"].implementations


def test_unreadable_base_makes_a_missing_method_uncertain(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                from typing import Protocol
                from somelib import RedisMixin

                class Store(Protocol):
                    def get(self, key: str) -> str: ...
                    def put(self, key: str, value: str) -> None: ...

                class RedisStore(RedisMixin):
                    def get(self, key): ...
            """
        },
    )
    (gap,) = check(tmp_path)["Store"].gaps
    assert gap.member == "put" and gap.uncertain


def test_getattr_and_overloads_are_not_second_guessed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                from typing import Protocol, overload

                class Store(Protocol):
                    @overload
                    def get(self, key: int) -> str: ...
                    @overload
                    def get(self, key: str) -> str: ...
                    def put(self, key: str) -> None: ...

                class ProxyStore:
                    def get(self, k, extra): ...
                    def __getattr__(self, name): ...

                class ListStore:
                    def get(self, whatever, more): ...
                    def put(self, key): ...
            """
        },
    )
    assert check(tmp_path)["Store"].gaps == ()


def test_syntax_error_in_one_file_is_reported_and_the_rest_checked(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/store.py": """
                from typing import Protocol

                class Store(Protocol):
                    def get(self, key: str) -> str: ...
                    def put(self, key: str, value: str) -> None: ...
            """,
            "app/memory.py": """
                class InMemoryStore:
                    def get(self, key): ...
            """,
            "app/broken.py": """
                class SqlStore:
                    def get(self, key:
                        return 1
            """,
        },
    )
    index = scan_project(tmp_path)
    (problem,) = index.problems
    assert problem.file.name == "broken.py" and problem.line == 3 and "syntax error" in problem.message
    (conf,) = check_interfaces(index)
    assert gaps(conf) == {("InMemoryStore", "put"): None}


def test_configured_interface_names_replace_the_name_pattern(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                from typing import Protocol

                class Store(Protocol):
                    def get(self) -> None: ...

                class Gateway:
                    def send(self, msg): raise NotImplementedError

                class EmailGateway(Gateway):
                    pass
            """
        },
    )
    result = check(tmp_path, ["Gateway"])
    assert set(result) == {"Gateway"}
    assert gaps(result["Gateway"]) == {("EmailGateway", "send"): None}


def test_test_files_are_not_scanned(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                from typing import Protocol

                class Store(Protocol):
                    def get(self) -> None: ...
                    def put(self) -> None: ...
            """,
            "tests/test_x.py": """
                class FakeStore:  # a partial double on purpose
                    def get(self): ...
            """,
            "x_test.py": "class OtherStore:\n    def get(self): ...\n",
        },
    )
    assert check(tmp_path)["Store"].implementations == ()


def test_plain_class_with_not_implemented_method_is_not_an_interface(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "x.py": """
                class SqlStore:
                    def get(self): ...

                class ReadOnlyStore(SqlStore):
                    def put(self):
                        raise NotImplementedError("read only")
            """
        },
    )
    assert check(tmp_path) == {}
