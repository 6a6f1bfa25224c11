#!/usr/bin/env bash
# Run the smartcar.resty (OpenResty driver) tests: start an emulator and an
# nginx with lua-nginx-module, curl one location per case, and end with one
# line "N passed, N failed" (non-zero exit on any failure).
#
# Installs nginx + libnginx-mod-http-lua + lua-cjson (and redis-server, for
# the Redis token store's cases) with apt-get when they are missing and we
# are root.  Environment: SMARTCAR_EMULATOR_URL (use a
# running emulator), SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator),
# SMARTCAR_LIB (default build/libsmartcar.so), NGINX (default nginx).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# Two passes: smartcar.resty with its built-in HTTP/1.1 client, then with
# lua-resty-http, which it uses where `require "resty.http"` works.
# Debian 12 has no lua-resty-http package, so the second pass puts our
# test double of its documented API on lua_package_path
# (tests/openresty/lua-resty-http/).  SMARTCAR_RESTY_HTTP=builtin or
# lua-resty-http runs one pass.  The last line sums both.
if [ -z "${SMARTCAR_RESTY_HTTP:-}" ]; then
	total_pass=0 total_fail=0 rc=0
	for driver in builtin lua-resty-http; do
		echo "== smartcar.resty, HTTP through $driver"
		log=$(mktemp)
		SMARTCAR_RESTY_HTTP=$driver bash "$0" "$@" | tee "$log"
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
		rm -f "$log"
		read -r p _ f _ <<<"${line:-0 passed, 1 failed}"
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
	done
	echo "$total_pass passed, $total_fail failed"
	exit $rc
fi
NGINX=${NGINX:-nginx}
moddir=/usr/lib/nginx/modules
prefix=$root/build/openresty
tests_path="$root/tests/openresty/?.lua;$root/tests/lua/?.lua"
lua_path="$root/lua/?.lua;$tests_path"
resty_file=$root/lua/smartcar/resty.lua
[ "$SMARTCAR_RESTY_HTTP" = lua-resty-http ] &&
	prefix=$root/build/openresty-lua-resty-http

