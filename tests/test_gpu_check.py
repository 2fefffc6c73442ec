"""scripts/gpu_check.sh --cpu: every part of the GPU check that needs no GPU, run here as on the GPU
machine (the device parity test against the CPU itself, the benchmark, each track to its metrics.json)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.needs_ops  # its detection tracks
def test_gpu_check_cpu_mode_runs_every_part(tmp_path):
    out = tmp_path / "check"
    res = subprocess.run(["bash", "scripts/gpu_check.sh", str(out), "--cpu"], cwd=REPO, capture_output=True,
                         text=True, timeout=1500)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    summary = json.loads((out / "gpu_check.json").read_text())
    parts = summary["parts"]
    assert list(parts) == ["losses_on_device", "loss_benchmark", "classification_tracks", "train_throughput",
                           "mmcv_cuda_build", "detection_tracks"]
    assert parts["mmcv_cuda_build"]["status"] == "skipped"
    losses = parts["losses_on_device"]
    assert losses["status"] == "pass" and losses["tests"] > 0 and losses["skipped"] == 0
    for name, n_tracks in (("classification_tracks", 3), ("detection_tracks", 2)):
        part = parts[name]
        assert part["status"] == "pass" and part["failures"] == part["errors"] == 0, (name, part)
        assert len({Path(r["metrics"]).parts[2] for r in part["runs"]}) == n_tracks, part["runs"]
        assert all(r["device"].startswith("cpu:") for r in part["runs"]), part["runs"]
    table = (out / parts["loss_benchmark"]["table"]).read_text()
    assert "device cpu" in table and "32x80" in table
    md = (out / "gpu_check.md").read_text()
    assert "| detection_tracks | pass |" in md
