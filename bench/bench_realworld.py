"""Accuracy of parity on real public repositories: the labelled corpus in bench/realworld/.

For each ``bench/realworld/<name>.toml`` whose checkout ``CHECKOUTS_DIR/<name>`` exists:

1. the checkout's HEAD is compared with the corpus ``commit`` (a warning when it differs);
2. its working tree (no ``.git``) is copied to a temp folder and zero-config ``parity init`` runs
   there: the services it wrote to parity.toml are compared with the labelled ``[[service]]`` list;
3. in a fresh copy the corpus ``[[layer]]`` files are written (the production layer a user adds)
   and ``parity check COPY --env ENV [--reference R] --format json`` runs, timed, as a subprocess;
4. its findings are scored: recall = labelled ``[[gap]]`` entries found, precision = error and
   warning findings that are true (labelled true or matching a gap) over all error and warning
   findings (an unlabelled one counts as false); ``[[expect_not]]`` entries that appear are listed.

    python bench/bench_realworld.py CHECKOUTS_DIR [--only NAME] [--json FILE] [--unlabelled]
                                    [--markdown] [--parity CMD]

The schema of the corpus files is in bench/realworld/README.md. The scoring functions are pure
(no I/O) so tests/test_bench_realworld.py can check them on hand-made findings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Which finding codes count as finding a gap of each kind. One table, so the lead can adjust it as
# codes are added (SRC016 = compose environment over env_file, SRC020 = k8s env list duplicate,
# SRC021 = missing env_file behind a compose service: being added beside this bench).
KIND_CODES: dict[str, frozenset[str]] = {
    # SRC004: compose's `${KEY:?err}` on a variable nobody sets, a required key that is missing.
    "missing": frozenset({"ENV001", "FLG004", "SRC004"}),
    # SRC004 too: `${KEY:?err}` refuses an empty value as it refuses an unset one.
    "empty": frozenset({"ENV002", "FLG005", "SRC004"}),
    "placeholder": frozenset({"ENV008"}),
    "duplicate": frozenset({"ENV005", "ENV004", "SRC020"}),
    "malformed": frozenset({"ENV009"}),
    "override": frozenset({"SRC005", "SRC016"}),
    "missing_file": frozenset({"SRC006", "SRC021"}),
    # ENV011: a boolean switch whose value is no boolean (`ture`), judged against the reference.
    "flag": frozenset({*(f"FLG00{i}" for i in range(1, 10)), "ENV011"}),
    "source": frozenset(),  # any SRC code, see accepted_codes
}

# A check slower than this fails the time goal ("check on each corpus repository under 5 s").
TIME_LIMIT_S = 5.0

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "bench" / "realworld"


# ---------------------------------------------------------------- the corpus model (pure)


@dataclass(frozen=True)
class Service:
    name: str
    built_from: str | None  # the folder the runtime builds the image from; None = image-only
    image: str | None = None
    code: str | None = None  # image-only, but the published image runs this folder's code
    project: str | None = None  # the compose project's folder, in a repository holding several

    @property
    def label(self) -> str:
        return f"{self.project}/{self.name}" if self.project else self.name

    def names(self) -> frozenset[str]:
        """The names init may give this unit: its own, or qualified by its project's folder."""
        own = self.name.lower()
        if self.project is None:
            return frozenset({own})
        proj = self.project.lower()
        return frozenset({own, *(f"{proj}{sep}{own}" for sep in ("/", "-", "_", ".", ":"))})


@dataclass(frozen=True)
class Layer:
    path: str
    text: str


@dataclass(frozen=True)
class Gap:
    id: str
    kind: str
    key: str
    why: str
    service: str | None = None
    file: str | None = None
    line: int | None = None
    read: str | None = None  # where the code reads the key (file:line), when that is the evidence


@dataclass(frozen=True)
class Pattern:
    """A finding pattern for ``[[expect_not]]`` and ``[[label]]``: code and key, optional service/file."""

    code: str
    key: str | None
    why: str
    service: str | None = None
    file: str | None = None
    line: int | None = None  # a keyless finding (a malformed line) is told apart by its line
    true: bool = False


