"""Provenance of a run (record.json) and atomic file writes."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

from lt_repro.report._io import atomic_write_text

PACKAGES = ("torch", "torchvision", "numpy", "mmengine", "mmcv", "mmcv-lite", "mmdet", "lvis", "snakemake")


def atomic_write_json(path: Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=1, sort_keys=True, allow_nan=False) + "\n")


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_sha(repo: Path | None = None) -> str | None:
    repo = repo or Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("-dirty" if dirty else "")


def device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    return f"cpu:{platform.processor() or platform.machine()} threads={torch.get_num_threads()}"


def run_record(cfg, *, seed: int, slug: str | None, exp: str | None, start: float,
               resumed_from: dict | None, **meta) -> dict:
    text = cfg.pretty_text
    return {
        "slug": slug, "exp": exp, "seed": seed, **meta,
        "config": json.loads(json.dumps(cfg.to_dict(), default=str)),
        "config_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "versions": versions(),
        "git_sha": git_sha(),
        "device": device(),
        "wall_time_s": round(time.time() - start, 3),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "resumed_from": resumed_from,
        "host": platform.node(),
    }
