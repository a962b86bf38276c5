#!/usr/bin/env bash
# The MindSpore model zoo's HRNetW48_cls scripts/run_standalone_train.sh, same arguments (seed 002):
#   bash scripts/run_standalone_train.sh DATASET_PATH TRAIN_OUTPUT_PATH [CHECKPOINT_PATH] [BEGIN_EPOCH] [EVAL_DATASET_PATH]
# DATASET_PATH is the ImageNet train folder (<root>/train/<class>/*) or the root holding train/; EVAL_DATASET_PATH,
# when given, a folder next to it (<root>/val): the val split evaluated every eval_interval epochs (without it: <root>/val).
# CHECKPOINT_PATH resumes a run (weights, optimizer, schedule); BEGIN_EPOCH, when given, must be the epoch it completed.
# The config is configs/mindspore-hrnetw48_cls.yaml; HRNET_CFG=<yaml> picks another.
set -euo pipefail
usage="usage: bash scripts/run_standalone_train.sh DATASET_PATH TRAIN_OUTPUT_PATH [CHECKPOINT_PATH] [BEGIN_EPOCH] [EVAL_DATASET_PATH]"
if [ $# -lt 2 ] || [ $# -gt 5 ]; then echo "error: expected 2 to 5 arguments, got $# ($usage)" >&2; exit 1; fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/mindspore-common.sh"
root="$(dataset_root "$1")"
args=(--cfg "${HRNET_CFG:-$example/configs/mindspore-hrnetw48_cls.yaml}" --datadir "$root" --ckpt_save_dir "$2")
if [ -n "${3:-}" ]; then args+=(--resume "$3"); fi
if [ -n "${4:-}" ]; then args+=(--begin_epoch "$4"); fi
if [ -n "${5:-}" ]; then args+=(--data.val_split "$(split_of "$root" "$5" EVAL_DATASET_PATH)"); fi
exec "$tsx" "$example/train.ts" "${args[@]}"
