#!/bin/sh
# Fidelity tests: the official Smartcar SDKs (Python `smartcar` 6.x from
# PyPI, Node `smartcar` from npm) drive smartcar-emulator through the v2
# flow, every Vehicle method, batch, management, compatibility, webhooks
# and error cases; headless Chromium (Debian's `chromium`, driven by npm
# `playwright-core`) walks Connect for every brand and runs the official
# `@smartcar/auth` popup flow (tests/compat/node/test/browser.test.js). Installs what is missing (the Python SDK into
# build/compat-venv, the Node SDK into tests/compat/node/node_modules),
# starts one emulator, runs pytest and `node --test`, and ends with one
# line: "N passed, N failed". Exit status 1 when anything failed.
#
#   tests/compat/run.sh
#
# SMARTCAR_EMULATOR_BIN picks the binary (default build/smartcar-emulator,
# built when missing). PYTHON picks the interpreter for the venv.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
emu_bin=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}

# ------------------------------------------------------------------ install
venv=$(sh "$root/scripts/tool-venv.sh" compat "smartcar, pytest, requests" \
  'smartcar>=6,<7' pytest requests)
if [ ! -d "$here/node/node_modules/smartcar" ] ||
   [ ! -d "$here/node/node_modules/playwright-core" ] ||
   [ ! -d "$here/node/node_modules/@smartcar/auth" ]; then
  echo "compat: installing the Node SDK, @smartcar/auth and playwright-core (npm ci)" >&2
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
# Chromium for the browser tests, from Debian (playwright-core never
# downloads a browser).
chromium=${CHROMIUM_BIN:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "compat: installing chromium (apt-get)" >&2
  sudo=
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2 ||
    echo "compat: could not install chromium; the browser tests will fail" >&2
fi
if [ ! -x "$emu_bin" ]; then
  echo "compat: building smartcar-emulator" >&2
  cmake -S "$root" -B "$root/build" >/dev/null
  cmake --build "$root/build" --target smartcar-emulator -j2 >&2
fi
echo "compat: Python SDK $("$venv/bin/python" -c 'import smartcar; print(smartcar.__version__)'), Node SDK $(node -p "require('$here/node/node_modules/smartcar/package.json').version")" >&2

# ----------------------------------------------------------------- emulator
work=$(mktemp -d)
emu_pid=
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$emu_bin" --port 0 --seed 5 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
SMARTCAR_EMULATOR_URL=$(sh "$root/scripts/emulator-url.sh" "$work/emu.out") || { echo "compat: the emulator did not start" >&2; exit 1; }
export SMARTCAR_EMULATOR_URL SMARTCAR_EMULATOR_BIN="$emu_bin" \
  SMARTCAR_COMPAT_PYTHON="$venv/bin/python" CHROMIUM_BIN="$chromium"

# smartcar_native (built into .venv by scripts/setup.sh) next to the
# official SDK, for test_both_ways.py: only the package, not .venv's
# other packages
native=$("$root/.venv/bin/python" -c \
  'import os, smartcar_native as m; print(os.path.dirname(m.__file__))') ||
  { echo "compat: smartcar_native is not built (scripts/setup.sh)" >&2; exit 1; }
mkdir "$work/native"
ln -s "$native" "$work/native/smartcar_native"
export PYTHONPATH="$work/native${PYTHONPATH:+:$PYTHONPATH}"

# -------------------------------------------------------------------- tests
echo "== Python SDK (pytest) ==" >&2
(cd "$here/python" && "$venv/bin/python" -m pytest -q -rf --no-header \
  -p no:cacheprovider --junitxml="$work/py.xml") || true
echo "== Node SDK (node --test) ==" >&2
(cd "$here/node" && node --test --test-reporter=spec \
  --test-reporter-destination=stdout --test-reporter=tap \
  --test-reporter-destination="$work/node.tap") || true

py=$("$venv/bin/python" - "$work/py.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 1"); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skip = sum(int(s.get("skipped", 0)) for s in suites)
print(t - bad - skip, bad)
PY
)
node_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$work/node.tap" 2>/dev/null | tail -n 1)
node_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$work/node.tap" 2>/dev/null | tail -n 1)
[ -n "$node_pass" ] || { node_pass=0; node_fail=1; }
set -- $py
passed=$(( $1 + node_pass ))
failed=$(( $2 + ${node_fail:-0} ))
echo "python: $1 passed, $2 failed; node: $node_pass passed, ${node_fail:-0} failed" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
