"""Packing small runs onto one GPU (grid resources `shares_gpu`, profiles/local LT_LOCAL_RUNS_PER_GPU = K,
profiles/slurm LT_SLURM_SHARED_GPU): the CB target's dry run under the local profile puts its CIFAR
runs on gpu_slots (K per GPU) and its ImageNet runs on whole GPUs; a real run of the local profile on
sleeping jobs with those resources runs K shared jobs at once and a whole-GPU job alone; the SLURM
profile turns the option into the jobs' GRES."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lt_repro import grid as lt_grid

pytest.importorskip("snakemake")
pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[2]


def run_snakemake(args, cwd, env_extra, timeout=600):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env_extra}
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


def train_jobs(out: str) -> dict[str, dict[str, str]]:
    """exp -> resources of every train job of a dry run."""
    jobs = {}
    for block in out.split("rule train:")[1:]:
        exp = re.search(r"exp=([^,\s]+)", block).group(1)
        res = re.search(r"resources: (.*)", block).group(1)
        jobs[exp] = dict(kv.split("=", 1) for kv in res.split(", "))
    return jobs


def test_resources_of_shared_and_whole_gpu_jobs():
    shared = lt_grid.Resources.of({"gpu": 1, "cpus_per_gpu": 4, "shares_gpu": True})
    whole = lt_grid.Resources.of({"gpu": 1, "cpus_per_gpu": 4})
    assert shared.gpu_request(1) == whole.gpu_request(1) == {"gpu": 1, "gpu_slots": 1, "gres": None}  # K = 1: as before
    assert shared.gpu_request(4) == {"gpu": 0, "gpu_slots": 1, "gres": None}
    assert whole.gpu_request(4) == {"gpu": 1, "gpu_slots": 4, "gres": None}                # a whole GPU is K slots
    assert shared.gpu_request(1, "shard:1") == {"gpu": 0, "gpu_slots": 1, "gres": "shard:1"}
    assert whole.gpu_request(1, "shard:1")["gres"] is None
    assert lt_grid.runs_per_gpu({"gpu": 2, "gpu_slots": 8}) == 4
    assert lt_grid.runs_per_gpu({"gpu": 2}) == lt_grid.runs_per_gpu({}) == 1
    with pytest.raises(lt_grid.ConfigError, match="one-GPU"):
        lt_grid.Resources.of({"gpu": 8, "shares_gpu": True})


@pytest.mark.parametrize("k", [1, 4])
def test_cb_dry_run_puts_k_cifar_runs_on_one_gpu(tmp_path, k):
    roots = [f"{name}_root={tmp_path}/{name}" for name in ("data", "results", "work", "reports")]
    res = run_snakemake(["--profile", "local", "cb", "-n", "--config", *roots], REPO,
                        {"LT_LOCAL_GPUS": "1", "LT_LOCAL_RUNS_PER_GPU": str(k), "LT_LOCAL_CORES": "64"})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    jobs = train_jobs(res.stdout)
    cifar = {e: r for e, r in jobs.items() if e.startswith("cifar")}
    others = {e: r for e, r in jobs.items() if not e.startswith("cifar")}
    assert len(cifar) == 90 and len(others) == 27  # CB Table 2 (CIFAR) and the ImageNet / iNaturalist runs
    # the profile allows gpu=1 and gpu_slots=K: K CIFAR runs at once, a whole-GPU run alone
    if k == 1:
        assert all((r["gpu"], r["gpu_slots"]) == ("1", "1") for r in jobs.values())
    else:
        assert all((r["gpu"], r["gpu_slots"]) == ("0", "1") for r in cifar.values())
        assert all((r["gpu"], r["gpu_slots"]) == ("1", str(k)) for r in others.values())
    assert not any("gres" in r for r in jobs.values())


PACKING_SNAKEFILE = """
from lt_repro import grid as lt_grid

K = lt_grid.runs_per_gpu({k: getattr(v, "value", v) for k, v in workflow.global_resources.items()})
SHARED = lt_grid.Resources.of({"gpu": 1, "shares_gpu": True}).gpu_request(K)
WHOLE = lt_grid.Resources.of({"gpu": 1}).gpu_request(K)

rule all:
    input: expand("shared{i}.txt", i=range(2 * K)), "whole.txt"

rule shared:
    output: "shared{i}.txt"
    resources: gpu=SHARED["gpu"], gpu_slots=SHARED["gpu_slots"]
    shell: "s=$(date +%s.%N); sleep 2; echo $s $(date +%s.%N) > {output}"

rule whole:
    output: "whole.txt"
    resources: gpu=WHOLE["gpu"], gpu_slots=WHOLE["gpu_slots"]
    shell: "s=$(date +%s.%N); sleep 2; echo $s $(date +%s.%N) > {output}"
"""


@pytest.mark.slow
def test_local_profile_runs_k_shared_jobs_at_once(tmp_path):
    k = 3
    (tmp_path / "Snakefile").write_text(PACKING_SNAKEFILE)
    res = run_snakemake(["--profile", str(REPO / "profiles/local")], tmp_path,
                        {"LT_LOCAL_GPUS": "1", "LT_LOCAL_RUNS_PER_GPU": str(k), "LT_LOCAL_CORES": "64",
                         "PYTHONPATH": str(REPO)})
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    spans = {p.stem: tuple(map(float, p.read_text().split())) for p in tmp_path.glob("*.txt")}
    shared = [s for name, s in spans.items() if name.startswith("shared")]
    assert len(shared) == 2 * k

    def running_at(t, group):
        return sum(start <= t < end for start, end in group)

    assert max(running_at(start, shared) for start, _ in shared) == k   # K on the GPU at once, never more
    whole = spans["whole"]
    assert all(end <= whole[0] or start >= whole[1] for start, end in shared)  # the whole-GPU job runs alone


def test_slurm_profile_offers_shared_gpus_as_gres(tmp_path):
    """With LT_SLURM_SHARED_GPU the CIFAR runs ask for that GRES and no whole GPU; routed to the GPU partition
    when it differs from the CPU one. LT_SLURM_MAX_RUNTIME caps every job's time request."""
    roots = [f"{name}_root={tmp_path}/{name}" for name in ("data", "results", "work", "reports")]
    env = {"LT_SLURM_SHARED_GPU": "shard:1", "LT_SLURM_GPU_PARTITION": "gpu", "LT_SLURM_CPU_PARTITION": "cpu",
           "LT_SLURM_MAX_RUNTIME": "2880", "TMPDIR": str(tmp_path)}
    # the profile's config mapping is parsed here; --config on the command line would replace it, so the roots
    # are passed through a config file instead
    (tmp_path / "roots.yaml").write_text("\n".join(r.replace("=", ": ") for r in roots) + "\n")
    res = run_snakemake(["--profile", "slurm", "cb", "-n", "--configfile", str(tmp_path / "roots.yaml")], REPO, env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    jobs = train_jobs(res.stdout)
    cifar = [r for e, r in jobs.items() if e.startswith("cifar")]
    others = [r for e, r in jobs.items() if not e.startswith("cifar")]
    assert len(cifar) == 90 and all((r["gpu"], r["gres"], r["slurm_partition"]) == ("0", "shard:1", "gpu")
                                    for r in cifar)
    assert others and all(r["gpu"] == "8" and "gres" not in r and "slurm_partition" not in r for r in others)
    # CIFAR's CPU-measured 3296 min and ImageNet's requests above 2880 are capped at the site's limit
    assert all(int(r["runtime"]) <= 2880 for r in jobs.values()) and {r["runtime"] for r in cifar} == {"2880"}
