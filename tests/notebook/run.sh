#!/bin/sh
# Notebook features with their optional packages: to_frame (pandas), the
# tqdm progress bars, and examples/fleet.ipynb executed with nbclient (it
# must run without an error and draw its plots).  Installs pandas,
# matplotlib, tqdm, nbclient and ipykernel into build/notebook-venv when
# missing; smartcar_native is the one built into .venv by
# scripts/setup.sh (only that package is put on the path).
# Ends with pytest's "N passed" summary.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$(sh "$root/scripts/tool-venv.sh" notebook \
  "pandas, matplotlib, tqdm, nbclient, nbformat, ipykernel, pytest" \
  pandas matplotlib tqdm nbclient nbformat ipykernel pytest)
native=$("$root/.venv/bin/python" -c \
  'import os, smartcar_native as m; print(os.path.dirname(m.__file__))') ||
  { echo "notebook: smartcar_native is not built (scripts/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
ln -s "$native" "$work/smartcar_native"
export PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}"
export SMARTCAR_EMULATOR_BIN=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}
cd "$root/tests/notebook"
timeout 900 "$venv/bin/python" -m pytest -q -p no:cacheprovider .
