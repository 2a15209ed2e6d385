"""Helm charts as a config source: ``helm template`` when the binary is on PATH, else parity's reading.

A chart folder holds ``Chart.yaml`` and ``templates/``. Values for an environment are the
chart's ``values.yaml`` then the environment's file, the first of ``values-E.yaml``,
``values.E.yaml``, ``E-values.yaml``, ``values/E.yaml`` (aliases like ``prod`` too), merged
as Helm merges ``-f`` files: maps deeply, everything else replaced.

Without ``helm``, parity renders the templates with a small subset of Go templates and Sprig
(https://helm.sh/docs/chart_template_guide/): ``{{ .Values.a.b }}``, pipelines with
``quote``, ``default``, ``toYaml``, ``nindent``/``indent``, ``printf``, ``trunc``,
``trimSuffix``, ``include`` of the chart's ``define`` blocks, ``if``/``else``/``with``/
``range`` over values. A value that comes straight from a values file keeps that file's
line, so an env entry says ``values-production.yaml:12``, not the template. Anything it does
not understand renders empty; a template it cannot turn into YAML is skipped with an info
finding, never reported as invalid YAML (templates are not YAML).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from parity.errors import FileRefused
from parity.model.findings import Severity
from parity.project import ENV_ALIASES
from parity.safefs import Repo
from parity.sources.base import load_yaml, read_text
from parity.sources.kustomize import Problem
from parity.sources.yamlnodes import YamlProblem, YNode, load_documents
from parity.sources.yamlpatch import mapping

RELEASE_NAME = "release-name"  # what ``helm template`` calls the release when given none
HELM_TIMEOUT_S = 60
_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_DEFINE = re.compile(r'\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}(.*?)\{\{-?\s*end\s*-?\}\}', re.S)


@dataclass(frozen=True, slots=True)
class Chart:
    folder: Path
    documents: tuple[YNode, ...]
    files: tuple[Path, ...]
    problems: tuple[Problem, ...]
    renderer: str  # "helm" or "parity"


def _aliases(environment: str) -> list[str]:
    names = [environment] + [a for a, e in ENV_ALIASES.items() if e == environment and a != environment]
    return list(dict.fromkeys(names))


def values_files(chart: Path, environment: str) -> list[Path]:
    """values.yaml, then the environment's values file if there is one."""
    out = [chart / "values.yaml"] if (chart / "values.yaml").is_file() else []
    for env in _aliases(environment):
        for name in (f"values-{env}.yaml", f"values.{env}.yaml", f"{env}-values.yaml", f"values/{env}.yaml"):
            for candidate in (chart / name, chart / name.replace(".yaml", ".yml")):
                if candidate.is_file():
                    return [*out, candidate]
    return out


def merge_values(base: YNode, top: YNode) -> YNode:
    """Helm's coalescing of two values files: maps merge key by key, the rest is replaced."""
    if not (base.is_map and top.is_map):
        return top
    items = dict(base.mapping)
    lines = dict(base.key_lines)
    for key, value in top.mapping.items():
        items[key] = merge_values(items[key], value) if key in items else value
        lines[key] = top.line_of(key)
    return mapping(items, lines, base)


# -- a small template engine ---------------------------------------------------------------------

Src = tuple[Path, int] | None


class Unknown:
    """A value parity cannot compute (a function it does not know, ``.Capabilities``)."""

    def __str__(self) -> str:
        return ""


UNKNOWN = Unknown()


@dataclass
class Out:
    """Rendered text in pieces; a piece that is one values-file scalar remembers where it is."""

    pieces: list[tuple[str, Src]] = field(default_factory=list)

    def add(self, text: str, src: Src = None) -> None:
        if text:
            self.pieces.append((text, src))

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.pieces)


@dataclass
class _Node:
    kind: str  # "text" | "expr" | "if" | "range" | "with" | "root"
    text: str = ""
    line: int = 0
    branches: list[tuple[str | None, list[_Node]]] = field(default_factory=list)  # (condition, body)


