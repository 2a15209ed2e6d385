"""Extractors for JavaScript/TypeScript, Go, Ruby, Java/Kotlin, PHP, shell, Dockerfile and compose files.

These use **precise patterns**, not a parser: each file is first *masked* — comments become
spaces and the inside of every string literal becomes ``\\x01`` — keeping every offset and line,
so a pattern can only match real code. A string literal then reads as ``"\\x01\\x01"`` and its
value is taken from the original text at the same offsets. JS template literals keep their
``${...}`` parts unmasked (code runs there). Shell-like files keep double-quoted text (``${X}``
expands inside it) and mask only single-quoted strings and comments.

Chosen over tree-sitter to avoid a compiled grammar per language: the constructs that read env vars
are few and lexically distinctive once comments and strings are out of the way.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator

from parity.code.guards import coping
from parity.code.refs import SYSTEM_VARS, RawRef

MASK = "\x01"
STR = r"(?:\"\x01*\"|'\x01*'|`\x01*`)"
_DEFAULT = rf"\s*(?P<op>\|\||\?\?|\?:|\bor\b)\s*(?P<d>{STR}|-?[\w.]+)"

_C_TOKENS = re.compile(
    r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`", re.S
)
_HASH_TOKENS = re.compile(r"#[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
_PHP_TOKENS = re.compile(r"//[^\n]*|#[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
# Shell: a comment starts at a word boundary; "$#" and "${#X}" are not comments.
# The lookahead lets the engine skip to the next "#" or "'" instead of trying both branches everywhere.
_SHELL_TOKENS = re.compile(r"(?=[#'])(?:(?<![^\s])#[^\n]*|'[^']*')", re.S)
_INTERP = re.compile(r"\$\{[^`}]*\}")


_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank(text: str, fill: str) -> str:
    if "\n" not in text:
        return fill * len(text)
    return _NOT_NEWLINE.sub(fill, text)


def _mask_token(m: re.Match[str]) -> str:
    tok = m.group()
    if tok[0] not in "\"'`" or len(tok) < 2:
        return _blank(tok, " ")  # a comment
    inner = _blank(tok[1:-1], MASK)
    if tok[0] == "`" and "${" in tok:
        # Keep code inside template interpolations visible.
        chars = list(inner)
        for im in _INTERP.finditer(tok, 1, len(tok) - 1):
            chars[im.start() - 1 : im.end() - 1] = tok[im.start() : im.end()]
        inner = "".join(chars)
    return tok[0] + inner + tok[-1]


def mask(text: str, tokens: re.Pattern[str]) -> str:
    """Blank comments and string interiors, keeping length and newlines (see module docstring)."""
    # One pass building the pieces: the one-line tokens (nearly all) are filled inline, without the
    # call per token that ``sub`` with a function makes.
    out: list[str] = []
    pos = 0
    for m in tokens.finditer(text):
        a, b = m.span()
        out.append(text[pos:a])
        pos = b
        first = text[a]
        if "\n" in text[a:b] or (first == "`" and "${" in text[a:b]):
            out.append(_mask_token(m))
        elif first in "\"'`" and b - a >= 2:
            out.append(first + MASK * (b - a - 2) + text[b - 1])
        else:
            out.append(" " * (b - a))
    out.append(text[pos:])
    return "".join(out)


class _Lines:
    """Line numbers of offsets, counted lazily: matches are few, files can be long."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.n = text, 0, 1

    def line(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.n = 0, 1
        self.n += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.n


def _lit(original: str, start: int, end: int) -> str:
    return original[start + 1 : end - 1]


# pattern, via, behaviour when missing ("none" | "crash" | "checked"), a literal every match contains
Rule = tuple[re.Pattern[str], str, str, str]


def _rules(*specs: tuple[str, str, str, str]) -> list[Rule]:
    return [(re.compile(p), via, how, needle) for p, via, how, needle in specs]


_SDK = (
    rf"\.(?P<sdk>variation|boolVariation|BoolVariation|isEnabled|IsEnabled|is_enabled|getBooleanValue|"
    rf"GetBooleanValue|BooleanValue|get_boolean_value|isOn|IsOn|is_on)\(\s*(?:[\w.]+\s*,\s*)?(?P<k>{STR})"
)
_SDK_NAMES = {
    "variation": "LaunchDarkly", "boolVariation": "LaunchDarkly", "BoolVariation": "LaunchDarkly",
    "isEnabled": "Unleash", "IsEnabled": "Unleash", "is_enabled": "Unleash",
    "getBooleanValue": "OpenFeature", "GetBooleanValue": "OpenFeature", "BooleanValue": "OpenFeature",
    "get_boolean_value": "OpenFeature", "isOn": "GrowthBook", "IsOn": "GrowthBook", "is_on": "GrowthBook",
}  # fmt: skip

JS_RULES = _rules(
    (rf"process\.env\.(?P<n>[A-Za-z_$][\w$]*+)(?:{_DEFAULT})?", "process.env", "none", "process.env"),
    (rf"process\.env\[\s*(?P<k>{STR})\s*\](?:{_DEFAULT})?", "process.env", "none", "process.env"),
    (r"process\.env\[(?P<dyn>[^\]\n]+)\]", "process.env", "none", "process.env"),
    (
        rf"import\.meta\.env\.(?P<n>[A-Za-z_$][\w$]*+)(?:{_DEFAULT})?",
        "import.meta.env",
        "none",
        "import.meta",
    ),
    (rf"import\.meta\.env\[\s*(?P<k>{STR})\s*\](?:{_DEFAULT})?", "import.meta.env", "none", "import.meta"),
    (rf"Deno\.env\.get\(\s*(?P<k>{STR})\s*\)(?:{_DEFAULT})?", "Deno.env.get", "none", "Deno.env"),
    (r"\{(?P<destructure>[^{}]*+)\}\s*=\s*process\.env\b", "process.env", "none", "} = process.env"),
)
GO_RULES = _rules(
    # The package name before the dot is read back from the text (see run_rules), so the patterns can
    # start with their literal.
    (rf"\.Getenv\(\s*(?P<k>{STR})\s*\)", "os.Getenv", "none", ".Getenv("),
    (rf"\.LookupEnv\(\s*(?P<k>{STR})\s*\)", "os.LookupEnv", "checked", ".LookupEnv("),
    (r"\.(?:Getenv|LookupEnv)\((?P<dyn>[^)\"\n]+)\)", "os.Getenv", "none", "Env("),
)
JAVA_RULES = _rules(
    (rf"System\.getenv\(\s*(?P<k>{STR})\s*\)(?:{_DEFAULT})?", "System.getenv", "none", "System.getenv("),
    (
        rf"System\.getenv\(\)\.getOrDefault\(\s*(?P<k>{STR})\s*,\s*(?P<d>{STR}|[\w.]+)",
        "System.getenv",
        "none",
        "System.getenv().getOrDefault(",
    ),
    (rf"System\.getenv\(\)\.get\(\s*(?P<k>{STR})\s*\)", "System.getenv", "none", "System.getenv().get("),
    (r"System\.getenv\((?P<dyn>[^)\"\n]+)\)", "System.getenv", "none", "System.getenv("),
)
RUBY_RULES = _rules(
    (rf"ENV\.fetch\(\s*(?P<k>{STR})\s*,\s*(?P<d>{STR}|[\w.:]+)\s*\)", "ENV.fetch", "none", "ENV.fetch("),
    (rf"ENV\.fetch\(\s*(?P<k>{STR})\s*\)\s*(?P<block>\{{|do\b)?", "ENV.fetch", "crash", "ENV.fetch("),
    (
        rf"ENV\[\s*(?P<k>{STR})\s*\](?:{_DEFAULT}|\s*(?P<op2>\|\|)\s*(?P<d2>{STR}|[\w.:]+))?",
        "ENV[]",
        "none",
        "ENV[",
    ),
    (rf"ENV\.key\?\(\s*(?P<k>{STR})\s*\)", "ENV.key?", "checked", "ENV.key?("),
    (r"ENV\[(?P<dyn>[^\]\"'\n]+)\]", "ENV[]", "none", "ENV["),
)
PHP_RULES = _rules(
    (rf"getenv\(\s*(?P<k>{STR})\s*\)(?:{_DEFAULT})?", "getenv", "none", "getenv("),
    (rf"\$_ENV\[\s*(?P<k>{STR})\s*\](?:{_DEFAULT})?", "$_ENV", "none", "$_ENV["),
    (rf"(?<![\w$>:])env\(\s*(?P<k>{STR})\s*(?:,\s*(?P<d>{STR}|-?[\w.]+)\s*)?\)", "env()", "none", "env("),
)
SHELL_RULES = _rules(
    (r"(?<!\$)\$\{(?P<n>[A-Za-z_][A-Za-z0-9_]*+)(?:(?P<sop>:?[-=?+])(?P<sd>[^}]*))?\}", "${}", "none", "${"),
    (r"(?<![\$\\])\$(?P<n>[A-Z_][A-Z0-9_]*+)\b", "$", "none", "$"),
)

_IDENT_BEFORE = re.compile(r"(?<![\w.])[A-Za-z_]\w*$")
# Names a script sets itself: assigned, ``read`` into, or a ``for`` loop's variable. Three patterns,
# not one alternation: each then starts with something the engine can search for.
_SHELL_LOCAL = (
    re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)*)?([A-Za-z_]\w*)=", re.M),
    re.compile(r"\bread\s+(?:-\w+\s+)*([A-Za-z_]\w*)"),
    re.compile(r"\bfor\s+([A-Za-z_]\w*)\s+in\b"),
)
_DOCKER_DECL = re.compile(r"^\s*(?:ARG|ENV)\s+(?P<n>[A-Za-z_]\w*)", re.M | re.I)
_GO_OS_ALIAS = re.compile(r"(?:^|[\s(])(?P<a>[A-Za-z_]\w*)?\s*\Z")


