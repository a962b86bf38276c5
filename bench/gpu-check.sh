#!/usr/bin/env bash
# The GPU check: webgpu parity, then the throughput bench, then PyTorch CUDA fp32 on the same models and
# batches, on a Linux x64 machine with a GPU, its driver's Vulkan ICD and no Node (Python with PyTorch for
# the reference timing; without it the bench says so and prints no ratio).
#
#   bench/gpu-check.sh --prepare        here (repo with node_modules): writes bench/dist/gpu-check.tar.xz —
#                                       this machine's node (xz), a single-file esbuild bundle of bench/gpu-check.ts
#                                       (parity check + bench), webgpu's dawn.node, the classifier fixture,
#                                       bench/pytorch-hrnet.py and, where apt can fetch it, libvulkan1's .deb
#   bench/gpu-check.sh [--adapter I|NAME] [--quick] [-- BENCH FLAGS]
#                                       there (from a checkout, or with only bench/gpu-check.sh and the tarball):
#                                       unpacks the tarball and runs parity, bench, PyTorch in one go
#
# Default bench: --backends webgpu --baseline off --models hrnet_w18_small,hrnet_w32 --size 224 --train-batch 32
# --pose higherhrnet_w32_512 --pose-batch 8 --steps 5 --amp (webgpu-f16 rows beside the f32 ones where the adapter
# has shader-f16: roughly doubles the bench's time); --quick: tiny settings (proves the pipeline, no figures).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tarball="$here/dist/gpu-check.tar.xz"

if [[ "${1:-}" == "--prepare" ]]; then
  root="$(cd "$here/.." && pwd)"
  out="$here/dist/gpu-check"
  rm -rf "$out" && mkdir -p "$out/bench" "$out/node_modules/webgpu/dist/linux-x64" "$out/fixtures" "$out/debs"
  (cd "$root" && npx turbo run build --filter=@hrnet/heads --output-logs=errors-only >/dev/null)
  # One file: everything but Dawn's native addon, which is loaded from node_modules/webgpu next to it.
  # core imports tfjs-backend-webgpu by a variable specifier (optional dependency); the bundle makes it a
  # literal one so that it is bundled with the same tfjs-core as the rest.
  (cd "$root" && node --input-type=module -e "
    import { build } from 'esbuild';
    import { readFile } from 'node:fs/promises';
    await build({
      entryPoints: ['bench/gpu-check.ts'], outfile: '$out/bench/gpu-check.mjs', bundle: true, platform: 'node',
      format: 'esm', target: 'node20', external: ['webgpu', '@hrnet/backend-native', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
      logLevel: 'warning', legalComments: 'none',
      banner: { js: \"import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);\" },
      plugins: [{ name: 'literal-tfjs-webgpu', setup(b) {
        // core's built chunks: import(/* @vite-ignore */ TFJS_WEBGPU) → a literal, bundled import.
        b.onLoad({ filter: /packages\/core\/dist\/.*\.js$/ }, async (a) => ({
          contents: (await readFile(a.path, 'utf8')).replace(/import\(\s*(\/\*[^*]*\*\/\s*)?TFJS_WEBGPU\s*\)/, \"import('@tensorflow/tfjs-backend-webgpu')\"),
          loader: 'js', resolveDir: a.path.replace(/\/[^/]*$/, '') }));
      } }],
    });")
  # tfjs-backend-webgpu's own code (its flag names) must be inside, not just its name.
  grep -q "WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE" "$out/bench/gpu-check.mjs" || { echo "gpu-check --prepare: tfjs-backend-webgpu was not bundled" >&2; exit 1; }
  cp "$root/bench/pytorch-hrnet.py" "$out/bench/"
  cp -r "$root/fixtures/hrnet-cls" "$out/fixtures/"
  wg="$(cd "$root" && node -p "require('path').dirname(require.resolve('webgpu/package.json'))")"
  cp "$wg/package.json" "$wg/index.js" "$out/node_modules/webgpu/"
  cp "$wg/dist/linux-x64/dawn.node" "$out/node_modules/webgpu/dist/linux-x64/"
  cp "$(command -v node)" "$out/node"
  # The Vulkan loader, for a GPU machine that has the driver's ICD but no libvulkan.so.1 (unpacked only there).
  (cd "$out/debs" && apt-get download libvulkan1 >/dev/null 2>&1) || echo "gpu-check --prepare: warning: could not fetch libvulkan1's .deb (apt-get download); the GPU machine must have libvulkan.so.1" >&2
  tar -C "$here/dist" -cf - gpu-check | xz -T2 -3 > "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
  rm -rf "$out"
  echo "gpu-check --prepare: wrote $tarball ($(du -h "$tarball" | cut -f1)); run bench/gpu-check.sh on the GPU machine"
  exit 0
fi

adapter=()
bench=(--backends webgpu --baseline off --models hrnet_w18_small,hrnet_w32 --size 224 --train-batch 32 --pose higherhrnet_w32_512 --pose-batch 8 --steps 5 --amp)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --adapter) adapter=(--adapter "$2"); shift 2 ;;
    --quick) bench=(--backends webgpu --baseline off --models hrnet_w18_small --size 64 --train-batch 2 --pose higherhrnet_w32_512 --pose-size 128 --pose-batch 1 --steps 1 --amp); shift ;;
    --) shift; bench=("$@"); break ;;
    *) echo "gpu-check: unknown flag '$1' (expected --prepare, --adapter I|NAME, --quick, -- BENCH FLAGS)" >&2; exit 1 ;;
  esac
done
[[ -f "$tarball" ]] || { echo "gpu-check: $tarball is missing; run bench/gpu-check.sh --prepare on a machine with Node first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
xz -dc "$tarball" | tar -C "$work" -xf -
dir="$work/gpu-check"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for f in "$dir"/debs/*.deb; do [[ -f "$f" ]] && dpkg -x "$f" "$dir/vulkan"; done
  export LD_LIBRARY_PATH="$dir/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "# gpu-check: no libvulkan.so.1 on this machine; using the carried loader"
fi
# NVIDIA containers often keep the driver's ICD outside the loader's search path.
if [[ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" && -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/# gpu: /'
echo "# gpu-check: node $("$dir/node" --version), $(date -u +%FT%TZ)"
"$dir/node" "$dir/bench/gpu-check.mjs" parity "${adapter[@]}"
"$dir/node" "$dir/bench/gpu-check.mjs" bench "${adapter[@]}" "${bench[@]}"