def _parse(text: str) -> _Node:
    """Template text → a tree of text, expressions and if/range/with blocks; trim markers applied."""
    root = _Node("root", branches=[(None, [])])
    stack = [root]
    pos = 0
    trim_next = False

    def add_text(start: int, end: int, trim_left: bool, trim_right: bool) -> None:
        chunk = text[start:end]
        if trim_left:
            start += len(chunk) - len(chunk.lstrip())
            chunk = chunk.lstrip()
        if trim_right:
            chunk = chunk.rstrip()
        if chunk:
            stack[-1].branches[-1][1].append(_Node("text", chunk, 1 + text.count("\n", 0, start)))

    for m in _ACTION.finditer(text):
        add_text(pos, m.start(), trim_next, bool(m.group(1)))
        line = 1 + text.count("\n", 0, m.start())
        body = m.group(2).strip()
        trim_next = bool(m.group(3))
        pos = m.end()
        if body.startswith("/*"):
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word) :].strip()
        if word in ("if", "range", "with"):
            node = _Node(word, line=line, branches=[(rest, [])])
            stack[-1].branches[-1][1].append(node)
            stack.append(node)
        elif word == "else" and len(stack) > 1:
            cond = rest[2:].strip() if rest.startswith("if") else None
            stack[-1].branches.append((cond, []))
        elif word == "end" and len(stack) > 1:
            stack.pop()
        elif word in ("define", "block", "template", "end", "else", ""):
            continue
        else:
            stack[-1].branches[-1][1].append(_Node("expr", body, line))
    add_text(pos, len(text), trim_next, False)
    return root


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[^\s()|]+')


def _tokens(expr: str) -> list[str]:
    return _TOKEN.findall(expr)


