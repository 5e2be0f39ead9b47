"""Labels that never overlap, for the map (report/map.py): each short label is tried at
offsets in rings round its point, nearest first, and kept at the first where it overlaps
no label placed before it and no obstacle and stays inside the axes; a label with no
such place is left off (the key still names it)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox

SMALLEST = 8.5  # points: the smallest text drawn, for it to print at 8 pt or more
LABEL_COLOUR = "#08306B"
HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
LABEL_PAD = 1.5  # points kept clear around every label


@dataclass(frozen=True)
class Label:
    """A short label for a point, tried at `offsets` (points) in turn."""

    text: str
    x: float
    y: float
    offsets: tuple[tuple[float, float], ...]
    fontsize: float = SMALLEST
    bold: bool = False


RINGS = (5.0, 10.0, 16.0, 24.0, 34.0)
DIRECTIONS = ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))


def around(first: Iterable[tuple[float, float]] = ()) -> tuple[tuple[float, float], ...]:
    """Offsets in rings round a point, nearest first, after `first`."""
    ring = [(r * dx / math.hypot(dx, dy), r * dy / math.hypot(dx, dy))
            for r in RINGS for dx, dy in DIRECTIONS]
    return (*first, *ring)


def place_labels(ax: Axes, labels: Sequence[Label], obstacles: Sequence[Bbox]) -> list[Label]:
    """Place each label at its first offset where it overlaps no label placed before it,
    no obstacle, and stays inside the axes; a label with no such place is left off.
    Labels away from their point get a thin leader line. Returns the labels left off.

    Boxes are measured on the figure's own renderer; a small margin round each keeps
    labels apart when another program draws the text a little wider."""
    renderer = ax.figure.canvas.get_renderer()
    limits = ax.get_window_extent(renderer)
    taken = list(obstacles)
    left_off = []
    for label in labels:
        for dx, dy in label.offsets:
            text = ax.annotate(
                label.text, (label.x, label.y), xytext=(dx, dy), textcoords="offset points",
                ha="center" if abs(dx) < 1 else ("left" if dx > 0 else "right"),
                va="center" if abs(dy) < 1 else ("bottom" if dy > 0 else "top"),
                fontsize=label.fontsize, color=LABEL_COLOUR, zorder=8,
                fontweight="bold" if label.bold else "normal", path_effects=HALO,
                arrowprops=None if math.hypot(dx, dy) < 9 else {
                    "arrowstyle": "-", "color": "#555555", "linewidth": 0.5,
                    "shrinkA": 0, "shrinkB": 1})
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer).padded(
                LABEL_PAD * ax.figure.dpi / 72)
            if _within(box, limits) and not any(box.overlaps(t) for t in taken):
                taken.append(box)
                break
            text.remove()
        else:
            left_off.append(label)
    return left_off


def _within(box: Bbox, limits: Bbox) -> bool:
    return (box.x0 >= limits.x0 and box.x1 <= limits.x1 and box.y0 >= limits.y0
            and box.y1 <= limits.y1)
