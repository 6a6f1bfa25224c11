#!/bin/sh
# The fault matrix (tests/faults/matrix.json): every fault x language (C,
# Python, Lua) x call kind against the emulator and a misbehaving test
# server.  Needs build/ and .venv/ (scripts/setup.sh); builds the Lua rock
# when needed.  Extra arguments go to run.py (--only TEXT, --lang c,lua).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cmake --build build -j2 --target sc_fault_driver >/dev/null
LUA=lua5.4 sh tests/lua/run.sh --build-only # its driver runs under lua5.4
exec .venv/bin/python tests/faults/run.py "$@"