def _go_os_aliases(text: str) -> set[str]:
    """The names a Go file imports package ``os`` under (``import "os"``, ``sys "os"`` in a block).

    Found from each ``"os"`` back to the start of its line: a regex tried at every blank of the
    file cost more than the rest of the Go extraction."""
    out: set[str] = set()
    i = text.find('"os"')
    while i != -1:
        m = _GO_OS_ALIAS.search(text[text.rfind("\n", 0, i) + 1 : i])
        if m:
            out.add(m["a"] or "os")
        i = text.find('"os"', i + 4)
    if "import" in out:  # ``import "os"``: the plain name
        out.discard("import")
        out.add("os")
    return out


def _default_text(masked_default: str, start: int, original: str) -> str:
    if masked_default and masked_default[0] in "\"'`":
        return original[start + 1 : start + len(masked_default) - 1]
    return masked_default


def run_rules(
    original: str,
    masked: str,
    rules: list[Rule],
    *,
    os_names: set[str] | None = None,
    guards: bool = True,
) -> Iterator[RawRef]:
    """Every read the ``rules`` match; with ``guards``, the code around a read says whether it
    copes with the variable unset (:func:`parity.code.guards.coping`); shell has its own syntax."""
    lines = _Lines(original)
    taken: set[int] = set()
    tested: set[tuple[int, str]] = set()
    for pattern, via, how, needle in rules:
        if needle not in masked:
            continue
        for m in pattern.finditer(masked):
            if m.start() in taken:
                continue
            # Patterns start with their literal (so the regex engine can search for it fast); the
            # word boundary a leading \b would give is checked here instead.
            if (
                m.start()
                and (masked[m.start() - 1].isalnum() or masked[m.start() - 1] in "_$")
                and masked[m.start()].isalpha()
            ):
                continue
            gd = m.groupdict()
            if os_names is not None:
                mod = _IDENT_BEFORE.search(masked, max(0, m.start() - 64), m.start())
                if mod is None or mod.group() not in os_names:
                    continue
            line = lines.line(m.start())
            if gd.get("destructure") is not None:
                offset = m.start("destructure")
                for part in gd["destructure"].split(","):
                    dm = re.match(
                        r"\s*(?P<n>[A-Za-z_$][\w$]*)\s*(?::\s*[\w$]+\s*)?(?:=\s*(?P<d>.+?))?\s*$", part
                    )
                    if dm and dm["n"] != "...":
                        d = dm["d"]
                        if d and d[0] in "\"'`":
                            d = _default_text(d, offset + dm.start("d"), original)
                        yield RawRef(dm["n"], line, via, default=d, has_default=d is not None)
                    offset += len(part) + 1
                taken.add(m.start())
                continue
            if gd.get("dyn") is not None:
                dyn = gd["dyn"].strip()
                if dyn and dyn[0] not in "\"'`":
                    yield RawRef("*", line, via, dynamic=True)
                elif dyn.startswith("`"):
                    # A template with ${...}: a name built at run time.
                    raw = original[m.start("dyn") : m.end("dyn")].strip()[1:-1]
                    yield RawRef(re.sub(r"\$\{[^}]*\}", "*", raw), line, via, dynamic=True)
                taken.add(m.start())
                continue
            name = gd["n"] if gd.get("n") is not None else _lit(original, m.start("k"), m.end("k"))
            default: str | None = None
            has_default = how == "checked"
            crashes = how == "crash"
            d_key = "d" if gd.get("d") is not None else ("d2" if gd.get("d2") is not None else None)
            if d_key:
                default = _default_text(gd[d_key], m.start(d_key), original)
                has_default = True
            if gd.get("block"):
                has_default, crashes = True, False
            sop = gd.get("sop")
            if sop:
                if "?" in sop:
                    crashes = True
                elif "-" in sop or "=" in sop:
                    default, has_default = gd.get("sd") or "", True
                else:  # ${X:+alt} reads X only to test it
                    has_default = True
            boolean = False
            if guards and not has_default and not crashes:
                cope = coping(original, masked, m.start(), m.end())
                boolean, crashes = cope.boolean, cope.crashes
                if cope.default is not None or cope.guarded or (line, name) in tested:
                    # ``X.present? ? X.to_i : 200``: the second read is behind the first's test.
                    default, has_default = cope.default, True
                    tested.add((line, name))
            yield RawRef(
                name, line, via, default=default, has_default=has_default, crashes=crashes, boolean=boolean
            )
            taken.add(m.start())


