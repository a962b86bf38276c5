#!/usr/bin/env bash
# The MindSpore model zoo's HRNetW48_cls scripts/run_eval.sh, same arguments (seed 002):
#   bash scripts/run_eval.sh DATASET_PATH CHECKPOINT_PATH
# DATASET_PATH is the ImageNet val folder (<root>/val/<class>/*) or the root holding val/. Prints MindSpore's
# {'Loss': …, 'Top_1_Acc': …, 'Top_5_Acc': …}. The config is configs/mindspore-hrnetw48_cls.yaml; HRNET_CFG=<yaml> picks another.
set -euo pipefail
usage="usage: bash scripts/run_eval.sh DATASET_PATH CHECKPOINT_PATH"
if [ $# -ne 2 ]; then echo "error: expected 2 arguments, got $# ($usage)" >&2; exit 1; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/mindspore-common.sh"
if [ -d "$1/val" ]; then root="$1"; split=val; else root="$(dirname "$1")"; split="$(basename "$1")"; fi
exec "$tsx" "$example/validate.ts" --cfg "${HRNET_CFG:-$example/configs/mindspore-hrnetw48_cls.yaml}" --datadir "$root" --ckpt_path "$2" --data.val_split "$split"
