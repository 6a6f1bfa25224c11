#!/bin/sh
# Build the Lua rock into build/luarocks (when its sources changed) and run
# the busted specs under Lua 5.4.  Extra arguments go to busted.
#
#   tests/lua/run.sh                      # all specs
#   tests/lua/run.sh tests/lua/flow_spec.lua
#   tests/lua/run.sh --build-only          # build the rock, run nothing
#
# Environment: SMARTCAR_EMULATOR_URL (use a running emulator) or
# SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator); LUA (lua5.4),
# LUAROCKS (luarocks).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

LUA=${LUA:-lua5.4}
LUAROCKS=${LUAROCKS:-luarocks}
tree="$root/build/luarocks"
stamp="$tree/.smartcar-sources"

# The rock is up to date when the hash of everything it is built from
# matches the one recorded after the last build.
sources_hash() {
	find csrc/include csrc/lib lua rockspec -type f \
		! -name '*.o' ! -name '*.so' | LC_ALL=C sort |
		xargs sha256sum | sha256sum | cut -d' ' -f1
}

hash=$(sources_hash)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ] ||
   [ ! -f "$tree/lib/lua/5.4/smartcar/core.so" ]; then
	# LuaRocks' builtin backend writes objects next to the sources: build
	# from a copy so the work tree stays clean.
	src="$root/build/lua-rock-src"
	rm -rf "$src"
	mkdir -p "$src/csrc"
	cp -R csrc/include csrc/lib "$src/csrc/"
	cp -R lua rockspec "$src/"
	log="$root/build/lua-rock-build.log"
	if ! (cd "$src" && "$LUAROCKS" --lua-version=5.4 --tree="$tree" \
		make rockspec/smartcar-scm-1.rockspec) >"$log" 2>&1; then
		cat "$log" >&2
		exit 1
	fi
	# The rock installs its two modules and nothing else (no sources,
	# objects, LuaLS meta files or smartcar.resty).
	installed=$(cd "$tree" && find share lib/lua -type f | LC_ALL=C sort |
		tr '\n' ' ')
	if [ "$installed" != "lib/lua/5.4/smartcar/core.so share/lua/5.4/smartcar.lua " ]; then
		echo "run.sh: the rock installed: $installed" >&2
		exit 1
	fi
	echo "$hash" >"$stamp"
fi
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

busted=${BUSTED:-$(command -v busted)}
exec "$LUA" "$busted" "$@"
