"""Fidelity tables: each value of our recipe against the official code, ``configs/fidelity/<slug>.yaml``.

Loading and validation (every error names the file, the row id and index, and the field, and says how to
fix it), links to the official lines, and the evaluation of a row's ``checks`` against the merged mmengine
config. mmengine is imported only by the evaluation (this package must run without torch). Format:
configs/fidelity/SCHEMA.md.
"""
from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
STAGES = ("data", "model", "init", "optimiser", "schedule", "augmentation", "loss", "evaluation")
VERDICTS = ("same", "deviation", "not-in-official")
CONFIG_STAGES = ("model", "init", "optimiser", "schedule", "loss")  # values that live in an mmengine config
FILE_FIELDS = ("paper", "sources", "rows")
ROW_REQUIRED = ("id", "stage", "applies", "item", "ours", "ours_at", "official", "official_at", "verdict")
ROW_OPTIONAL = ("why", "checks")
CHECK_REQUIRED = ("config", "key", "value")
CHECK_OPTIONAL = ("grid", "cell")
REL_TOL = 1e-9

_ID = re.compile(r"[a-z0-9._-]+")
_GITHUB = re.compile(r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)@(?P<commit>[0-9a-f]{40})")
_ARXIV = re.compile(r"arXiv:(?P<id>(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})v\d+)")
_URL = re.compile(r"https://[^\s/]+(/\S*)?")
_PLACE = re.compile(r"(?P<path>[^\s:;]+)(:(?P<first>\d+)(-(?P<last>\d+))?)?")


class FidelityError(ValueError):
    """A fidelity file that does not follow configs/fidelity/SCHEMA.md."""


@dataclass(frozen=True)
class Source:
    key: str
    text: str
    kind: str  # github | arxiv | url

    def url(self, locator: str = "") -> str:
        """Where a reader opens ``<key>:<locator>``: the GitHub line, the arXiv abstract, or the URL."""
        if self.kind == "github":
            m = _GITHUB.fullmatch(self.text)
            base = f"https://github.com/{m['repo']}"
            if not locator:
                return f"{base}/tree/{m['commit']}"
            p = _PLACE.fullmatch(locator)
            anchor = ""
            if p["first"]:
                anchor = f"#L{p['first']}" + (f"-L{p['last']}" if p["last"] else "")
            return f"{base}/blob/{m['commit']}/{p['path']}{anchor}"
        if self.kind == "arxiv":
            return f"https://arxiv.org/abs/{_ARXIV.fullmatch(self.text)['id']}"
        return self.text


@dataclass(frozen=True)
class Place:
    """One ``<source key>:<locator>`` of an ``official_at``."""

    text: str
    source: Source
    locator: str

    @property
    def url(self) -> str:
        return self.source.url(self.locator)


@dataclass(frozen=True)
class Check:
    row_id: str
    index: int
    config: str
    key: str
    value: Any
    grid: str | None = None
    cell: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        cell = ", ".join(f"{k}={v}" for k, v in self.cell)
        return f"{self.row_id} check {self.index}: {self.key} of {self.config}" + (f" [{cell}]" if cell else "")


@dataclass(frozen=True)
class Row:
    index: int
    id: str
    stage: str
    applies: str
    item: str
    ours: str
    ours_at: str
    official: str
    official_at: str
    verdict: str
    why: str
    places: tuple[Place, ...]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Table:
    path: Path
    slug: str
    paper: str
    sources: dict[str, Source]
    rows: tuple[Row, ...]

    @property
    def counts(self) -> dict[str, int]:
        """{'rows': n, 'same': ., 'deviation': ., 'not-in-official': .}"""
        return {"rows": len(self.rows), **{v: sum(r.verdict == v for r in self.rows) for v in VERDICTS}}

    @property
    def deviations(self) -> tuple[Row, ...]:
        """Every row whose verdict is not 'same', in file order."""
        return tuple(r for r in self.rows if r.verdict != "same")

    @property
    def unchecked(self) -> tuple[Row, ...]:
        """Rows marked 'same' in a config stage that carry no checks (SCHEMA.md: they should)."""
        return tuple(r for r in self.rows if r.verdict == "same" and r.stage in CONFIG_STAGES and not r.checks)

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(c for r in self.rows for c in r.checks)


