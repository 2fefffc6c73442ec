#!/usr/bin/env bash
# Set up lt_repro's project-local environment in .venv/ (idempotent; a second run takes seconds).
#   scripts/setup.sh          Python stack: torch, mmengine, mmcv-lite (mmcv without compiled ops), mmdet, lvis, snakemake.
#                             Enough for every classification track (the demo, CIFAR, ImageNet-LT, iNat, DB).
#   scripts/setup.sh --ops    also mmcv's compiled ops, which detection (EQL, Seesaw on LVIS) needs.
#   scripts/setup.sh --test   the test system packages (SLURM, munge, Chromium, Fashion-MNIST) and the ops.
# Environment:
#   LT_MMCV_CUDA=1|0          build mmcv's CUDA ops (default: 1 when nvidia-smi sees a GPU, else 0). Set it on a
#                             GPU-less login node: the wheel is then built there and runs on the GPU nodes.
#   TORCH_CUDA_ARCH_LIST      GPU architectures of the CUDA build, e.g. "8.0;9.0" (default: the visible GPU's;
#                             required when no GPU is visible)
#   LT_PYTHON                 interpreter for a new .venv (default: the first of python3.11, 3.12, 3.13)
#   LT_VENV                   the environment's folder (default .venv)
#   MAX_JOBS                  parallel compile jobs (default: all cores)
#   LT_MMCV_BUILD_DIR         where mmcv is built (default ~/.cache/lt_repro/build/<wheel key>); kept until the
#                             wheel is cached, so running setup again after an interruption resumes the build
# mmcv 2.1.0 has no wheel for torch 2.14, so its wheel is built once from the sdist and cached in
# ~/.cache/lt_repro/wheels/, keyed on the Python, torch and CUDA versions and the ops flavour (cpu or cuda-<archs>).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LT_VENV:-.venv}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lt_repro
TORCH=2.14.1
TORCHVISION=0.29.1
MMCV=2.1.0
STAMP_INPUTS=(pyproject.toml scripts/setup.sh)

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup]\033[0m %s\n' "$*" >&2; exit 1; }

pick_python() {
  [ -n "${LT_PYTHON:-}" ] && { echo "$LT_PYTHON"; return; }
  local py
  for py in python3.11 python3.12 python3.13; do
    command -v "$py" >/dev/null && "$py" -c 'import sys' 2>/dev/null && { echo "$py"; return; }
  done
  die "no python3.11, 3.12 or 3.13 found; set LT_PYTHON to one"
}

system_packages() {
  local need=()
  command -v slurmctld >/dev/null || need+=(slurmctld)
  command -v slurmd >/dev/null || need+=(slurmd)
  command -v sbatch >/dev/null || need+=(slurm-client)
  command -v munged >/dev/null || need+=(munge)
  command -v chromium >/dev/null || need+=(chromium)
  command -v npm >/dev/null || need+=(npm)
  # Fashion-MNIST offline (lt_repro/data/fashion_mnist.py): the data tests and the matrix read it when the
  # official links cannot be reached
  [ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
  [ ${#need[@]} -eq 0 ] && return
  log "installing Debian packages: ${need[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Free space, in MiB, on the file system that holds $1 (or its nearest existing parent).
free_mib() {
  local d=$1
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  df -Pm "$d" | awk 'NR == 2 {print $4}'
}

# Stops before a step that would fill the disk half-way (a full disk leaves pip's or the compiler's work broken).
need_space() {
  local dir=$1 mib=$2 what=$3 free
  free=$(free_mib "$dir")
  [ "$free" -ge "$mib" ] || die "$what needs about $((mib / 1024 + 1)) GiB free in $dir; that disk has $free MiB. Free some space, or point ${4:-it} at another disk."
}

stamp_hash() { cat "${STAMP_INPUTS[@]}" | sha256sum | cut -c1-16; }

python_stack() {
  if [ -f "$VENV/.setup-$(stamp_hash)" ]; then return; fi
  # measured: a new .venv takes 6.2 GiB (6,338 MiB), torch's CUDA build most of it
  local need=7000
  "$VENV/bin/python" -c 'import torch' 2>/dev/null && need=1000
  need_space "$VENV" "$need" "installing torch, mmdet, snakemake and the project into $VENV" LT_VENV
  [ -x "$VENV/bin/python" ] || { local py; py=$(pick_python); log "creating $VENV with $py"; "$py" -m venv "$VENV"; }
  local pip=("$VENV/bin/pip" install -q)
  log "installing torch $TORCH and torchvision $TORCHVISION"
  "${pip[@]}" "torch==$TORCH" "torchvision==$TORCHVISION"
  "${pip[@]}" "setuptools<70" wheel ninja "numpy==2.4.6"
  log "installing mmdet, lvis, snakemake and the project"
  # --no-deps keeps pip from building mmcv; mmdet's own needs are pinned in pyproject.toml.
  "${pip[@]}" --no-deps "mmdet==3.3.0"
  "${pip[@]}" -e ".[test]"
  touch "$VENV/.setup-$(stamp_hash)"
}

# ---- mmcv: which flavour, its cache key, its build ----

gpu_visible() { command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; }

want_cuda() {
  case "${LT_MMCV_CUDA:-}" in
    1|true|yes) return 0 ;;
    0|false|no) return 1 ;;
    "") gpu_visible ;;
    *) die "LT_MMCV_CUDA must be 1 or 0, not '$LT_MMCV_CUDA'" ;;
  esac
}

cuda_arch_list() {
  if [ -n "${TORCH_CUDA_ARCH_LIST:-}" ]; then echo "$TORCH_CUDA_ARCH_LIST"; return; fi
  gpu_visible || die "LT_MMCV_CUDA=1 without a visible GPU needs TORCH_CUDA_ARCH_LIST, e.g. TORCH_CUDA_ARCH_LIST='8.0;9.0' (A100, H100/H200)"
  "$VENV/bin/python" -c 'import torch; print(";".join(sorted({"%d.%d" % torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())})))'
}

# The flavour of mmcv wanted: lite (no compiled ops), cpu, or cuda-<archs>.
mmcv_flavour() {
  local ops=$1
  if [ "$ops" = 0 ]; then echo lite; return; fi
  want_cuda || { echo cpu; return; }
  local archs; archs=$(cuda_arch_list) || exit 1
  echo "cuda-$(echo "$archs" | tr ' ;' '__' | tr -d '+')"
}

mmcv_cache_dir() {
  local flavour=$1 key
  key=$("$VENV/bin/python" -c 'import sys, torch; v = sys.version_info; print("py%d%d-torch%s-cuda%s" % (v[0], v[1], torch.__version__.split("+")[0], torch.version.cuda or "none"))')
  echo "$CACHE/wheels/mmcv-$MMCV/$key-$flavour"
}

build_mmcv() {
  # Builds in a persistent tree ($3), so an interrupted build (the CUDA one takes hours on few cores) resumes
  # where it stopped: ninja skips every object already compiled. The tree is removed once the wheel is cached.
  local flavour=$1 dir=$2 tree=$3 abs_venv src
  abs_venv=$(cd "$VENV" && pwd)
  src="$tree/mmcv-$MMCV"
  # the CPU build's tree measured 256 MiB at most (sampled every 15 s); the CUDA one also holds device code for every arch
  case $flavour in cpu) need_space "$tree" 1000 "building mmcv" LT_MMCV_BUILD_DIR ;;
                   *) need_space "$tree" 3000 "building mmcv" LT_MMCV_BUILD_DIR ;; esac
  if [ ! -d "$src" ]; then
    rm -rf "$tree/unpack" && mkdir -p "$tree/unpack"
    "$VENV/bin/pip" download -q --no-deps --no-binary :all: "mmcv==$MMCV" -d "$tree/unpack" >&2
    tar -xzf "$tree"/unpack/mmcv-$MMCV.tar.gz -C "$tree/unpack"
    # torch >= 2.10 headers need C++20; the sdist hard-codes -std=c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$tree/unpack/mmcv-$MMCV/setup.py"
    mv "$tree/unpack/mmcv-$MMCV" "$src"  # only a complete, patched source tree gets its final name
    rm -rf "$tree/unpack"
  else
    log "resuming the build in $tree"
  fi
  local env=(MAX_JOBS="${MAX_JOBS:-$(nproc)}" MMCV_WITH_OPS=1)
  case $flavour in
    cpu) env+=(FORCE_CUDA=0) ;;
    cuda-*)
      command -v nvcc >/dev/null || die "LT_MMCV_CUDA=1 needs nvcc (the CUDA toolkit) on PATH"
      # nvcc may be a wrapper outside its toolkit (/usr/local/bin/nvcc), from which torch would guess
      # CUDA_HOME=/usr/local: ask nvcc where its toolkit is. The toolkit may lack the CUDA library headers
      # (cusparse.h, ...), which torch's CUDA wheels ship; the toolkit's own include comes first, because the
      # wheels' cuda_runtime_api.h lacks crt/host_defines.h, which g++ (not nvcc) then misses.
      local toolkit inc
      toolkit=$(nvcc --dryrun -c -x cu /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ TOP=//p' | head -n1)
      toolkit=$(realpath "${toolkit:-/nonexistent}" 2>/dev/null) && [ -d "$toolkit/include" ] \
        || die "cannot find the CUDA toolkit of $(command -v nvcc): set CUDA_HOME"
      inc=$(ls -d "$abs_venv"/lib/python*/site-packages/nvidia/*/include 2>/dev/null | paste -sd: -)
      env+=(FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$(cuda_arch_list)" CUDA_HOME="${CUDA_HOME:-$toolkit}"
            CPATH="$toolkit/include${inc:+:$inc}${CPATH:+:$CPATH}"
            LIBRARY_PATH="$toolkit/lib64${LIBRARY_PATH:+:$LIBRARY_PATH}") ;;
  esac
  # setup.py imports pkg_resources: built by the venv's setuptools (<70). Not through `pip wheel`: after a
  # failed build pip runs `setup.py clean`, which deletes every compiled object and so the resume.
  rm -rf "$tree/dist"
  (cd "$src" && env "${env[@]}" "$abs_venv/bin/python" setup.py -q bdist_wheel -d "$tree/dist" >&2)
  mkdir -p "$dir"
  local whl; whl=$(ls "$tree"/dist/mmcv-*.whl)
  # copy then rename, so an interrupted build never leaves a half-written wheel in the cache
  cp "$whl" "$dir/.incoming" && mv "$dir/.incoming" "$dir/$(basename "$whl")"
  rm -rf "$tree"
}

mmcv() {
  local ops=$1 flavour dir whl
  flavour=$(mmcv_flavour "$ops")
  local have; have=$(cat "$VENV/.mmcv-flavour" 2>/dev/null || true)
  # compiled ops serve every lighter need: CUDA ops include the CPU ones
  case "$flavour:$have" in
    "$have:$have" | lite:?* | cpu:cuda-*) return ;;
  esac
  # mmcv and mmcv-lite install the same package folder: never keep both
  "$VENV/bin/pip" uninstall -q -y mmcv mmcv-lite >/dev/null 2>&1 || true
  if [ "$flavour" = lite ]; then
    log "installing mmcv-lite $MMCV (mmcv without compiled ops)"
    "$VENV/bin/pip" install -q --no-deps "mmcv-lite==$MMCV"
    echo lite > "$VENV/.mmcv-flavour"
    return
  fi
  dir=$(mmcv_cache_dir "$flavour")
  whl=$(ls "$dir"/mmcv-$MMCV-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$whl" ]; then
    local started=$SECONDS
    case $flavour in
      cpu) log "building mmcv $MMCV with CPU ops (about 13 minutes on 2 cores; cached in $dir)" ;;
      *) log "building mmcv $MMCV with CUDA ops for arch $(cuda_arch_list) (about an hour on 2 cores, less with more; cached in $dir)" ;;
    esac
    build_mmcv "$flavour" "$dir" "${LT_MMCV_BUILD_DIR:-$CACHE/build/mmcv-$MMCV-$(basename "$dir")}"
    log "built mmcv ($flavour) in $((SECONDS - started)) s"
    whl=$(ls "$dir"/mmcv-$MMCV-*.whl | head -n1)
  fi
  "$VENV/bin/pip" install -q --no-deps "$whl"
  echo "$flavour" > "$VENV/.mmcv-flavour"
}

OPS=0 TEST=0
for arg in "$@"; do
  case $arg in
    --ops) OPS=1 ;;
    --test) OPS=1 TEST=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done
[ "$TEST" = 1 ] && system_packages
python_stack
mmcv "$OPS"
log "ready: $VENV ($("$VENV/bin/python" -c 'import torch, mmcv, mmdet; print("torch", torch.__version__, "mmcv", mmcv.__version__, "mmdet", mmdet.__version__)'), mmcv ops: $(cat "$VENV/.mmcv-flavour"))"
