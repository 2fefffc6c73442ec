"""Claims as data: ``configs/claims/<slug>.yaml`` (schema in configs/claims/SCHEMA.md).

A claim is a statement of a paper ("EQL raises AP_r over the sigmoid baseline on LVIS v0.5") written as
comparisons of cells: in each pair the ``better`` cell must beat the ``than`` cell by at least ``margin``
in the cells' direction (lower error, higher AP). A cell is a published entry (picked by its fields) or,
for claims checked at demo scale, one of our experiments and a metrics key. Each claim is evaluated twice:
on the published numbers (a check of the transcription and of the claim) and on our runs. A claim holds
when every pair holds; it fails when a pair with both values fails; otherwise it is 'not run'.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from .compare import Stat, aggregate, metric_values
from ._fields import FieldChecks
from .published import DIRECTIONS, Entry, PublishedError, _check_sources
from .runs import Run
from .sources import Source

ENTRY_FIELDS = ("table", "dataset", "split", "backbone", "method", "metric")
RUN_FIELDS = ("exp", "key")
FILE_FIELDS = ("sources", "claims")
REQUIRED = ("id", "says", "source", "where", "compare")
OPTIONAL = ("margin", "direction", "same", "note")
PAIR_REQUIRED = ("better", "than")
PAIR_OPTIONAL = ("same",)
HOLDS, FAILS, NOT_RUN, NO_PUBLISHED = "holds", "fails", "not run", "no published numbers"
STATUSES = (HOLDS, FAILS, NOT_RUN)
_EPS = 1e-9


class ClaimsError(PublishedError):
    """A claims file that does not follow configs/claims/SCHEMA.md."""


@dataclass(frozen=True)
class Cell:
    """One side of a comparison: a published entry, or (entry None) our ``exp`` and ``key``."""

    label: str
    entry: Entry | None = None
    exp: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Pair:
    better: Cell
    than: Cell


@dataclass(frozen=True)
class Claim:
    slug: str
    id: str
    says: str
    source: Source
    where: str  # where the source makes the claim: section, table
    margin: float
    direction: str
    pairs: tuple[Pair, ...]
    note: str = ""

    @property
    def on_published(self) -> bool:
        return all(p.better.entry is not None for p in self.pairs)


@dataclass(frozen=True)
class PairResult:
    pair: Pair
    better: float | None  # the better cell's value (published, or our mean)
    than: float | None
    gain: float | None  # how much better, in the cells' unit (positive: better)
    status: str
    better_stat: Stat | None = None  # our runs only
    than_stat: Stat | None = None
    better_runs: tuple[Run, ...] = ()
    than_runs: tuple[Run, ...] = ()


@dataclass(frozen=True)
class Result:
    claim: Claim
    published: str  # holds | fails | not run | no published numbers
    ours: str  # holds | fails | not run
    published_pairs: tuple[PairResult, ...]
    ours_pairs: tuple[PairResult, ...]


# ------------------------------------------------------------------------------------------- evaluation


def judge(better: float | None, than: float | None, direction: str, margin: float) -> tuple[float | None, str]:
    """(gain, status) of one pair: gain = how much ``better`` beats ``than`` in ``direction``."""
    if better is None or than is None:
        return None, NOT_RUN
    gain = (than - better) if direction == "lower" else (better - than)
    return gain, HOLDS if gain > 0 and gain >= margin - _EPS else FAILS


def overall(statuses: Sequence[str]) -> str:
    """A claim fails if any pair fails, holds if every pair holds, else it is not run."""
    if FAILS in statuses:
        return FAILS
    return HOLDS if statuses and all(s == HOLDS for s in statuses) else NOT_RUN


def _ours(cell: Cell, runs_by_exp: Mapping[str, Sequence[Run]]) -> tuple[Stat, tuple[Run, ...]]:
    exp, key = (cell.entry.exp, cell.entry.key) if cell.entry is not None else (cell.exp, cell.key)
    if not exp or not key:
        return Stat(None, None, 0), ()
    values, have, _ = metric_values(runs_by_exp.get(exp, ()), key)
    return aggregate(values), tuple(have)


def evaluate(claim: Claim, runs_by_exp: Mapping[str, Sequence[Run]]) -> Result:
    published = []
    if claim.on_published:
        for p in claim.pairs:
            gain, status = judge(p.better.entry.value, p.than.entry.value, claim.direction, claim.margin)
            published.append(PairResult(p, p.better.entry.value, p.than.entry.value, gain, status))
    ours = []
    for p in claim.pairs:
        (bs, br), (ts, tr) = _ours(p.better, runs_by_exp), _ours(p.than, runs_by_exp)
        gain, status = judge(bs.mean, ts.mean, claim.direction, claim.margin)
        ours.append(PairResult(p, bs.mean, ts.mean, gain, status, bs, ts, br, tr))
    return Result(claim, overall([r.status for r in published]) if published else NO_PUBLISHED,
                  overall([r.status for r in ours]), tuple(published), tuple(ours))


def counts(results: Sequence[Result]) -> dict:
    """Claims, and how many hold / fail / are not run, on the published numbers and on our runs."""
    out = {"claims": len(results), "published": {s: 0 for s in STATUSES + (NO_PUBLISHED,)},
           "ours": {s: 0 for s in STATUSES}}
    for r in results:
        out["published"][r.published] += 1
        out["ours"][r.ours] += 1
    return out


# ---------------------------------------------------------------------------------------------- loading


_checks = FieldChecks(ClaimsError)
_err, _keys, _text = _checks.err, _checks.keys, _checks.text


def _selector(where: str, raw) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _err(where, f"must be a mapping of field: text, got {raw!r}.")
    unknown = sorted(map(str, set(raw) - set(ENTRY_FIELDS) - set(RUN_FIELDS)))
    if unknown:
        raise _err(where, f"unknown field(s) {', '.join(unknown)}. Fix: pick a published entry by "
                          f"{', '.join(ENTRY_FIELDS)}, or one of our experiments by exp and key.")
    return {k: _text(f"{where}.{k}", v) for k, v in raw.items()}


def _cell(where: str, sel: dict[str, str], entries: Sequence[Entry]) -> Cell:
    if set(sel) & set(RUN_FIELDS):
        if set(sel) != set(RUN_FIELDS):
            raise _err(where, f"{sel!r} mixes a run (exp, key) with entry fields, or lacks exp or key. Fix: give "
                              "exactly exp and key for one of our experiments, or only entry fields.")
        return Cell(f"{sel['exp']} · {sel['key']}", exp=sel["exp"], key=sel["key"])
    hits = [e for e in entries if all(getattr(e, k) == v for k, v in sel.items())]
    if len(hits) != 1:
        raise _err(where, f"{sel!r} picks {len(hits)} published entries"
                          + (f" ({', '.join(str(e.index) for e in hits[:5])}...)" if hits else "")
                          + ". Fix: name table, dataset, backbone, method and metric until exactly one entry matches.")
    e = hits[0]
    return Cell(f"{e.table}: {e.method}, {e.dataset}, {e.backbone}, {e.metric}", entry=e)


def _claim(path: Path, i: int, raw, sources: dict[str, Source], entries: Sequence[Entry]) -> Claim:
    where = f"{path}: claim {i}" + (f" ({raw.get('id')!r})" if isinstance(raw, dict) and "id" in raw else "")
    _keys(where, raw, REQUIRED, OPTIONAL)
    cid = _text(f"{where}.id", raw["id"])
    if raw["source"] not in sources:
        raise _err(f"{where}.source", f"{raw['source']!r} is not a key of 'sources' ({', '.join(sources)}).")
    margin = raw.get("margin", 0.0)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 0:
        raise _err(f"{where}.margin", f"must be a number >= 0 (the least gain claimed), got {margin!r}.")
    same = _selector(f"{where}.same", raw.get("same", {}))
    if not isinstance(raw["compare"], list) or not raw["compare"]:
        raise _err(f"{where}.compare", "must be a non-empty list of {better: {...}, than: {...}} pairs.")
    pairs = []
    for j, p in enumerate(raw["compare"]):
        pw = f"{where}.compare[{j}]"
        _keys(pw, p, PAIR_REQUIRED, PAIR_OPTIONAL)
        both = {**same, **_selector(f"{pw}.same", p.get("same", {}))}
        b = _cell(f"{pw}.better", {**both, **_selector(f"{pw}.better", p["better"])}, entries)
        t = _cell(f"{pw}.than", {**both, **_selector(f"{pw}.than", p["than"])}, entries)
        if (b.entry is None) != (t.entry is None):
            raise _err(pw, "compares a published entry with a run; both sides must be entries or both runs.")
        if b.entry is not None and b.entry is t.entry:
            raise _err(pw, "compares an entry with itself.")
        pairs.append(Pair(b, t))
    kinds = {p.better.entry is None for p in pairs}
    if len(kinds) > 1:
        raise _err(f"{where}.compare", "mixes pairs of published entries with pairs of runs; split the claim.")
    dirs = {c.entry.direction for p in pairs for c in (p.better, p.than) if c.entry is not None}
    direction = raw.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise _err(f"{where}.direction", f"must be 'lower' or 'higher', got {direction!r}.")
    if len(dirs) > 1:
        raise _err(where, "compares entries of opposite directions (an error with an accuracy).")
    if dirs and direction is not None and direction not in dirs:
        raise _err(f"{where}.direction", f"is {direction!r} but the entries say {dirs.pop()!r}; drop it.")
    if not dirs and direction is None:
        raise _err(where, "compares runs: say which is better with direction: lower | higher.")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise _err(f"{where}.note", f"must be a string, got {note!r}.")
    return Claim(path.stem, cid, _text(f"{where}.says", raw["says"]), sources[raw["source"]],
                 _text(f"{where}.where", raw["where"]), float(margin), direction or dirs.pop(), tuple(pairs),
                 note.strip())


def load_file(path: str | Path, entries: Sequence[Entry]) -> list[Claim]:
    """Claims of one paper, each cell checked against that paper's published ``entries``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ClaimsError(f"{path}: not valid YAML: {err}.") from err
    _keys(str(path), data, FILE_FIELDS, ())
    sources = _check_sources(path, data["sources"])
    if not isinstance(data["claims"], list):
        raise _err(str(path), "'claims' must be a list of claims ('- id: ...').")
    claims = [_claim(path, i, raw, sources, entries) for i, raw in enumerate(data["claims"])]
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise _err(str(path), f"claim id {c.id!r} is used twice; ids must be unique.")
        seen.add(c.id)
    unused = sorted(set(sources) - {c.source.key for c in claims})
    if unused:
        raise _err(str(path), f"source(s) {', '.join(unused)} named by no claim. Fix: remove them.")
    return claims


def load_slug(claims_dir: str | Path, slug: str, entries: Sequence[Entry]) -> list[Claim]:
    """Claims of ``<claims_dir>/<slug>.yaml``; no file means no claims written yet."""
    path = Path(claims_dir) / f"{slug}.yaml"
    return load_file(path, entries) if path.exists() else []