class _Engine:
    def __init__(self, values: YNode | None, chart: dict[str, object], defines: dict[str, str], file: Path):
        self.top: dict[str, object] = {
            "Values": values,
            "Chart": chart,
            "Release": {"Name": RELEASE_NAME, "Namespace": "default", "Service": "Helm"},
            "Capabilities": UNKNOWN,
        }
        self.defines = defines
        self.file = file
        self.depth = 0

    # values: YNode, dict, str, bool, list, Unknown, None
    def field(self, base: object, names: list[str]) -> object:
        for n in names:
            if isinstance(base, YNode):
                base = base.get(n) if base.is_map else None
            elif isinstance(base, dict):
                base = base.get(n)
            elif isinstance(base, Unknown):
                return UNKNOWN
            else:
                return None
            if base is None:
                return None
        return base

    def term(self, tok: str, dot: object, scope: dict[str, object]) -> object:
        if tok.startswith('"'):
            return bytes(tok[1:-1], "utf-8").decode("unicode_escape")
        if tok.startswith("`"):
            return tok[1:-1]
        if tok == ".":
            return dot
        if tok.startswith("."):
            names = tok[1:].split(".")
            if names[0] in self.top and dot is self.root:
                return self.field(self.top, names)
            return self.field(dot, names)
        if tok.startswith("$"):
            name, _, path = tok.partition(".")
            base = self.root if name == "$" else scope.get(name)
            return self.field(base, path.split(".")) if path else base
        if tok in ("true", "false"):
            return tok == "true"
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if tok == "nil":
            return None
        return self.call(tok, [], dot, scope)

    @property
    def root(self) -> object:
        return self.top

    def command(
        self, toks: list[str], piped: object, has_piped: bool, dot: object, scope: dict[str, object]
    ) -> object:
        args: list[object] = []
        i = 0
        head = toks[0] if toks else ""
        # a leading function name, else a single value
        is_func = (
            bool(head)
            and not head.startswith((".", "$", '"', "`", "("))
            and head not in ("true", "false", "nil")
            and not re.fullmatch(r"-?\d+", head)
        )
        start = 1 if is_func else 0
        i = start
        while i < len(toks):
            tok = toks[i]
            if tok == "(":
                depth, j = 1, i + 1
                while j < len(toks) and depth:
                    depth += {"(": 1, ")": -1}.get(toks[j], 0)
                    j += 1
                args.append(self.pipeline(toks[i + 1 : j - 1], dot, scope))
                i = j
                continue
            args.append(self.term(tok, dot, scope))
            i += 1
        if has_piped:
            args.append(piped)
        if not is_func:
            return args[0] if len(args) == 1 else UNKNOWN
        return self.call(head, args, dot, scope)

    def pipeline(self, toks: list[str], dot: object, scope: dict[str, object]) -> object:
        if len(toks) >= 2 and toks[0].startswith("$") and toks[1] in (":=", "="):
            scope[toks[0]] = self.pipeline(toks[2:], dot, scope)
            return ""
        parts: list[list[str]] = [[]]
        depth = 0
        for t in toks:
            if t == "|" and depth == 0:
                parts.append([])
                continue
            depth += {"(": 1, ")": -1}.get(t, 0)
            parts[-1].append(t)
        value: object = None
        for n, part in enumerate(parts):
            value = self.command(part, value, n > 0, dot, scope)
        return value

    def call(self, name: str, args: list[object], dot: object, scope: dict[str, object]) -> object:
        s = [self.string(a) for a in args]
        if name in ("quote", "squote"):
            q = '"' if name == "quote" else "'"
            if args and isinstance(args[-1], YNode) and args[-1].is_scalar:
                return replace(args[-1], text=q + (args[-1].text or "").replace(q, "\\" + q) + q)
            return q + (s[-1] if s else "") + q
        if name == "default":
            if len(args) < 2:
                return args[0] if args else None
            return args[-1] if _truthy(args[-1]) else args[0]
        if name in ("toYaml", "toJson"):
            return _to_yaml(args[-1]) if args else ""
        if name in ("nindent", "indent"):
            pad = " " * int(s[0]) if s and s[0].isdigit() else ""
            body = args[-1] if args else ""
            return _Indented(body, pad, name == "nindent")
        if name == "printf":
            try:
                return (s[0] if s else "").replace("%d", "%s").replace("%v", "%s") % tuple(s[1:])
            except (TypeError, ValueError):
                return UNKNOWN
        if name == "trunc" and len(s) == 2:
            return s[1][: int(s[0])] if s[0].lstrip("-").isdigit() else s[1]
        if name == "trimSuffix" and len(s) == 2:
            return s[1][: -len(s[0])] if s[0] and s[1].endswith(s[0]) else s[1]
        if name == "trimPrefix" and len(s) == 2:
            return s[1][len(s[0]) :] if s[0] and s[1].startswith(s[0]) else s[1]
        if name in ("upper", "lower", "trim", "toString", "int", "b64enc"):
            import base64

            v = s[-1] if s else ""
            return {
                "upper": v.upper(),
                "lower": v.lower(),
                "trim": v.strip(),
                "b64enc": base64.b64encode(v.encode()).decode(),
            }.get(name, args[-1] if args and isinstance(args[-1], YNode) else v)
        if name == "replace" and len(s) == 3:
            return s[2].replace(s[0], s[1])
        if name == "contains" and len(s) == 2:
            return s[0] in s[1]
        if name == "not":
            return not _truthy(args[-1]) if args else True
        if name == "and":
            return all(_truthy(a) for a in args)
        if name == "or":
            return next((a for a in args if _truthy(a)), args[-1] if args else None)
        if name in ("eq", "ne") and len(s) >= 2:
            same = s[0] in s[1:]
            return same if name == "eq" else not same
        if name == "empty":
            return not _truthy(args[-1]) if args else True
        if name in ("required", "tpl"):
            return args[-1] if name == "required" and args else (args[0] if args else "")
        if name in ("include", "template") and args:
            return self.include(s[0], args[1] if len(args) > 1 else dot)
        return UNKNOWN

    def include(self, name: str, dot: object) -> object:
        body = self.defines.get(name)
        if body is None or self.depth > 20:
            return UNKNOWN
        self.depth += 1
        try:
            out = Out()
            self.render(_parse(body).branches[0][1], dot, {}, out)
            return out.text.strip()
        finally:
            self.depth -= 1

    def string(self, value: object) -> str:
        if isinstance(value, YNode):
            return (value.text or "") if value.is_scalar else ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return ""
        return str(value)

    def eval(self, expr: str, dot: object, scope: dict[str, object]) -> object:
        return self.pipeline(_tokens(expr), dot, scope)

    def render(self, nodes: list[_Node], dot: object, scope: dict[str, object], out: Out) -> None:
        for node in nodes:
            if node.kind == "text":
                out.add(node.text, (self.file, node.line))
            elif node.kind == "expr":
                self.emit(self.eval(node.text, dot, scope), out, node.line)
            elif node.kind == "if":
                for cond, body in node.branches:
                    if cond is None or _truthy(self.eval(cond, dot, dict(scope))):
                        self.render(body, dot, scope, out)
                        break
            elif node.kind == "with":
                cond, body = node.branches[0]
                value = self.eval(cond or "", dot, dict(scope))
                if _truthy(value):
                    self.render(body, value, scope, out)
                elif len(node.branches) > 1:
                    self.render(node.branches[1][1], dot, scope, out)
            elif node.kind == "range":
                self.range(node, dot, scope, out)

    def range(self, node: _Node, dot: object, scope: dict[str, object], out: Out) -> None:
        head, body = node.branches[0]
        head = head or ""
        names: list[str] = []
        if ":=" in head:
            left, head = head.split(":=", 1)
            names = [n.strip() for n in left.split(",")]
        value = self.eval(head.strip(), dot, dict(scope))
        pairs: list[tuple[object, object]] = []
        if isinstance(value, YNode) and value.is_map:
            pairs = [(k, v) for k, v in sorted(value.mapping.items())]  # Go ranges over a map in key order
        elif isinstance(value, YNode) and value.is_seq:
            pairs = list(enumerate(value.items))
        elif isinstance(value, list):
            pairs = list(enumerate(value))
        for k, v in pairs:
            inner = dict(scope)
            if len(names) == 1:
                inner[names[0]] = v
            elif len(names) >= 2:
                inner[names[0]], inner[names[1]] = k, v
            self.render(body, v, inner, out)

    def emit(self, value: object, out: Out, line: int) -> None:
        if isinstance(value, _Indented):
            value.emit(self, out, line)
        elif isinstance(value, Out):
            out.pieces.extend(value.pieces)
        elif isinstance(value, YNode) and value.is_scalar and value.origin is not None:
            out.add(value.text or "", (value.origin, value.line))
        elif isinstance(value, YNode):
            self.emit(_to_yaml(value), out, line)
        else:
            out.add(self.string(value), (self.file, line))


