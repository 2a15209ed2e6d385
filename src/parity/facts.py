"""Facts first: what a run knows about a project, gathered once, then analysed purely.

The one place that knows the order of gathering (``../shared/DESIGN.md``, "Facts first"):
discovery gives the runtime units and their files; the sources give each unit's env as the
runtime builds it; the code scan gives the reads. Every analysis of one ``check`` takes these
from one :class:`Facts` instead of gathering them again, and ``parity.env`` (the model of env
files) gets the runtime layers handed in through :func:`env_files` rather than importing the
sources itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.env.layers import EnvFiles
from parity.project import EnvLayer, Project

if TYPE_CHECKING:
    from parity.code.refs import ScanResult
    from parity.model.env import EnvValue
    from parity.model.findings import Finding


def runtime_layers(project: Project, service: EnvLayer, environment: str) -> tuple[tuple[EnvValue, ...], ...]:
    """The compose and Kubernetes layers over ``service``'s env files (memoised by the sources)."""
    from parity.sources import collect

    return collect(project, service, environment)


def env_files(project: Project) -> EnvFiles:
    """The env-file reader of one run, with the runtime layers wired in."""
    return EnvFiles(project.fs, runtime_layers)


@dataclass(frozen=True, slots=True)
class Facts:
    """One run's facts about ``project`` in ``environment``: frozen once gathered."""

    project: Project
    environment: str
    files: EnvFiles  # env files read once each, runtime layers included
    scan: ScanResult  # the code's env and flag reads, scanned once
    sources: tuple[Finding, ...]  # broken sources and runtime overrides, gathered once


def gather(project: Project, environment: str) -> Facts:
    """Read everything ``check`` analyses, each file once and the code once."""
    from parity.code.scan import scan_project
    from parity.sources import source_findings

    files = env_files(project)
    return Facts(
        project, environment, files, scan_project(project), tuple(source_findings(project, environment))
    )