def _row_where(path: Path, index: int, raw) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"{path}: row {index}" + (f" (id={rid!r})" if rid is not None else "")


def _text(where: str, raw: dict, field: str) -> str:
    value = raw[field]
    if not isinstance(value, str) or not value.strip():
        raise FidelityError(f"{where}: field '{field}' must be a non-empty string, got {value!r}. "
                            f"Fix: quote the text, e.g. {field}: \"...\".")
    return value.strip()


def _fields(where: str, raw, required: tuple, optional: tuple, what: str) -> None:
    if not isinstance(raw, dict):
        raise FidelityError(f"{where}: {what} must be a mapping of field: value, got {type(raw).__name__}.")
    missing = [f for f in required if f not in raw]
    if missing:
        raise FidelityError(f"{where}: missing field(s) {', '.join(missing)}. "
                            f"Fix: {what} needs {', '.join(required)} (see configs/fidelity/SCHEMA.md).")
    unknown = sorted(set(raw) - set(required) - set(optional))
    if unknown:
        raise FidelityError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}. "
                            f"Fix: allowed fields are {', '.join(required + optional)}.")


def parse_source(key: str, text) -> Source:
    """A ``sources`` value: ``owner/repo@<40-hex commit>``, ``arXiv:<id>v<N>`` or an https URL."""
    if isinstance(text, str):
        text = text.strip()
        for kind, pattern in (("github", _GITHUB), ("arxiv", _ARXIV), ("url", _URL)):
            if pattern.fullmatch(text):
                return Source(key, text, kind)
    raise FidelityError(f"source '{key}' is {text!r}, which a reader cannot open. Fix: write "
                        "'owner/repo@<full 40-hex commit>', 'arXiv:<id>v<N>' or an https:// URL.")


def _parse_place(text: str, sources: dict[str, Source]) -> Place:
    key, sep, locator = text.partition(":")
    if not sep or key not in sources:
        raise FidelityError(f"{text!r} does not start with a key of 'sources' ({', '.join(sources)}). "
                            "Fix: write '<source key>:<path>[:line]' or '<source key>:<section>'.")
    locator = locator.strip()
    if sources[key].kind == "github":
        p = _PLACE.fullmatch(locator)
        if not p or (p["last"] and int(p["last"]) < int(p["first"])) or p["first"] == "0":
            raise FidelityError(f"{text!r}: a GitHub source needs 'path[:line]' or 'path:first-last' after "
                                f"'{key}:', got {locator!r}. Fix: one place per entry, several separated by '; '.")
    elif not locator:
        raise FidelityError(f"{text!r}: nothing after '{key}:'. Fix: name the section, table or page.")
    return Place(text, sources[key], locator)


def ours_places(text: str):
    """Each place of an ``ours_at`` text (separated by '; '): the place as written and its ``_PLACE`` match
    (None where it is not ``path[:line]`` or ``path:first-last``)."""
    for part in text.split(";"):
        part = part.strip()
        yield part, _PLACE.fullmatch(part)


def check_ours_at(text: str, repo: Path) -> None:
    """Every ``path[:line]`` of ``ours_at`` (separated by '; ') names a file of the repository and a line in it."""
    for part, p in ours_places(text):
        if not p:
            raise FidelityError(f"{part!r} is not 'path[:line]' or 'path:first-last'. "
                                "Fix: a path inside this repository, several separated by '; '.")
        path = repo / p["path"]
        if not path.is_file():
            raise FidelityError(f"{p['path']} does not exist in {repo}. Fix: a path relative to the repository root.")
        if p["first"]:
            n_lines = len(path.read_text(encoding="utf-8").splitlines())
            last = int(p["last"] or p["first"])
            if not 1 <= int(p["first"]) <= last <= n_lines:
                raise FidelityError(f"{part}: line {p['first']}{'-' + p['last'] if p['last'] else ''} is not "
                                    f"within {p['path']} ({n_lines} lines). Fix: the line the value is on.")


