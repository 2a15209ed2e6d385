"""JavaScript/TypeScript env reads that name their key away from ``process.env.X``.

Monorepos in TypeScript seldom write ``process.env.X`` where they use ``X``: they declare the keys
(``interface ProcessEnv { X?: string }``), validate them in a schema (zod, t3-env's ``createEnv``,
class-validator classes) or read them through a helper (``env("X")``, ``requireEnv("X")``). Each
such key is a read here, with what the declaration says about a missing value: an optional member,
``.optional()``/``.default()``/``.catch()`` or ``@IsOptional()`` mean the code copes; a bare zod
field fails at start (the schema's parse throws).

Everything works on the text :mod:`parity.code.patterns` has already masked (comments blanked,
string interiors ``\\x01``), so the file is masked once. Helpers are found in one file and called
from others: :func:`helpers_in` finds them, :func:`helper_reads` reads their calls (the scanner runs
it over the files that name a helper, as for Python's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from parity.code.guards import BOOLEAN_LITERALS, coping
from parity.code.patterns import (
    _C_TOKENS,
    _DEFAULT,
    JS_RULES,
    STR,
    _Lines,
    _rules,
    _sdk,
    call_args,
    mask,
    run_rules,
)
from parity.code.refs import RawRef, Reference

_KEY = r"[A-Z][A-Z0-9_]*+"  # env keys are upper case; a lower-case member is an app setting

# ``interface ProcessEnv {`` (NodeJS namespace) and Vite's ``interface ImportMetaEnv {``
_DECL = re.compile(r"\binterface\s+(?P<which>ProcessEnv|ImportMetaEnv)\b[^{]*\{")
_MEMBER = re.compile(rf"(?:^|[;{{\n])\s*(?:readonly\s+)?(?P<k>{_KEY})\s*(?P<opt>\?)?\s*:", re.M)

# zod fields: ``X: z.string().optional(),`` (also inside t3-env's server/client blocks)
_ZOD_FIELD = re.compile(rf"(?<![\w$.])(?P<k>{_KEY})\s*:\s*(?P<z>z\s*\.)")
_ZOD_COPES = re.compile(r"\.\s*(?:optional|default|catch|nullish)\s*\(")
_ZOD_DEFAULT = re.compile(rf"\.\s*(?:default|catch)\s*\(\s*(?P<d>{STR}|-?[\w.]+)\s*\)")
_ZOD_BOOL = re.compile(r"\bz\s*\.\s*(?:coerce\s*\.\s*)?boolean\s*\(|\bz\s*\.\s*(?:stringbool|boolish)\s*\(")
_ZOD_ENUM = re.compile(r"\bz\s*\.\s*enum\s*\(\s*\[(?P<items>[^\]]*)\]")

# Aliases of process.env: ``const env = process.env`` and a default import of a module named for
# the environment (``import environment from "./utils/environment"``, which re-exports it).
# The literal comes first so the regex engine can search for it fast; the binding is read back.
_BARE_ENV = re.compile(r"process\.env(?=\s*(?:[;,)\n]|$|as\s))")
_BINDING = re.compile(r"\b(?:const|let|var)\s+(?P<a>[A-Za-z_$][\w$]*)\s*(?::[^=\n]+)?=\s*$")
_ENV_IMPORT = re.compile(r"\bimport\s+(?P<a>[A-Za-z_$][\w$]*)\s+from\s+(?P<m>\"\x01*\"|'\x01*')")
_ENV_MODULE = re.compile(r"(?:^|/)environment$")

# class-validator fields: ``@IsOptional() … public X = this.toOptionalString(environment.X);``
_FIELD = re.compile(
    rf"(?P<decos>(?:[ \t]*@[\w$.]+(?:\([^;]*?\))?[ \t]*\n)*)[ \t]*(?:public|readonly|private|protected)\s+"
    rf"(?:readonly\s+)?(?P<k>{_KEY})\s*(?::[^=;\n]+)?=(?P<init>[^;]*)"
)
_VALIDATOR = re.compile(r"@(?:Is(?!Optional)\w+|Length|Min|Max|Matches|Contains)\b")

# A helper: ``const env = (name: string) => process.env[name]`` or ``function requireEnv(name) {``
_FUNC = re.compile(
    r"(?:\bfunction\s+(?P<f>[A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\((?P<fp>[^()]*)\)[^{;]*\{)|"
    r"(?:\b(?:const|let|var)\s+(?P<a>[A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:<[^>()]*>)?"
    r"\s*\((?P<ap>[^()]*)\)\s*(?::[^=]*?)?=>)"
)
_DYN_READ = re.compile(r"process\??\.env\??\.?\[\s*(?P<p>[A-Za-z_$][\w$]*)(?:\s+as\s+\w+)?\s*\]")
_THROWS = re.compile(r"\bthrow\b|process\.exit\(")


@dataclass(frozen=True, slots=True)
class Helper:
    """A JS function that reads the variable one of its parameters names."""

    name: str
    key_index: int
    default_index: int | None  # the parameter returned when the variable is unset (``?? fallback``)
    crashes: bool  # throws (or exits) when the variable is unset
    boolean: bool  # compares the value with a boolean-ish literal
    line_start: int
    line_end: int


def js_references(text: str) -> list[RawRef]:
    """Every env read of one JS/TS file: the plain patterns and the schema-shaped ones, masked once."""
    masked = mask(text, _C_TOKENS)
    refs = [*run_rules(text, masked, JS_RULES), *_sdk(text, masked)]
    return refs + schema_reads(text, masked, refs)


def schema_reads(text: str, masked: str, plain: list[RawRef]) -> list[RawRef]:
    """The reads declared or validated rather than written as ``process.env.X`` (module docstring).
    ``plain`` are the file's pattern reads; a key they already read on a line is not read twice."""
    # Substring tests first (each a fast scan): this runs for every JS file, and most have none of it.
    out: list[RawRef] = []
    if "Env" in masked and "interface" in masked:
        out.extend(declared(text, masked))
    has_env = "process.env" in masked
    if "z." in masked and (has_env or "createEnv" in masked or "import.meta.env" in masked):
        out.extend(zod_fields(text, masked))
    imports_env = "nvironment" in text and ('environment"' in text or "environment'" in text)
    if has_env or imports_env:
        out.extend(alias_reads(text, masked, has_env, imports_env))
    if "env?.[" in masked:
        out.extend(_dynamic_reads(masked, plain))
    if not out:
        return out
    if "@IsOptional" in masked or "class-validator" in text:
        out = _class_fields(masked, out)
    seen = {(r.name, r.line) for r in plain}
    return [r for r in out if (r.name, r.line) not in seen]


