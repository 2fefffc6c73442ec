"""The parts of scripts/gpu_check.sh after set-up: each part runs, is timed, and lands in
OUT/gpu_check.json and OUT/gpu_check.md.

  python scripts/gpu_check.py --out OUT --device cuda [--mmcv-build OUT/mmcv_build.json --mmcv-wheel-dir DIR]

Parts, in order: every registered loss on the device against the CPU (tests/losses/test_device.py);
benchmarks/losses.py on the device; a few iterations of each classification track (pytest, outputs kept
under OUT/runs); then, once the mmcv CUDA build (started in the background by gpu_check.sh) has finished
and its wheel is installed, the detection tracks. Each track ends with a metrics.json and a record.json
that names the device it ran on.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLASSIFICATION_TRACKS = {
    "mnist-demo": "tests/test_train.py::test_sigterm_mid_epoch_resumes_to_the_uninterrupted_result",
    "cifar-lt-resnet32": "tests/classification/test_training.py::test_cb_cifar10_focal_grid_cell",
    "db-resnet50-multilabel":
        "tests/classification/test_db_track.py::test_voc_mlt_db_focal_cell_trains_tests_and_joins_db_table",
}
DETECTION_TRACKS = {
    "mask-rcnn-seesaw": "tests/detection/test_detect.py::test_mask_rcnn_seesaw_trains_and_evaluates",
    "mask-rcnn-eql": "tests/detection/test_detect.py::test_mask_rcnn_eql_trains_and_evaluates",
}


def timed(fn):
    start = time.perf_counter()
    try:
        result = fn()
    except Exception as err:  # a part that breaks is reported, and the others still run
        result = {"status": "error", "detail": f"{type(err).__name__}: {err}"}
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def run(cmd: list[str], log: Path, env: dict | None = None) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as f:
        return subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT,
                              env={**os.environ, **(env or {})}).returncode


def pytest_part(name: str, nodes: list[str], out: Path, env: dict | None = None) -> dict:
    """Run pytest on ``nodes`` with the runs' files kept under OUT/runs/<name>."""
    xml = out / "logs" / f"{name}.xml"
    (out / "runs").mkdir(parents=True, exist_ok=True)
    # the project's pytest settings remove a passing test's tmp_path; here the runs' files are the result
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(out / "runs" / name),
           "-o", "tmp_path_retention_policy=all", f"--junitxml={xml}", *nodes]
    rc = run(cmd, out / "logs" / f"{name}.log", env)
    return {"status": "pass" if rc == 0 else "fail", "pytest_rc": rc, **junit_counts(xml),
            "runs": runs_under(out / "runs" / name, out)}


def junit_counts(xml: Path) -> dict:
    if not xml.exists():
        return {}
    import xml.etree.ElementTree as ET

    suite = ET.parse(xml).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def runs_under(folder: Path, out: Path) -> list[dict]:
    """Every metrics.json a part wrote, with the device from its record.json."""
    found = []
    for metrics in sorted(folder.rglob("metrics.json")):
        record = metrics.with_name("record.json")
        device = json.loads(record.read_text()).get("device") if record.exists() else None
        found.append({"metrics": str(metrics.relative_to(out)), "device": device})
    return found


def benchmark_part(device: str, out: Path, quick: bool) -> dict:
    args = ["--shapes", "32x80", "--repeat", "3", "--warmup", "1"] if quick else ["--repeat", "30", "--runs", "3"]
    log = out / "logs" / "loss_benchmark.log"
    rc = run([sys.executable, "benchmarks/losses.py", "--device", device, *args], log)
    return {"status": "pass" if rc == 0 else "fail", "table": str(log.relative_to(out))}


def throughput_part(device: str, out: Path, quick: bool) -> dict:
    script = REPO / "benchmarks/train_throughput.py"
    if not script.exists():
        return {"status": "skipped", "detail": "benchmarks/train_throughput.py is not in this checkout"}
    args = ["--iters", "3"] if quick else []
    log = out / "logs" / "train_throughput.log"
    rc = run([sys.executable, str(script), "--device", device, "--json", str(out / "train_throughput.json"), *args],
             log)
    result = {"status": "pass" if rc == 0 else "fail", "log": str(log.relative_to(out))}
    if (out / "train_throughput.json").exists():
        result["result"] = json.loads((out / "train_throughput.json").read_text())
    return result