def _sdk(original: str, masked: str) -> Iterator[RawRef]:
    lines = _Lines(original)
    for m in re.finditer(_SDK, masked):
        key = _lit(original, m.start("k"), m.end("k"))
        if key:
            yield RawRef(key, lines.line(m.start()), f"{_SDK_NAMES[m['sdk']]} {m['sdk']}", kind="sdk")


def js_references(text: str) -> list[RawRef]:
    masked = mask(text, _C_TOKENS)
    return [*run_rules(text, masked, JS_RULES), *_sdk(text, masked)]


def go_references(text: str) -> list[RawRef]:
    masked = mask(text, _C_TOKENS)
    aliases = _go_os_aliases(text)
    refs = [*run_rules(text, masked, GO_RULES, os_names=aliases or {"os"}), *_sdk(text, masked)]
    helpers = _go_helpers(masked)
    if not helpers:
        return refs
    lines = _Lines(text)
    spans = [(lines.line(a), lines.line(b)) for _, _, _, a, b in helpers]
    # A helper's own ``os.Getenv(key)`` is not a read of "any key": its callers say which.
    out = [r for r in refs if not (r.dynamic and any(a <= r.line <= b for a, b in spans))]
    for name, index, crashes, _, _ in helpers:
        for m in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", masked):
            args = call_args(masked, m.end())
            if index < len(args) and re.fullmatch(
                r"\s*\"\x01*\"\s*", masked[args[index][0] : args[index][1]]
            ):
                a, b = args[index]
                lit = text[a:b].strip()[1:-1]
                if lit:
                    out.append(RawRef(lit, lines.line(m.start()), f"{name}()", crashes=crashes))
    return out