def declared(text: str, masked: str) -> Iterator[RawRef]:
    """The members of ``interface ProcessEnv``/``ImportMetaEnv``: the keys the code knows. A type
    runs nothing, so a member is a read that copes (it makes no key required by itself; the real
    reads decide); ``?`` is kept in ``via`` (``ProcessEnv type (optional)``) for
    :func:`typed_optional`."""
    lines = _Lines(text)
    for m in _DECL.finditer(masked):
        end = _close(masked, m.end() - 1)
        via = "ProcessEnv type" if m["which"] == "ProcessEnv" else "ImportMetaEnv type"
        body = masked[m.end() : end]
        depth_ok = _top_level(body)
        for f in _MEMBER.finditer(body):
            if not depth_ok(f.start("k")):
                continue
            line = lines.line(m.end() + f.start("k"))
            yield RawRef(f["k"], line, f"{via} (optional)" if f["opt"] else via, has_default=True)


def zod_fields(text: str, masked: str) -> Iterator[RawRef]:
    """``X: z.…`` fields: coping when optional/defaulted/caught, else failing at start."""
    lines = _Lines(text)
    for m in _ZOD_FIELD.finditer(masked):
        chain_end = _field_end(masked, m.start("z"))
        chain = masked[m.start("z") : chain_end]
        copes = bool(_ZOD_COPES.search(chain))
        default = None
        dm = _ZOD_DEFAULT.search(chain)
        if dm:
            d = dm["d"]
            start = m.start("z") + dm.start("d")
            default = text[start + 1 : start + len(d) - 1] if d[0] in "\"'`" else d
        boolean = bool(_ZOD_BOOL.search(chain))
        em = _ZOD_ENUM.search(chain)
        if em and not boolean:
            a = m.start("z") + em.start("items")
            items = {s.strip().strip("\"'`").lower() for s in text[a : a + len(em["items"])].split(",")}
            boolean = bool(items) and items <= BOOLEAN_LITERALS
        yield RawRef(
            m["k"],
            lines.line(m.start()),
            "zod schema",
            default=default,
            has_default=copes,
            crashes=not copes,
            boolean=boolean,
        )