@dataclass
class _Indented:
    body: object
    pad: str
    newline: bool

    def emit(self, engine: _Engine, out: Out, line: int) -> None:
        inner = Out()
        engine.emit(self.body, inner, line)
        if self.newline:
            out.add("\n", (engine.file, line))
        at_start = True
        for text, src in inner.pieces:
            parts = text.split("\n")
            for n, part in enumerate(parts):
                if n:
                    out.add("\n", src)
                    at_start = True
                if part:
                    out.add((self.pad if at_start else "") + part, src)
                    at_start = False


def _truthy(value: object) -> bool:
    if isinstance(value, Unknown):
        return True  # unknown conditions keep their block: better an env entry too many than none
    if isinstance(value, YNode):
        if value.is_scalar:
            return value.text not in (None, "", "false", "0") and value.truthy() is not False
        return bool(value.mapping or value.items)
    return bool(value)


def _yaml_scalar(text: str | None) -> str:
    if text is None:
        return "null"
    special = r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|: | #|\s$|^(true|false|yes|no|on|off|null|~|[-+]?[\d.]+)$"
    if text == "" or re.search(special, text, re.I) or "\n" in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


Line = list[tuple[str, Src]]


def _yaml_lines(n: YNode, ind: str) -> list[Line]:
    """``toYaml`` lines of a map or list (lists at their key's indentation, as sigs.k8s.io/yaml writes)."""
    out: list[Line] = []
    if n.is_map:
        for k, v in n.mapping.items():
            here: Src = (v.origin, n.line_of(k)) if v.origin else None
            if v.is_scalar:
                out.append(
                    [(f"{ind}{k}: ", here), (_yaml_scalar(v.text), (v.origin, v.line) if v.origin else None)]
                )
            elif v.is_map and v.mapping:
                out.append([(f"{ind}{k}:", here)])
                out.extend(_yaml_lines(v, ind + "  "))
            elif v.is_seq and v.items:
                out.append([(f"{ind}{k}:", here)])
                out.extend(_yaml_lines(v, ind))
            else:
                out.append([(f"{ind}{k}: " + ("{}" if v.is_map else "[]"), here)])
        return out
    for item in n.items:
        src: Src = (item.origin, item.line) if item.origin else None
        if item.is_scalar:
            out.append([(f"{ind}- ", src), (_yaml_scalar(item.text), src)])
            continue
        sub = _yaml_lines(item, ind + "  ")
        if not sub:
            out.append([(f"{ind}- " + ("{}" if item.is_map else "[]"), src)])
            continue
        (text, first_src), *rest = sub[0]
        sub[0] = [(f"{ind}- " + text[len(ind) + 2 :], first_src), *rest]
        out.extend(sub)
    return out


