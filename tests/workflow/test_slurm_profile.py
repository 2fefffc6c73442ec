"""profiles/slurm against a real SLURM: jobs go through sbatch, GPU jobs get GRES, results match a local run.

The Snakefile below is self-contained: one CPU rule, one GPU rule (resources gpu=1), one localrule.
Each job writes its result to results/ (compared with a local run) and what it saw of SLURM to
seen/ (checked only for the SLURM run).
"""

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from slurm_cluster import CPU_PARTITION, GPU_PARTITION, NODE_FEATURE, REPO_ROOT

SNAKEFILE = r'''
localrules: gather

rule all:
    input: "results/summary.txt"

# Writes what the job saw of SLURM; under SLURM also the controller's record of the job.
SEEN = """
{{
  echo "job_id=${{SLURM_JOB_ID:-none}}"
  echo "partition=${{SLURM_JOB_PARTITION:-none}}"
  echo "gpus_on_node=${{SLURM_GPUS_ON_NODE:-0}}"
  echo "cuda_visible_devices=${{CUDA_VISIBLE_DEVICES:-unset}}"
  if [ -n "${{SLURM_JOB_ID:-}}" ]; then scontrol show job "$SLURM_JOB_ID"; fi
}} > {output.seen}
"""

# Under SLURM the first attempt fails on purpose: the profile's retries resubmit it with the
# runtime the rule scales by attempt.
rule numbers:
    output: numbers="results/numbers.txt", seen="seen/numbers.txt"
    threads: 1
    resources: mem_mb=200, runtime=lambda wc, attempt: 5 * attempt
    shell:
        """
        if [ -n "${{SLURM_JOB_ID:-}}" ] && [ {resources.runtime} -lt 10 ]; then
          echo "attempt 1 fails on purpose" >&2; exit 3
        fi
        seq 1 10 > {output.numbers}
        """ + SEEN

rule squares_on_gpu:
    input: "results/numbers.txt"
    output: squares="results/squares.txt", seen="seen/squares_on_gpu.txt"
    resources: gpu=1, cpus_per_gpu=1, mem_mb=200, runtime=lambda wc, attempt: 5 * attempt
    shell: "awk '{{print $1 * $1}}' {input} > {output.squares}" + SEEN

rule gather:
    input: "results/numbers.txt", "results/squares.txt"
    output: summary="results/summary.txt", seen="seen/gather.txt"
    shell: "paste {input} | awk '{{s += $2}} END {{print NR, s}}' > {output.summary}" + SEEN
'''


def _seen(path: Path) -> dict[str, str]:
    """key=value lines of a seen/ file, scontrol's `Key=Value` tokens included."""
    pairs = {}
    for token in path.read_text().split():
        key, sep, value = token.partition("=")
        if sep:
            pairs.setdefault(key, value)
    return pairs


def _write_workflow(workdir: Path) -> Path:
    workdir.mkdir(parents=True)
    (workdir / "Snakefile").write_text(SNAKEFILE)
    return workdir


