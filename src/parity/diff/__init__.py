"""Pure schema comparison: ``compare(current, desired) -> list[Change]`` (no dialect names inside)."""

from __future__ import annotations

from parity.diff.apply import apply_change, apply_changes
from parity.diff.compare import compare

__all__ = ["apply_change", "apply_changes", "compare"]