def wait_for_mmcv(build_json: Path | None, wheel_dir: Path | None, timeout_s: float) -> dict:
    """Wait for the background CUDA build; install its wheel (no other part runs while this swaps mmcv)."""
    if build_json is None:
        return {"status": "skipped", "detail": "no build asked for (--cpu mode uses the installed mmcv)"}
    deadline = time.time() + timeout_s
    while not build_json.exists() and time.time() < deadline:
        time.sleep(5)
    if not build_json.exists():
        return {"status": "fail", "detail": f"mmcv build not done after {timeout_s:.0f} s"}
    build = json.loads(build_json.read_text())
    if build.get("rc") != 0:
        return {"status": "fail", **build}
    wheel = sorted(wheel_dir.glob("mmcv-*.whl"))[-1]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True)
    probe = subprocess.run([sys.executable, "-c", "from mmcv.ops import get_compiling_cuda_version as v; print(v())"],
                           capture_output=True, text=True)
    return {"status": "pass" if probe.returncode == 0 else "fail", **build,
            "compiled_cuda": probe.stdout.strip() or probe.stderr.strip()[-300:]}


def environment(device: str) -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "device": device, "cpus": os.cpu_count()}
    if device == "cuda" and torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
        env["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
    return env


def markdown(summary: dict) -> str:
    lines = [f"# GPU check ({summary['environment']['device']})", "",
             "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in summary["environment"].items()]
    lines += ["", "| part | status | seconds | detail |", "|---|---|---|---|"]
    for name, part in summary["parts"].items():
        detail = {k: v for k, v in part.items() if k not in ("status", "seconds", "runs", "result")}
        runs = part.get("runs")
        if runs:
            detail["devices"] = sorted({str(r["device"]) for r in runs})
            detail["metrics.json"] = len(runs)
        lines.append(f"| {name} | {part['status']} | {part['seconds']} | {json.dumps(detail)} |")
    if "result" in summary["parts"].get("train_throughput", {}):
        lines += ["", "```json", json.dumps(summary["parts"]["train_throughput"]["result"], indent=1), "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="folder for gpu_check.json, gpu_check.md, logs/, runs/")
    ap.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    ap.add_argument("--mmcv-build", type=Path, default=None, help="JSON the background mmcv build writes when done")
    ap.add_argument("--mmcv-wheel-dir", type=Path, default=None, help="where that build puts its wheel")
    ap.add_argument("--mmcv-timeout", type=float, default=420, help="seconds to wait for the build")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    quick = args.device == "cpu"
    parts = {}
    summary = {"environment": environment(args.device), "parts": parts}

    def save():
        (out / "gpu_check.json").write_text(json.dumps(summary, indent=1))
        (out / "gpu_check.md").write_text(markdown(summary))

    parts["losses_on_device"] = timed(lambda: pytest_part(
        "losses", ["tests/losses/test_device.py"], out, {"LT_TEST_DEVICE": args.device}))
    save()
    parts["loss_benchmark"] = timed(lambda: benchmark_part(args.device, out, quick))
    save()
    parts["classification_tracks"] = timed(
        lambda: pytest_part("classification", list(CLASSIFICATION_TRACKS.values()), out))
    save()
    parts["train_throughput"] = timed(lambda: throughput_part(args.device, out, quick))
    save()
    parts["mmcv_cuda_build"] = timed(lambda: wait_for_mmcv(args.mmcv_build, args.mmcv_wheel_dir, args.mmcv_timeout))
    save()
    if parts["mmcv_cuda_build"]["status"] in ("pass", "skipped"):
        parts["detection_tracks"] = timed(lambda: pytest_part("detection", list(DETECTION_TRACKS.values()), out))
    else:
        parts["detection_tracks"] = {"status": "skipped", "detail": "no mmcv with CUDA ops", "seconds": 0}
    save()
    print(markdown(summary))
    return 0 if all(p["status"] in ("pass", "skipped") for p in parts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