@dataclass(frozen=True)
class WhyLabel:
    """A ``[[why]]`` table: what ``parity why SYMBOL`` should answer in the corpus environment."""

    symbol: str
    verdict: str  # BLOCKED | CRASHES | REACHABLE | UNKNOWN
    why: str
    service: str | None = None
    switch: str | None = None  # the env key that opens a BLOCKED symbol
    gate: str | None = None  # file:line of the condition
    language: str = "python"


WHY_VERDICTS = frozenset({"BLOCKED", "CRASHES", "REACHABLE", "UNKNOWN"})


@dataclass(frozen=True)
class Corpus:
    name: str
    repo: str
    commit: str
    env: str
    reference: str | None
    services: tuple[Service, ...]
    layers: tuple[Layer, ...]
    gaps: tuple[Gap, ...]
    expect_not: tuple[Pattern, ...]
    labels: tuple[Pattern, ...]
    whys: tuple[WhyLabel, ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    key: str | None
    service: str | None
    file: str | None
    line: int | None
    message: str
    fix: str | None = None


class CorpusError(ValueError):
    """A corpus file that does not follow bench/realworld/README.md."""


def _opt_str(d: dict[str, object], k: str) -> str | None:
    v = d.get(k)
    return None if v is None else str(v)


def parse_corpus(name: str, data: dict[str, object]) -> Corpus:
    """Validate one corpus file's TOML data (the README's schema) into a :class:`Corpus`."""

    def tables(k: str) -> list[dict[str, object]]:
        v = data.get(k, [])
        if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
            raise CorpusError(f"{name}: [[{k}]] must be an array of tables")
        return v

    for required in ("repo", "commit", "env"):
        if not isinstance(data.get(required), str):
            raise CorpusError(f"{name}: `{required}` (a string) is required")
    gaps = []
    seen: set[str] = set()
    for t in tables("gap"):
        kind = str(t.get("kind", ""))
        if kind not in KIND_CODES:
            raise CorpusError(f"{name}: gap {t.get('id')!r} has unknown kind {kind!r}")
        gid = str(t.get("id", ""))
        if not gid or gid in seen:
            raise CorpusError(f"{name}: gap ids must be present and unique ({gid!r})")
        seen.add(gid)
        line = t.get("line")
        gaps.append(
            Gap(
                id=gid,
                kind=kind,
                key=str(t["key"]),
                why=str(t.get("why", "")),
                service=_opt_str(t, "service"),
                file=_opt_str(t, "file"),
                line=int(line) if isinstance(line, int) else None,
                read=_opt_str(t, "read"),
            )
        )

    def patterns(k: str) -> tuple[Pattern, ...]:
        out = []
        for t in tables(k):
            if "code" not in t:
                raise CorpusError(f"{name}: every [[{k}]] needs a code")
            if k == "label" and not isinstance(t.get("true"), bool):
                raise CorpusError(f"{name}: every [[label]] needs true = true|false")
            out.append(
                Pattern(
                    code=str(t["code"]),
                    key=_opt_str(t, "key"),
                    why=str(t.get("why", "")),
                    service=_opt_str(t, "service"),
                    file=_opt_str(t, "file"),
                    line=int(t["line"]) if isinstance(t.get("line"), int) else None,
                    true=bool(t.get("true", False)),
                )
            )
        return tuple(out)

    whys = []
    for t in tables("why"):
        verdict = str(t.get("verdict", ""))
        if "symbol" not in t or verdict not in WHY_VERDICTS:
            raise CorpusError(f"{name}: every [[why]] needs a symbol and a verdict in {sorted(WHY_VERDICTS)}")
        if verdict == "BLOCKED" and not t.get("switch"):
            raise CorpusError(f"{name}: [[why]] {t['symbol']!r} is BLOCKED but names no switch")
        whys.append(
            WhyLabel(
                symbol=str(t["symbol"]),
                verdict=verdict,
                why=str(t.get("why", "")),
                service=_opt_str(t, "service"),
                switch=_opt_str(t, "switch"),
                gate=_opt_str(t, "gate"),
                language=str(t.get("language", "python")),
            )
        )

    return Corpus(
        name=name,
        repo=str(data["repo"]),
        commit=str(data["commit"]),
        env=str(data["env"]),
        reference=_opt_str(data, "reference"),
        services=tuple(
            Service(
                name=str(t["name"]),
                built_from=_opt_str(t, "built_from"),
                image=_opt_str(t, "image"),
                code=_opt_str(t, "code"),
                project=_opt_str(t, "project"),
            )
            for t in tables("service")
        ),
        layers=tuple(Layer(path=str(t["path"]), text=str(t["text"])) for t in tables("layer")),
        gaps=tuple(gaps),
        expect_not=patterns("expect_not"),
        labels=patterns("label"),
        whys=tuple(whys),
    )


def load_corpus(path: Path) -> Corpus:
    with path.open("rb") as fh:
        return parse_corpus(path.stem, tomllib.load(fh))


# ---------------------------------------------------------------- matching and scoring (pure)


def accepted_codes(kind: str) -> frozenset[str] | None:
    """The codes that find a gap of ``kind``; None means any SRC code (kind ``source``)."""
    return KIND_CODES[kind] or None


def code_accepted(kind: str, code: str) -> bool:
    codes = accepted_codes(kind)
    return code.startswith("SRC") if codes is None else code in codes


def _same_path(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return Path(a).as_posix().lstrip("./") == Path(b).as_posix().lstrip("./")


def _where_matches(service: str | None, file: str | None, f: Finding) -> bool:
    """A gap or pattern that names a service and/or file matches a finding that has either.

    Either is enough: a fix may rightly name the compose line rather than the env file behind it,
    and a root-level finding has no service.
    """
    if service is None and file is None:
        return True
    # A missing key is where it should be written: a finding at the code read whose fix names
    # the gap's file points at the same place.
    in_fix = file is not None and f.fix is not None and file in f.fix.split()
    return (service is not None and f.service == service) or _same_path(file, f.file) or in_fix


def gap_found_by(gap: Gap, f: Finding) -> bool:
    """The finding has a code accepted for the gap's kind, the gap's key, and its service or file.

    A gap with ``key = ""`` (a malformed line has no key) is matched by file and line instead.
    """
    if not code_accepted(gap.kind, f.code):
        return False
    if not gap.key:
        return f.key is None and _same_path(gap.file, f.file) and gap.line in (None, f.line)
    if gap.kind == "missing_file":
        # The key is the missing path as written; a finding may carry it as key or only name it.
        name = Path(gap.key).name
        named = f.key is not None and Path(f.key).name == name
        return (named or name in f.message) and _where_matches(gap.service, gap.file, f)
    if gap.kind == "source" and f.key is None:
        # A broken reference names an object (a ConfigMap), not an env key: it is in the message.
        return gap.key in f.message and _where_matches(gap.service, gap.file, f)
    return f.key == gap.key and _where_matches(gap.service, gap.file, f)


def pattern_matches(p: Pattern, f: Finding) -> bool:
    if p.code != f.code or (p.key is not None and p.key != f.key):
        return False
    if p.line is not None and p.line != f.line:
        return False
    return _where_matches(p.service, p.file, f)


def counted(f: Finding) -> bool:
    """Precision counts what a reader must act on: errors and warnings."""
    return f.severity in ("error", "warning")


def offsite(findings: Sequence[Finding]) -> list[Finding]:
    """Errors and warnings placed at a test, CI, build, tooling or script file: the issue allows none
    (only code a service runs can fail a production check)."""
    from parity.code.context import SERVICE, context_of

    return [f for f in findings if counted(f) and f.file and context_of(f.file.rsplit(":", 1)[0]) != SERVICE]


def judge(f: Finding, corpus: Corpus) -> bool | None:
    """True / False when labelled (or matching a gap: true), None when nobody labelled it.

    Order: a finding that must not appear is false; one that finds a labelled gap is true; then
    the first matching ``[[label]]`` decides, so a broad label without a key ("every ENV001 here
    is optional") can judge the rest without judging the gaps.
    """
    if any(pattern_matches(p, f) for p in corpus.expect_not):
        return False
    if any(gap_found_by(g, f) for g in corpus.gaps):
        return True
    for p in corpus.labels:
        if pattern_matches(p, f):
            return p.true
    return None


@dataclass(frozen=True)
class Score:
    gaps: int
    found: tuple[str, ...]  # gap ids
    missed: tuple[str, ...]
    counted: int  # error + warning findings
    true: int
    false: int
    unlabelled: int
    expect_not_hits: tuple[str, ...]  # "CODE KEY file:line" of findings that must not appear

    @property
    def recall(self) -> float | None:
        return len(self.found) / self.gaps if self.gaps else None

    @property
    def precision(self) -> float | None:
        return self.true / self.counted if self.counted else None


def score(corpus: Corpus, findings: Sequence[Finding]) -> Score:
    found = tuple(g.id for g in corpus.gaps if any(gap_found_by(g, f) for f in findings))
    missed = tuple(g.id for g in corpus.gaps if g.id not in found)
    judged = [judge(f, corpus) for f in findings if counted(f)]
    # A note (info) is no claim that something is wrong: only errors and warnings can break an
    # expect_not, as only they count for precision.
    hits = tuple(
        f"{f.code} {f.key} {f.file}:{f.line}"
        for f in findings
        if counted(f) and any(pattern_matches(p, f) for p in corpus.expect_not)
    )
    return Score(
        gaps=len(corpus.gaps),
        found=found,
        missed=missed,
        counted=len(judged),
        true=sum(1 for j in judged if j is True),
        false=sum(1 for j in judged if j is False),
        unlabelled=sum(1 for j in judged if j is None),
        expect_not_hits=hits,
    )


def unlabelled(corpus: Corpus, findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if counted(f) and judge(f, corpus) is None]


def services_found(corpus: Corpus, names: Iterable[str]) -> tuple[str, ...]:
    """The labelled services init found, by name (case-insensitive: compose names are lower case).

    Each name init wrote counts for one labelled service at most; a service labelled with a
    ``project`` is found under its own name or qualified by the project folder (``flask/web``),
    qualified names first so that twenty ``db`` services are not all found by one.
    """
    left = [n.lower() for n in names]
    found = []
    for s in sorted(corpus.services, key=lambda s: s.project is None):
        qualified = s.names() - {s.name.lower()}
        hit = next((n for n in left if n in qualified), None)
        if hit is None and s.name.lower() in left:
            hit = s.name.lower()
        if hit is not None:
            left.remove(hit)
            found.append(s)
    return tuple(s.label for s in corpus.services if s in found)


def gated_from_report(report: dict[str, object]) -> list[tuple[str, str, str, str]]:
    """``(switch, function, defined at, switch tested at)`` rows of the report's "Code a switch
    keeps off" tables."""
    out: list[tuple[str, str, str, str]] = []
    sections = report.get("sections", [])
    assert isinstance(sections, list)
    for s in sections:
        for t in s.get("tables", []):
            if str(t.get("title", "")).startswith("Code a switch keeps off"):
                out += [(str(r[0]), str(r[2]), str(r[3]), str(r[4])) for r in t.get("rows", [])]
    return list(dict.fromkeys(out))


def gated_named(label: WhyLabel, gated: Sequence[tuple[str, ...]]) -> bool:
    """Check's table names the label's function under the label's switch, or under another key
    of the same gate (``SMTP_HOST || SMTP_SERVICE``); ``file:name`` labels must match the file too."""
    where, _, name = label.symbol.rpartition(":")
    name = name.rsplit(".", 1)[-1]
    return any(
        (key == label.switch or (label.gate is not None and row[3:4] == (label.gate,)))
        and function.rsplit(".", 1)[-1] == name
        and (not where or defined.rsplit(":", 1)[0].endswith(where))
        for row in gated
        for key, function, defined in [row[:3]]
    )


def gated_recall(results: Sequence[Result], corpora: Sequence[Corpus]) -> list[str]:
    """Per language, how many BLOCKED labels check names as code their switch keeps off."""
    by_name = {c.name: c for c in corpora}
    labels = [(r, w) for r in results for w in by_name[r.name].whys if w.verdict == "BLOCKED"]
    lines = []
    for lang in sorted({w.language for _, w in labels}):
        mine = [(r, w) for r, w in labels if w.language == lang]
        named = sum(gated_named(w, r.gated) for r, w in mine)
        lines.append(
            f"check names the code a switch keeps off ({lang}): {named}/{len(mine)} "
            f"{pct(named / len(mine))} of the BLOCKED labels"
        )
    lines += [
        f"  not named: {r.name}: {w.symbol} ({w.switch})" for r, w in labels if not gated_named(w, r.gated)
    ]
    return lines


def findings_from_report(report: dict[str, object]) -> list[Finding]:
    """The findings of a parity JSON report (docs/report.schema.json), in report order."""
    out = []
    sections = report.get("sections", [])
    assert isinstance(sections, list)
    for s in sections:
        for f in s.get("findings", []):
            out.append(
                Finding(
                    code=str(f["code"]),
                    severity=str(f["severity"]),
                    key=f.get("key"),
                    service=f.get("service"),
                    file=f.get("file"),
                    line=f.get("line"),
                    message=str(f.get("message", "")),
                    fix=f.get("fix"),
                )
            )
    return out


# ---------------------------------------------------------------- one run (I/O)


@dataclass
class Result:
    name: str
    commit_ok: bool | None  # None: no git checkout to compare
    head: str | None
    init_rc: int
    init_services: list[str]
    services_expected: int
    services_found: list[str]
    check_rc: int
    check_s: float
    verdict: str
    error: str  # parity's last stderr line when it exited 2 (or did not produce JSON)
    score: Score
    findings: list[Finding] = field(default_factory=list)
    #: ``(switch, function, defined at, switch tested at)`` of check's "Code a switch keeps off" tables.
    gated: list[tuple[str, str, str, str]] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        d = asdict(self)
        d["findings"] = [asdict(f) for f in self.findings]
        d["recall"] = self.score.recall
        d["precision"] = self.score.precision
        return d


def git_head(checkout: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def copy_tree(src: Path, dest: Path) -> None:
    """The working tree without .git (links are copied as links: parity's gate judges them)."""
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))


def write_layers(root: Path, layers: Iterable[Layer]) -> None:
    for layer in layers:
        target = (root / layer.path).resolve()
        if not target.is_relative_to(root.resolve()):
            raise CorpusError(f"layer path {layer.path!r} leaves the repository")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(layer.text)


def parity_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p)
    env["COLUMNS"] = "200"
    return env


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def init_services(root: Path) -> list[str]:
    try:
        with (root / "parity.toml").open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    services = data.get("services", {})
    return list(services) if isinstance(services, dict) else []


