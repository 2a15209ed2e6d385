"""bench/bench_realworld.py: matching gaps to findings, scoring, the corpus files, one real run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import bench_realworld as rw  # noqa: E402


def finding(code: str, key: str | None, service: str | None = None, file: str | None = None, **kw: object):
    return rw.Finding(
        code=code,
        severity=str(kw.get("severity", "error")),
        key=key,
        service=service,
        file=file,
        line=kw.get("line"),  # type: ignore[arg-type]
        message=str(kw.get("message", "")),
    )


def corpus(**data: object) -> rw.Corpus:
    base: dict[str, object] = {"repo": "o/n", "commit": "0" * 40, "env": "production"}
    base.update(data)
    return rw.parse_corpus("n", base)


GAP = rw.Gap(id="g", kind="duplicate", key="MAX_RETRIES", why="", service="worker", file="w/.env.production")


@pytest.mark.parametrize(
    ("name", "f", "found"),
    [
        ("accepted code, key and service", finding("ENV005", "MAX_RETRIES", "worker"), True),
        ("same file, other service name", finding("ENV004", "MAX_RETRIES", "svc", "w/.env.production"), True),
        ("./ prefix on the file", finding("ENV005", "MAX_RETRIES", None, "./w/.env.production"), True),
        ("k8s duplicate code", finding("SRC020", "MAX_RETRIES", "worker"), True),
        ("code not accepted for the kind", finding("ENV001", "MAX_RETRIES", "worker"), False),
        ("other key", finding("ENV005", "RETRIES", "worker"), False),
        ("other service and other file", finding("ENV005", "MAX_RETRIES", "api", "api/.env"), False),
        ("no service, no file", finding("ENV005", "MAX_RETRIES"), False),
    ],
)
def test_gap_found_by(name: str, f: rw.Finding, found: bool) -> None:
    assert rw.gap_found_by(GAP, f) is found, name


def test_gap_without_service_or_file_matches_on_code_and_key() -> None:
    gap = rw.Gap(id="g", kind="missing", key="UTILS_SECRET", why="")
    assert rw.gap_found_by(gap, finding("FLG004", "UTILS_SECRET", "outline", "server/env.ts"))
    assert not rw.gap_found_by(gap, finding("ENV002", "UTILS_SECRET"))


def test_source_kind_accepts_any_src_code_only() -> None:
    gap = rw.Gap(id="g", kind="source", key="DOMAIN", why="", file="compose.deploy.yml")
    assert rw.gap_found_by(gap, finding("SRC004", "DOMAIN", None, "compose.deploy.yml"))
    assert not rw.gap_found_by(gap, finding("FLG004", "DOMAIN", None, "compose.deploy.yml"))


def test_malformed_gap_matches_a_keyless_finding_by_file_and_line() -> None:
    gap = rw.Gap(id="g", kind="malformed", key="", why="", file=".env.custom", line=5)
    assert rw.gap_found_by(gap, finding("ENV009", None, None, ".env.custom", line=5))
    assert not rw.gap_found_by(gap, finding("ENV009", None, None, ".env.custom", line=6))
    assert not rw.gap_found_by(gap, finding("ENV009", None, None, ".env", line=5))


def test_missing_file_gap_matches_the_path_named_in_key_or_message() -> None:
    gap = rw.Gap(id="g", kind="missing_file", key="../prod-secrets.env", why="", service="threaded")
    by_message = finding(
        "SRC006", None, "threaded", message="env_file docker/prod-secrets.env does not exist"
    )
    assert rw.gap_found_by(gap, by_message)
    assert rw.gap_found_by(gap, finding("SRC021", "docker/prod-secrets.env", "threaded"))
    assert not rw.gap_found_by(gap, finding("SRC006", None, "threaded", message="env_file other.env missing"))


def test_score_recall_and_precision_with_labels() -> None:
    c = corpus(
        gap=[
            {"id": "dup", "kind": "duplicate", "key": "A", "why": ""},
            {"id": "miss", "kind": "missing", "key": "B", "why": ""},
        ],
        label=[
            {"code": "ENV006", "key": "PORT", "true": False, "why": "by design"},
            {"code": "SRC012", "true": True, "why": "every plain secret here is real"},
            {"code": "ENV005", "true": False, "why": "a broad label does not judge the gap"},
        ],
        expect_not=[{"code": "ENV010", "service": "proxy", "why": "image-only"}],
    )
    findings = [
        finding("ENV005", "A"),  # finds gap dup: true even though a broad label says false
        finding("ENV006", "PORT", severity="warning"),  # labelled false
        finding("SRC012", "PASSWORD", severity="warning"),  # labelled true (no key in the label)
        finding("ENV010", None, "proxy", severity="warning"),  # must not appear: false
        finding("ENV003", "OLD", severity="warning"),  # unlabelled: false
        finding("FLG006", "X", severity="info"),  # info: not counted
    ]
    s = rw.score(c, findings)
    assert (s.found, s.missed) == (("dup",), ("miss",))
    assert s.recall == 0.5
    assert (s.counted, s.true, s.false, s.unlabelled) == (5, 2, 2, 1)
    assert s.precision == pytest.approx(0.4)
    assert s.expect_not_hits == ("ENV010 None None:None",)
    assert [f.key for f in rw.unlabelled(c, findings)] == ["OLD"]


def test_pattern_with_a_line_judges_only_that_keyless_finding() -> None:
    c = corpus(
        gap=[{"id": "bad", "kind": "malformed", "key": "", "file": ".env.override", "line": 8, "why": ""}],
        expect_not=[{"code": "ENV009", "file": ".env.override", "line": 6, "why": "yaml-style is valid"}],
    )
    yaml_style = finding("ENV009", None, None, ".env.override", line=6)
    no_equals = finding("ENV009", None, None, ".env.override", line=8)
    assert (rw.judge(yaml_style, c), rw.judge(no_equals, c)) == (False, True)


def test_offsite_counts_errors_and_warnings_placed_at_test_ci_build_or_script_files() -> None:
    def f(code: str, severity: str, file: str) -> rw.Finding:
        return rw.Finding(code, severity, "K", None, file, None, "m")

    found = rw.offsite(
        [
            f("FLG004", "error", "scripts/release.sh"),
            f("FLG004", "warning", ".github/workflows/ci.yml:12"),
            f("FLG004", "info", "tests/test_app.py"),  # a note: not counted
            f("FLG004", "error", "backend/app/config.py"),
            f("ENV001", "error", "docker/production/compose.yml:18"),
        ]
    )
    assert [x.file for x in found] == ["scripts/release.sh", ".github/workflows/ci.yml:12"]


def test_score_of_no_findings_is_zero_recall_and_no_precision() -> None:
    c = corpus(gap=[{"id": "g", "kind": "empty", "key": "URL", "why": ""}])
    s = rw.score(c, [])
    assert (s.recall, s.precision) == (0.0, None)


def test_services_found_by_name_and_by_project_qualified_name() -> None:
    c = corpus(
        service=[
            {"name": "db", "project": "flask"},
            {"name": "db", "project": "django"},
            {"name": "web", "project": "flask"},
            {"name": "Backend"},
        ]
    )
    assert rw.services_found(c, ["flask-db", "django/db", "backend"]) == ("flask/db", "django/db", "Backend")
    # One bare "db" finds one of the two, never both.
    assert len(rw.services_found(c, ["db"])) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"gap": [{"id": "a", "kind": "nonsense", "key": "K"}]}, "unknown kind"),
        (
            {"gap": [{"id": "a", "kind": "empty", "key": "K"}, {"id": "a", "kind": "empty", "key": "L"}]},
            "unique",
        ),
        ({"label": [{"code": "ENV001", "key": "K"}]}, "true = true|false"),
        ({"env": 3}, "`env`"),
    ],
)
def test_parse_corpus_refuses_bad_files(data: dict[str, object], message: str) -> None:
    with pytest.raises(rw.CorpusError, match=message):
        corpus(**data)


CORPUS_FILES = sorted((REPO / "bench" / "realworld").glob("*.toml"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.stem for p in CORPUS_FILES])
def test_corpus_file_is_valid_and_its_layer_lines_name_the_key(path: Path) -> None:
    c = rw.load_corpus(path)
    assert len(c.commit) == 40 and c.env == "production"
    assert c.services and c.gaps
    layers = {layer.path: layer.text.splitlines() for layer in c.layers}
    for gap in c.gaps:
        assert gap.why, gap.id
        if gap.file in layers and gap.line is not None:
            text = layers[gap.file][gap.line - 1]
            # A malformed line (key "") has no key to look for; every other gap's line names its key.
            assert not gap.key or gap.key in text, (gap.id, text)


def test_corpus_holds_about_sixty_gaps() -> None:
    total = sum(len(rw.load_corpus(p).gaps) for p in CORPUS_FILES)
    assert total >= 55


def test_end_to_end_on_a_copy_of_the_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checkouts = tmp_path / "checkouts"
    shutil.copytree(REPO / "examples" / "shop", checkouts / "shop")
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "shop.toml").write_text(
        """repo = "local/shop"