_GO_FUNC = re.compile(r"^func\s+(?P<name>[A-Za-z_]\w*)\((?P<params>[^)]*)\)[^{\n]*\{", re.M)
_GO_NAMED_READ = re.compile(r"\.(?:Getenv|LookupEnv)\(\s*(?P<p>[A-Za-z_]\w*)\s*\)")
_BRACES = re.compile(r"[{}]")
_GO_FAILS = re.compile(r"\bpanic\(|\blog\.Fatal|\bos\.Exit\(|\.Fatal\w*\(")


def call_args(masked: str, start: int) -> list[tuple[int, int]]:
    """Spans of the top-level arguments of the call whose ``(`` ends at ``start`` in masked C-like
    source (Go, JS/TS): none for ``f()``, nor for the empty tail of ``f(a,)``."""
    depth, out, begin = 0, [], start
    for i in range(start, min(len(masked), start + 2000)):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                if masked[begin:i].strip():
                    out.append((begin, i))
                return out
            depth -= 1
        elif c == "," and depth == 0:
            out.append((begin, i))
            begin = i + 1
    return out


def _go_helpers(masked: str) -> list[tuple[str, int, bool, int, int]]:
    """``(name, key parameter index, fails when unset, body start, body end)`` of the functions
    whose parameter is the key of an ``os.Getenv``/``os.LookupEnv`` in their body
    (``func mustMapEnv(target *string, key string) { v := os.Getenv(key); if v == "" { panic(…) } }``)."""
    out: list[tuple[str, int, bool, int, int]] = []
    # A helper reads a key it is given: without a read of a plain name there is none to look for.
    reads = [r.start() for r in _GO_NAMED_READ.finditer(masked)]
    if not reads:
        return out
    funcs = list(_GO_FUNC.finditer(masked))
    for m, following in zip(funcs, [*funcs[1:], None], strict=True):
        # Top-level functions start in column 0 (gofmt): a body ends before the next one begins.
        i = bisect.bisect_left(reads, m.end())
        if i == len(reads) or (following is not None and reads[i] >= following.start()):
            continue
        depth, end = 1, None
        for b in _BRACES.finditer(masked, m.end()):
            depth += 1 if b.group() == "{" else -1
            if depth == 0:
                end = b.start()
                break
        if end is None:
            continue
        body = masked[m.end() : end]
        params = [p.strip().split()[0] for p in m["params"].split(",") if p.strip()]
        read = _GO_NAMED_READ.search(body)
        if read and read["p"] in params:
            out.append((m["name"], params.index(read["p"]), bool(_GO_FAILS.search(body)), m.start(), end))
    return out


