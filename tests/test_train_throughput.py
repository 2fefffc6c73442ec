"""benchmarks/train_throughput.py runs its three data paths (official-style PIL DataLoader, the per-sample
tensors of LTSplitDataset, LTDeviceSplitDataset) with the flags scripts/gpu_check.py passes, and writes
the ratios it prints; benchmarks/run_cost.py's synthetic CIFAR is read by the real loader."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_throughput_script_reports_every_path(tmp_path):
    out = tmp_path / "t.json"
    res = subprocess.run([sys.executable, "benchmarks/train_throughput.py", "--device", "cpu", "--json", str(out),
                          "--iters", "1", "--images", "512", "--workers", "0"],
                         cwd=REPO, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    r = json.loads(out.read_text())
    for path in ("official", "project", "device"):
        assert r[f"{path}_data_img_s"] > 0 and r[f"{path}_step_img_s"] > 0
    for ratio, path in (("device_data_ratio", "device"), ("data_ratio", "project")):
        a, b = r[f"{path}_data_img_s"], r["official_data_img_s"]  # each rounded to 0.1 img/s, the ratio to 0.01
        assert abs(r[ratio] - a / b) <= 0.005 + a / b * (0.05 / a + 0.05 / b) + 1e-9, (ratio, r[ratio], a, b)
    assert "device / project" in res.stdout and len(r["load_avg_1_5_15_before"]) == 3


@pytest.mark.slow  # trains
def test_run_cost_data_has_the_official_layout(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from run_cost import write_cifar

    from lt_repro.data import sources

    for source, classes in (("cifar10", 10), ("cifar100", 100)):
        write_cifar(tmp_path / source, source)
        images, labels = sources.get(source).load(tmp_path / source, "train")
        test_images, _ = sources.get(source).load(tmp_path / source, "test")
        assert images.shape == (50000, 32, 32, 3) and test_images.shape == (10000, 32, 32, 3)
        assert np.bincount(labels).tolist() == [50000 // classes] * classes
