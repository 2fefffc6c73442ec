"""Fail fast: before a job builds anything, check that its stack can run it.

A job that sees a GPU needs torch with CUDA, mmcv ops compiled with CUDA (detection) and NCCL (when
distributed); without this check a CPU-only mmcv wheel fails deep in the first ``RoIAlign`` with
"implementation for device cuda:0 not found". Each problem is one line that says what to run.
"""
from __future__ import annotations

import os
from pathlib import Path

SETUP_CUDA = "LT_MMCV_CUDA=1 TORCH_CUDA_ARCH_LIST=<arch, e.g. 9.0> scripts/setup.sh --ops"


class StackError(RuntimeError):
    """The environment cannot run this job; the message lists each problem and its fix."""


def gpu_visible(environ=os.environ) -> bool:
    """Whether this job was given a GPU, decided without torch: ``LT_GPU_VISIBLE=1|0`` forces the answer
    (tests, debugging); else ``CUDA_VISIBLE_DEVICES`` (set by SLURM's gres) when set; else an NVIDIA
    device node."""
    forced = environ.get("LT_GPU_VISIBLE")
    if forced is not None:
        return forced.strip().lower() in ("1", "true", "yes")
    devices = environ.get("CUDA_VISIBLE_DEVICES")
    if devices is not None:
        return devices.strip() not in ("", "-1", "NoDevFiles")
    return Path("/dev/nvidia0").exists()


def mmcv_ops_cuda() -> str | None:
    """The CUDA version mmcv's ops were compiled with; 'not available' for CPU-only ops; None without ops."""
    try:
        from mmcv.ops import get_compiling_cuda_version
    except ImportError:
        return None
    return get_compiling_cuda_version()


def stack_problems(*, needs_ops: bool, distributed: bool, gpu: bool) -> list[str]:
    problems = []
    if needs_ops:
        cuda = mmcv_ops_cuda()
        if cuda is None:
            fix = SETUP_CUDA if gpu else "scripts/setup.sh --ops"
            problems.append(f"mmcv has no compiled ops, which detection needs: run `{fix}`")
        elif gpu and cuda == "not available":
            problems.append(f"mmcv's ops were compiled without CUDA, so RoIAlign/nms cannot run on the GPU: "
                            f"run `{SETUP_CUDA}` (on a GPU-less login node too)")
    if gpu:
        import torch

        if not torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
            problems.append(f"torch {torch.__version__} ({build}) sees no usable GPU although the job was given "
                            f"one: check the driver (nvidia-smi) and that the job runs .venv's torch")
        if distributed and not torch.distributed.is_nccl_available():
            problems.append(f"torch {torch.__version__} has no NCCL, which multi-GPU jobs use: install a CUDA "
                            f"build of torch (scripts/setup.sh)")
    return problems


def check_stack(*, needs_ops: bool, distributed: bool) -> None:
    """Raise :class:`StackError` when this job's stack cannot run it (see :func:`stack_problems`)."""
    problems = stack_problems(needs_ops=needs_ops, distributed=distributed, gpu=gpu_visible())
    if problems:
        raise StackError("\n".join(problems))
