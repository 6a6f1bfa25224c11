#!/usr/bin/env bash
# Benchmarks, as ratios against a baseline measured in the same run:
#   - smartcar_native vs the official smartcar Python SDK
#   - smartcar-emulator vs nginx serving canned JSON (bench/emulator-vs-nginx.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
.venv/bin/python -c "import smartcar" 2>/dev/null ||
	.venv/bin/pip install -q "smartcar>=6,<7"
.venv/bin/python bench/python_vs_official.py
if [ "${1:-}" != "--python-only" ]; then
	bash bench/emulator-vs-nginx.sh
fi
