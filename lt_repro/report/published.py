"""Published numbers: schema, loading and validation of ``configs/published/<slug>.yaml``.

Each file is a YAML mapping: ``sources`` (key -> what a reader can open) and ``entries`` (one per
published number, each naming its source key and its cell); fields in configs/published/SCHEMA.md.
The number's printed text is kept (``41.26`` vs ``41.3``) because the 'match' verdict is "within half
a unit of the last printed digit". Every error names the file, the entry (or source) and the field,
and says how to fix it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .sources import FORMS, Source, kind_of

FILE_FIELDS = ("sources", "entries")
SOURCE_REQUIRED = ("cite", "open")
SOURCE_OPTIONAL = ("note",)
REQUIRED = ("paper", "table", "dataset", "split", "backbone", "method", "metric", "value", "unit",
            "direction", "tolerance", "source", "cell", "exp", "key")
OPTIONAL = ("verified", "note", "decimals")
DIRECTIONS = ("lower", "higher")
TEXT_FIELDS = ("paper", "table", "dataset", "split", "backbone", "method", "metric", "unit", "cell")
_KEY = re.compile(r"[a-z0-9_-]+")


class PublishedError(ValueError):
    """A published-numbers file that does not follow configs/published/SCHEMA.md."""


class _Printed(float):
    """A float that remembers how it was written in the YAML file."""

    text: str


def _number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float | int:
    base = (yaml.SafeLoader.construct_yaml_float if node.tag.endswith(":float")
            else yaml.SafeLoader.construct_yaml_int)(loader, node)
    out = _Printed(base)
    out.text = node.value
    return out


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("tag:yaml.org,2002:float", _number)
_Loader.add_constructor("tag:yaml.org,2002:int", _number)


def decimals_of(text: str) -> int:
    """Digits after the decimal point as printed: '41.26' -> 2, '25.0' -> 1, '38' -> 0."""
    mantissa = text.strip().lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


@dataclass(frozen=True)
class Entry:
    slug: str
    index: int
    paper: str
    table: str
    dataset: str
    split: str
    backbone: str
    method: str
    metric: str
    value: float
    value_text: str
    decimals: int
    unit: str
    direction: str
    tolerance: float
    source: Source
    cell: str  # where in the source: table, row, column
    exp: str | None
    key: str | None
    verified: bool = True
    note: str = ""

    @property
    def half_unit(self) -> float:
        """Half a unit of the last printed digit: the 'match' band around the published value."""
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def provenance(self) -> str:
        """Source and cell in one line: 'Cui et al., ..., CVPR 2019 (arXiv:1901.05555v1), Table 2, ...'."""
        return f"{self.source.cite} ({self.source.open}), {self.cell}"


def _where(path: Path, index: int, raw: dict | None) -> str:
    label = ""
    if isinstance(raw, dict):
        bits = [f"{k}={raw[k]!r}" for k in ("method", "metric") if k in raw]
        label = f" ({', '.join(bits)})" if bits else ""
    return f"{path}: entry {index}{label}"


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _check_sources(path: Path, raw) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        raise PublishedError(f"{path}: field 'sources' must be a non-empty mapping of key: {{cite, open}}, "
                             f"got {raw!r}. Fix: e.g. sources: {{paper: {{cite: \"Cui et al., ..., CVPR 2019\", "
                             "open: \"arXiv:1901.05555v1\"}}.")
    sources = {}
    for key, spec in raw.items():
        where = f"{path}: source {key!r}"
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise PublishedError(f"{where}: a source key must match [a-z0-9_-]+. Fix: e.g. paper, zoo, readme.")
        if not isinstance(spec, dict):
            raise PublishedError(f"{where}: must be a mapping with {', '.join(SOURCE_REQUIRED)}, got {spec!r}.")
        missing = [f for f in SOURCE_REQUIRED if f not in spec]
        unknown = sorted(set(spec) - set(SOURCE_REQUIRED) - set(SOURCE_OPTIONAL))
        if missing or unknown:
            raise PublishedError(f"{where}: missing field(s) {', '.join(missing) or '-'}, unknown field(s) "
                                 f"{', '.join(map(str, unknown)) or '-'}. Fix: a source has "
                                 f"{', '.join(SOURCE_REQUIRED)} and optionally {', '.join(SOURCE_OPTIONAL)}.")
        for f in SOURCE_REQUIRED + SOURCE_OPTIONAL:
            if f in spec and (not isinstance(spec[f], str) or not spec[f].strip()):
                raise PublishedError(f"{where}: field '{f}' must be a non-empty string, got {spec[f]!r}.")
        if kind_of(spec["open"].strip()) is None:
            raise PublishedError(f"{where}: 'open' is {spec['open']!r}, which a reader cannot open. "
                                 f"Fix: write {FORMS}.")
        sources[key] = Source(key, spec["cite"].strip(), spec["open"].strip(), spec.get("note", "").strip())
    return sources


def _check_entry(path: Path, index: int, raw, sources: dict[str, Source]) -> Entry:
    where = _where(path, index, raw)
    if not isinstance(raw, dict):
        raise PublishedError(f"{where}: an entry must be a mapping of field: value, got {type(raw).__name__}. "
                             "Fix: write the entry as a YAML mapping ('- paper: ...').")
    missing = [f for f in REQUIRED if f not in raw]
    if missing:
        raise PublishedError(f"{where}: missing field(s) {', '.join(missing)}. "
                             f"Fix: every entry needs {', '.join(REQUIRED)} (see configs/published/SCHEMA.md; "
                             "use 'exp: null' and 'key: null' when we have no such run).")
    if not isinstance(raw["source"], str) or raw["source"] not in sources:
        raise PublishedError(f"{where}: field 'source' is {raw['source']!r}, not a key of 'sources' "
                             f"({', '.join(sources)}). Fix: name one of them, or add the source at the top.")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise PublishedError(f"{where}: unknown field(s) {', '.join(unknown)}. "
                             f"Fix: allowed fields are {', '.join(REQUIRED + OPTIONAL)}.")
    for f in TEXT_FIELDS:
        if not isinstance(raw[f], str) or not raw[f].strip():
            raise PublishedError(f"{where}: field '{f}' must be a non-empty string, got {raw[f]!r}. "
                                 f"Fix: quote the text, e.g. {f}: \"...\".")
    value = raw["value"]
    if not _is_number(value):
        raise PublishedError(f"{where}: field 'value' must be a finite number as printed in the source, "
                             f"got {value!r}. Fix: write it unquoted, e.g. value: 41.26.")
    value_text = getattr(value, "text", repr(value))
    if raw["direction"] not in DIRECTIONS:
        raise PublishedError(f"{where}: field 'direction' must be 'lower' or 'higher' (which is better), "
                             f"got {raw['direction']!r}. Fix: errors are 'lower', accuracies and AP 'higher'.")
    tol = raw["tolerance"]
    if not _is_number(tol) or float(tol) < 0:
        raise PublishedError(f"{where}: field 'tolerance' must be a number >= 0 in the unit of 'value', "
                             f"got {tol!r}. Fix: e.g. tolerance: 1.0.")
    exp, key = raw["exp"], raw["key"]
    for f, v in (("exp", exp), ("key", key)):
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise PublishedError(f"{where}: field '{f}' must be a non-empty string or null, got {v!r}.")
    if exp is not None and key is None:
        raise PublishedError(f"{where}: field 'key' is null but exp={exp!r} is set. "
                             "Fix: name the metrics.json key to compare with, e.g. key: top1_err_pct.")
    if exp is not None and "/" in exp.strip("/"):
        raise PublishedError(f"{where}: field 'exp' must be one directory name under results/<slug>/, "
                             f"got {exp!r}. Fix: drop the slug and the seed, e.g. exp: cifar100lt-r10_cdb-ce.")
    if key is not None and raw["unit"] == "%" and not key.endswith("_pct"):
        raise PublishedError(f"{where}: unit is '%' but key {key!r} is not a percentage key. "
                             "Fix: metrics.json keys carry their unit; use the '*_pct' key.")
    verified = raw.get("verified", True)
    if not isinstance(verified, bool):
        raise PublishedError(f"{where}: field 'verified' must be true or false, got {verified!r}.")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise PublishedError(f"{where}: field 'note' must be a string, got {note!r}.")
    decimals = raw.get("decimals", decimals_of(value_text))
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise PublishedError(f"{where}: field 'decimals' must be an integer >= 0, got {decimals!r}.")
    return Entry(
        slug=path.stem, index=index, value=float(value), value_text=value_text, decimals=int(decimals),
        direction=raw["direction"], tolerance=float(tol), source=sources[raw["source"]], exp=exp, key=key,
        verified=verified, note=note.strip(),
        **{f: raw[f].strip() for f in TEXT_FIELDS},
    )


def load_file(path: str | Path) -> list[Entry]:
    """Load and validate one published-numbers file. An empty file (or only comments) is no entries."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as err:
        raise PublishedError(f"{path}: not valid YAML: {err}. Fix the syntax at the position shown.") from err
    if data is None:
        return []
    if not isinstance(data, dict):
        raise PublishedError(f"{path}: the file must be a YAML mapping with {' and '.join(FILE_FIELDS)}, "
                             f"got a {type(data).__name__}. Fix: see configs/published/SCHEMA.md.")
    missing = [f for f in FILE_FIELDS if f not in data]
    unknown = sorted(map(str, set(data) - set(FILE_FIELDS)))
    if missing or unknown:
        raise PublishedError(f"{path}: missing top-level field(s) {', '.join(missing) or '-'}, unknown "
                             f"{', '.join(unknown) or '-'}. Fix: the file holds exactly "
                             f"{' and '.join(FILE_FIELDS)}.")
    sources = _check_sources(path, data["sources"])
    if not isinstance(data["entries"], list):
        raise PublishedError(f"{path}: field 'entries' must be a YAML list of entries ('- paper: ...'), "
                             f"got a {type(data['entries']).__name__}.")
    entries = [_check_entry(path, i, raw, sources) for i, raw in enumerate(data["entries"])]
    unused = sorted(set(sources) - {e.source.key for e in entries})
    if unused:
        raise PublishedError(f"{path}: source(s) {', '.join(unused)} named by no entry. "
                             "Fix: remove them, or name them in an entry's 'source'.")
    seen: dict[tuple, int] = {}
    for e in entries:
        ident = (e.table, e.dataset, e.backbone, e.method, e.metric)
        if ident in seen:
            raise PublishedError(f"{_where(path, e.index, None)}: duplicates entry {seen[ident]} "
                                 f"(same table, dataset, backbone, method, metric: {ident}). "
                                 "Fix: remove one, or tell them apart in 'method' or 'backbone'.")
        seen[ident] = e.index
    return entries


def load_slug(published_dir: str | Path, slug: str) -> list[Entry]:
    """Entries of ``<published_dir>/<slug>.yaml``; no file means no published numbers (e.g. the demo)."""
    path = Path(published_dir) / f"{slug}.yaml"
    return load_file(path) if path.exists() else []


def load_all(published_dir: str | Path) -> dict[str, list[Entry]]:
    """All ``*.yaml`` files of the folder, validated, by slug."""
    return {p.stem: load_file(p) for p in sorted(Path(published_dir).glob("*.yaml"))}
