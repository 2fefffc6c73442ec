"""The pins of pyproject.toml, environment.yml and scripts/setup.sh agree; set-up stops on a small disk."""
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def pins(lines):
    return dict(re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", l).groups() for l in lines if "==" in l)


def test_environment_yml_matches_pyproject_and_setup():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    py_pins = pins(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_list = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip_list)
    assert {k: env_pins.get(k) for k in py_pins} == py_pins
    setup = (REPO / "scripts/setup.sh").read_text()
    for name, var in (("torch", "TORCH"), ("torchvision", "TORCHVISION")):
        assert re.search(rf"^{var}={re.escape(env_pins[name])}$", setup, re.M), name
    assert '"mmdet==3.3.0"' in setup and "MMCV=2.1.0" in setup


def test_setup_stops_before_filling_a_small_disk(tmp_path):
    """A new .venv on a 64 MiB file system: set-up names the space it needs and creates nothing."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=64m tmpfs {disk} || exit 99; "
              f"LT_VENV={disk}/venv {REPO}/scripts/setup.sh; echo rc=$?; ls -A {disk}")
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    if "rc=" not in done.stdout:  # unshare or mount refused (no CAP_SYS_ADMIN)
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert "rc=1" in done.stdout
    assert "needs about 7 GiB free in" in done.stderr and "point LT_VENV at another disk" in done.stderr
    assert done.stdout.strip().endswith("rc=1")  # nothing was created on the small disk