have_deps() {
	command -v "$NGINX" >/dev/null 2>&1 &&
		[ -f "$moddir/ngx_http_lua_module.so" ] &&
		[ -f /usr/share/lua/5.1/resty/core.lua ] &&
		{ [ -f /usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so ] ||
		  ls /usr/lib/*/lua/5.1/cjson.so >/dev/null 2>&1; }
}
if ! have_deps || ! command -v redis-server >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		pkgs="libnginx-mod-http-lua lua-cjson redis-server"
		command -v "$NGINX" >/dev/null 2>&1 || pkgs="nginx-light $pkgs"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs \
			>/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				$pkgs >/dev/null; }
	fi
	if ! have_deps; then
		echo "run.sh: need nginx, libnginx-mod-http-lua and lua-cjson" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
fi

lib=${SMARTCAR_LIB:-$root/build/libsmartcar.so}
if [ ! -f "$lib" ] || { [ -z "${SMARTCAR_EMULATOR_URL:-}" ] &&
	[ ! -x "${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}" ]; }; then
	{ cmake -S . -B build >/dev/null &&
	  cmake --build build -j2 >/dev/null; } ||
		{ echo "run.sh: build failed" >&2; echo "0 passed, 1 failed"; exit 1; }
fi

rm -rf "$prefix"
mkdir -p "$prefix/logs" "$prefix/tmp"
if [ "$SMARTCAR_RESTY_HTTP" = lua-resty-http ]; then
	# This pass also loads smartcar.resty and libsmartcar.so from where
	# `cmake --install` puts them (docs/openresty.md, "Installing").
	{ cmake --build build -j2 >/dev/null 2>&1 &&
	  cmake --install build --prefix "$prefix/install" >/dev/null 2>&1; } ||
		{ echo "run.sh: cmake --install failed" >&2; echo "0 passed, 1 failed"; exit 1; }
	lib=$(find "$prefix/install" -name libsmartcar.so | head -1)
	lua_path="$prefix/install/share/lua/5.1/?.lua;$tests_path"
	resty_file=$prefix/install/share/lua/5.1/smartcar/resty.lua
	lua_path="$lua_path;$root/tests/openresty/lua-resty-http/?.lua"
	if [ ! -f "$prefix/install/share/lua/5.1/smartcar/resty.lua" ] || [ -z "$lib" ]; then
		echo "run.sh: cmake --install did not install resty.lua and the library" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
emu_pids=
cleanup() {
	if [ -f "$prefix/nginx.pid" ]; then
		"$NGINX" -p "$prefix" -c nginx.conf -s stop 2>/dev/null ||
			kill "$(cat "$prefix/nginx.pid")" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -f "$prefix/nginx.pid" ] || break
			sleep 0.2
		done
	fi
	for p in $emu_pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	type stop_redis >/dev/null 2>&1 && stop_redis
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_emulator NAME ARGS...: start one; its base URL goes to $emu_started.
start_emulator() {
	local name=$1 out=$prefix/logs/$1.out
	shift
	"${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}" --port 0 "$@" \
		>"$out" 2>"$prefix/logs/$name.log" &
	emu_pids="$emu_pids $!"
	emu_started=$(sh "$root/scripts/emulator-url.sh" "$out") && return 0
	echo "run.sh: the $name emulator did not start" >&2
	echo "0 passed, 1 failed"
	exit 1
}

emu_url=${SMARTCAR_EMULATOR_URL:-}
if [ -z "$emu_url" ]; then
	start_emulator emulator
	emu_url=$emu_started
fi
# A second emulator over HTTPS, with a throwaway CA that nginx trusts.
tls_url=
untrusted_url=
ca=/etc/ssl/certs/ca-certificates.crt
if command -v openssl >/dev/null 2>&1 &&
	sh tests/tls/make-cert.sh "$prefix/tls" >/dev/null 2>&1; then
	start_emulator emulator-tls --tls-cert "$prefix/tls/server.crt" \
		--tls-key "$prefix/tls/server.key"
	tls_url=$emu_started
	ca=$prefix/tls/ca.crt
	# And one whose certificate comes from a CA nginx does not trust.
	sh tests/tls/make-cert.sh "$prefix/tls-other" >/dev/null 2>&1 &&
		start_emulator emulator-untrusted \
			--tls-cert "$prefix/tls-other/server.crt" \
			--tls-key "$prefix/tls-other/server.key" &&
		untrusted_url=$emu_started
fi
emu_hostport=${emu_url#*://}
emu_hostport=${emu_hostport%%/*}

# A private redis-server for the Redis token store: a free port on
# 127.0.0.1 (Redis cannot take port 0), no persistence but the explicit
# save of a restart, and an ACL user with a password.
redis_dir=$prefix/redis
redis_pass=pw-$$-$RANDOM
mkdir -p "$redis_dir"
printf 'user default on nopass ~* &* +@all\nuser smartcar on >%s ~* &* +@all\n' \
	"$redis_pass" >"$redis_dir/redis.conf"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis_pid=
start_redis() {
	redis-server "$redis_dir/redis.conf" --bind 127.0.0.1 \
		--port "$redis_port" --save '' --appendonly no \
		--dir "$redis_dir" >>"$prefix/logs/redis.log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 50); do
		[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] &&
			return 0
		sleep 0.1
	done
	return 1
}
stop_redis() { # $1: save (keep the data for the next start) or nosave
	[ -n "$redis_pid" ] || return 0
	redis-cli -p "$redis_port" shutdown "${1:-nosave}" >/dev/null 2>&1 ||
		kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}
if ! start_redis; then
	echo "run.sh: redis-server did not start" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# SMARTCAR_CASES_DIR points the shared-cases runner at another folder.
cases_dir=${SMARTCAR_CASES_DIR:-$root/tests/cases}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cjson_dir=$(dirname "$(ls /usr/lib/*/lua/5.1/cjson.so | head -1)")

cat >"$prefix/nginx.conf" <<EOF
load_module $moddir/ndk_http_module.so;
load_module $moddir/ngx_http_lua_module.so;
worker_processes 4;
daemon on;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
env SMARTCAR_LIB=$lib;
env SMARTCAR_TEST_EMULATOR=$emu_url;
env SMARTCAR_TEST_EMULATOR_TLS=$tls_url;
env SMARTCAR_TEST_EMULATOR_UNTRUSTED=$untrusted_url;
env SMARTCAR_TEST_CASES_DIR=$cases_dir;
env SMARTCAR_TEST_HTTP_DRIVER=$SMARTCAR_RESTY_HTTP;
env SMARTCAR_TEST_RESTY_FILE=$resty_file;
env SMARTCAR_TEST_REDIS=127.0.0.1:$redis_port;
env SMARTCAR_TEST_REDIS_PASSWORD=$redis_pass;
events { worker_connections 256; }
http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    lua_package_path "$lua_path;/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua;;";
    lua_package_cpath "$cjson_dir/?.so;;";
    lua_socket_log_errors off;
    lua_ssl_trusted_certificate $ca;
    lua_ssl_verify_depth 3;
    lua_shared_dict sc_tokens 1m;
    lua_shared_dict sc_cases 4m;
    init_worker_by_lua_block {
        require("smartcar.resty").init()
        require("cases")
        require("redis_cases").init_worker()
    }
    server {
        listen 127.0.0.1:$port reuseport;
        location = /list { content_by_lua_block { require("cases").list() } }
        location = /c/login { content_by_lua_block { require("cases").c_login() } }
        location = /c/callback { content_by_lua_block { require("cases").c_callback() } }
        location = /hook { content_by_lua_block { require("cases").hook() } }
        location = /race_setup { content_by_lua_block { require("cases").race_setup() } }
        location = /race { content_by_lua_block { require("cases").race(tonumber(ngx.var.arg_n)) } }
        location = /race_check { content_by_lua_block { require("cases").race_check() } }
        location ~ ^/redis/(race_setup|race_status|check|restart_run|restart_mark)$ {
            content_by_lua_block {
                require("cases")
                local r = require("redis_cases")
                local a = ngx.var.arg_a
                r[ngx.var[1]](tonumber(a) or a, ngx.var.arg_b)
            }
        }
        location ~ ^/t/(\w+)$ {
            content_by_lua_block { require("cases").run(ngx.var[1]) }
        }
        # the shared tests/cases, each against fake origins in /fake/
        location ~ ^/case/([\w.-]+)$ {
            content_by_lua_block { require("shared_cases").run(ngx.var[1]) }
        }
        location /fake/ {
            default_type "";
            client_body_buffer_size 1m;
            content_by_lua_block { require("shared_cases").serve() }
        }
        location = /v2.0/vehicles/chunky/odometer {
            content_by_lua_block { require("cases").chunky() }
        }
        location ~ ^/v2.0/vehicles/hostile-(\w+)/odometer$ {
            content_by_lua_block { require("cases").hostile(ngx.var[1]) }
        }
        location /emu/ {
            internal;
            proxy_pass http://$emu_hostport/;
            proxy_set_header Content-Type application/json;
        }
        location /emutls/ {
            internal;
            proxy_pass ${tls_url:-http://127.0.0.1:9}/;
            proxy_ssl_verify off;
            proxy_set_header Content-Type application/json;
        }
    }
}
EOF

if ! "$NGINX" -p "$prefix" -c nginx.conf -e "$prefix/logs/error.log" 2>"$prefix/logs/start.log"; then
	cat "$prefix/logs/start.log" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
base=http://127.0.0.1:$port
for _ in $(seq 50); do
	curl -sf "$base/list" >/dev/null 2>&1 && break
	sleep 0.1
done

pass=0
fail=0
names=$(curl -sf "$base/list") || names=
[ -z "$names" ] && { echo "run.sh: cannot list the cases" >&2; fail=1; }
for name in $names; do
	out=$(curl -s --max-time 120 "$base/t/$name")
	if [ "$(printf '%s\n' "$out" | head -1)" = "ok $name" ]; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		case $out in
		"FAIL $name"*) printf '%s\n' "$out" ;;
		*) echo "FAIL $name: ${out:-no answer}" ;;
		esac
		fail=$((fail + 1))
	fi
