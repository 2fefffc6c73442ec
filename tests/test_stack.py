"""The GPU stack check (lt_repro.mm.stack): a job that was given a GPU stops before it builds anything
when its stack cannot use it, with one line per problem that says what to run."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lt_repro.mm import stack
from lt_repro.train import EXIT_STACK, enable_amp

REPO = Path(__file__).resolve().parents[1]
SEESAW = REPO / "configs/seesaw/seesaw_mask-rcnn-r50-fpn_8xb2-24e_lvis-v1-random.py"
DEMO = REPO / "configs/demo/cnn_1xb128-6e_mnist-lt.py"


@pytest.mark.parametrize("env, visible", [
    ({"LT_GPU_VISIBLE": "1"}, True),
    ({"LT_GPU_VISIBLE": "0", "CUDA_VISIBLE_DEVICES": "0"}, False),
    ({"CUDA_VISIBLE_DEVICES": "0,1"}, True),
    ({"CUDA_VISIBLE_DEVICES": ""}, False),
    ({"CUDA_VISIBLE_DEVICES": "-1"}, False),
])
def test_gpu_visible_from_the_environment(env, visible):
    assert stack.gpu_visible(env) is visible


def test_ops_problem_names_the_cuda_setup_command(monkeypatch):
    monkeypatch.setattr(stack, "mmcv_ops_cuda", lambda: "not available")
    problems = stack.stack_problems(needs_ops=True, distributed=False, gpu=True)
    assert any("compiled without CUDA" in p and "LT_MMCV_CUDA=1" in p for p in problems), problems


def test_missing_ops_on_the_cpu_names_the_ops_setup(monkeypatch):
    monkeypatch.setattr(stack, "mmcv_ops_cuda", lambda: None)
    assert stack.stack_problems(needs_ops=True, distributed=False, gpu=False) == [
        "mmcv has no compiled ops, which detection needs: run `scripts/setup.sh --ops`"]


def test_cpu_job_without_ops_needs_nothing(monkeypatch):
    monkeypatch.setattr(stack, "mmcv_ops_cuda", lambda: None)
    assert stack.stack_problems(needs_ops=False, distributed=True, gpu=False) == []


def run_forced_gpu(module: str, config: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LT_GPU_VISIBLE": "1"}
    return subprocess.run([sys.executable, "-m", module, str(config), "--work-dir", str(tmp_path / "work"),
                           "--out-dir", str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow  # a job in a subprocess
@pytest.mark.skipif(stack.mmcv_ops_cuda() not in (None, "not available"), reason="mmcv here has CUDA ops")
def test_detection_job_on_a_gpu_with_cpu_only_mmcv_stops_first(tmp_path):
    """The forced GPU branch with this machine's CPU-only mmcv: exit 5 with the fix, nothing built."""
    res = run_forced_gpu("lt_repro.detect", SEESAW, tmp_path)
    assert res.returncode == EXIT_STACK, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert any("LT_MMCV_CUDA=1" in line and "scripts/setup.sh --ops" in line for line in errors), res.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "out").exists()


@pytest.mark.slow  # a job in a subprocess
@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is usable here")
def test_training_job_given_a_gpu_that_torch_cannot_use_stops_first(tmp_path):
    res = run_forced_gpu("lt_repro.train", DEMO, tmp_path)
    assert res.returncode == EXIT_STACK, res.stderr
    assert "sees no usable GPU" in res.stderr
    assert not (tmp_path / "work").exists()


def test_amp_switch_uses_mmengines_amp_wrapper():
    from mmengine.config import Config

    cfg = Config.fromfile(DEMO)
    enable_amp(cfg, "bf16")
    assert cfg.optim_wrapper.type == "AmpOptimWrapper" and cfg.optim_wrapper.dtype == "bfloat16"
    with pytest.raises(ValueError, match="amp must be one of"):
        enable_amp(cfg, "fp8")


def test_runner_adds_the_runtime_hooks_once(tmp_path):
    """NaN stop and preemption come from the runner, whatever the config lists."""
    from mmengine.config import Config

    from lt_repro.train import RUNTIME_HOOKS, build_parser, setup_run

    args = build_parser().parse_args([str(DEMO), "--work-dir", str(tmp_path / "w"), "--out-dir", str(tmp_path)])
    for listed in ([], [dict(type="PreemptionHook"), dict(type="CDBDifficultyHook")]):
        cfg = Config.fromfile(DEMO)
        cfg.custom_hooks = listed
        setup_run(cfg, args)
        types = [h["type"] for h in cfg.custom_hooks]
        assert all(types.count(name) == 1 for name in RUNTIME_HOOKS), types
        assert types[-1] == "ProgressBarHook" and ("CDBDifficultyHook" in types) == bool(listed)
