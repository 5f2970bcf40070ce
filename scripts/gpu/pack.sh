#!/usr/bin/env bash
# Packs what a GPU machine with no network needs to run `deno task bench` there, into .gpu/
# (git-ignored, carried by the device tool): Deno's binary and the npm packages the bench imports,
# onnxruntime-node trimmed to linux-x64, all xz-compressed; plus Debian's Vulkan loader (.gl/).
# Run here after `deno task bench` has filled Deno's cache. Then see scripts/gpu/run.sh.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
rm -rf .gpu && mkdir -p .gpu
deno_bin=$(npx -y deno@2.9.6 eval 'console.log(Deno.execPath())')
npm_dir=$(npx -y deno@2.9.6 info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["npmCache"])')
xz -T2 -6 -c "$deno_bin" > .gpu/deno.xz
reg=$(basename "$(ls -d "$npm_dir"/*/ | head -1)")
# onnxruntime-node without the other platforms' binaries (288 MB -> 45 MB before xz)
tar -C "$npm_dir" -cJf .gpu/npm.tar.xz \
  --exclude="onnxruntime-node/*/bin/napi-v6/darwin" --exclude="onnxruntime-node/*/bin/napi-v6/win32" \
  --exclude="onnxruntime-node/*/bin/napi-v6/linux/arm64" \
  "$reg"
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1 >/dev/null)
grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude || echo '/.gl/' >> .git/info/exclude
du -sh .gpu/* .gl
