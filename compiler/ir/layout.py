"""The look of a spec's source that a formatter keeps: its comments and blank lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str  # from the `#` to the end of the line, trailing spaces removed
    own_line: bool
    blank_after: bool = False  # a blank line follows before the next line with anything on it


@dataclass(frozen=True, slots=True)
class Layout:
    """What a formatter needs of the source's look: its comments and its blank lines."""

    comments: tuple[Comment, ...] = ()
    blank: frozenset[int] = field(default_factory=frozenset)
    extents: tuple[tuple[int, int], ...] = ()  # first and last line of each item, in order

    def extent(self, line: int | None) -> tuple[int | None, int | None]:
        """The item holding `line` (a declaration's name): its first and last lines."""
        if line is None:
            return None, None
        for a, b in self.extents:
            if a <= line <= b:
                return a, b
        return line, line

    def with_extents(self, extents: Sequence[tuple[int, int]]) -> Layout:
        return Layout(self.comments, self.blank, tuple(sorted(extents)))
