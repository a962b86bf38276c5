# Shared by the MindSpore-style wrappers (sourced): where the example and tsx are, and the dataset layout.
example="$(cd "$here/.." && pwd)"
tsx="$example/../../node_modules/.bin/tsx"
[ -x "$tsx" ] || { echo "error: $tsx not found: run 'npm ci && npm run build' in $(cd "$example/../.." && pwd) first" >&2; exit 1; }

# The ImageNet root of a train folder argument: <root>/train given, or <root> holding train/.
dataset_root() {
  if [ -d "$1/train" ]; then echo "$1"
  elif [ -d "$1" ]; then dirname "$1"
  else echo "error: DATASET_PATH '$1' is not a directory" >&2; exit 1; fi
}

# The split name of a folder next to the train folder (<root>/<split>).
split_of() {
  if [ ! -d "$2" ]; then echo "error: $3 '$2' is not a directory" >&2; exit 1; fi
  if [ "$(cd "$(dirname "$2")" && pwd)" != "$(cd "$1" && pwd)" ]; then echo "error: $3 '$2' must sit next to the train folder, in $1" >&2; exit 1; fi
  basename "$2"
}
