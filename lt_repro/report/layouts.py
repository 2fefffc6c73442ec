"""Layouts of the published tables: ``configs/published/layouts/<slug>.yaml`` (schema in
configs/published/SCHEMA.md, section 'Layouts').

A layout says how one published table (the entries sharing ``table``) is drawn as the paper draws it:
which entries form each row and each column, in the paper's order, with the paper's labels. A row or
column is an *item*: a label, an optional group (a spanning header) and a condition on the entry
fields (``where``). An entry sits in the cell of the row and the column whose conditions it meets.
The loader checks the layout against the entries: every entry lands in exactly one cell, no cell holds
two entries, every value a layout names exists, and every table of the published file has a layout.
``pivot`` is the pure function the report draws from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Sequence, TypeVar

import yaml

from ._fields import FieldChecks
from .published import Entry, PublishedError

FIELDS = ("dataset", "split", "backbone", "method", "metric")  # entry fields a row or column may key on
FILE_FIELDS = ("tables",)
TABLE_REQUIRED = ("rows", "columns")
TABLE_OPTIONAL = ("title",)
AXIS_REQUIRED = ("by",)
AXIS_OPTIONAL = ("order", "group_sep", "other_work")
ITEM_FIELDS = ("value", "where", "label", "group", "other_work")
OTHER_WORK = "other work, not run here"


class LayoutError(PublishedError):
    """A layout file that does not follow configs/published/SCHEMA.md (section 'Layouts')."""


@dataclass(frozen=True)
class Match:
    """One field's condition: one of ``values`` exactly, or ``pattern`` found (re.search)."""

    field: str
    values: frozenset[str] = frozenset()
    pattern: re.Pattern | None = None

    def __call__(self, entry: Entry) -> bool:
        text = getattr(entry, self.field)
        return bool(self.pattern.search(text)) if self.pattern is not None else text in self.values


@dataclass(frozen=True)
class Item:
    """A row or a column of a published table."""

    label: str
    where: tuple[Match, ...]
    group: str = ""
    other_work: bool = False  # a row the paper quotes from other work; we do not run it

    def matches(self, entry: Entry) -> bool:
        return all(m(entry) for m in self.where)


@dataclass(frozen=True)
class Axis:
    by: tuple[str, ...]
    items: tuple[Item, ...]
    ordered: bool  # items written out in the file (else: one per distinct value, in entry order)


@dataclass(frozen=True)
class Layout:
    table: str
    title: str
    rows: Axis
    columns: Axis


T = TypeVar("T")


@dataclass(frozen=True)
class Pivot(Generic[T]):
    """A published table in the paper's layout: ``cells[i][j]`` is what sits at row i, column j (None: the
    paper prints no number there)."""

    layout: Layout
    cells: tuple[tuple[T | None, ...], ...]

    @property
    def rows(self) -> tuple[Item, ...]:
        return self.layout.rows.items

    @property
    def columns(self) -> tuple[Item, ...]:
        return self.layout.columns.items

    @property
    def column_groups(self) -> list[tuple[str, int]]:
        """Consecutive columns sharing a group, as (group, span); [] when no column has a group."""
        return spans(self.columns)

    @property
    def row_groups(self) -> list[tuple[str, int]]:
        return spans(self.rows)


def spans(items: Sequence[Item]) -> list[tuple[str, int]]:
    if not any(i.group for i in items):
        return []
    out: list[tuple[str, int]] = []
    for item in items:
        if out and out[-1][0] == item.group:
            out[-1] = (item.group, out[-1][1] + 1)
        else:
            out.append((item.group, 1))
    return out


def place(layout: Layout, entries: Sequence[Entry]) -> dict[tuple[int, int], Entry]:
    """(row, column) -> entry for the entries of ``layout.table``; a LayoutError names any entry that
    lands in no cell or in two, and any cell that two entries claim."""
    cells: dict[tuple[int, int], Entry] = {}
    for e in entries:
        if e.table != layout.table:
            continue
        at = []
        for name, axis in (("row", layout.rows), ("column", layout.columns)):
            hits = [i for i, item in enumerate(axis.items) if item.matches(e)]
            if len(hits) != 1:
                labels = ", ".join(repr(axis.items[i].label) for i in hits) or "none"
                raise LayoutError(f"entry {e.index} ({e.method!r}, {e.dataset!r}, {e.metric!r}) of table "
                                  f"{layout.table!r} matches {len(hits)} {name}s ({labels}). Fix: make exactly one "
                                  f"{name} of the layout name it (its 'value' or 'where').")
            at.append(hits[0])
        key = (at[0], at[1])
        if key in cells:
            raise LayoutError(f"entries {cells[key].index} and {e.index} of table {layout.table!r} fall in the "
                              f"same cell (row {layout.rows.items[key[0]].label!r}, column "
                              f"{layout.columns.items[key[1]].label!r}). Fix: key the rows or columns on a field "
                              "that tells them apart.")
        cells[key] = e
    return cells


