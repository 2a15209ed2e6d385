"""``parity env sync``: plan the writes that close the gaps of an env diff.

For a missing key the value is the ``--set`` value; else the reference's value when
:func:`parity.env.reference.proposable` allows it (never a secret, a placeholder or a
development value; from another environment such as staging only a neutral value and never a
feature flag, so a staging secret or a staging address can never reach production); else an
empty value with a comment asking for one (the check keeps failing for that key).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from parity.env.changes import EnvPlan, FileChange
from parity.env.clip import clip
from parity.env.diff import EnvDiff, is_placeholder
from parity.env.edit import CommentOutLine, Edit, SetKey, apply_edits, valid_key
from parity.env.layers import EnvFiles
from parity.env.reference import ReferenceChoice, file_hint, is_flag_key, proposable
from parity.env.secrets import display, is_secret
from parity.errors import ParityError
from parity.model.env import EnvFile
from parity.model.flagvalue import keeps_feature_off
from parity.project import Project


def parse_assignments(pairs: list[str]) -> dict[tuple[str | None, str], str]:
    """``KEY=VALUE`` or ``SERVICE:KEY=VALUE`` → {(service or None, key): value}."""
    out: dict[tuple[str | None, str], str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParityError(f"--set expects KEY=VALUE or SERVICE:KEY=VALUE, got {pair.split('=')[0]!r}")
        left, value = pair.split("=", 1)
        service, _, key = left.rpartition(":")
        if not valid_key(key):
            raise ParityError(f"--set: {key!r} is not a valid env key")
        out[(service or None, key)] = value
    return out


def _lookup(sets: Mapping[tuple[str | None, str], str], service: str, key: str) -> str | None:
    if (service, key) in sets:
        return sets[(service, key)]
    return sets.get((None, key))


def plan_sync(
    project: Project,
    diff: EnvDiff,
    sets: Mapping[tuple[str | None, str], str] | None = None,
    files: EnvFiles | None = None,
    reference: ReferenceChoice | None = None,
) -> EnvPlan:
    """Edits per target file: fill missing/empty/placeholder keys, apply ``--set``, comment out malformed lines.

    ``reference`` is the choice ``diff`` was made against (it names the source of each value);
    None: the reference ``diff`` names, from its default.
    """
    files = files or EnvFiles(project.fs)
    choice = reference or ReferenceChoice(diff.reference, "default", "")
    patterns = project.config.flags.patterns
    sets = dict(sets or {})
    env = diff.environment
    extra = project.config.secrets
    known_services = {s.name for s in project.services}
    for svc, key in sets:
        if svc is not None and svc not in known_services:
            raise ParityError(
                f"--set {svc}:{key}: no service named {svc!r}",
                hint="known: " + ", ".join(sorted(known_services)),
            )

    edits: dict[Path, list[Edit]] = {}
    summary: dict[Path, list[str]] = {}
    refused: list[str] = []
    secret_values: list[str] = [v for (_, k), v in sets.items() if is_secret(k, v, extra)]
    used: set[tuple[str | None, str]] = set()
    needs_value: list[tuple[str, str]] = []
    flags_off: list[str] = []

    def add(path: Path, edit: Edit, line: str) -> None:
        if isinstance(edit, SetKey):
            # Services sharing one file (the server and worker of one app): one line serves both.
            same = [e for e in edits.get(path, []) if isinstance(e, SetKey) and e.key == edit.key]
            if any(e.value == edit.value for e in same):
                return
            if same:
                refused.append(
                    f"{edit.key} in {project.rel(path)}: services sharing the file want different values; "
                    f"set it with --set {edit.key}=VALUE"
                )
                return
        edits.setdefault(path, []).append(edit)
        summary.setdefault(path, []).append(line)

    for service in project.services:
        target_path, target_line, writable = service.write_target(env)
        if not writable:
            # Compose or a manifest declares this service's env: parity edits env files only.
            for key in diff.references[service.name].values:
                if key not in diff.targets[service.name].values:
                    refused.append(
                        f"{key} for {service.name}: add it to the environment at "
                        f"{project.rel(target_path)}:{target_line} (parity does not edit compose files)"
                    )
            continue
        target, ref = diff.targets[service.name], diff.references[service.name]
        for key in [*ref.values, *[k for k in target.values if k not in ref.values]]:
            wanted = _lookup(sets, service.name, key)
            tv = target.values.get(key)
            if tv is not None and not tv.from_env_file:
                # Compose or Kubernetes sets this key at run time: an .env edit would change nothing.
                if wanted is not None or tv.value == "" or is_placeholder(tv.value):
                    used.add((service.name, key) if (service.name, key) in sets else (None, key))
                    refused.append(
                        f"{key} for {service.name} comes from {project.rel(tv.file)}:{tv.line} ({tv.layer}), "
                        f"which overrides the env files at run time: change it there"
                    )
                continue
            if wanted is not None:
                used.add((service.name, key) if (service.name, key) in sets else (None, key))
                winning = files.get(tv.file) if tv is not None else None
                ambiguous = winning is not None and key in winning.duplicates()
                if tv is not None and tv.value == wanted and not ambiguous:
                    continue
                # Write where the winning value lives (the root layer for shared keys).
                path = tv.file if tv is not None else target_path
                add(
                    path,
                    SetKey(key, wanted),
                    f"set {key}={clip(display(key, wanted, extra))} ({service.name})",
                )
                continue
            if tv is not None or key not in ref.values:
                continue
            rv = ref.values[key]
            flag = is_flag_key(key, patterns)
            if flag and keeps_feature_off(key, rv.value):
                # Copying the example's off value would keep the gated code off in production,
                # against what the flag audit asks: the user decides, with --enable or --set.
                flags_off.append(key)
                refused.append(
                    f"{key} for {service.name}: {choice.label} keeps the feature off ({key}={rv.value}); "
                    f"turn it on with --enable {key}, or keep it off with --set {key}={rv.value}"
                )
                continue
            if proposable(key, rv.value, choice.name, env, is_flag=flag, extra_secrets=extra):
                add(
                    target_path,
                    SetKey(key, rv.value),
                    f"add {key}={rv.value} from {choice.label} ({service.name})",
                )
            else:
                hint = file_hint(project, choice, rv)
                needs_value.append((service.name, key))
                add(
                    target_path,
                    SetKey(key, "", comment=f"parity: {key} needs a value for {env} ({hint})"),
                    f"add {key}= (empty: needs a value) ({service.name})",
                )

    for (svc, key), value in sets.items():
        if (svc, key) in used:
            continue
        if svc is None:
            refused.append(
                f"--set {key}: neither a reference nor the {env} env of any service knows {key}; "
                f"scope it to a service with --set SERVICE:{key}=VALUE"
            )
        else:
            # Where the runtime reads this service's env from: a file it never loads (the
            # service's own `.env.<env>` when compose only declares `environment:`) would be
            # written, then fail the very check the write was meant to fix.
            target_path, target_line, writable = project.service(svc).write_target(env)
            if not writable:
                refused.append(
                    f"--set {svc}:{key}: no env file of {svc} is read at run time; add {key} to the "
                    f"environment at {project.rel(target_path)}:{target_line} (parity does not edit compose files)"
                )
                continue
            add(target_path, SetKey(key, value), f"set {key}={clip(display(key, value, extra))} ({svc})")

    # Malformed lines and repeated identical bindings: loaders ignore or repeat them, so
    # commenting them out changes no effective value and makes the file unambiguous.
    layer_paths = [
        p for p in [project.shared.env_files.get(env), *(s.env_files.get(env) for s in project.services)] if p
    ]
    for path in dict.fromkeys(layer_paths):
        f = files.get(path)
        if f is None:
            continue
        for bad in f.malformed:
            add(
                path,
                CommentOutLine(bad.line, "malformed line, ignored by loaders"),
                f"comment out malformed line {bad.line}",
            )
        for key, entries in f.duplicates().items():
            being_set = any(isinstance(e, SetKey) and e.key == key for e in edits.get(path, []))
            if being_set:
                continue
            if len({e.value for e in entries}) == 1:
                for e in entries[1:]:
                    add(
                        path,
                        CommentOutLine(e.line, f"repeats line {entries[0].line}"),
                        f"comment out repeated {key} (line {e.line})",
                    )

    changes: list[FileChange] = []
    for path, file_edits in edits.items():
        f = files.get(path)
        conflict = _conflicting_duplicates(f, file_edits) if f else []
        if conflict:
            refused.append(
                f"{project.rel(path)}: not rewritten: {', '.join(conflict)} defined more than once with different values; "
                f"resolve it with --set {conflict[0]}=VALUE or by editing the file"
            )
            continue
        base = f or EnvFile(path, ())
        new_text = apply_edits(base, file_edits)
        old_text = f.text() if f else None
        if new_text != old_text:
            changes.append(
                FileChange(
                    path, project.rel(path), old_text, new_text, tuple(file_edits), tuple(summary[path])
                )
            )
    for ch in changes:
        f = files.get(ch.path)
        if f is not None:
            secret_values.extend(e.value for e in f.entries if e.value and is_secret(e.key, e.value, extra))
    return EnvPlan(
        "sync",
        env,
        tuple(changes),
        tuple(refused),
        (),
        tuple(secret_values),
        tuple(dict.fromkeys(needs_value)),
        tuple(dict.fromkeys(flags_off)),
    )


def _conflicting_duplicates(f: EnvFile, file_edits: list[Edit]) -> list[str]:
    resolved = {e.key for e in file_edits if isinstance(e, SetKey)}
    return sorted(
        k for k, es in f.duplicates().items() if len({e.value for e in es}) > 1 and k not in resolved
    )
