#!/usr/bin/env bash
# The main job: the whole Smartcar flow against a local emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python examples/quickstart.py
