"""The pins of pyproject.toml, environment.yml and scripts/setup.sh agree."""
import re
import tomllib
from pathlib import Path

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