commit = "0000000000000000000000000000000000000000"
env = "production"

[[service]]
name = "api"
built_from = "services/api"

[[service]]
name = "worker"
built_from = "services/worker"

[[service]]
name = "nowhere"

[[layer]]
path = "services/web/.env.production"
text = '''
CDN_URL=changeme
'''

[[gap]]
id = "dup"
kind = "duplicate"
key = "MAX_RETRIES"
service = "worker"
why = "two values"

[[gap]]
id = "cdn"
kind = "placeholder"
key = "CDN_URL"
file = "services/web/.env.production"
line = 1
why = "the layer's placeholder"

[[gap]]
id = "none"
kind = "missing"
key = "NOT_A_KEY"
why = "parity cannot find what is not there"
"""
    )
    out_json = tmp_path / "out.json"
    rc = rw.main([str(checkouts), "--corpus", str(corpus_dir), "--json", str(out_json)])
    out = capsys.readouterr().out
    assert rc == 0
    row = next(line for line in out.splitlines() if line.startswith("shop "))
    assert "2/3 67%" in row  # recall: dup and cdn found, none missed
    assert "2/3" in row.split()[1]  # services: api and worker of three labelled
    assert "missed: none" in out
    assert "services not found (1/3): nowhere" in out
    assert (checkouts / "shop" / "services" / "web" / ".env.production").read_text() != "CDN_URL=changeme\n"
    assert not (checkouts / "shop" / "parity.toml").read_text().startswith("# parity configuration, written")
    assert '"check_rc": 1' in out_json.read_text()


def test_missing_checkouts_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "gone.toml").write_text('repo = "o/gone"\ncommit = "x"\nenv = "production"\n')
    assert rw.main([str(tmp_path / "none"), "--corpus", str(corpus_dir)]) == 2
    assert "no checkout for: gone" in capsys.readouterr().out
