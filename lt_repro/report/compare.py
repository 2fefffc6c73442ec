"""Pure functions: aggregate seeds, join with published entries, decide verdicts, format the TSV.

Verdicts (configs/published/SCHEMA.md): 'not run' when no seed has the key (n = 0); 'match' when
|ours_mean − published| is within half a unit of the published number's last printed digit;
'within tolerance' when |delta| <= the entry's tolerance; 'mismatch' otherwise.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .published import Entry
from .runs import Run

VERDICTS = ("match", "within tolerance", "mismatch", "not run")
TSV_COLUMNS = ("paper", "table", "dataset", "method", "metric", "published", "ours_mean", "ours_std", "n",
               "delta", "verdict")
_EPS = 1e-9  # float noise allowance on the band edges


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation (ddof = 1) over seeds; std is None when n < 2."""

    mean: float | None
    std: float | None
    n: int


def aggregate(values: Iterable[float | None]) -> Stat:
    """Mean ± sample std of the finite values; None/NaN entries (a metric a run could not compute)
    are left out of both and of n."""
    xs = [float(v) for v in values if v is not None and not isinstance(v, bool) and math.isfinite(float(v))]
    if not xs:
        return Stat(None, None, 0)
    return Stat(statistics.fmean(xs), statistics.stdev(xs) if len(xs) > 1 else None, len(xs))


def metric_values(runs: Sequence[Run], key: str) -> tuple[list[float], list[Run], list[Run]]:
    """Values of ``key`` over runs, the runs that have it (numeric) and those that do not."""
    have, lack, vals = [], [], []
    for run in runs:
        v = run.metrics.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
            vals.append(float(v))
            have.append(run)
        else:
            lack.append(run)
    return vals, have, lack


def verdict(published: float, half_unit: float, tolerance: float, stat: Stat) -> str:
    if stat.n == 0 or stat.mean is None:
        return "not run"
    delta = abs(stat.mean - published)
    if delta <= half_unit + _EPS:
        return "match"
    if delta <= tolerance + _EPS:
        return "within tolerance"
    return "mismatch"


@dataclass(frozen=True)
class Row:
    entry: Entry
    stat: Stat
    delta: float | None
    verdict: str
    runs: tuple[Run, ...] = ()  # runs that gave a value
    runs_without_key: tuple[Run, ...] = ()  # runs of the exp whose metrics.json lacks the key

    @property
    def better(self) -> bool | None:
        """Whether our mean is on the better side of the published value (None if not run)."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta < 0) == (self.entry.direction == "lower")


def compare_entry(entry: Entry, runs_by_exp: Mapping[str, Sequence[Run]]) -> Row:
    runs = runs_by_exp.get(entry.exp, ()) if entry.exp else ()
    if not entry.key:
        return Row(entry, Stat(None, None, 0), None, "not run")
    vals, have, lack = metric_values(runs, entry.key)
    stat = aggregate(vals)
    delta = None if stat.mean is None else stat.mean - entry.value
    return Row(entry, stat, delta, verdict(entry.value, entry.half_unit, entry.tolerance, stat),
               tuple(have), tuple(lack))


def compare(entries: Sequence[Entry], runs_by_exp: Mapping[str, Sequence[Run]]) -> list[Row]:
    return [compare_entry(e, runs_by_exp) for e in entries]


def unmatched_exps(entries: Sequence[Entry], runs_by_exp: Mapping[str, Sequence[Run]]) -> list[str]:
    """Our experiments that no published entry refers to."""
    wanted = {e.exp for e in entries if e.exp}
    return sorted(exp for exp in runs_by_exp if exp not in wanted)


def verdict_counts(rows: Sequence[Row]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for r in rows:
        counts[r.verdict] += 1
    return counts


@dataclass
class Summary:
    published: int
    compared: int
    counts: dict[str, int] = field(default_factory=dict)
    unmatched: int = 0


def summarize(rows: Sequence[Row], unmatched: Sequence[str]) -> Summary:
    counts = verdict_counts(rows)
    return Summary(len(rows), len(rows) - counts["not run"], counts, len(unmatched))


def _fmt(x: float | None, digits: int = 4) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def _clean(text: str) -> str:
    return " ".join(str(text).split())  # no tabs or newlines inside a TSV field


def to_tsv(rows: Sequence[Row]) -> str:
    """comparison.tsv: header ``TSV_COLUMNS``, one line per published entry, empty cells for missing
    numbers, the published value exactly as printed in the source."""
    lines = ["\t".join(TSV_COLUMNS)]
    for r in rows:
        e = r.entry
        cells = (e.paper, e.table, e.dataset, e.method, e.metric, e.value_text, _fmt(r.stat.mean),
                 _fmt(r.stat.std), str(r.stat.n), _fmt(r.delta), r.verdict)
        lines.append("\t".join(_clean(c) for c in cells))
    return "\n".join(lines) + "\n"


LONG_COLUMNS = ("paper", "table", "dataset", "split", "backbone", "method", "metric", "unit", "direction",
                "published", "tolerance", "ours_mean", "ours_std", "n", "delta", "verdict", "exp", "key", "source",
                "cell")


def to_long_tsv(rows: Sequence[Row]) -> str:
    """The long form of a paper's comparison, for download: ``LONG_COLUMNS``, one line per published number,
    with its source (the openable form) and cell."""
    lines = ["\t".join(LONG_COLUMNS)]
    for r in rows:
        e = r.entry
        cells = (e.paper, e.table, e.dataset, e.split, e.backbone, e.method, e.metric, e.unit, e.direction,
                 e.value_text, f"{e.tolerance:g}", _fmt(r.stat.mean), _fmt(r.stat.std), str(r.stat.n), _fmt(r.delta),
                 r.verdict, e.exp or "", e.key or "", e.source.open, e.cell)
        lines.append("\t".join(_clean(c) for c in cells))
    return "\n".join(lines) + "\n"