@lru_cache(maxsize=None)
def _grid_cells(path: Path) -> tuple[list[str], tuple]:
    """The axes of ``configs/<slug>/<grid>.yaml`` and its experiments, as the workflow expands them (the demo
    grid, configs/demo/grid.yaml, is datasets x losses)."""
    from lt_repro import grid as grids  # jsonschema, only for checks that name a grid

    try:
        if path.parent.name == "demo":
            demo = grids.load_demo_grid(path)
            return ["dataset", "loss"], tuple(grids.demo_experiments(demo, data_root="data", seeds=(0,), threads=1))
        grid = grids.load_grid(path)
    except grids.ConfigError as err:
        raise FidelityError(str(err)) from None
    axes = ["dataset"] + (["backbone"] if grid.backbones else []) + ["loss"]
    return axes, tuple(grids.experiments(grid, slug=path.parent.name))


def cell_experiment(grid_path: str, cell: dict, config: str, repo: str | Path = REPO):
    """The experiment (``lt_repro.grid.Experiment``) the workflow trains for ``cell`` with ``config``: one value per
    axis (dataset, loss, and backbone when the grid has backbones); a decoupled stage is told apart by its config.
    Swap point: everything the checks know about grids goes through here and ``_grid_cells``."""
    if not isinstance(cell, dict):
        raise FidelityError(f"'cell' must be a mapping of axis: value, got {cell!r}.")
    axes, cells = _grid_cells(Path(repo) / grid_path)
    if set(cell) != set(axes):
        raise FidelityError(f"cell {cell} must name exactly the axes of {grid_path}: {', '.join(axes)}.")
    for exp in cells:
        if exp.config == config and all(exp.meta[a] == cell[a] for a in axes):
            return exp
    of_config = [e for e in cells if e.config == config]
    if not of_config:
        configs = sorted({e.config for e in cells})
        raise FidelityError(f"config {config} is not one of the configs of {grid_path} ({', '.join(configs)}).")
    options = {a: sorted({str(e.meta[a]) for e in of_config}) for a in axes}
    raise FidelityError(f"{grid_path} has no cell {cell} with config {config}; its cells there take "
                        + "; ".join(f"{a} in {', '.join(v)}" for a, v in options.items()) + ".")


def cell_overrides(grid_path: str, cell: dict, config: str, repo: str | Path = REPO) -> dict:
    """The ``--set`` overrides of the cell's training job, in the order they are applied (lt_repro.grid)."""
    return cell_experiment(grid_path, cell, config, repo).overrides