def _to_yaml(value: object) -> Out:
    """``toYaml`` of a values node; each scalar remembers its values-file line."""
    out = Out()
    if not isinstance(value, YNode):
        out.add("" if value is None else str(value))
        return out
    if value.is_scalar:
        out.add(_yaml_scalar(value.text), (value.origin, value.line) if value.origin else None)
        return out
    lines = _yaml_lines(value, "")
    if not lines:
        out.add("{}" if value.is_map else "[]")
    for i, line in enumerate(lines):
        if i:
            out.add("\n")
        for text, src in line:
            out.add(text, src)
    return out


# -- reading a chart ------------------------------------------------------------------------------


def _relocate(node: YNode, where: dict[int, tuple[Path, int]]) -> YNode:
    """``node`` (parsed from rendered text) with each line mapped back to its template or values file."""
    origin, line = where.get(node.line, (node.origin, node.line))
    if node.is_map:
        items = {k: _relocate(v, where) for k, v in node.mapping.items()}
        lines = {k: where.get(node.line_of(k), (origin, node.line_of(k)))[1] for k in items}
        return replace(node, mapping=items, key_lines=lines, origin=origin, line=line)
    if node.is_seq:
        return replace(node, items=tuple(_relocate(i, where) for i in node.items), origin=origin, line=line)
    return replace(node, origin=origin, line=line)


def _line_map(out: Out) -> dict[int, tuple[Path, int]]:
    """Rendered line → (file, line): a values-file scalar on a line wins over the template text."""
    where: dict[int, tuple[Path, int]] = {}
    from_values: set[int] = set()
    line = 1
    for text, src in out.pieces:
        if src is not None:
            file, src_line = src
            is_value = not file.name.endswith((".tpl",)) and "templates" not in file.parts
            if is_value and text.strip():
                where[line] = src
                from_values.add(line)
            elif line not in where:
                where[line] = (file, src_line)
            # the template text's own lines advance with it
            for n in range(1, text.count("\n") + 1):
                if not is_value:
                    where.setdefault(line + n, (file, src_line + n))
        line += text.count("\n")
    return where


def _load_values(files: list[Path], repo: Repo, problems: list[Problem]) -> YNode | None:
    merged: YNode | None = None
    for f in files:
        try:
            docs = load_yaml(f, repo)
        except FileRefused as exc:
            problems.append(Problem("SRC015", Severity.ERROR, f"not read: {exc.message}", f, None))
            continue
        except YamlProblem as exc:
            problems.append(
                Problem("SRC001", Severity.ERROR, exc.message, f, exc.line, "fix the YAML syntax")
            )
            continue
        if docs and docs[0].is_map:
            merged = docs[0] if merged is None else merge_values(merged, docs[0])
    return merged


def _chart_meta(chart: Path, repo: Repo, problems: list[Problem]) -> dict[str, object]:
    meta: dict[str, object] = {"Name": chart.name}
    try:
        docs = load_yaml(chart / "Chart.yaml", repo)
    except FileRefused as exc:
        problems.append(
            Problem("SRC015", Severity.ERROR, f"not read: {exc.message}", chart / "Chart.yaml", None)
        )
        return meta
    except YamlProblem as exc:
        problems.append(Problem("SRC001", Severity.ERROR, exc.message, chart / "Chart.yaml", exc.line))
        return meta
    if docs and docs[0].is_map:
        for key, name in (("name", "Name"), ("version", "Version"), ("appVersion", "AppVersion")):
            if docs[0].str_at(key):
                meta[name] = docs[0].str_at(key)
    return meta


