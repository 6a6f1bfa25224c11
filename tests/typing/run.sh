#!/bin/sh
# Static typing of the public Python API: mypy --strict over
# tests/typing/ and the README's examples, the wrong calls mypy must
# reject, and pyright --verifytypes smartcar_native at 100%.
# Installs mypy and pyright into build/typing-venv when missing; needs
# smartcar_native built into .venv (scripts/setup.sh).
# Ends with one line "N passed, N failed".
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$(sh "$root/scripts/tool-venv.sh" typing "mypy, pyright" mypy pyright)
exec "$venv/bin/python" "$root/tests/typing/check.py"