def _parse_check(where: str, row_id: str, index: int, raw, repo: Path) -> Check:
    where = f"{where}: check {index}"
    _fields(where, raw, CHECK_REQUIRED, CHECK_OPTIONAL, "a check")
    for f in ("config", "key") + tuple(f for f in ("grid",) if f in raw):
        _text(where, raw, f)
        if f != "key" and not (repo / raw[f]).is_file():
            raise FidelityError(f"{where}: field '{f}': {raw[f]} does not exist in {repo}. "
                                "Fix: a path relative to the repository root.")
    if ("grid" in raw) != ("cell" in raw):
        raise FidelityError(f"{where}: field '{'cell' if 'grid' in raw else 'grid'}' is missing. "
                            "Fix: 'grid' and 'cell' go together (the cell whose overrides are applied).")
    cell: tuple = ()
    if "grid" in raw:
        try:
            cell_experiment(raw["grid"], raw["cell"], raw["config"], repo)
        except FidelityError as err:
            raise FidelityError(f"{where}: field 'cell': {err}") from None
        cell = tuple((str(k), v) for k, v in raw["cell"].items())
    if isinstance(raw["value"], str) and _looks_numeric(raw["value"]):
        raise FidelityError(f"{where}: field 'value': {raw['value']!r} is a string to YAML. Fix: write the "
                            "number with a dot and unquoted, e.g. 1.0e-4 (YAML reads 1e-4 as text).")
    return Check(row_id, index, raw["config"], raw["key"].strip(), raw["value"], raw.get("grid"), cell)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_row(path: Path, index: int, raw, sources: dict[str, Source], repo: Path) -> Row:
    where = _row_where(path, index, raw)
    _fields(where, raw, ROW_REQUIRED, ROW_OPTIONAL, "a row")
    text = {f: _text(where, raw, f) for f in ROW_REQUIRED}
    if not _ID.fullmatch(text["id"]):
        raise FidelityError(f"{where}: field 'id' must match [a-z0-9._-]+, got {text['id']!r}.")
    for f, allowed in (("stage", STAGES), ("verdict", VERDICTS)):
        if text[f] not in allowed:
            raise FidelityError(f"{where}: field '{f}' must be one of {' | '.join(allowed)}, got {text[f]!r}.")
    why = raw.get("why")
    if text["verdict"] != "same" and (not isinstance(why, str) or not why.strip()):
        raise FidelityError(f"{where}: field 'why' is required when verdict is {text['verdict']!r}. "
                            "Fix: say why we differ and what a reader should expect from it.")
    if why is not None and not isinstance(why, str):
        raise FidelityError(f"{where}: field 'why' must be a string, got {why!r}.")
    try:
        check_ours_at(text["ours_at"], repo)
    except FidelityError as err:
        raise FidelityError(f"{where}: field 'ours_at': {err}") from None
    try:
        places = tuple(_parse_place(p.strip(), sources) for p in text["official_at"].split(";"))
    except FidelityError as err:
        raise FidelityError(f"{where}: field 'official_at': {err}") from None
    checks = raw.get("checks", [])
    if not isinstance(checks, list) or ("checks" in raw and not checks):
        raise FidelityError(f"{where}: field 'checks' must be a non-empty list of checks, got {checks!r}.")
    return Row(index=index, why=(why or "").strip(), places=places,
               checks=tuple(_parse_check(where, text["id"], i, c, repo) for i, c in enumerate(checks)), **text)


def load_file(path: str | Path, repo: str | Path = REPO) -> Table:
    """Load and validate one fidelity file; ``ours_at`` and check paths are relative to ``repo``."""
    path, repo = Path(path), Path(repo)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise FidelityError(f"{path}: not valid YAML: {err}. Fix the syntax at the position shown.") from err
    _fields(str(path), data, FILE_FIELDS, (), "the file")
    paper = _text(str(path), data, "paper")
    if not isinstance(data["sources"], dict) or not data["sources"]:
        raise FidelityError(f"{path}: field 'sources' must be a mapping of key: openable source, "
                            f"got {data['sources']!r}.")
    try:
        sources = {str(k): parse_source(str(k), v) for k, v in data["sources"].items()}
    except FidelityError as err:
        raise FidelityError(f"{path}: field 'sources': {err}") from None
    if not isinstance(data["rows"], list) or not data["rows"]:
        raise FidelityError(f"{path}: field 'rows' must be a non-empty list of rows ('- id: ...').")
    rows = [_parse_row(path, i, raw, sources, repo) for i, raw in enumerate(data["rows"])]
    seen: dict[str, int] = {}
    for r in rows:
        if r.id in seen:
            raise FidelityError(f"{_row_where(path, r.index, {'id': r.id})}: field 'id' duplicates row "
                                f"{seen[r.id]}. Fix: ids are unique within the file.")
        seen[r.id] = r.index
    return Table(path=path, slug=path.stem, paper=paper, sources=sources, rows=tuple(rows))


def load_slug(fidelity_dir: str | Path, slug: str, repo: str | Path = REPO) -> Table | None:
    """The table of ``<fidelity_dir>/<slug>.yaml``, or None when the paper has none yet."""
    path = Path(fidelity_dir) / f"{slug}.yaml"
    return load_file(path, repo) if path.exists() else None