def render_chart(chart: Path, environment: str, repo: Repo) -> Chart:
    """The chart's objects for ``environment`` as parity renders them (no helm binary)."""
    problems: list[Problem] = []
    vfiles = values_files(chart, environment)
    values = _load_values(vfiles, repo, problems)
    meta = _chart_meta(chart, repo, problems)
    templates = (
        sorted(p for p in (chart / "templates").rglob("*") if p.is_file())
        if (chart / "templates").is_dir()
        else []
    )
    defines: dict[str, str] = {}
    texts: dict[Path, str] = {}
    for t in templates:
        try:
            texts[t] = read_text(t, repo)
        except FileRefused as exc:
            problems.append(Problem("SRC015", Severity.ERROR, f"not read: {exc.message}", t, None))
            continue
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        defines.update({m.group(1): m.group(2) for m in _DEFINE.finditer(texts[t])})
    docs: list[YNode] = []
    for t, text in texts.items():
        if not t.name.endswith((".yaml", ".yml")) or t.name.startswith("_"):
            continue
        engine = _Engine(values, meta, defines, t)
        out = Out()
        try:
            engine.render(_parse(_DEFINE.sub("", text)).branches[0][1], engine.root, {}, out)
        except (RecursionError, ValueError, TypeError, IndexError) as exc:  # a construct beyond the subset
            problems.append(
                Problem("SRC025", Severity.INFO, f"template not read without helm: {exc}", t, None)
            )
            continue
        where = _line_map(out)
        try:
            parsed = load_documents(out.text, t)
        except YamlProblem as exc:
            line = where.get(exc.line or 0, (t, None))[1] if exc.line else None
            problems.append(
                Problem(
                    "SRC025",
                    Severity.INFO,
                    "template not read without helm (parity renders a subset of Go templates); its env is unknown",
                    t,
                    line,
                    "install helm, or save `helm template` output to a file parity reads",
                )
            )
            continue
        docs.extend(_relocate(d, where) for d in parsed)
    files = (chart / "Chart.yaml", *vfiles, *texts)
    return Chart(chart, tuple(docs), files, tuple(problems), "parity")


def _helm_render(chart: Path, environment: str, helm: str, repo: Repo) -> Chart:
    vfiles = values_files(chart, environment)
    command = [helm, "template", RELEASE_NAME, str(chart)] + [a for f in vfiles for a in ("--values", str(f))]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=HELM_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        proc = None
        message = str(exc)
    if proc is None or proc.returncode != 0:
        msg = message if proc is None else ((proc.stderr.strip().splitlines() or ["no message"])[-1][:300])
        ours = render_chart(chart, environment, repo)
        problem = Problem(
            "SRC025",
            Severity.WARNING,
            f"helm template fails: {msg}; parity's own reading of the chart is used",
            chart / "Chart.yaml",
            None,
        )
        return replace(ours, problems=(*ours.problems, problem))
    # Locate what helm printed with parity's reading: an env value both agree on keeps its
    # values-file line; objects stay attributed to their template (``# Source:``).
    ours = render_chart(chart, environment, repo)
    located = _env_locations(ours.documents)
    docs: list[YNode] = []
    for block in re.split(r"^---\s*$", proc.stdout, flags=re.M):
        m = re.search(r"^# Source: [^/\n]+/(.+)$", block, re.M)
        template = chart / m.group(1).strip() if m else chart / "templates"
        try:
            parsed = load_documents(block, template)
        except YamlProblem:
            continue
        docs.extend(_locate_env(d, located) for d in parsed)
    return Chart(chart, tuple(docs), ours.files, ours.problems, "helm")


def _env_locations(docs: tuple[YNode, ...]) -> dict[tuple[str, str], YNode]:
    """(name, value) → the env entry node parity located, for every env entry of every container."""
    out: dict[tuple[str, str], YNode] = {}

    def walk(n: YNode) -> None:
        if n.is_map:
            env = n.get("env")
            if env is not None and env.is_seq:
                for item in env.items:
                    value = item.get("value") if item.is_map else None
                    if item.is_map and item.str_at("name") and value is not None:
                        out[(item.str_at("name") or "", value.text or "")] = item
            for v in n.mapping.values():
                walk(v)
        elif n.is_seq:
            for i in n.items:
                walk(i)

    for d in docs:
        walk(d)
    return out


def _locate_env(node: YNode, located: dict[tuple[str, str], YNode]) -> YNode:
    if node.is_map:
        items = {}
        for k, v in node.mapping.items():
            if k == "env" and v.is_seq:
                v = replace(
                    v,
                    items=tuple(
                        located.get((i.str_at("name") or "", i.str_at("value") or ""), i)
                        if i.is_map and i.get("value") is not None
                        else i
                        for i in v.items
                    ),
                )
            else:
                v = _locate_env(v, located)
            items[k] = v
        return replace(node, mapping=items)
    if node.is_seq:
        return replace(node, items=tuple(_locate_env(i, located) for i in node.items))
    return node


def read_chart(chart: Path, environment: str, repo: Repo) -> Chart:
    """The chart's objects for ``environment``: ``helm template`` when helm is on PATH."""
    helm = shutil.which("helm")
    if helm is not None:
        return _helm_render(chart, environment, helm, repo)
    return render_chart(chart, environment, repo)
