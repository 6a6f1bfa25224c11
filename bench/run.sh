#!/usr/bin/env bash
# Benchmarks, as ratios against baselines measured in the same run
# (bench/perf.py: raw libcurl, the official SDKs, the ideal fleet time,
# nginx), compared with bench/baseline.json.
#
#   bash bench/run.sh            the full run (with the emulator vs nginx)
#   bash bench/run.sh --check    the quick run CI makes; exit 1 on a counted ratio
#                                (instructions, connections, handshakes, memory)
#                                worse than the baseline past its tolerance;
#                                --check --strict also fails on timed ones
#   bash bench/run.sh --update   write the measured ratios as the baseline
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
.venv/bin/python -c "import smartcar" 2>/dev/null ||
	.venv/bin/pip install -q "smartcar>=6,<7"
# the Lua rock (build/luarocks), built by the Lua suite's runner
[ -f build/luarocks/lib/lua/5.4/smartcar/core.so ] ||
	bash tests/lua/run.sh tests/lua/json_spec.lua >/dev/null
exec .venv/bin/python bench/perf.py "$@"