def load_all(fidelity_dir: str | Path, repo: str | Path = REPO) -> dict[str, Table]:
    """Every ``*.yaml`` of the folder, validated, by slug."""
    return {p.stem: load_file(p, repo) for p in sorted(Path(fidelity_dir).glob("*.yaml"))}


# --- checks: the value in the merged mmengine config ---------------------------------------------------------

@lru_cache(maxsize=None)
def _config(path: Path):
    from mmengine.config import Config

    # values only: the config's custom_imports (the project's registered components) are not needed to read them
    return Config.fromfile(str(path), import_custom_modules=False)


def merged_config(check: Check, repo: str | Path = REPO):
    """The mmengine config of ``check`` with its grid cell's overrides applied (strictly, as lt_repro.train)."""
    from lt_repro.mm.config import apply_overrides

    repo = Path(repo)
    cfg = copy.deepcopy(_config(repo / check.config))
    if check.grid:
        try:
            apply_overrides(cfg, cell_overrides(check.grid, dict(check.cell), check.config, repo), source=check.grid)
        except KeyError as err:  # ConfigKeyError: the grid sets a key the config lacks (lt_repro.train refuses it too)
            raise FidelityError(f"{check.label}: {err}") from None
    return cfg


def resolve_key(node, dotted: str):
    """``a.b.1.c``: mapping keys (a key holding dots, e.g. 'head.bias', is matched whole) and list indices."""
    parts, i = dotted.split("."), 0
    while i < len(parts):
        if isinstance(node, (list, tuple)):
            if not parts[i].isdigit() or int(parts[i]) >= len(node):
                raise KeyError(f"'{'.'.join(parts[:i]) or 'top level'}' is a list of {len(node)}; "
                               f"'{parts[i]}' is not an index of it")
            node, i = node[int(parts[i])], i + 1
            continue
        keys = list(node.keys()) if hasattr(node, "keys") else []
        for j in range(len(parts), i, -1):
            if ".".join(parts[i:j]) in keys:
                node, i = node[".".join(parts[i:j])], j
                break
        else:
            raise KeyError(f"'{parts[i]}' is not in '{'.'.join(parts[:i]) or 'top level'}' "
                           f"(keys: {', '.join(map(str, keys)) or 'none'})")
    return node


def values_equal(actual, expected, rel_tol: float = REL_TOL) -> bool:
    """==, numbers with a relative tolerance, lists and tuples alike, mappings key by key; bools only equal bools."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=0.0)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        return set(actual) == set(expected) and all(values_equal(actual[k], expected[k], rel_tol) for k in actual)
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(values_equal(a, e, rel_tol) for a, e in zip(actual, expected))
    return actual == expected


def _plain(x):
    """Plain dicts and lists, without the '_scope_' that mmengine writes into configs inherited across packages
    (``mmdet::`` bases): registry bookkeeping, not a recipe value."""
    if isinstance(x, Mapping):
        return {k: _plain(v) for k, v in x.items() if k != "_scope_"}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


@dataclass(frozen=True)
class CheckResult:
    check: Check
    ok: bool
    actual: Any
    message: str


def evaluate_check(check: Check, table_path: str | Path = "", repo: str | Path = REPO) -> CheckResult:
    """Load the merged config of ``check`` and compare the value at its key; a key the config (or the grid's
    overrides) does not have is a failed check, not an exception."""
    where = f"{table_path}: {check.label}" if table_path else check.label
    cfg = merged_config(check, repo)
    try:
        actual = resolve_key(cfg, check.key)
    except KeyError as err:
        msg = str(err.args[0]) if err.args else str(err)
        return CheckResult(check, False, None, f"{where}: {msg}")
    actual = _plain(actual)
    ok = values_equal(actual, check.value)
    verdict = "equals" if ok else "differs from"
    return CheckResult(check, ok, actual, f"{where}: the config has {actual!r}, which {verdict} "
                                          f"the table's {check.value!r}")
