#!/usr/bin/env bash
# Browser tests of the example apps (docs/architectures.md): the
# server-side web app, the single-page app, the mobile back end and the
# OpenResty app (examples/openresty), each clicked through in headless Chromium from Debian by playwright-core.
# Installs what is missing (the chromium package, playwright-core into
# tests/apps/node_modules, @smartcar/auth into examples/spa/node_modules,
# the build and .venv with Flask through scripts/setup.sh) and ends with
# one line "N passed, N failed".
#
#   tests/apps/run.sh [webapp|spa|mobile|demo|openresty|openresty-redis]...
#
# Screenshots go to build/app-screenshots/ (APP_TEST_SCREENSHOTS); the ones
# in docs/ come from there.  CHROMIUM picks the browser binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
	echo "apps: installing chromium (Debian package)" >&2
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
for dir in "$here" "$root/examples/spa"; do
	if [ ! -d "$dir/node_modules" ] ||
	   [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		echo "apps: npm ci in ${dir#"$root"/}" >&2
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
	fi
done
# nginx with lua-nginx-module serves examples/openresty (setup.sh installs it)
if [ ! -x "$root/build/smartcar-emulator" ] ||
   ! "$root/.venv/bin/python" -c 'import flask, smartcar_native' 2>/dev/null ||
   ! command -v nginx >/dev/null || [ ! -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] ||
   ! command -v redis-server >/dev/null; then
	bash "$root/scripts/setup.sh" >&2
fi

exec node "$here/run.js" "$@"