@pytest.mark.workflow
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_slurm_profile_runs_jobs_through_sbatch_with_gpu_gres(slurm_cluster, tmp_path):
    slurm_dir = _write_workflow(tmp_path / "slurm")
    run = slurm_cluster.snakemake(slurm_dir, "all")
    context = f"\n---- snakemake stderr ----\n{run.stderr[-4000:]}\n{slurm_cluster.logs()}"

    numbers, gpu, gather = (_seen(slurm_dir / "seen" / f"{name}.txt")
                            for name in ("numbers", "squares_on_gpu", "gather"))
    # remote rules ran inside SLURM jobs, each its own, on the partition the profile routed it to
    assert numbers["job_id"].isdigit() and gpu["job_id"].isdigit(), context
    assert numbers["job_id"] != gpu["job_id"], context
    assert numbers["partition"] == CPU_PARTITION, context
    assert gpu["partition"] == GPU_PARTITION, context
    assert numbers["BatchFlag"] == gpu["BatchFlag"] == "1", context  # batch jobs, i.e. sbatch
    # the GPU job asked for and got one GPU; the CPU job none
    assert gpu["TresPerJob"] == "gres:gpu:1", context
    assert gpu["gpus_on_node"] == "1" and gpu["cuda_visible_devices"] in ("0", "1"), context
    assert numbers["gpus_on_node"] == "0" and "TresPerJob" not in numbers, context
    # site facts from the environment: constraint on every job, per-rule runtime/mem from the rules
    assert numbers["Features"] == gpu["Features"] == NODE_FEATURE, context
    assert gpu["TimeLimit"] == "00:05:00" and "mem=200M" in gpu["TRES"], context
    # retries: attempt 1 of `numbers` failed, attempt 2 ran with the runtime scaled by attempt
    assert numbers["TimeLimit"] == "00:10:00" and numbers["Restarts"] == "0", context
    # the localrule ran on the submit host, outside SLURM
    assert gather["job_id"] == "none", context
    # the controller's own log records both allocations in the right partitions
    ctld_log = (slurm_cluster.root / "log" / "slurmctld.log").read_text()
    for seen in (numbers, gpu):
        assert re.search(rf"sched: Allocate JobId={seen['job_id']} .*Partition={seen['partition']}", ctld_log), context
    attempts = sorted(int(log.stem) for log in (slurm_dir / ".snakemake/slurm_logs/rule_numbers").glob("*.log"))
    assert len(attempts) == 2 and attempts[1] == int(numbers["job_id"]), context
    assert re.search(rf"_job_complete: JobId={attempts[0]} WEXITSTATUS [1-9]", ctld_log), context
    print(f"SLURM jobs: numbers={numbers['job_id']} squares_on_gpu={gpu['job_id']}\n"
          + "\n".join(line for line in ctld_log.splitlines() if re.search(r"Allocate JobId|_job_complete", line)))

    # the same Snakefile under profiles/local gives the same results
    local_dir = _write_workflow(tmp_path / "local")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env["LT_LOCAL_GPUS"] = "2"
    local = subprocess.run([sys.executable, "-m", "snakemake", "--profile", str(REPO_ROOT / "profiles" / "local"),
                            "all"], cwd=local_dir, env=env, capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr[-4000:]
    assert _seen(local_dir / "seen" / "squares_on_gpu.txt")["job_id"] == "none"
    names = sorted(p.name for p in (slurm_dir / "results").iterdir())
    assert names == ["numbers.txt", "squares.txt", "summary.txt"]
    match, mismatch, errors = filecmp.cmpfiles(slurm_dir / "results", local_dir / "results", names, shallow=False)
    assert match == names, (mismatch, errors)
    assert (slurm_dir / "results" / "summary.txt").read_text().split() == ["10", "385"]


# ---- the profiles as Snakemake parses them (no cluster needed) -----------------------------------

SITE_VARS = ("LT_SLURM_ACCOUNT", "LT_SLURM_CPU_PARTITION", "LT_SLURM_GPU_PARTITION", "LT_SLURM_CONSTRAINT",
             "LT_SLURM_STATUS_COMMAND", "LT_SLURM_JOBS", "LT_LOCAL_GPUS", "LT_LOCAL_CORES")


def _parse_profile(name: str, monkeypatch, **env) -> dict:
    from snakemake.profiles import ProfileConfigFileParser

    for var in SITE_VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with open(REPO_ROOT / "profiles" / name / "config.yaml") as stream:
        return dict(ProfileConfigFileParser().parse(stream))


def test_slurm_profile_without_site_variables_leaves_site_choices_to_slurm(monkeypatch):
    parsed = _parse_profile("slurm", monkeypatch)
    assert parsed["executor"] == "slurm"
    assert {"retries", "keep-going", "rerun-incomplete", "latency-wait"} <= parsed.keys()
    assert parsed["slurm-status-command"] == "sacct"
    assert not any(r.startswith(("slurm_account=", "slurm_partition=", "constraint="))
                   for r in parsed["default-resources"])
    assert "slurm-partition-config" not in parsed


def test_slurm_profile_reads_site_facts_from_environment(monkeypatch):
    import yaml

    parsed = _parse_profile("slurm", monkeypatch, LT_SLURM_ACCOUNT="123456", LT_SLURM_CONSTRAINT="a100|h100",
                            LT_SLURM_CPU_PARTITION="cpu", LT_SLURM_GPU_PARTITION="gpu",
                            LT_SLURM_STATUS_COMMAND="squeue", LT_SLURM_JOBS="7")
    # quoted, so Snakemake keeps them strings (an all-digit account would otherwise become an int)
    assert "slurm_account='123456'" in parsed["default-resources"]
    assert "constraint='a100|h100'" in parsed["default-resources"]
    assert (parsed["jobs"], parsed["slurm-status-command"]) == ("7", "squeue")
    # distinct GPU and CPU partitions: routed by the plugin's partition selection, not one default
    assert not any(r.startswith("slurm_partition=") for r in parsed["default-resources"])
    routing = yaml.safe_load(Path(parsed["slurm-partition-config"]).read_text())
    assert routing == {"partitions": {"gpu": {"max_gpu": 1000000},
                                      "cpu": {"max_gpu": 0, "max_threads": 1000000}}}


def test_slurm_profile_with_one_partition_sets_it_as_default(monkeypatch):
    for env in ({"LT_SLURM_CPU_PARTITION": "batch"},
                {"LT_SLURM_CPU_PARTITION": "batch", "LT_SLURM_GPU_PARTITION": "batch"}):
        parsed = _parse_profile("slurm", monkeypatch, **env)
        assert "slurm_partition='batch'" in parsed["default-resources"]
        assert "slurm-partition-config" not in parsed


def test_local_profile_limits_concurrent_gpu_jobs_to_the_gpu_count(monkeypatch):
    parsed = _parse_profile("local", monkeypatch, LT_LOCAL_GPUS="4", LT_LOCAL_CORES="16")
    assert (parsed["resources"], parsed["cores"]) == (["gpu=4", "gpu_slots=4"], "16")  # K = 1: a slot per GPU
    parsed = _parse_profile("local", monkeypatch, LT_LOCAL_GPUS="0")
    assert "resources" not in parsed and parsed["cores"] == "all"


def test_profiles_resolve_by_name_from_the_repository_root(monkeypatch):
    from snakemake.cli import get_profile_dir

    monkeypatch.chdir(REPO_ROOT)
    for name in ("slurm", "local"):
        profile_dir, config = get_profile_dir(name)
        assert (REPO_ROOT / profile_dir).resolve() == REPO_ROOT / "profiles" / name
        assert config.name == "config.yaml"
