"""Python extraction by AST: aliases, defaults, dynamic names, settings classes, SDK calls, non-references."""

from __future__ import annotations

import textwrap

import pytest

from parity.code.python_refs import python_references


def refs(src: str) -> list[tuple[str, int, str | None, bool, bool, bool]]:
    return [
        (r.name, r.line, r.default, r.has_default, r.crashes, r.dynamic)
        for r in python_references(textwrap.dedent(src))
    ]


CASES = [
    ("getenv with default", 'import os\nos.getenv("A", "x")\n', [("A", 2, "x", True, False, False)]),
    (
        "getenv keyword default",
        'import os\nos.getenv("A", default="1")\n',
        [("A", 2, "1", True, False, False)],
    ),
    ("getenv no default", 'import os\nos.getenv("A")\n', [("A", 2, None, False, False, False)]),
    ("environ subscript crashes", 'import os\nos.environ["A"]\n', [("A", 2, None, False, True, False)]),
    ("environ.get", 'import os\nos.environ.get("A", 3)\n', [("A", 2, "3", True, False, False)]),
    ("setdefault", 'import os\nos.environ.setdefault("A", "d")\n', [("A", 2, "d", True, False, False)]),
    ("in environ", 'import os\nif "A" in os.environ: pass\n', [("A", 2, None, True, False, False)]),
    ("import os as o", 'import os as o\no.getenv("A")\n', [("A", 2, None, False, False, False)]),
    (
        "from os import getenv as ge",
        'from os import getenv as ge\nge("A", "d")\n',
        [("A", 2, "d", True, False, False)],
    ),
    (
        "from os import environ",
        'from os import environ\nenviron["A"]\n',
        [("A", 2, None, False, True, False)],
    ),
    (
        "env = os.environ alias",
        'import os\nenv = os.environ\nenv["A"]\nenv.get("B")\n',
        [("A", 3, None, False, True, False), ("B", 4, None, False, False, False)],
    ),
    (
        "chained alias",
        'import os\ne = os.environ\nget = e.get\nget("A", "z")\n',
        [("A", 4, "z", True, False, False)],
    ),
    ("constant name", 'import os\nKEY = "A"\nos.environ[KEY]\n', [("A", 3, None, False, True, False)]),
    (
        "f-string is dynamic",
        'import os\nx = 1\nos.getenv(f"FEATURE_{x}")\n',
        [("FEATURE_*", 3, None, False, False, True)],
    ),
    (
        "concatenation is dynamic",
        'import os\ndef f(n):\n    return os.environ["FF_" + n]\n',
        [("FF_*", 3, None, False, True, True)],
    ),
    ("format is dynamic", 'import os\nos.getenv("X_{}".format(1))\n', [("X_*", 2, None, False, False, True)]),
    (
        "literal concatenation is not dynamic",
        'import os\nos.getenv("A_" + "B")\n',
        [("A_B", 2, None, False, False, False)],
    ),
    ("writes are not reads", 'import os\nos.environ["A"] = "1"\ndel os.environ["B"]\n', []),
    (
        "comment and string mention only",
        '# os.getenv("A")\ns = "os.environ[\'B\']"\n"""os.getenv("C")"""\n',
        [],
    ),
    ("unrelated getenv", 'import mylib\nmylib.getenv("A")\nd = {}\nd["B"]\n', []),
]


@pytest.mark.parametrize(("name", "src", "expected"), CASES, ids=[c[0] for c in CASES])
def test_python_reads(name: str, src: str, expected: list[tuple[object, ...]]) -> None:
    assert refs(src) == expected


def test_pydantic_settings_fields() -> None:
    src = """
    from pydantic import Field
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="SHOP_")
        database_url: str
        debug: bool = False
        bucket: str = Field("b", alias="EXPORTS_BUCKET")
        token: str = Field(...)
        _private: int = 1

    class NotSettings:
        other: str = "x"
    """
    got = refs(src)
    assert got == [
        ("SHOP_DATABASE_URL", 7, None, False, True, False),
        ("SHOP_DEBUG", 8, "False", True, False, False),
        ("EXPORTS_BUCKET", 9, "b", True, False, False),
        ("SHOP_TOKEN", 10, None, False, True, False),
    ]