def alias_reads(text: str, masked: str, has_env: bool = True, imports_env: bool = True) -> Iterator[RawRef]:
    """``env.X`` where ``env`` is process.env by another name (module docstring)."""
    aliases = set()
    for m in _BARE_ENV.finditer(masked) if has_env else ():
        if b := _BINDING.search(masked, max(0, m.start() - 200), m.start()):
            aliases.add(b["a"])
    if imports_env:  # a module path ending in "environment"
        for m in _ENV_IMPORT.finditer(masked):
            module = text[m.start("m") + 1 : m.end("m") - 1]
            if _ENV_MODULE.search(module):
                aliases.add(m["a"])
    aliases.discard("process")
    if not aliases:
        return
    names = "|".join(sorted(map(re.escape, aliases)))
    rules = _rules((rf"(?:{names})\.(?P<n>{_KEY})(?:{_DEFAULT})?", "process.env alias", "none", "."))
    yield from run_rules(text, masked, rules)


def _class_fields(masked: str, refs: list[RawRef]) -> list[RawRef]:
    """Reads in the fields of a class-validator env class, which is validated at start (and exits on
    an error): a field marked ``@IsOptional()`` or without validators may be unset; a validated one
    without a non-empty default fails at start when unset (``@IsNotEmpty() X = env.X ?? ""``)."""
    verdicts: list[tuple[int, int, str, bool]] = []  # (first line, last line, key, fails when unset)
    lines = _Lines(masked)
    for m in _FIELD.finditer(masked):
        optional = "IsOptional" in m["decos"] or "toOptional" in m["init"]
        fails = not optional and bool(_VALIDATOR.search(m["decos"]))
        verdicts.append((lines.line(m.start("k")), lines.line(m.end("init")), m["k"], fails))
    if not verdicts:
        return refs
    out = []
    for r in refs:
        # Only the field's own key fails validation; another read in it is a fallback.
        v = next((fails and k == r.name for a, b, k, fails in verdicts if a <= r.line <= b), None)
        if v is None or r.dynamic:
            out.append(r)
        elif v and not r.default:
            out.append(replace(r, default=None, has_default=False, crashes=True))
        elif not v:
            out.append(replace(r, has_default=True, crashes=False))
        else:
            out.append(r)
    return out


def _dynamic_reads(masked: str, plain: list[RawRef]) -> Iterator[RawRef]:
    """``process?.env?.[name]``, ``process.env?.[name]``: a read of any key, as the plain patterns report ``process.env[name]``
    (it marks the file as a place a helper may be defined)."""
    lines = _Lines(masked)
    have = {r.line for r in plain if r.dynamic}
    for m in _DYN_READ.finditer(masked):
        line = lines.line(m.start())
        if "env?." in masked[m.start() : m.start("p")] and line not in have:
            yield RawRef("*", line, "process.env", dynamic=True)


def helpers_in(text: str) -> list[Helper]:
    """The functions of one file whose parameter is the key of a ``process.env[...]`` read, or of a
    call to another such function (``requireEnv(name)`` calling ``env(name)``)."""
    masked = mask(text, _C_TOKENS)
    lines = _Lines(text)
    funcs = []
    for m in _FUNC.finditer(masked):
        name = m["f"] or m["a"]
        params = [_param_name(p) for p in _split(m["fp"] if m["f"] else m["ap"])]
        start = m.end()
        while start < len(masked) and masked[start] in " \t\n":
            start += 1
        end = _close(masked, start) if masked[start : start + 1] == "{" else _field_end(masked, start)
        funcs.append((name, params, masked[start:end], lines.line(m.start()), lines.line(end)))
    found: dict[str, Helper] = {}
    changed = True
    while changed:  # a helper calling a helper is one too
        changed = False
        for name, params, body, a, b in funcs:
            if name in found or not params:
                continue
            key = _key_param(body, params, found)
            if key is None:
                continue
            fallback = None
            for i, p in enumerate(params):
                if i != key and p and re.search(rf"(?:\?\?|\|\|)\s*{re.escape(p)}\b", body):
                    fallback = i
            # A name that says so (``envBool``): its callers use the value as a switch.
            boolean = "bool" in name.lower()
            found[name] = Helper(name, key, fallback, bool(_THROWS.search(body)), boolean, a, b)
            changed = True
    return list(found.values())


