"""Reading our runs: ``results/<slug>/<exp>/seed-<n>/metrics.json`` (+ ``record.json``).

A seed folder without metrics.json is a run that has not finished: it is skipped. A metrics.json
that is not a flat JSON object is an error naming the file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

SEED_DIR = re.compile(r"^seed-(\d+)$")


class RunsError(ValueError):
    """A results file that cannot be read."""


@dataclass(frozen=True)
class Run:
    slug: str
    exp: str
    seed: int
    metrics_path: Path
    metrics: dict
    record: dict = field(default_factory=dict)


def _read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise RunsError(f"{path}: cannot read {what}: {err}. Fix: re-run the evaluation that writes it.") from err
    if not isinstance(data, dict):
        raise RunsError(f"{path}: {what} must be a JSON object, got {type(data).__name__}.")
    return data


def load_runs(results_dir: str | Path, slug: str) -> dict[str, list[Run]]:
    """Finished runs of one slug, by experiment name, each list sorted by seed. A missing slug folder
    means no runs."""
    root = Path(results_dir) / slug
    out: dict[str, list[Run]] = {}
    if not root.is_dir():
        return out
    for exp_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        runs = []
        for seed_dir in exp_dir.iterdir():
            m = SEED_DIR.match(seed_dir.name)
            metrics_path = seed_dir / "metrics.json"
            if not (m and seed_dir.is_dir() and metrics_path.is_file()):
                continue
            record_path = seed_dir / "record.json"
            record = _read_json(record_path, "record.json") if record_path.is_file() else {}
            runs.append(Run(slug, exp_dir.name, int(m.group(1)), metrics_path,
                            _read_json(metrics_path, "metrics.json"), record))
        if runs:
            out[exp_dir.name] = sorted(runs, key=lambda r: r.seed)
    return out


def newest(runs: Iterable[Run]) -> Run | None:
    """The run whose metrics.json was written last (None for no runs)."""
    return max(runs, key=lambda r: (r.metrics_path.stat().st_mtime, str(r.metrics_path)), default=None)


def provenance(run: Run) -> dict:
    """When, from which commit and with which packages a run was made: metrics.json's time (UTC), and
    record.json's git_sha and versions (packages that were not installed are left out)."""
    when = datetime.fromtimestamp(run.metrics_path.stat().st_mtime, tz=timezone.utc)
    versions = run.record.get("versions") or {}
    return {"date": when.strftime("%Y-%m-%d %H:%M UTC"), "git_sha": run.record.get("git_sha"),
            "versions": {k: v for k, v in versions.items() if v}, "slug": run.slug, "exp": run.exp,
            "seed": run.seed, "device": run.record.get("device")}
