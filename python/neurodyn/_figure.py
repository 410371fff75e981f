"""``Figure``: a figure file that a notebook displays."""

from __future__ import annotations

from pathlib import Path

__all__ = ["Figure"]


class Figure:
    """A figure an analysis wrote (PNG, with its SVG beside it); Jupyter shows it inline."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        """The PNG file."""

    def __repr__(self) -> str:
        return f"neurodyn.Figure({str(self.path)!r})"

    @property
    def png(self) -> bytes:
        """The PNG's bytes."""
        return self.path.read_bytes()

    @property
    def svg_path(self) -> Path | None:
        """The SVG written beside the PNG, if any."""
        p = self.path.with_suffix(".svg")
        return p if p.is_file() else None

    def _repr_png_(self) -> bytes:
        return self.png
