"""Taken character ranges, so longest-match selection stays linear on megabyte inputs."""

from __future__ import annotations


class SpanSet:
    """Marks [start, end) ranges of a text as taken; overlap tests cost O(span length)."""

    __slots__ = ("_taken",)

    def __init__(self, length: int) -> None:
        self._taken = bytearray(length + 1)

    def overlaps(self, start: int, end: int) -> bool:
        return self._taken.find(1, start, end) != -1

    def take(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\x01" * (end - start)

    def try_take(self, start: int, end: int) -> bool:
        """Take the range if it is free; report whether it was."""
        if self.overlaps(start, end):
            return False
        self.take(start, end)
        return True
