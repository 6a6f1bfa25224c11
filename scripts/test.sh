#!/usr/bin/env bash
# Build everything, then run every suite: C (unit + integration), Python,
# Lua, the official Python and Node SDKs against the emulator
# (tests/compat), the OpenResty driver in nginx (tests/openresty), the
# example apps clicked through in headless Chromium (tests/apps), and
# the PostgreSQL store against a private server (tests/pg).
# Each suite starts its own emulator.  Ends with one line
# "N passed, N failed" and exits non-zero when any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
# the work tree's state before the suites (a developer's own edits)
tree_before=$(git status --porcelain --untracked-files=all 2>/dev/null)
mkdir -p build/test-logs
total_pass=0
total_fail=0
status=0

# Passed and failed counts from a suite's log, whichever runner wrote it:
# our own "N passed, N failed" line, pytest's summary or busted's.
counts() { # log
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
	if [ -n "$line" ]; then
		echo "$line" | awk '{print $1, $3}'
	elif line=$(grep -E '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors?' "$1" | tail -1) &&
	     [ -n "$line" ]; then
		echo "$line" | awk '{print $1, $4 + $7}'
	else
		line=$(grep -E '[0-9]+ (passed|failed)' "$1" | tail -1)
		echo "$(echo "$line" | grep -oE '[0-9]+ passed' | awk '{print $1+0}')" \
		     "$(echo "$line" | grep -oE '[0-9]+ (failed|errors?)' |
			awk '{s+=$1} END {print s+0}')"
	fi
}

suite() { # label log command...
	local label=$1 log=build/test-logs/$2.log rc p f
	shift 2
	echo "== $label"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f <<<"$(counts "$log")"
	p=${p:-0}
	f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$rc" -ne 0 ] && status=1
	echo "-- $label: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

# The suites leave no file in the work tree: git status as before them.
tree_clean() {
	local left
	left=$(git status --porcelain --untracked-files=all |
		grep -vxF -f <(printf '%s\n' "$tree_before"))
	if [ -n "$left" ]; then
		printf 'left in the work tree by the suites:\n%s\n' "$left"
		echo "0 passed, 1 failed"
		return 1
	fi
	echo "1 passed, 0 failed"
}

suite C c ./build/sc_tests
suite Python python .venv/bin/python -m pytest -q -p no:cacheprovider \
	tests/python
suite "Python typing (mypy, pyright)" typing bash tests/typing/run.sh
suite "Python wheel in a clean venv" wheel bash tests/wheel/run.sh
suite "Python notebook (pandas, tqdm, fleet.ipynb)" notebook \
	bash tests/notebook/run.sh
suite "Lua (5.4 and LuaJIT)" lua bash tests/lua/run.sh
suite "Lua release rock (packed, installed offline)" rock bash tests/rock/run.sh
suite "official SDKs vs the emulator" compat bash tests/compat/run.sh
suite OpenResty openresty bash tests/openresty/run.sh
suite "fault matrix" faults bash tests/faults/run.sh
suite "example apps in Chromium" apps bash tests/apps/run.sh
suite PostgreSQL pg bash tests/pg/run.sh
suite "tree clean" tree tree_clean

echo "$total_pass $total_fail" > build/test-logs/totals
echo "$total_pass passed, $total_fail failed"
exit $status