def pivot(layout: Layout, rows: Sequence[T], entry_of=lambda r: r.entry) -> Pivot[T]:
    """Arrange ``rows`` (objects carrying an Entry, e.g. compare.Row) in the layout's grid."""
    by_entry = {id(entry_of(r)): r for r in rows}
    placed = place(layout, [entry_of(r) for r in rows])
    grid = tuple(tuple(by_entry[id(placed[(i, j)])] if (i, j) in placed else None
                       for j in range(len(layout.columns.items)))
                 for i in range(len(layout.rows.items)))
    return Pivot(layout, grid)


def _pinned(item: Item, field: str) -> bool:
    return any(m.field == field and m.pattern is None and len(m.values) == 1 for m in item.where)


def detail(layout: Layout, row: Item, column: Item, entry: Entry) -> str:
    """What a cell must add to its headers: the value of a row (or column) key field that the item leaves
    open (a pattern or several values, e.g. CB Table 2's 'Class-Balanced' row, whose loss type, β and γ
    change per column) and that the other header does not constrain either; the header's label is cut
    from its front ('Class-Balanced (best loss type Focal, β=0.9999)' -> 'best loss type Focal, β=0.9999')."""
    out = []
    for axis, item, other in ((layout.rows, row, column), (layout.columns, column, row)):
        for f in axis.by:
            if _pinned(item, f) or any(m.field == f for m in other.where):
                continue
            text = getattr(entry, f)
            if text.startswith(item.label):
                text = text[len(item.label):].strip(" :,")
                if text.startswith("(") and text.endswith(")"):
                    text = text[1:-1]
            if text:
                out.append(text)
    return "; ".join(out)


# ---------------------------------------------------------------------------------------------- loading


_checks = FieldChecks(LayoutError)
_err, _check_keys, _text = _checks.err, _checks.keys, _checks.text


def _known(where: str, field: str, value: str, entries: Sequence[Entry]) -> None:
    found = sorted({getattr(e, field) for e in entries})
    if value not in found:
        raise _err(where, f"{field} {value!r} is not in the table's entries. Fix: copy it from the published file; "
                          f"the table has {field} " + "; ".join(repr(v) for v in found) + ".")


def _match(where: str, field: str, spec, entries: Sequence[Entry]) -> Match:
    if field not in FIELDS:
        raise _err(where, f"field {field!r} cannot key a row or column. Fix: use one of {', '.join(FIELDS)}.")
    if isinstance(spec, dict):
        _check_keys(where, spec, ("re",), ())
        try:
            pattern = re.compile(_text(f"{where}.re", spec["re"]))
        except re.error as err:
            raise _err(where, f"'re' is not a valid regular expression: {err}.") from err
        if not any(pattern.search(getattr(e, field)) for e in entries):
            raise _err(where, f"{field} pattern {spec['re']!r} matches no entry of the table.")
        return Match(field, pattern=pattern)
    values = spec if isinstance(spec, list) else [spec]
    if not values:
        raise _err(where, f"{field}: an empty list matches nothing.")
    for v in values:
        _known(where, field, _text(where, v), entries)
    return Match(field, values=frozenset(v.strip() for v in values))


def _value_where(where: str, by: tuple[str, ...], value, entries: Sequence[Entry]) -> list[Match]:
    parts = value if isinstance(value, list) else [value]
    if len(parts) != len(by):
        raise _err(where, f"value {value!r} must give one text per 'by' field ({', '.join(by)}).")
    return [_match(where, f, _text(where, v), entries) for f, v in zip(by, parts)]


def _label(by_values: Sequence[str], sep: str | None) -> tuple[str, str]:
    """(group, label) derived from the key's values; ``sep`` splits a single value into group and label."""
    text = " · ".join(by_values)
    if sep and len(by_values) == 1 and sep in text:
        group, label = text.split(sep, 1)
        return group.strip(), label.strip()
    return "", text


def _item(where: str, raw, by: tuple[str, ...], sep: str | None, entries: Sequence[Entry], rows: bool) -> Item:
    if isinstance(raw, (str, list)):
        raw = {"value": raw}
    _check_keys(where, raw, (), ITEM_FIELDS if rows else tuple(f for f in ITEM_FIELDS if f != "other_work"))
    matches: list[Match] = []
    group, label = "", ""
    if "value" in raw:
        matches += _value_where(where, by, raw["value"], entries)
        parts = raw["value"] if isinstance(raw["value"], list) else [raw["value"]]
        group, label = _label([p.strip() for p in parts], sep)
    if "where" in raw:
        if not isinstance(raw["where"], dict) or not raw["where"]:
            raise _err(where, "'where' must be a mapping of field: value | [values] | {re: pattern}.")
        matches += [_match(f"{where}.where", f, spec, entries) for f, spec in raw["where"].items()]
    if not matches:
        raise _err(where, "an item needs 'value' (its key, one text per 'by' field) or 'where'.")
    if "label" in raw:
        label = _text(f"{where}.label", raw["label"])
    if not label:
        raise _err(where, "an item given by 'where' needs a 'label' (the paper's header).")
    if "group" in raw:
        group = _text(f"{where}.group", raw["group"])
    other = raw.get("other_work", False)
    if not isinstance(other, bool):
        raise _err(where, f"'other_work' must be true or false, got {other!r}.")
    return Item(label, tuple(matches), group, other)