def test_flag_sdk_calls() -> None:
    src = """
    ld.variation("new-checkout", ctx, False)
    unleash.is_enabled("beta-search")
    client.get_boolean_value("dark-mode", True)
    gb.is_on("promo")
    button.is_enabled()
    ld.variation(name, ctx, False)
    """
    got = [(r.name, r.kind, r.via, r.default) for r in python_references(textwrap.dedent(src))]
    assert got == [
        ("new-checkout", "sdk", "LaunchDarkly variation", "False"),
        ("beta-search", "sdk", "Unleash is_enabled", None),
        ("dark-mode", "sdk", "OpenFeature get_boolean_value", "True"),
        ("promo", "sdk", "GrowthBook is_on", None),
    ]


def test_syntax_error_raises() -> None:
    with pytest.raises(SyntaxError):
        python_references("def broken(:\n")


def _full_walk(src: str) -> list[tuple[str, int]]:
    import ast

    from parity.code.python_refs import Bindings, reads_in

    tree = ast.parse(src)
    return sorted((r.name, r.line) for r in reads_in(tree, Bindings.of(tree)))


_FILLER = "".join(f"def filler_{i}(x):\n    return x + {i}\n\n" for i in range(12))
REDUCTION_CASES = {
    "reads between many functions": f'import os\n{_FILLER}def cfg():\n    return os.getenv("A", "1")\n{_FILLER}',
    "column-0 text inside a docstring": (
        f'import os\n{_FILLER}DOC = """\nnot code: os.getenv("NOPE")\ndef x(:\n"""\n{_FILLER}B = os.environ["B"]\n'
    ),
    "alias used far from its binding": f'import os\ne = os.environ\n{_FILLER}def f():\n    return e["C"]\n',
    "constant name defined elsewhere": f'import os\nKEY = "D"\n{_FILLER}V = os.getenv(KEY)\n',
    "conditional import": f'import sys\nif sys.platform:\n    from os import getenv as g\n{_FILLER}W = g("E")\n',
    "decorated function and else branch": (
        f'import os\n{_FILLER}@deco\ndef h():\n    pass\nif x:\n    pass\nelse:\n    Z = os.getenv("F")\n'
    ),
}


@pytest.mark.parametrize("src", REDUCTION_CASES.values(), ids=REDUCTION_CASES.keys())
def test_reduced_parse_finds_what_a_full_walk_finds(src: str) -> None:
    got = sorted((r.name, r.line) for r in python_references(src))
    assert got == _full_walk(src)
    assert got  # every case plants at least one read


def test_python_decouple_and_django_environ() -> None:
    src = """
    import environ
    from decouple import config

    env = environ.Env(DEBUG=(bool, False))
    SECRET_KEY = env("SECRET_KEY")
    DEBUG = env.bool("DEBUG", default=False)
    WORKERS = env.int("WORKERS", 4)
    DATABASES = {"default": env.db()}
    CACHES = {"default": env.cache(default="locmem://")}
    SENTRY = config("SENTRY_DSN", default="")
    REGION = config("REGION")
    # config("IN_COMMENT")
    """
    assert refs(src) == [
        ("SECRET_KEY", 6, None, False, True, False),
        ("DEBUG", 7, "False", True, False, False),
        ("WORKERS", 8, "4", True, False, False),
        ("DATABASE_URL", 9, None, False, True, False),
        ("CACHE_URL", 10, "locmem://", True, False, False),
        ("SENTRY_DSN", 11, "", True, False, False),
        ("REGION", 12, None, False, True, False),
    ]


def test_a_subclass_of_a_settings_class_is_a_settings_class() -> None:
    # Shaped after apps that split settings into a base class and the app's class.
    src = textwrap.dedent(
        """
        from pydantic_settings import BaseSettings

        class LoggingSettings(BaseSettings):
            LOG_LEVEL: str = "info"

        class AppSettings(LoggingSettings):
            SSO_ENABLED: bool = False
            SSO_CLIENT_ID: str | None = None
            DATA_DIR: str

        class Unrelated:
            NOT_A_SETTING: str = "x"
        """
    )
    got = {r.name: (r.has_default, r.crashes) for r in python_references(src)}
    assert got == {
        "LOG_LEVEL": (True, False),
        "SSO_ENABLED": (True, False),
        "SSO_CLIENT_ID": (True, False),
        "DATA_DIR": (False, True),
    }
