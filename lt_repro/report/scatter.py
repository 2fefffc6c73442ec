"""Pure data of the 'ours against published' scatter: one point per compared cell (n > 0), coloured by
table, with the y = x line and the tolerance band(s) of the cells drawn around it (plots.py draws it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .compare import Row


@dataclass(frozen=True)
class Point:
    table: str
    label: str  # method, dataset, metric
    published: float
    ours: float  # mean over seeds
    std: float | None
    n: int
    tolerance: float
    verdict: str

    @property
    def offset(self) -> float:
        return self.ours - self.published


def points(rows: Sequence[Row]) -> list[Point]:
    """One point per published cell our runs gave a value for, in the rows' order."""
    return [Point(r.entry.table, f"{r.entry.method}, {r.entry.dataset}, {r.entry.metric}", r.entry.value,
                  r.stat.mean, r.stat.std, r.stat.n, r.entry.tolerance, r.verdict)
            for r in rows if r.stat.n > 0 and r.stat.mean is not None]


def tables(pts: Sequence[Point]) -> list[str]:
    """Tables in order of first appearance (one colour each)."""
    return list(dict.fromkeys(p.table for p in pts))


def tolerances(pts: Sequence[Point]) -> list[float]:
    """Distinct tolerance bands to draw, smallest first."""
    return sorted({p.tolerance for p in pts})


def limits(pts: Sequence[Point], pad: float = 0.05) -> tuple[float, float]:
    """A square range holding every point with its ± std bar and its tolerance band, padded by ``pad`` of
    its width."""
    if not pts:
        raise ValueError("no compared cells: nothing to draw")
    lo = min(min(p.published - p.tolerance, p.ours - (p.std or 0.0)) for p in pts)
    hi = max(max(p.published + p.tolerance, p.ours + (p.std or 0.0)) for p in pts)
    width = max(hi - lo, 1.0)
    return lo - pad * width, hi + pad * width