def helper_reads(text: str, helpers: list[Helper], masked: str | None = None) -> list[RawRef]:
    """The calls of ``helpers`` with a literal key: each a read of that key."""
    masked = masked if masked is not None else mask(text, _C_TOKENS)
    lines = _Lines(text)
    by_name = {h.name: h for h in helpers}
    names = "|".join(sorted(map(re.escape, by_name), key=len, reverse=True))
    out = []
    for m in re.finditer(rf"(?<![\w$.])(?P<h>{names})\s*(?:<[^<>()]*>)?\(", masked):
        h = by_name[m["h"]]
        args = call_args(masked, m.end())
        if h.key_index >= len(args):
            continue
        a, b = args[h.key_index]
        if not re.fullmatch(rf"\s*{STR}\s*", masked[a:b]) or "`" in masked[a:b]:
            continue
        key = text[a:b].strip()[1:-1]
        if not key:
            continue
        default, has_default = None, False
        if h.default_index is not None and h.default_index < len(args):
            da, db = args[h.default_index]
            d = text[da:db].strip()
            default = d[1:-1] if d[:1] in "\"'`" else d
            has_default = True
        crashes, boolean = h.crashes and not has_default, h.boolean
        if not has_default and not crashes:
            # ``env("X") || "local"``, ``if (!env("X"))``: the caller copes, as with process.env.X.
            end = args[-1][1] + 1
            cope = coping(text, masked, m.start(), end)
            boolean, crashes = boolean or cope.boolean, cope.crashes
            if cope.default is not None or cope.guarded:
                default, has_default = cope.default, True
        out.append(
            RawRef(
                key,
                lines.line(m.start()),
                f"{h.name}()",
                default=default,
                has_default=has_default,
                crashes=crashes,
                boolean=boolean,
            )
        )
    return out


def _key_param(body: str, params: list[str], found: dict[str, Helper]) -> int | None:
    for m in _DYN_READ.finditer(body):
        if m["p"] in params:
            return params.index(m["p"])
    for name, h in found.items():
        for m in re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*\(", body):
            args = call_args(body, m.end())
            if h.key_index < len(args):
                arg = body[args[h.key_index][0] : args[h.key_index][1]].strip()
                arg = re.sub(r"\s+as\s+.*$", "", arg)
                if arg in params:
                    return params.index(arg)
    return None


def _param_name(p: str) -> str:
    m = re.match(r"\s*(?:\.\.\.)?([A-Za-z_$][\w$]*)", p)
    return m.group(1) if m else ""


def _split(params: str) -> list[str]:
    return [p for p in params.split(",") if p.strip()]


def _close(masked: str, open_at: int) -> int:
    """The offset of the bracket closing the one at ``open_at`` (the end of text when unclosed)."""
    depth = 0
    for i in range(open_at, len(masked)):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return len(masked)


def _field_end(masked: str, start: int) -> int:
    """Where an expression starting at ``start`` ends: a top-level ``,``/``;``, or the bracket
    that closes its container."""
    depth = 0
    for i in range(start, min(len(masked), start + 4000)):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and (c in ",;" or (c == "\n" and _ends_at_newline(masked, i))):
            return i
    return min(len(masked), start + 4000)


def _ends_at_newline(masked: str, i: int) -> bool:
    """A newline ends an expression unless the next line goes on with it (indented, or ``.x``)."""
    return masked[i + 1 : i + 2] not in (".", "?", "|", "&", " ", "\t", "\n", "")


def _top_level(body: str) -> Callable[[int], bool]:
    """A test of whether an offset of ``body`` is outside any nested bracket (a member of its own,
    not of an object type inside it)."""
    depth_at = []
    depth = 0
    for c in body:
        depth_at.append(depth)
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
    return lambda i: depth_at[i] == 0 if i < len(depth_at) else False


def typed_optional(refs: list[Reference]) -> list[Reference]:
    """JS/TS reads of a key its ``ProcessEnv``/``ImportMetaEnv`` type declares optional (``X?:``)
    cope with it unset: the compiler types each read ``string | undefined`` and makes the code
    handle that. A read that throws (``requireEnv``), and a key also declared required, keep theirs."""
    optional: set[str] = set()
    required: set[str] = set()
    for r in refs:
        if r.language == "javascript" and r.via.startswith(_TYPE_VIAS):
            (optional if r.via.endswith("(optional)") else required).add(r.name)
    optional -= required
    if not optional:
        return refs
    return [
        replace(r, has_default=True)
        if r.language == "javascript" and r.name in optional and not r.has_default and not r.crashes
        else r
        for r in refs
    ]


_TYPE_VIAS = ("ProcessEnv type", "ImportMetaEnv type")
