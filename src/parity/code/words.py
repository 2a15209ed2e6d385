"""Which files of a corpus hold a word: an index of every file's words, built on first use.

``why`` and ``check``'s gated-code step look up hundreds of names per question; a bytes search
over every file for each would read the corpus hundreds of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


class WordIndex:
    """Word → the positions, in ``files``, of the files that hold it (in file order)."""

    def __init__(
        self, files: Sequence[str], read: Callable[[str], bytes | None], word: re.Pattern[bytes]
    ) -> None:
        self._files = files
        self._read = read
        self._word = word
        self._index: dict[bytes, list[int]] | None = None

    def positions(self, words: Sequence[str]) -> list[int]:
        """Positions of the files holding any of ``words``, ascending."""
        if self._index is None:
            self._index = {}
            for i, rel in enumerate(self._files):
                for w in set(self._word.findall(self._read(rel) or b"")):
                    self._index.setdefault(w, []).append(i)
        index = self._index
        if len(words) == 1:
            return index.get(words[0].encode(), [])
        return sorted({i for w in words for i in index.get(w.encode(), ())})
