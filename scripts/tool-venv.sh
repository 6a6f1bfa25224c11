#!/bin/sh
# tool-venv.sh NAME IMPORTS PACKAGE...: makes build/NAME-venv and pip
# installs the packages into it unless IMPORTS (a Python import list)
# already imports there; prints the venv's path.  PYTHON picks the
# interpreter of a new venv (python3).
set -eu
name=$1 imports=$2
venv=$(cd "$(dirname "$0")/.." && pwd)/build/$name-venv
shift 2
if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
  echo "$name: installing $* into $venv" >&2
  "${PYTHON:-python3}" -m venv "$venv" >&2
  "$venv/bin/pip" install -q "$@" >&2
fi
echo "$venv"
