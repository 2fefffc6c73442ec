#!/usr/bin/env bash
# One check of the whole stack on a GPU machine with no internet (about 9 minutes on one H200, 16 cores).
#   scripts/gpu_check.sh OUT [--bundle DIR]   on the GPU machine; DIR comes from scripts/gpu_bundle.sh (default .gpu-bundle)
#   scripts/gpu_check.sh OUT --cpu            every part that needs no GPU, in this checkout's .venv (CI runs it)
# Writes OUT/gpu_check.json and OUT/gpu_check.md (plus logs/ and the runs' metrics.json under runs/).
# On the GPU machine it uses that machine's python3 and torch, installs the bundle's wheels into a venv beside
# them, builds mmcv with CUDA ops for the local GPU's arch in the background (timed) while the loss and
# classification parts run, then runs the detection tracks on those ops. See scripts/gpu_check.py for the parts.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/gpu_check.sh OUT [--bundle DIR | --cpu]}
shift
MODE=gpu BUNDLE=.gpu-bundle
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) MODE=cpu ;;
    --bundle) BUNDLE=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ "$MODE" = cpu ]; then
  exec .venv/bin/python scripts/gpu_check.py --out "$OUT" --device cpu
fi

[ -d "$BUNDLE/wheels" ] || { echo "no $BUNDLE/wheels: run scripts/gpu_bundle.sh on a connected machine first" >&2; exit 2; }
BUNDLE=$(cd "$BUNDLE" && pwd)
VENV=${TMPDIR:-/tmp}/lt_repro-gpu-venv
python3 -m venv --system-site-packages "$VENV"
PY=$VENV/bin/python
"$PY" -m pip install -q --no-index --no-deps "$BUNDLE"/wheels/*.whl
"$PY" -c 'import torch; assert torch.cuda.is_available(), "torch sees no GPU"'
ARCH=$("$PY" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability(0))')

SRC=$(mktemp -d)
tar -xzf "$BUNDLE"/mmcv-2.1.0.tar.gz -C "$SRC"
sed -i 's/-std=c++17/-std=c++20/g' "$SRC/mmcv-2.1.0/setup.py"   # torch >= 2.10 headers need C++20
# mmcv without compiled ops first (seconds): mmdet imports mmcv, and the classification parts need nothing more
(cd "$SRC/mmcv-2.1.0" && MMCV_WITH_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation . -w "$SRC/lite")
"$PY" -m pip install -q --no-deps "$SRC"/lite/mmcv-*.whl
# the CUDA ops, for this GPU's arch only, in the background; gpu_check.py installs the wheel when it is done
rm -f "$OUT/mmcv_build.json"
(
  start=$SECONDS rc=0
  cp -r "$SRC/mmcv-2.1.0" "$SRC/cuda" && cd "$SRC/cuda" &&
    MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=$ARCH MAX_JOBS=$(nproc) \
    CPATH=$(ls -d "$VENV"/lib/python*/site-packages/nvidia/*/include /usr/lib/python3*/site-packages/nvidia/*/include 2>/dev/null | paste -sd: -) \
    "$PY" -m pip wheel --no-deps --no-build-isolation . -w "$SRC/dist" > "$OUT/mmcv_build.log" 2>&1 || rc=$?
  printf '{"rc": %d, "build_seconds": %d, "arch": "%s", "jobs": %d}\n' "$rc" $((SECONDS - start)) "$ARCH" "$(nproc)" \
    > "$OUT/mmcv_build.json"
) &
tar -xzf "$BUNDLE/mnist.tar.gz" -C "$SRC"
PYTHONPATH=$PWD LT_MNIST_ROOT=$SRC/mnist \
  "$PY" scripts/gpu_check.py --out "$OUT" --device cuda --mmcv-build "$OUT/mmcv_build.json" --mmcv-wheel-dir "$SRC/dist"
