"""``check``'s answer to the principle's other half: for each switch that is off, the code it keeps off.

The flag findings say *which* switch is off in the target; this step adds *what code* that keeps
from running, by asking ``why`` about the functions behind each such switch through one
:class:`~parity.code.why.CodeGraph` built for the whole run (each module parsed and indexed once,
however many switches are asked about).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from parity.model.findings import Section, Table

if TYPE_CHECKING:
    from parity.code.gated import GatedCode
    from parity.code.why import CodeGraph
    from parity.model.findings import Finding
    from parity.project import Project

#: Findings about a switch whose feature may be off in the target: on elsewhere (FLG002), left to
#: a default (FLG001), off everywhere (FLG008), new since the deployed commit (DEP002), and a key
#: missing or empty in the target (ENV001, ENV002, FLG004, FLG005): an integration's token left
#: unset keeps its views off.
SWITCH_CODES = frozenset({"ENV001", "ENV002", "FLG001", "FLG002", "FLG004", "FLG005", "FLG008", "DEP002"})
#: Functions named in one finding's message; the table lists them all.
SHOWN = 3


def _same_service(project: Project, finding: Finding, g: GatedCode) -> bool:
    if finding.service is None or g.service is None:
        return True
    return g.service in project.sharing_code(finding.service) or finding.service in project.sharing_code(
        g.service
    )


def with_gated_code(
    project: Project, graph: CodeGraph, environment: str, sections: list[Section]
) -> list[Section]:
    """``sections`` with each switch finding (env, flags, deployed) told the functions it keeps
    off in ``environment``, and one table of them in the flags section; unchanged when no switch
    keeps any function off."""
    from parity.code.gated import gated_by

    keys = list(
        dict.fromkeys(f.key for s in sections for f in s.findings if f.code in SWITCH_CODES and f.key)
    )
    gated = {key: gated_by(graph, key, environment) for key in keys}
    rows: list[tuple[str, ...]] = []
    out: list[Section] = []
    for section in sections:
        findings: list[Finding] = []
        for f in section.findings:
            mine = [
                g
                for g in gated.get(f.key or "", ())
                if f.code in SWITCH_CODES and _same_service(project, f, g)
            ]
            if not mine:
                findings.append(f)
                continue
            named = ", ".join(f"{g.symbol} ({g.definition})" for g in mine[:SHOWN])
            more = f" and {len(mine) - SHOWN} more" if len(mine) > SHOWN else ""
            findings.append(replace(f, message=f"{f.message}; it keeps {named}{more} from running"))
            rows += [(g.key, f.service or "", g.symbol, g.definition, g.gate) for g in mine]
        out.append(replace(section, findings=tuple(findings)))
    if not rows:
        return sections
    table = Table(
        f"Code a switch keeps off in {environment}",
        ("switch", "service", "function", "defined at", "switch tested at"),
        tuple(dict.fromkeys(rows)),
    )
    home = next((i for i, s in enumerate(out) if s.id == "flags"), 0)
    out[home] = replace(out[home], tables=(*out[home].tables, table))
    return out
