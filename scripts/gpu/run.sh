#!/usr/bin/env bash
# Runs on the GPU machine (device tool, carry [".gpu", ".gl"]): unpacks Deno, its npm cache and
# the Vulkan loader, then runs a scenario offline and leaves results and report in $OUT.
# Usage: scripts/gpu/run.sh [SCENARIO]   (default scenarios/gpu.json)
set -euo pipefail
scenario=${1:-scenarios/gpu.json}
if [ -z "${SKIP_GL:-}" ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; fi
[ -n "${SKIP_GL:-}" ] || ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export XDG_RUNTIME_DIR=/tmp DENO_DIR=/tmp/deno_dir
mkdir -p /tmp/bin "$DENO_DIR/npm" "${OUT:-reports/gpu}"
xz -dc .gpu/deno.xz > /tmp/bin/deno && chmod +x /tmp/bin/deno
tar -C "$DENO_DIR/npm" -xJf .gpu/npm.tar.xz
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
/tmp/bin/deno run --cached-only --allow-read --allow-write --allow-env --allow-ffi --allow-sys \
  --allow-run=git src/cli.ts bench --scenario "$scenario" --out "${OUT:-reports/gpu}" \
  2>&1 | tee "${OUT:-reports/gpu}/bench.log"