done
# The shared declarative cases (tests/cases/*.json).
skipped=0
for file in "$cases_dir"/*.json; do
	[ -f "$file" ] || continue
	name=$(basename "$file" .json)
	out=$(curl -s --max-time 60 "$base/case/$name")
	case $out in
	"ok $name") echo "ok case:$name"; pass=$((pass + 1)) ;;
	"skip $name: "*) echo "skip case:${out#skip }"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL case:$name: ${out#"FAIL $name: "}"; fail=$((fail + 1)) ;;
	esac
done
[ "$skipped" -gt 0 ] && echo "$skipped shared cases skipped (their \"skip\" says why)"
# The refresh race: 8 requests x 50 forced refreshes of one key in the
# shared-dict store, all at once, spread over the 4 workers (reuseport);
# no refresh fails and the stored set is the newest (it still refreshes
# past the grace window).
race_ok=0
if [ "$(curl -s --max-time 60 "$base/race_setup")" = ok ]; then
	race_pids=
	for i in 1 2 3 4 5 6 7 8; do
		curl -s --max-time 300 "$base/race?n=50" >"$prefix/race.$i" &
		race_pids="$race_pids $!"
	done
	wait $race_pids
	cat "$prefix"/race.* >"$prefix/race.all"
	pids=$(awk '$1 == "ok" && $3 == 50 { print $2 }' "$prefix/race.all" | sort -u | wc -l)
	oks=$(grep -c '^ok ' "$prefix/race.all")
	if [ "$oks" -eq 8 ] && [ "$pids" -ge 2 ] &&
		[ "$(curl -s --max-time 60 "$base/race_check")" = ok ]; then
		race_ok=1
	fi
fi
if [ "$race_ok" = 1 ]; then
	echo "ok shared_dict_race ($pids workers)"
	pass=$((pass + 1))
else
	echo "FAIL shared_dict_race:" $(cat "$prefix/race.all" 2>/dev/null) \
		"check: $(curl -s "$base/race_check" 2>/dev/null)"
	fail=$((fail + 1))
fi
# The same race over the Redis store: each of the 4 workers makes 100
# forced refreshes of one key at once (their timers wait for the go);
# none fails, and the key's refresh token in Redis is the newest.
n=100
redis_race=FAIL
if [ "$(curl -s --max-time 60 "$base/redis/race_setup?a=$n")" = ok ]; then
	for _ in $(seq 600); do
		[ "$(curl -s "$base/redis/race_status" | wc -l)" -ge 4 ] && break
		sleep 0.5
	done
	status=$(curl -s "$base/redis/race_status")
	if [ "$(printf '%s\n' "$status" | grep -c "^ok $n ")" -eq 4 ] &&
		[ "$(curl -s --max-time 60 "$base/redis/check?a=racer&b=race:")" = ok ]; then
		redis_race=ok
	fi
fi
if [ "$redis_race" = ok ]; then
	echo "ok redis_race (4 workers x $n refreshes)"
	pass=$((pass + 1))
else
	echo "FAIL redis_race:" $status "check: $(curl -s "$base/redis/check?a=racer&b=race:")"
	fail=$((fail + 1))
fi
# Redis restarts (saving its data) while one request refreshes a key
# again and again: the refreshes meanwhile fail with a storage error, the
# ones after work again (pooled connections are replaced), and the key's
# refresh token is still the newest.
curl -sN --max-time 120 "$base/redis/restart_run?a=4" >"$prefix/restart.out" &
restart_curl=$!
for _ in $(seq 100); do
	grep -q ready "$prefix/restart.out" 2>/dev/null && break
	sleep 0.1
done
sleep 1
stop_redis save
sleep 0.7
start_redis && curl -s "$base/redis/restart_mark" >/dev/null
wait $restart_curl
restart=$(tail -1 "$prefix/restart.out")
case $restart in
ok*) if [ "$(curl -s --max-time 60 "$base/redis/check?a=k&b=restart:")" = ok ]; then
	echo "ok redis_restart ($restart)"
	pass=$((pass + 1))
     else
	echo "FAIL redis_restart: check: $(curl -s "$base/redis/check?a=k&b=restart:")"
	fail=$((fail + 1))
     fi ;;
*) echo "FAIL redis_restart: $restart"; fail=$((fail + 1)) ;;
esac
if grep -E '\[(alert|crit|emerg)\]|lua entry thread aborted' \
	"$prefix/logs/error.log" >&2; then
	echo "run.sh: errors in $prefix/logs/error.log" >&2
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
