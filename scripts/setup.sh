#!/usr/bin/env bash
# Set up lt_repro's project-local environment in .venv/ (idempotent).
#   scripts/setup.sh          Python stack (torch, mmcv with CPU ops, mmdet, lvis, snakemake)
#   scripts/setup.sh --test   also the system packages the tests use (SLURM, munge, Chromium)
# A second run only checks a stamp and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${LT_PYTHON:-python3.11}
VENV=.venv
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lt_repro
TORCH=2.14.1
TORCHVISION=0.29.1
MMCV=2.1.0
STAMP_INPUTS=(pyproject.toml scripts/setup.sh)

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

system_packages() {
  local need=()
  command -v slurmctld >/dev/null || need+=(slurmctld)
  command -v slurmd >/dev/null || need+=(slurmd)
  command -v sbatch >/dev/null || need+=(slurm-client)
  command -v munged >/dev/null || need+=(munge)
  command -v chromium >/dev/null || need+=(chromium)
  command -v npm >/dev/null || need+=(npm)
  [ ${#need[@]} -eq 0 ] && return
  log "installing Debian packages: ${need[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

stamp_hash() { cat "${STAMP_INPUTS[@]}" | sha256sum | cut -c1-16; }

mmcv_wheel() {
  # mmcv 2.1.0 ships no wheel for torch 2.14; build it once with its C++ ops and cache it.
  # Keyed on the torch version: the ops link against torch's ABI.
  local dir="$CACHE/wheels/torch-$TORCH"
  local whl; whl=$(ls "$dir"/mmcv-$MMCV-*.whl 2>/dev/null | head -n1 || true)
  if [ -n "$whl" ]; then echo "$whl"; return; fi
  log "building mmcv $MMCV with CPU ops (about 13 minutes on 2 cores; cached in $dir)"
  local tmp; tmp=$(mktemp -d)
  "$VENV/bin/pip" download -q --no-deps --no-binary :all: "mmcv==$MMCV" -d "$tmp" >&2
  tar -xzf "$tmp"/mmcv-$MMCV.tar.gz -C "$tmp"
  # torch >= 2.10 headers need C++20; the sdist hard-codes -std=c++17.
  sed -i 's/-std=c++17/-std=c++20/g' "$tmp/mmcv-$MMCV/setup.py"
  # setup.py imports pkg_resources: build without isolation against setuptools<70.
  (cd "$tmp/mmcv-$MMCV" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
     "$OLDPWD/$VENV/bin/pip" wheel -q --no-deps --no-build-isolation . -w "$tmp/dist" >&2)
  mkdir -p "$dir"
  whl=$(ls "$tmp"/dist/mmcv-*.whl)
  # copy then rename, so an interrupted build never leaves a half-written wheel in the cache
  cp "$whl" "$dir/.incoming" && mv "$dir/.incoming" "$dir/$(basename "$whl")"
  rm -rf "$tmp"
  echo "$dir/$(basename "$whl")"
}

python_stack() {
  if [ -f "$VENV/.setup-$(stamp_hash)" ]; then return; fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
  local pip=("$VENV/bin/pip" install -q)
  log "installing torch $TORCH and torchvision $TORCHVISION"
  "${pip[@]}" "torch==$TORCH" "torchvision==$TORCHVISION"
  "${pip[@]}" "setuptools<70" wheel ninja "numpy==2.4.6"
  if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
    local whl; whl=$(mmcv_wheel)
    "${pip[@]}" --no-deps "$whl"
  fi
  log "installing mmdet, lvis, snakemake and the project"
  # --no-deps keeps pip from rebuilding mmcv; mmdet's own needs are pinned in pyproject.toml.
  "${pip[@]}" --no-deps "mmdet==3.3.0"
  "${pip[@]}" -e ".[test]"
  touch "$VENV/.setup-$(stamp_hash)"
}

[ "${1:-}" = "--test" ] && system_packages
python_stack
log "ready: $VENV ($("$VENV/bin/python" -c 'import torch, mmcv, mmdet; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmdet", mmdet.__version__)'))"
