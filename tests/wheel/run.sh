#!/bin/sh
# The Python package as users get it: `pip wheel .` builds a wheel (in an
# isolated build environment), which is installed with pytest into a
# fresh venv outside the repository; the Python suite (a copy of tests/
# outside the repository) then runs against that
# install and smartcar-emulator.  First, `pip install .` with libcjson
# hidden from pkg-config must stop with a line naming it.  Time-bounded;
# ends with one line "N passed, N failed".
#
#   tests/wheel/run.sh
#
# PYTHON picks the interpreter; SMARTCAR_EMULATOR_BIN the emulator
# (default build/smartcar-emulator, built when missing).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3}
emu_bin=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

if [ ! -x "$emu_bin" ]; then
  cmake -S "$root" -B "$root/build" >/dev/null
  cmake --build "$root/build" --target smartcar-emulator -j2 >&2
fi

"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --upgrade pip >&2

# a missing build dependency is named in one line
cat >"$work/pkg-config" <<'SH'
#!/bin/sh
for a in "$@"; do [ "$a" = libcjson ] && exit 1; done
exec pkg-config "$@"
SH
chmod +x "$work/pkg-config"
extra_pass=0 extra_fail=0
if SMARTCAR_PKG_CONFIG=$work/pkg-config timeout 600 \
   "$work/venv/bin/pip" install "$root" >"$work/missing.log" 2>&1; then
  echo "FAIL pip install . succeeded without libcjson" >&2
  extra_fail=1
elif grep -q "smartcar-native: missing build dependency libcjson (Debian/Ubuntu libcjson-dev" \
     "$work/missing.log"; then
  echo "ok   pip install . names the missing libcjson" >&2
  extra_pass=1
else
  echo "FAIL pip install . without libcjson did not name it:" >&2
  tail -20 "$work/missing.log" >&2
  extra_fail=1
fi
echo "wheel: building with pip wheel ." >&2
timeout 900 "$work/venv/bin/pip" wheel -q --no-deps -w "$work/dist" "$root" >&2
wheel=$(ls "$work"/dist/smartcar_native-*.whl)
echo "wheel: $(basename "$wheel")" >&2
"$work/venv/bin/pip" install -q "$wheel" pytest "hypothesis>=6.80,<7" >&2

# the suite, outside the repository: the installed package is the only
# smartcar_native on the path
# (all of tests/ but installed node modules: the suite reads the shared
# cases and helpers next to it; and lua/meta, whose LuaLS classes the
# shape test compares with the schema; and the Python examples the suite
# runs)
mkdir -p "$work/tree"
tar -C "$root" --exclude=node_modules --exclude=__pycache__ -cf - tests lua/meta \
  examples/quickstart.py examples/v3_quickstart.py |
  tar -C "$work/tree" -xf -
cd "$work/tree"
"$work/venv/bin/python" - <<'PY'
import smartcar_native, sys
where = smartcar_native.__file__
assert "/venv/" in where, where
print("wheel: testing", where, file=sys.stderr)
PY
rc=0
SMARTCAR_EMULATOR_BIN=$emu_bin timeout 900 "$work/venv/bin/python" -m pytest \
  -q -p no:cacheprovider tests/python >"$work/pytest.log" 2>&1 || rc=$?
cat "$work/pytest.log"
summary=$(tail -n 1 "$work/pytest.log")
passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | awk '{print $1+0}')
failed=$(echo "$summary" | grep -oE '[0-9]+ (failed|errors?)' |
         awk '{s+=$1} END {print s+0}')
[ "$rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ] && failed=1
echo "$(( ${passed:-0} + extra_pass )) passed, $(( ${failed:-0} + extra_fail )) failed"
[ "$rc" -eq 0 ] && [ "$extra_fail" -eq 0 ]
