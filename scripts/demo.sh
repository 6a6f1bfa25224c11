#!/usr/bin/env bash
# The main job: the whole Smartcar flow against a local emulator.
# --web: the example web app instead (open the URL it prints).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${1:-}" = "--web" ]; then
	# the example back end and its web app against a private emulator;
	# prints the URL to open (docs/architectures.md)
	[ -d examples/spa/node_modules ] ||
		(cd examples/spa && npm ci --no-audit --no-fund --loglevel=error)
	exec .venv/bin/python examples/webapp/run.py --emulator
fi
exec .venv/bin/python examples/quickstart.py
