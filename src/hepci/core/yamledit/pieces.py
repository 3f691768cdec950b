"""Compose the patches of successive edits into patches against the original text."""

from __future__ import annotations

from collections.abc import Sequence

from hepci.core.yamledit.ops import Patch


class Pieces:
    """The current text as pieces of the original (``(start, end)``) and new text (``str``)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.pieces: list[tuple[int, int] | str] = [(0, len(original))] if original else []

    def _split(self, at: int) -> int:
        """Split so a piece boundary falls at current offset ``at``; return that piece index."""
        pos = 0
        for i, piece in enumerate(self.pieces):
            size = len(piece) if isinstance(piece, str) else piece[1] - piece[0]
            if pos == at:
                return i
            if pos < at < pos + size:
                cut = at - pos
                if isinstance(piece, str):
                    self.pieces[i : i + 1] = [piece[:cut], piece[cut:]]
                else:
                    self.pieces[i : i + 1] = [
                        (piece[0], piece[0] + cut),
                        (piece[0] + cut, piece[1]),
                    ]
                return i + 1
            pos += size
        return len(self.pieces)

    def apply(self, patches: Sequence[Patch]) -> None:
        for patch in sorted(patches, key=lambda p: p.start, reverse=True):
            start = self._split(patch.start)
            end = self._split(patch.end)
            self.pieces[start:end] = [patch.replacement] if patch.replacement else []

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else self.original[p[0] : p[1]] for p in self.pieces)

    def patches(self) -> tuple[Patch, ...]:
        out: list[Patch] = []
        cursor, pending = 0, ""
        for piece in self.pieces:
            if isinstance(piece, str):
                pending += piece
                continue
            if piece[0] != cursor or pending:
                out.append(Patch(cursor, piece[0], pending))
            cursor, pending = piece[1], ""
        if cursor != len(self.original) or pending:
            out.append(Patch(cursor, len(self.original), pending))
        return tuple(out)
