#!/usr/bin/env bash
# Build everything, then run every suite: C (unit + integration), Python,
# Lua, the official Python and Node SDKs against the emulator
# (tests/compat), and the OpenResty driver in nginx (tests/openresty).  Each suite starts its own emulator.  Ends with one line
# "N passed, N failed" and exits non-zero when any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
mkdir -p build/test-logs
total_pass=0
total_fail=0
status=0

count() { # name passed failed
	echo "-- $1: $2 passed, $3 failed"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
}

echo "== C suite"
./build/sc_tests 2>&1 | tee build/test-logs/c.log
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/test-logs/c.log | tail -1)
p=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
f=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
count C "$p" "$f"
[ "$rc" -ne 0 ] && status=1

echo "== Python suite"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/python 2>&1 |
	tee build/test-logs/python.log
rc=${PIPESTATUS[0]}
summary=$(tail -1 build/test-logs/python.log)
p=$(echo "$summary" | grep -oE '[0-9]+ passed' | awk '{print $1}')
f=$(echo "$summary" | grep -oE '[0-9]+ (failed|error|errors)' |
	awk '{s+=$1} END {print s+0}')
p=${p:-0}
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
count Python "$p" "$f"
[ "$rc" -ne 0 ] && status=1

echo "== Lua suite"
bash tests/lua/run.sh 2>&1 | tee build/test-logs/lua.log
rc=${PIPESTATUS[0]}
summary=$(grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' \
	build/test-logs/lua.log | tail -1)
p=$(echo "$summary" | grep -oE '[0-9]+ success' | awk '{print $1}')
f=$(echo "$summary" | grep -oE '[0-9]+ (failure|error)' |
	awk '{s+=$1} END {print s+0}')
p=${p:-0}
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
count Lua "$p" "$f"
[ "$rc" -ne 0 ] && status=1

echo "== Official SDKs against the emulator (compat)"
bash tests/compat/run.sh 2>&1 | tee build/test-logs/compat.log
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/test-logs/compat.log | tail -1)
p=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
f=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
count compat "$p" "$f"
[ "$rc" -ne 0 ] && status=1

echo "== OpenResty driver (LuaJIT FFI over the sans-IO core, cosockets)"
bash tests/openresty/run.sh 2>&1 | tee build/test-logs/openresty.log
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' build/test-logs/openresty.log | tail -1)
p=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
f=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
count OpenResty "$p" "$f"
[ "$rc" -ne 0 ] && status=1

echo "$total_pass $total_fail" > build/test-logs/totals
echo "$total_pass passed, $total_fail failed"
exit $status
