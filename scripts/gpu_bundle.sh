#!/usr/bin/env bash
# Prepare, on a machine with PyPI access and a set-up .venv, what scripts/gpu_check.sh needs on an offline
# GPU machine that has its own Python and torch:
#   scripts/gpu_bundle.sh [DIR]        (default .gpu-bundle; about 35 MB, within the 64 MiB a lent GPU machine takes)
#   LT_GPU_PYTHON=3.12                 the GPU machine's Python version (default 3.12)
# DIR/wheels: the stack's wheels at .venv's versions for that Python, without torch, torchvision, numpy
# (the GPU machine's own stay); DIR/mmcv-2.1.0.tar.gz: mmcv's sdist (built there with CUDA ops); DIR/mnist.tar.gz:
# the verified MNIST for the demo track.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-.gpu-bundle}
PYV=${LT_GPU_PYTHON:-3.12}
PY=.venv/bin/python
# What the checked tracks import beyond the GPU machine's torch, torchvision (with pillow), numpy, scipy, OpenCV and pytest.
NAMES="mmengine mmdet lvis pycocotools shapely terminaltables tqdm rich markdown-it-py mdurl pygments pyyaml
addict yapf termcolor platformdirs matplotlib contourpy cycler fonttools kiwisolver packaging pyparsing
python-dateutil six jinja2 markupsafe pytest-timeout setuptools wheel ninja"

mkdir -p "$DIR/wheels"
pins=() frozen=$("$PY" -m pip freeze --all 2>/dev/null)
for name in $NAMES; do
  pin=$(grep -i "^${name}==" <<<"$frozen" || true)
  [ -n "$pin" ] || { echo "gpu_bundle: $name is not in .venv (run scripts/setup.sh)" >&2; exit 1; }
  pins+=("$pin")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" --implementation cp \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  -d "$DIR/wheels" "${pins[@]}"
"$PY" -m pip download -q --no-deps --no-binary :all: mmcv==2.1.0 -d "$DIR"
tmp=$(mktemp -d)
"$PY" -c "import sys; from pathlib import Path; from lt_repro.data import mnist; mnist.prepare(Path(sys.argv[1]))" "$tmp/mnist"
tar -czf "$DIR/mnist.tar.gz" -C "$tmp" mnist && rm -rf "$tmp"
du -sh "$DIR"
