"""``parity env consolidate``: move keys every service sets identically into the root ``.env.<env>``.

The one rule: consolidation must never change what any service sees. The plan is checked by
computing every service's effective env from the planned texts and comparing it with today's;
a key whose move would change anything (``${VAR}`` resolving differently once it moves to the
root layer, say) is left where it is and said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parity.env.changes import EnvPlan, FileChange
from parity.env.clip import clip
from parity.env.diff import overrides_for
from parity.env.edit import Edit, RemoveKey, SetKey, apply_edits
from parity.env.layers import EnvFiles, effective_env, layer_files, resolve
from parity.env.parse import parse_text
from parity.env.secrets import display, is_secret
from parity.errors import WriteRefused
from parity.model.env import EffectiveEnv, EnvFile
from parity.project import Project


@dataclass(frozen=True, slots=True)
class Conflict:
    key: str
    values: tuple[tuple[str, str], ...]  # (service, masked value)


@dataclass(frozen=True, slots=True)
class ConsolidationPlan:
    plan: EnvPlan
    moved: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...]  # (service, key): intentional per-service values that stay
    conflicts: tuple[Conflict, ...]
    kept: tuple[tuple[str, str], ...]  # (key, why it could not move)


def _effective_after(
    project: Project, environment: str, texts: dict[Path, str], files: EnvFiles
) -> dict[str, EffectiveEnv]:
    out: dict[str, EffectiveEnv] = {}
    for s in project.services:
        layers: list[tuple[EnvFile, str]] = []
        for f, label in layer_files(project, s, environment, files):
            layers.append((parse_text(texts[f.path], f.path) if f.path in texts else f, label))
        root_path = project.shared.file_for(environment)
        if (
            root_path in texts
            and project.shared.path != s.path
            and not any(f.path == root_path for f, _ in layers)
        ):
            layers.insert(0, (parse_text(texts[root_path], root_path), "root"))
        out[s.name] = resolve(layers, s.name, environment)
    return out


def _plain(envs: dict[str, EffectiveEnv]) -> dict[str, dict[str, str]]:
    return {name: env.as_dict() for name, env in envs.items()}


def plan_consolidation(
    project: Project, environment: str, files: EnvFiles | None = None
) -> ConsolidationPlan:
    files = files or EnvFiles(project.fs)
    extra = project.config.secrets
    services = project.services
    # Env files only: consolidation moves env-file lines; the runtime layers above stay as they are.
    before = {s.name: effective_env(project, s, environment, files, runtime=False) for s in services}
    root_path = project.shared.file_for(environment)
    root_file = files.get(root_path)

    candidates: list[str] = []
    conflicts: list[Conflict] = []
    overrides: list[tuple[str, str]] = []
    if len(services) >= 2 and project.shared.path not in {s.path for s in services}:
        keys = dict.fromkeys(k for env in before.values() for k in env.values)
        for key in keys:
            holders = {n: e.values[key] for n, e in before.items() if key in e.values}
            allowed = {n for n in holders if key in overrides_for(project, n)}
            for n in sorted(allowed):
                overrides.append((n, key))
            values = {v.value for n, v in holders.items() if n not in allowed}
            if len(holders) < len(services) or not any(v.layer == "service" for v in holders.values()):
                continue
            if len(values) == 1 and not allowed:
                candidates.append(key)
            elif len(values) > 1:
                conflicts.append(
                    Conflict(key, tuple((n, clip(display(key, v.value, extra))) for n, v in holders.items()))
                )

    moved: list[str] = []
    kept: list[tuple[str, str]] = []
    texts: dict[Path, str] = {}
    edits: dict[Path, list[Edit]] = {}
    for key in candidates:
        value = next(iter(before.values())).values[key].value
        trial_edits = {p: list(e) for p, e in edits.items()}
        trial_edits.setdefault(root_path, []).append(SetKey(key, value))
        for s in services:
            v = before[s.name].values[key]
            if v.layer == "service":
                trial_edits.setdefault(v.file, []).append(RemoveKey(key))
        refused = [p for p in trial_edits if (f := files.get(p)) is not None and _has_conflicting_dups(f)]
        if refused:
            kept.append(
                (key, f"{project.rel(refused[0])} has conflicting duplicate keys; resolve them first")
            )
            continue
        try:
            trial_texts = {p: apply_edits(files.get(p) or EnvFile(p, ()), e) for p, e in trial_edits.items()}
        except WriteRefused as err:  # a value the writer cannot put on a new line exactly
            kept.append((key, err.message))
            continue
        if _plain(_effective_after(project, environment, trial_texts, files)) != _plain(before):
            kept.append(
                (key, "moving it would change what a service sees (interpolation depends on its layer)")
            )
            continue
        edits, texts = trial_edits, trial_texts
        moved.append(key)

    after = _effective_after(project, environment, texts, files)
    if _plain(after) != _plain(before):  # the invariant, checked once more on the whole plan
        raise WriteRefused("consolidation would change a service's effective env; nothing was written")

    changes: list[FileChange] = []
    for path, text in texts.items():
        f = files.get(path)
        old = f.text() if f else None
        if text != old:
            summary = tuple(
                f"move {e.key} to {project.rel(root_path)}"
                if isinstance(e, RemoveKey)
                else f"add {e.key}"
                if isinstance(e, SetKey)
                else str(e)
                for e in edits[path]
            )
            changes.append(FileChange(path, project.rel(path), old, text, tuple(edits[path]), summary))
    secret_values = tuple(
        v.value for env in before.values() for v in env.values.values() if is_secret(v.key, v.value, extra)
    )
    if root_file is None and changes:
        notes: tuple[str, ...] = (f"creates {project.rel(root_path)}",)
    else:
        notes = ()
    plan = EnvPlan(
        "consolidate",
        environment,
        tuple(changes),
        tuple(f"{k}: {why}" for k, why in kept),
        notes,
        secret_values,
    )
    return ConsolidationPlan(plan, tuple(moved), tuple(overrides), tuple(conflicts), tuple(kept))


def _has_conflicting_dups(f: EnvFile) -> bool:
    return any(len({e.value for e in es}) > 1 for es in f.duplicates().values())