def java_references(text: str) -> list[RawRef]:
    masked = mask(text, _C_TOKENS)
    return [*run_rules(text, masked, JAVA_RULES), *_sdk(text, masked)]


def ruby_references(text: str) -> list[RawRef]:
    masked = mask(text, _HASH_TOKENS)
    return [*run_rules(text, masked, RUBY_RULES), *_sdk(text, masked)]


def php_references(text: str) -> list[RawRef]:
    masked = mask(text, _PHP_TOKENS)
    return [*run_rules(text, masked, PHP_RULES), *_sdk(text, masked)]


def _shell_like(text: str, local: set[str]) -> list[RawRef]:
    masked = mask(text, _SHELL_TOKENS)
    out = []
    for r in run_rules(text, masked, SHELL_RULES, guards=False):
        if r.name in local or r.name in SYSTEM_VARS:
            continue
        if not r.name.isupper() and not r.name.strip("_0123456789").isupper():
            continue  # lower-case names are shell locals by convention
        out.append(r)
    return out


def shell_references(text: str) -> list[RawRef]:
    local = {m[1] for p in _SHELL_LOCAL for m in p.finditer(text)}
    return _shell_like(text, local)


def dockerfile_references(text: str) -> list[RawRef]:
    # Names declared by ARG/ENV in the file are build arguments or set by the image itself.
    return _shell_like(text, {m["n"] for m in _DOCKER_DECL.finditer(text)})


def compose_references(text: str) -> list[RawRef]:
    return _shell_like(text, set())


EXTRACTORS: dict[str, Callable[[str], list[RawRef]]] = {
    "javascript": js_references,
    "go": go_references,
    "java": java_references,
    "ruby": ruby_references,
    "php": php_references,
    "shell": shell_references,
    "dockerfile": dockerfile_references,
    "compose": compose_references,
}
