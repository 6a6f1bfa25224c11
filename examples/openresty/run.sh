#!/usr/bin/env bash
# Serve "My Garage" (examples/openresty) with nginx + lua-nginx-module.
#
#   examples/openresty/run.sh [--port 8080]              # real Smartcar
#   examples/openresty/run.sh --emulator [--port 0]       # a private emulator
#   examples/openresty/run.sh --port N --emulator-url URL # a running one
#   ... --redis                  token sets in a private redis-server
#                                (APP_REDIS=host:port: in a running one)
#
# The first line on stdout is the app's URL.  Without an emulator the app
# talks to Smartcar with SMARTCAR_CLIENT_ID, SMARTCAR_CLIENT_SECRET and
# SMARTCAR_REDIRECT_URI (http://localhost:PORT/callback registered in the
# dashboard).  With --emulator it starts build/smartcar-emulator whose
# redirect URI is this app's /callback, and stops it on exit; an emulator
# given with --emulator-url must accept that redirect URI.  nginx runs in
# the foreground from a fresh prefix (APP_PREFIX, default a temporary
# folder) until SIGTERM or Ctrl-C.  Needs nginx, libnginx-mod-http-lua and
# lua-cjson (Debian packages), and build/libsmartcar.so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NGINX=${NGINX:-nginx}
moddir=/usr/lib/nginx/modules

port=8080 emulator= emulator_url= redis=
while [ $# -gt 0 ]; do
	case $1 in
	--port) port=$2; shift 2 ;;
	--emulator) emulator=$root/build/smartcar-emulator; [ "$port" = 8080 ] && port=0; shift ;;
	--emulator-url) emulator_url=$2; shift 2 ;;
	--redis) redis=1; shift ;;
	*) echo "usage: $0 [--port N] [--emulator | --emulator-url URL] [--redis]" >&2; exit 2 ;;
	esac
done
if ! command -v "$NGINX" >/dev/null || [ ! -f "$moddir/ngx_http_lua_module.so" ] ||
	! ls /usr/lib/*/lua/5.1/cjson.so >/dev/null 2>&1; then
	echo "run.sh: install nginx, libnginx-mod-http-lua and lua-cjson" >&2
	exit 1
fi
lib=${SMARTCAR_LIB:-$root/build/libsmartcar.so}
[ -f "$lib" ] || { echo "run.sh: build the library first (bash scripts/setup.sh)" >&2; exit 1; }
if [ "$port" = 0 ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
origin=http://localhost:$port

prefix=${APP_PREFIX:-}
[ -n "$prefix" ] || prefix=$(mktemp -d "${TMPDIR:-/tmp}/garage-nginx.XXXXXX")
mkdir -p "$prefix/logs" "$prefix/tmp"
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${APP_PREFIX:-}" ] || rm -rf "$prefix"
}
trap cleanup EXIT
trap 'exit 0' TERM INT

if [ -n "$emulator" ]; then
	"$emulator" --port 0 --redirect-uri "$origin/callback" \
		>"$prefix/logs/emulator.out" 2>"$prefix/logs/emulator.log" &
	pids="$pids $!"
	for _ in $(seq 100); do
		emulator_url=$(head -1 "$prefix/logs/emulator.out" 2>/dev/null || true)
		case $emulator_url in http*) break ;; esac
		sleep 0.1
	done
	case $emulator_url in http*) ;; *) echo "run.sh: the emulator did not start" >&2; exit 1 ;; esac
fi
if [ -n "$redis" ]; then
	# a private redis-server for the token sets (smartcar.redis_store)
	redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	redis-server --bind 127.0.0.1 --port "$redis_port" --save '' \
		--appendonly no --dir "$prefix" >"$prefix/logs/redis.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 50); do
		[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
		sleep 0.1
	done
	[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] ||
		{ echo "run.sh: redis-server did not start" >&2; exit 1; }
	export APP_REDIS=127.0.0.1:$redis_port
fi
if [ -n "$emulator_url" ]; then
	# the emulator's built-in application (docs/emulator.md)
	export SMARTCAR_CLIENT_ID=8229df9f-91a0-4ff0-a1ae-a1f38ee24d07
	export SMARTCAR_CLIENT_SECRET=emulator-client-secret
	export SMARTCAR_REDIRECT_URI=$origin/callback
	export SMARTCAR_MODE=${SMARTCAR_MODE:-test}
	export APP_EMULATOR_URL=${emulator_url%/}
fi
export SMARTCAR_LIB=$lib
# signs the Connect state cookie: the same on every worker (and box)
export APP_SECRET=${APP_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}

cjson_dir=$(dirname "$(ls /usr/lib/*/lua/5.1/cjson.so | head -1)")
resolver=$(awk '$1 == "nameserver" && $2 !~ /:/ { print $2; exit }' /etc/resolv.conf 2>/dev/null)
sed -e "s|@PORT@|$port|g" -e "s|@APP@|$here|g" -e "s|@LUA@|$root/lua|g" \
	-e "s|@MODULES@|$moddir|g" -e "s|@CJSON@|$cjson_dir|g" \
	-e "s|@RESOLVER@|${resolver:-1.1.1.1}|g" \
	"$here/nginx.conf" >"$prefix/nginx.conf"

"$NGINX" -p "$prefix" -c nginx.conf -g 'daemon off;' 2>>"$prefix/logs/error.log" &
nginx_pid=$!
pids="$pids $nginx_pid"
for _ in $(seq 100); do
	curl -s -o /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$port/" ||
	{ echo "run.sh: nginx did not start; see $prefix/logs/error.log" >&2; exit 1; }
echo "$origin/"
[ -n "$emulator" ] && echo "smartcar-emulator at $emulator_url; open $origin/ (Ctrl-C stops both)"
wait "$nginx_pid"
