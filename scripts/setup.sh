#!/usr/bin/env bash
# Install what libsmartcar needs on Debian 12, then build everything:
# the C library, smartcar-emulator and the C tests (CMake, in build/),
# and the Python module (in .venv/).
# A second run skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential cmake pkg-config curl ca-certificates
      libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev libssl-dev libsqlite3-dev libpq-dev
      lua5.4 liblua5.4-dev luarocks lua-busted luajit2 libluajit2-5.1-dev lua-socket
      python3 python3-dev python3-venv
      libnginx-mod-http-lua lua-cjson
      redis-server)  # the OpenResty Redis token store's tests
missing=()
for d in "${debs[@]}"; do
	dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d")
done
# Node.js runs the official Node SDK against the emulator (tests/compat);
# a machine that already has node and npm keeps them
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# nginx runs the OpenResty driver's tests (tests/openresty)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing Debian packages: ${missing[*]}"
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
		"${missing[@]}" >/dev/null
fi

echo "== building the C library, emulator and C tests (build/)"
if [ ! -f build/CMakeCache.txt ]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build -j"$(nproc)" >/dev/null

echo "== building the Python module (.venv/)"
if [ ! -x .venv/bin/python ]; then
	python3 -m venv .venv
fi
stamp=.venv/.smartcar-build-stamp
hash=$(cat setup.py pyproject.toml csrc/lib/*.c csrc/lib/*.h csrc/lib/*.def \
	csrc/include/*.h csrc/include/smartcar/*.h \
	csrc/include/smartcar/*.def csrc/include/smartcar/sys/*.h \
	python/smartcar_native/*.py python/smartcar_native/*.[ch] \
	python/smartcar_native/*.pyi 2>/dev/null | sha256sum | cut -c1-32)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
	.venv/bin/pip install -q --upgrade pip >/dev/null
	.venv/bin/pip install -q pytest "setuptools>=77" wheel
	.venv/bin/pip install -q --no-build-isolation . 
	echo "$hash" > "$stamp"
fi
# hypothesis drives the property tests (tests/python/test_properties.py)
.venv/bin/python -c 'import hypothesis' 2>/dev/null ||
	.venv/bin/pip install -q 'hypothesis>=6.80,<7'
# Flask serves the example apps (examples/webapp, scripts/demo.sh --web)
.venv/bin/python -c 'import flask' 2>/dev/null ||
	.venv/bin/pip install -q 'flask>=2.3,<4'

# The Lua module is built by tests/lua/run.sh (into build/luarocks/), the
# only place that needs it.
