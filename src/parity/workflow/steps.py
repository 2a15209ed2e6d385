"""The steps a person follows after ``check``, derived from the same findings the report prints.

``check``'s Implementation must agree with its audit: a value production needs and parity must not
guess (a secret, a placeholder, an empty or conflicting key, a development value) becomes a
``--set SERVICE:KEY=<value>`` in the one ``apply`` command it prints; a flag whose example value
keeps the feature off becomes ``--enable``; a model field the schema added is ``parity store sync``;
what only a person can write (a missing method) is listed by hand. Pure: findings in, lines out.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parity.model.findings import Finding, Severity

#: Env findings whose fix is a value only the user knows.
_NEEDS_VALUE = frozenset({"ENV001", "ENV002", "ENV005", "ENV008"})


@dataclass(frozen=True, slots=True)
class Steps:
    sets: tuple[tuple[str, str], ...]  # (service, key) to give with --set
    enables: tuple[str, ...]  # flags to turn on with --enable
    store_sync: bool  # `parity store sync --apply` fixes model fields
    by_hand: tuple[str, ...]  # fixes no command makes

    def lines(self, path: str, env: str) -> list[str]:
        out: list[str] = []
        if self.sets:
            keys = ", ".join(f"{s}:{k}" for s, k in self.sets)
            out.append(f"needs a value you give (parity never guesses these): {keys}")
        if self.by_hand:
            out.extend(f"by hand: {fix}" for fix in self.by_hand)
        if self.store_sync:
            out.append(
                f"then: parity store sync {shlex.quote(path)} --env {env} --apply (adds the model fields)"
            )
        cmd = ["parity", "apply", path, "--env", env, "--yes"]
        cmd += [f"--set {shlex.quote(f'{s}:{k}=<value>')}" for s, k in self.sets]
        cmd += [f"--enable {shlex.quote(f)}" for f in self.enables]
        out.append("apply with: " + " ".join(cmd))
        return out


def steps_from(
    env_findings: Iterable[Finding],
    flag_findings: Iterable[Finding],
    store_findings: Iterable[Finding],
    written_empty: Sequence[tuple[str, str]],
    flags_left_off: Sequence[str],
) -> Steps:
    """``written_empty``: (service, key) the env plan writes empty for the user to fill;
    ``flags_left_off``: flags whose only known value keeps the feature off."""
    sets: dict[tuple[str, str], None] = dict.fromkeys(written_empty)
    for f in env_findings:
        needs = f.code in _NEEDS_VALUE and f.severity is Severity.ERROR
        if needs and f.service and f.key and f.key not in flags_left_off:
            sets.setdefault((f.service, f.key), None)
    enables = list(dict.fromkeys(flags_left_off))
    for f in flag_findings:
        # The audit asks for a flag turned on (FLG002: production has the feature off).
        if f.code == "FLG002" and f.severity is Severity.ERROR and f.key and f.key not in enables:
            enables.append(f.key)
    store = list(store_findings)
    sync = any(f.code == "STO001" and f.severity is Severity.ERROR for f in store)
    by_hand = tuple(
        f"{f.fix} ({f.code} {f.file}:{f.line})" if f.line else f"{f.fix} ({f.code})"
        for f in store
        if f.severity is Severity.ERROR and f.code != "STO001" and f.fix
    )
    return Steps(tuple(sets), tuple(enables), sync, by_hand)