def run_one(corpus: Corpus, checkout: Path, parity: list[str]) -> Result:
    head = git_head(checkout)
    commit_ok = None if head is None else head == corpus.commit
    env = parity_env()
    with tempfile.TemporaryDirectory(prefix=f"rw-{corpus.name}-") as tmp:
        init_root = Path(tmp) / "init" / corpus.name
        copy_tree(checkout, init_root)
        # Zero-config: a repository's own parity.toml (none of the corpus has one) would not be.
        (init_root / "parity.toml").unlink(missing_ok=True)
        init = subprocess.run([*parity, "init", str(init_root)], capture_output=True, text=True, env=env)
        names = init_services(init_root) if init.returncode == 0 else []

        check_root = Path(tmp) / "check" / corpus.name
        copy_tree(checkout, check_root)
        (check_root / "parity.toml").unlink(missing_ok=True)
        write_layers(check_root, corpus.layers)
        cmd = [*parity, "check", str(check_root), "--env", corpus.env, "--format", "json"]
        if corpus.reference:
            cmd += ["--reference", corpus.reference]
        t0 = time.perf_counter()
        check = subprocess.run(cmd, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - t0
    findings: list[Finding] = []
    gated: list[tuple[str, str, str, str]] = []
    verdict, error = "-", ""
    if check.returncode in (0, 1):
        try:
            report = json.loads(check.stdout)
            findings = findings_from_report(report)
            gated = gated_from_report(report)
            verdict = str(report.get("verdict", "-"))
        except (json.JSONDecodeError, KeyError, TypeError, AssertionError):
            error = "no JSON report: " + last_line(check.stderr or check.stdout)
    else:
        # Exit 2 (bad input) or a crash: recall 0, and the line parity printed.
        error = last_line(check.stderr) or last_line(check.stdout)
    return Result(
        name=corpus.name,
        commit_ok=commit_ok,
        head=head,
        init_rc=init.returncode,
        init_services=names,
        services_expected=len(corpus.services),
        services_found=list(services_found(corpus, names)),
        check_rc=check.returncode,
        check_s=elapsed,
        verdict=verdict,
        error=error,
        gated=gated,
        score=score(corpus, findings),
        findings=findings,
    )


@dataclass(frozen=True)
class WhyOutcome:
    label: WhyLabel
    verdict: str  # what parity answered ("ERROR" when it exited 2 or printed no JSON)
    switch: str | None

    @property
    def right(self) -> bool:
        """The right verdict, and for BLOCKED the right switch."""
        if self.verdict != self.label.verdict:
            return False
        return self.label.verdict != "BLOCKED" or self.switch == self.label.switch


def why_answer(data: dict[str, object]) -> tuple[str, str | None]:
    """(verdict, switch key) from ``parity why --format json``; an output without a verdict
    (the command before verdicts existed) reads as BLOCKED when it named a blocker, else REACHABLE."""
    blockers = data.get("blockers") or []
    assert isinstance(blockers, list)
    switches = [b.get("key") for b in blockers if isinstance(b, dict) and b.get("kind") == "switch"]
    verdict = data.get("verdict")
    if not isinstance(verdict, str):
        verdict = "BLOCKED" if blockers else "REACHABLE"
    return verdict, (str(switches[0]) if switches and switches[0] else None)


def run_whys(corpus: Corpus, checkout: Path, parity: list[str]) -> list[WhyOutcome]:
    """Ask ``parity why`` about every ``[[why]]`` label on a copy of the checkout with its layers."""
    if not corpus.whys:
        return []
    env = parity_env()
    out: list[WhyOutcome] = []
    with tempfile.TemporaryDirectory(prefix=f"rw-why-{corpus.name}-") as tmp:
        root = Path(tmp) / corpus.name
        copy_tree(checkout, root)
        (root / "parity.toml").unlink(missing_ok=True)
        write_layers(root, corpus.layers)
        for w in corpus.whys:
            cmd = [*parity, "why", w.symbol, str(root), "--env", corpus.env, "--format", "json"]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            verdict, switch = "ERROR", None
            if proc.returncode in (0, 1):
                with contextlib.suppress(json.JSONDecodeError, AssertionError, AttributeError):
                    verdict, switch = why_answer(json.loads(proc.stdout))
            out.append(WhyOutcome(w, verdict, switch))
    return out


def why_accuracy(outcomes: Sequence[WhyOutcome]) -> list[str]:
    """One line per language (right/total) and one per wrong answer."""
    lines = []
    for lang in sorted({o.label.language for o in outcomes}):
        mine = [o for o in outcomes if o.label.language == lang]
        right = sum(o.right for o in mine)
        lines.append(f"why {lang}: {right}/{len(mine)} {pct(right / len(mine))} (right verdict and switch)")
    for o in outcomes:
        if not o.right:
            want = o.label.verdict + (f" {o.label.switch}" if o.label.switch else "")
            got = o.verdict + (f" {o.switch}" if o.switch else "")
            lines.append(f"  wrong: {o.label.symbol}: want {want}, got {got}")
    return lines


# ---------------------------------------------------------------- tables


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


COLUMNS = ("repository", "svc", "init", "recall", "prec", "unlab", "check s", "<5s", "verdict", "rc")


def table_rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in results:
        s = r.score
        rows.append(
            (
                r.name,
                f"{len(r.services_found)}/{r.services_expected}",
                f"{len(r.init_services)} rc={r.init_rc}",
                f"{len(s.found)}/{s.gaps} {pct(s.recall)}",
                f"{s.true}/{s.counted} {pct(s.precision)}",
                str(s.unlabelled),
                f"{r.check_s:.2f}",
                "yes" if r.check_s < TIME_LIMIT_S else "NO",
                r.verdict,
                str(r.check_rc),
            )
        )
    if results:
        gaps = sum(r.score.gaps for r in results)
        found = sum(len(r.score.found) for r in results)
        cnt = sum(r.score.counted for r in results)
        tru = sum(r.score.true for r in results)
        rows.append(
            (
                "ALL",
                f"{sum(len(r.services_found) for r in results)}/{sum(r.services_expected for r in results)}",
                f"{sum(len(r.init_services) for r in results)}",
                f"{found}/{gaps} {pct(found / gaps if gaps else None)}",
                f"{tru}/{cnt} {pct(tru / cnt if cnt else None)}",
                str(sum(r.score.unlabelled for r in results)),
                f"{max(r.check_s for r in results):.2f} max",
                "yes" if all(r.check_s < TIME_LIMIT_S for r in results) else "NO",
                "",
                "",
            )
        )
    return rows


def plain_table(results: Sequence[Result]) -> str:
    rows = [COLUMNS, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: Sequence[Result]) -> str:
    head = "| " + " | ".join(COLUMNS) + " |"
    sep = "|" + "|".join("---" for _ in COLUMNS) + "|"
    return "\n".join([head, sep, *("| " + " | ".join(r) + " |" for r in table_rows(results))])


def details(r: Result, corpus: Corpus, show_unlabelled: bool) -> list[str]:
    out = []
    if r.commit_ok is False:
        out.append(f"  warning: HEAD {r.head} differs from the corpus commit {corpus.commit}")
    if r.error:
        out.append(f"  parity: {r.error}")
    if r.score.missed:
        out.append("  missed: " + ", ".join(r.score.missed))
    missing_svc = [s.label for s in corpus.services if s.label not in r.services_found]
    if missing_svc:
        # Sentry has 57 services: name the first few, count the rest.
        shown = ", ".join(missing_svc[:8]) + (
            f", … ({len(missing_svc) - 8} more)" if len(missing_svc) > 8 else ""
        )
        out.append(f"  services not found ({len(missing_svc)}/{len(corpus.services)}): {shown}")
    for hit in r.score.expect_not_hits:
        out.append(f"  must not appear: {hit}")
    if show_unlabelled:
        for f in unlabelled(corpus, r.findings):
            where = f"{f.file}:{f.line}" if f.file else "-"
            out.append(f"  unlabelled {f.code} {f.key} {f.service or '-'} {where} {f.message}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkouts", type=Path, help="folder holding one checkout per corpus name")
    ap.add_argument("--only", action="append", default=[], help="run only this corpus name (repeatable)")
    ap.add_argument("--json", type=Path, help="write every result (with findings) to this file")
    ap.add_argument("--unlabelled", action="store_true", help="list unlabelled error/warning findings")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table (for the README)")
    ap.add_argument("--why", action="store_true", help="score only the [[why]] labels (no init/check)")
    ap.add_argument("--parity", help="the parity command (default: this Python with -m parity)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    parity = shlex.split(args.parity) if args.parity else [sys.executable, "-m", "parity"]
    files = sorted(args.corpus.glob("*.toml"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    corpora = [load_corpus(f) for f in files]
    missing = [c.name for c in corpora if not (args.checkouts / c.name).is_dir()]
    if missing:
        print(f"no checkout for: {', '.join(missing)} (looked in {args.checkouts})")
    if args.why:
        outcomes: list[WhyOutcome] = []
        for c in corpora:
            if c.name not in missing:
                outcomes += run_whys(c, args.checkouts / c.name, parity)
        print("\n".join(why_accuracy(outcomes)) if outcomes else "no [[why]] labels")
        return 0 if outcomes else 2
    results: list[Result] = []
    notes: list[str] = []
    whys: list[WhyOutcome] = []
    for c in corpora:
        if c.name in missing:
            continue
        whys += run_whys(c, args.checkouts / c.name, parity)
        r = run_one(c, args.checkouts / c.name, parity)
        results.append(r)
        extra = details(r, c, args.unlabelled)
        if extra:
            notes += [f"{c.name}:", *extra]
    if not results:
        print("nothing to run")
        return 2
    print(markdown_table(results) if args.markdown else plain_table(results))
    away = [(r.name, f) for r in results for f in offsite(r.findings)]
    print(f"\nerrors and warnings at test, CI, build, tooling or script files: {len(away)}")
    for name, f in away:
        print(f"  {name}: {f.code} {f.severity} {f.key} at {f.file}")
    if notes:
        print()
        print("\n".join(notes))
    if whys:
        print()
        print("\n".join(why_accuracy(whys)))
    recall = gated_recall(results, corpora)
    if recall:
        print("\n".join(recall))
    if args.json:
        args.json.write_text(json.dumps([r.row() for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