def _axis(where: str, raw, entries: Sequence[Entry], rows: bool) -> Axis:
    _check_keys(where, raw, AXIS_REQUIRED, AXIS_OPTIONAL)
    by = raw["by"] if isinstance(raw["by"], list) else [raw["by"]]
    if not by or any(f not in FIELDS for f in by):
        raise _err(f"{where}.by", f"must name one or more of {', '.join(FIELDS)}, got {raw['by']!r}.")
    by = tuple(by)
    sep = raw.get("group_sep")
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise _err(f"{where}.group_sep", f"must be a non-empty string, e.g. ': ', got {sep!r}.")
    if "order" in raw:
        if not isinstance(raw["order"], list) or not raw["order"]:
            raise _err(f"{where}.order", "must be a non-empty list of items (the paper's order).")
        items = [_item(f"{where}.order[{i}]", r, by, sep, entries, rows) for i, r in enumerate(raw["order"])]
    else:
        items = []
        for key in dict.fromkeys(tuple(getattr(e, f) for f in by) for e in entries):
            group, label = _label(key, sep)
            items.append(Item(label, tuple(Match(f, values=frozenset([v])) for f, v in zip(by, key)), group))
    if "other_work" in raw:
        if not rows:
            raise _err(f"{where}.other_work", "only rows can be other work.")
        spec = raw["other_work"]
        if not isinstance(spec, dict) or not spec:
            raise _err(f"{where}.other_work", "must be a mapping of field: value | [values] | {re: pattern}.")
        cond = [_match(f"{where}.other_work", f, v, entries) for f, v in spec.items()]
        marked = 0
        for i, item in enumerate(items):
            mine = [e for e in entries if item.matches(e)]
            if mine and all(m(e) for e in mine for m in cond):
                items[i] = Item(item.label, item.where, item.group, True)
                marked += 1
        if not marked:
            raise _err(f"{where}.other_work", "marks no row (no row's entries all meet it).")
    return Axis(by, tuple(items), "order" in raw)


def _layout(path: Path, table: str, raw, entries: Sequence[Entry]) -> Layout:
    where = f"{path}: table {table!r}"
    _check_keys(where, raw, TABLE_REQUIRED, TABLE_OPTIONAL)
    mine = [e for e in entries if e.table == table]
    if not mine:
        tables = "; ".join(repr(t) for t in dict.fromkeys(e.table for e in entries))
        raise _err(where, f"no published entry has this table. Fix: name one of {tables}.")
    title = _text(f"{where}.title", raw["title"]) if "title" in raw else ""
    layout = Layout(table, title, _axis(f"{where}.rows", raw["rows"], mine, True),
                    _axis(f"{where}.columns", raw["columns"], mine, False))
    try:
        place(layout, mine)
    except LayoutError as err:
        raise _err(where, str(err)) from None
    for i, item in enumerate(layout.rows.items):
        run = [e for e in mine if item.other_work and item.matches(e) and e.exp is not None]
        if run:
            raise _err(f"{where}.rows.order[{i}]", f"row {item.label!r} is marked other_work but entry "
                       f"{run[0].index} names our run {run[0].exp!r}. Fix: drop other_work, or set exp: null.")
    return layout


def load_file(path: str | Path, entries: Sequence[Entry]) -> dict[str, Layout]:
    """Layouts of one paper, by table, checked against that paper's published ``entries``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise LayoutError(f"{path}: not valid YAML: {err}.") from err
    _check_keys(str(path), data, FILE_FIELDS, ())
    tables = data["tables"]
    if not isinstance(tables, dict):
        raise _err(str(path), "'tables' must map each table name (as in the entries' 'table') to its layout.")
    layouts = {str(t): _layout(path, str(t), raw, entries) for t, raw in tables.items()}
    missing = [t for t in dict.fromkeys(e.table for e in entries) if t not in layouts]
    if missing:
        raise _err(str(path), "no layout for table(s) " + "; ".join(repr(t) for t in missing)
                   + ". Fix: add each under 'tables' (rows: {by: ...}, columns: {by: ...}).")
    return layouts


def path_of(published_dir: str | Path, slug: str) -> Path:
    return Path(published_dir) / "layouts" / f"{slug}.yaml"


def load_slug(published_dir: str | Path, slug: str, entries: Sequence[Entry]) -> dict[str, Layout]:
    """Layouts of ``<published_dir>/layouts/<slug>.yaml``; a paper with entries must have this file."""
    path = path_of(published_dir, slug)
    if not path.exists():
        if entries:
            raise LayoutError(f"{path}: missing; every published table needs a layout. Fix: write the file "
                              "(configs/published/SCHEMA.md, section 'Layouts').")
        return {}
    return load_file(path, entries)
