"""The plain text writer prints what Rich prints: for every report it accepts, character for
character; and it accepts the reports ``parity lint`` makes (else the fast path is gone)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.model.findings import Finding, Report, Section, Severity, Table
from parity.plan.lint import lint_sql
from parity.report import render
from parity.report.plaintext import render_plain
from parity.report.text import render_text


def _report(
    findings: tuple[Finding, ...], notes: tuple[str, ...] = ("1 file(s), dialect postgres",)
) -> Report:
    return Report("lint", "/repo", "-", (Section("lint", "Migration Lint", findings, (), notes),))


def test_a_lint_report_is_written_plain_and_as_rich_writes_it() -> None:
    sql = (
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"
        "CREATE INDEX orders_ref ON orders (ref);\n"
        "ALTER TABLE orders ADD COLUMN shop_id bigint REFERENCES shops (id);\n"
        "TRUNCATE orders;\n"
        "DROP TABLE audit_log;\n"
    )
    findings = lint_sql(sql, "postgres", file="db/001.sql")
    assert {f.severity for f in findings} == {Severity.ERROR, Severity.WARNING, Severity.INFO}
    report = _report(findings)
    for width in (40, 80, 120, 200):
        plain = render_plain(report, width)
        assert plain is not None
        assert plain == render_text(report, width=width, color=False)
    assert render(report, "text", width=120) == render_text(report, width=120, color=False)


def test_empty_sections_and_sections_without_findings() -> None:
    report = Report(
        "lint",
        "/repo",
        "-",
        (Section("a", "First", (), (), ()), Section("b", "Second", (), (), ("a note", "another note"))),
    )
    assert render_plain(report, 60) == render_text(report, width=60, color=False)


def test_what_rich_lays_out_is_left_to_rich() -> None:
    f = Finding("MIG001", Severity.ERROR, "lint", "drop-table: DROP TABLE t", file="a.sql", line=3)
    table = Section("t", "Tables", (), (Table("x", ("a",), (("1",),)),))
    assert render_plain(Report("lint", "/repo", "-", (table,)), 80) is None
    assert render_plain(_report((f,), notes=("n" * 81,)), 80) is None  # would wrap
    assert render_plain(_report((Finding("X", Severity.INFO, "lint", "a\tb"),)), 80) is None
    assert render_plain(Report("env", "/repo", "prod", (), reference="staging"), 80) is None
    assert render_plain(Report("lint", "/repo", "-", (Section("s", "", (f,)),)), 80) is None


_PRINTABLE = list("ab Z09:._-/()[]'\"…·─✗→é漢 ")
_ODD = list("\t\n\x1b\r\u200b\xa0")
# Mostly lines the fast path takes, some with a character Rich would treat differently.
_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(_PRINTABLE), max_size=24),
    st.text(alphabet=st.sampled_from(_PRINTABLE + _ODD), max_size=24),
)

# Wrapped lines (title, notes, project): often ones that fit, so the comparison is made.
_LINE = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab Z09:._-/()…·")), max_size=24).map(str.strip), _TEXT
)


@settings(max_examples=300, deadline=None)
@given(
    messages=st.lists(st.tuples(_TEXT, st.one_of(st.none(), _TEXT), st.one_of(st.none(), _TEXT)), max_size=4),
    notes=st.lists(_LINE, max_size=2),
    title=_LINE,
    project=_LINE,
    width=st.integers(min_value=20, max_value=160),
)
def test_whatever_it_writes_is_what_rich_writes(
    messages: list[tuple[str, str | None, str | None]],
    notes: list[str],
    title: str,
    project: str,
    width: int,
) -> None:
    findings = tuple(
        Finding("MIG001", sev, "lint", message, file=file, line=i or None, fix=fix)
        for i, ((message, file, fix), sev) in enumerate(zip(messages, [*Severity, *Severity], strict=False))
    )
    report = Report("lint", project, "-", (Section("lint", title, findings, (), tuple(notes)),))
    plain = render_plain(report, width)
    if plain is not None:
        assert plain == render_text(report, width=width, color=False)
