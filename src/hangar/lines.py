"""A text sink for a job's output: everything goes to the job's log, and each complete line
that `keep` accepts (returns text for) is reported, for a live progress line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO


def stripped(line: str, width: int = 160) -> str | None:
    """The default `keep`: any non-blank line, stripped and cut to `width` characters."""
    return line.strip()[:width] or None


class LineTap:
    def __init__(
        self,
        sink: IO[str],
        report: Callable[[str], None],
        keep: Callable[[str], str | None] = stripped,
    ) -> None:
        self._sink, self._report, self._keep = sink, report, keep
        self._pending = ""

    def write(self, text: str) -> int:
        self._sink.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            shown = self._keep(line)
            if shown is not None:
                self._report(shown)
        return len(text)

    def flush(self) -> None:
        self._sink.flush()
