#!/bin/sh
# Build the Lua rock (when its sources changed) and run the busted specs,
# under Lua 5.4 (rock in build/luarocks) and then under LuaJIT (the Lua 5.1
# C API, rock in build/luarocks-luajit).  Extra arguments go to busted.
# Ends with one line "N passed, N failed" over both interpreters.
#
#   tests/lua/run.sh                      # all specs, both interpreters
#   tests/lua/run.sh tests/lua/flow_spec.lua
#   LUA=luajit tests/lua/run.sh           # one interpreter only
#   tests/lua/run.sh --build-only         # build the rock(s), run nothing
#
# Environment: SMARTCAR_EMULATOR_URL (use a running emulator) or
# SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator); LUA (lua5.4 or
# luajit; default both), LUAROCKS (luarocks), LUA_SUITE_TIMEOUT (seconds
# one interpreter's run may take, 900).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

LUAROCKS=${LUAROCKS:-luarocks}
interpreters=${LUA:-lua5.4 luajit}

# The rock is up to date when the hash of everything it is built from
# matches the one recorded after the last build.
sources_hash() {
	find csrc/include csrc/lib lua rockspec README.md LICENSE CHANGELOG.md \
		-type f ! -name '*.o' ! -name '*.so' | LC_ALL=C sort |
		xargs sha256sum | sha256sum | cut -d' ' -f1
}

# LuaJIT's headers: from its pkg-config file, else Debian's place.
luajit_incdir() {
	pkg-config --variable=includedir luajit 2>/dev/null ||
		echo /usr/include/luajit-2.1
}

# tree_of INTERPRETER: the rock tree, its Lua version, and the variables
# LuaRocks needs for it (LuaJIT: Lua 5.1 with LuaJIT's headers).
tree_of() {
	case $1 in
	*luajit*)
		tree="$root/build/luarocks-luajit" luaver=5.1
		vars="LUA_INCDIR=$(luajit_incdir) LUA=$(command -v "$1")"
		;;
	*)
		tree="$root/build/luarocks" luaver=5.4 vars=""
		;;
	esac
}

build_rock() { # interpreter
	tree_of "$1"
	stamp="$tree/.smartcar-sources"
	hash=$(sources_hash)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] &&
	   [ -f "$tree/lib/lua/$luaver/smartcar/core.so" ]; then
		return 0
	fi
	# LuaRocks' builtin backend writes objects next to the sources: build
	# from a copy so the work tree stays clean.
	src="$root/build/lua-rock-src-$luaver"
	rm -rf "$src" "$tree"
	mkdir -p "$src/csrc"
	cp -R csrc/include csrc/lib "$src/csrc/"
	cp -R lua rockspec README.md LICENSE CHANGELOG.md "$src/"
	log="$root/build/lua-rock-build-$luaver.log"
	# shellcheck disable=SC2086 # $vars: VAR=VALUE words
	if ! (cd "$src" && "$LUAROCKS" --lua-version="$luaver" --tree="$tree" \
		make rockspec/smartcar-scm-1.rockspec $vars) >"$log" 2>&1; then
		cat "$log" >&2
		exit 1
	fi
	# The rock installs its two modules and its docs, nothing else (no
	# sources, objects, LuaLS meta files or smartcar.resty).
	installed=$(cd "$tree" && find share lib/lua -type f | LC_ALL=C sort |
		tr '\n' ' ')
	want="lib/lua/$luaver/smartcar/core.so share/lua/$luaver/smartcar.lua "
	if [ "$installed" != "$want" ]; then
		echo "run.sh: the rock installed: $installed" >&2
		exit 1
	fi
	docs=$(cd "$tree/lib/luarocks/rocks-$luaver/smartcar/scm-1" &&
		find doc -type f | LC_ALL=C sort | tr '\n' ' ')
	if [ "$docs" != "doc/CHANGELOG.md doc/LICENSE doc/README.md " ]; then
		echo "run.sh: the rock installed the docs: $docs" >&2
		exit 1
	fi
	echo "$hash" >"$stamp"
}

for lua in $interpreters; do
	build_rock "$lua"
done
# tests/faults/run.sh only needs the rock
[ "${1:-}" = "--build-only" ] && exit 0

if [ -z "${SMARTCAR_EMULATOR_URL:-}" ]; then
	bin=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}
	if [ ! -x "$bin" ]; then
		echo "run.sh: no emulator at $bin; build it (cmake -S . -B build" \
		     "&& cmake --build build) or set SMARTCAR_EMULATOR_URL" >&2
		exit 1
	fi
fi

# Passed and failed counts from busted's last summary line in a log,
# "N success(es) / N failure(s) / N error(s) / N pending : T seconds":
# failures, errors and pending (skipped) tests count as failed; no
# summary (busted died) is "0 1".
busted_counts() { # log
	awk '
	/[0-9]+ success(es)? \/ [0-9]+ failures? \/ [0-9]+ errors? \/ [0-9]+ pending/ {
		p = f = 0
		for (i = 1; i < NF; i++) {
			n = $i
			sub(/^.*[^0-9]/, "", n)
			if ($(i + 1) ~ /^success(es)?$/) p = n
			else if ($(i + 1) ~ /^(failures?|errors?|pending)$/) f += n
		}
		line = p " " f
	}
	END { print (line == "" ? "0 1" : line) }' "$1"
}

# Busted runs under the interpreter that loads it; .busted picks the tree
# from the interpreter's Lua version.
busted=${BUSTED:-$(command -v busted)}
mkdir -p build/test-logs
status=0 pass=0 fail=0
for lua in $interpreters; do
	echo "== busted under $("$lua" -v 2>&1 | head -1)"
	log="$root/build/test-logs/lua-$(basename "$lua").busted.log"
	{
		rc=0
		# a run that hangs (at exit, say) fails instead of stalling
		timeout -k 10 "${LUA_SUITE_TIMEOUT:-900}" "$lua" "$busted" "$@" \
			2>&1 || rc=$?
		echo "$rc" >"$log.rc"
	} | tee "$log"
	rc=$(cat "$log.rc")
	counts=$(busted_counts "$log")
	p=${counts% *} f=${counts#* }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -ne 0 ] && status=1
	echo "-- $lua: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
exit $status
