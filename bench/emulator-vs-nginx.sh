#!/bin/sh
# How fast is smartcar-emulator next to nginx serving the same bytes?
#
# Starts the emulator, gets a real access token through the control API and
# the token endpoint, saves the odometer reply, has nginx serve that reply
# as canned JSON on another loopback port, then runs wrk against both for
# a bounded time with 1 and with 16 keep-alive connections and prints the
# throughput ratio emulator/nginx for each. It measures; it does not
# assert (exit status 0 unless something could not be started).
#
#   bench/emulator-vs-nginx.sh            (after cmake --build build)
#
# Environment: SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator),
# BENCH_SECONDS (per run, default 5). wrk, nginx and curl are installed
# with apt-get when missing and when running as root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
emu_bin=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}
secs=${BENCH_SECONDS:-5}
client_id=8229df9f-91a0-4ff0-a1ae-a1f38ee24d07
client_secret=emulator-client-secret
redirect=http://localhost:8000/callback

need() {
  missing=
  for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
      missing="$missing $tool"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing" >&2
    pkgs=$(echo "$missing" | sed 's/nginx/nginx-light/')
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "$0: missing:$missing (install them, e.g. apt-get install wrk nginx-light curl)" >&2
    exit 1
  fi
}
need
nginx_bin=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$emu_bin" ] || { echo "$0: no emulator at $emu_bin (build it first)" >&2; exit 1; }

work=$(mktemp -d)
emu_pid=
nginx_pid=
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# ---------------------------------------------------------------- emulator
"$emu_bin" --port 0 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
for _ in $(seq 1 50); do
  [ -s "$work/emu.out" ] && break
  sleep 0.1
done
base=$(head -n 1 "$work/emu.out")
[ -n "$base" ] || { echo "$0: the emulator did not start" >&2; cat "$work/emu.err" >&2; exit 1; }

json_field() { # json_field NAME < json  (flat string fields only)
  sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"
}
authorize="$base/oauth/authorize?response_type=code&client_id=$client_id&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback&scope=read_odometer&mode=test"
location=$(curl -sf -X POST "$base/_emulator/connect" \
  -d "{\"authorize_url\":\"$authorize\",\"action\":\"approve\",\"email\":\"bench@example.com\"}" |
  json_field location)
code=$(echo "$location" | sed -n 's/.*[?&]code=\([0-9a-f]*\).*/\1/p')
token=$(curl -sf -u "$client_id:$client_secret" "$base/oauth/token" \
  --data-urlencode grant_type=authorization_code --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$redirect" | json_field access_token)
vehicle=$(curl -sf -H "Authorization: Bearer $token" "$base/v2.0/vehicles" |
  sed -n 's/.*"vehicles":\["\([^"]*\)".*/\1/p')
path=/v2.0/vehicles/$vehicle/odometer
body=$(curl -sf -H "Authorization: Bearer $token" "$base$path")
[ -n "$body" ] || { echo "$0: could not read the odometer through the emulator" >&2; exit 1; }

# ------------------------------------------------------------------- nginx
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location = $path {
      default_type application/json;
      return 200 '$body';
    }
  }
}
CONF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
nginx_pid=$!
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$nginx_port$path" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$nginx_port$path" >/dev/null ||
  { echo "$0: nginx did not start" >&2; cat "$work/nginx/stderr" "$work/nginx/error.log" >&2 2>/dev/null; exit 1; }

# --------------------------------------------------------------------- wrk
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["sc-unit-system"] = "metric"
LUA

# CPU time (clock ticks) used so far by the given processes and their
# threads: a steadier measure than req/s on a busy machine.
ticks() {
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'
  done | awk '{s += $1} END {print s + 0}'
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run URL CONNECTIONS PIDS... -> "req/s cpu-us-per-request"
run() {
  url=$1 conns=$2
  shift 2
  threads=$conns
  [ "$threads" -gt 2 ] && threads=2
  t0=$(ticks "$@")
  wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$work/auth.lua" "$url" >"$work/wrk.txt" 2>&1 || true
  t1=$(ticks "$@")
  if grep -q 'Non-2xx' "$work/wrk.txt"; then
    echo "warning: $(grep 'Non-2xx' "$work/wrk.txt") for $url" >&2
  fi
  awk -v t="$((t1 - t0))" -v hz="$hz" '
    /^Requests\/sec:/ {rps = $2}
    / requests in / {n = $1}
    END {printf "%s %.1f\n", rps + 0, (n > 0 ? t * 1e6 / hz / n : 0)}' "$work/wrk.txt"
}

nginx_pids="$nginx_pid $(ps -o pid= --ppid "$nginx_pid" 2>/dev/null | tr '\n' ' ')"
echo "odometer endpoint, ${secs}s per run, $(nproc 2>/dev/null || echo '?') cores (wrk shares them)"
echo "emulator: $base$path"
echo "nginx:    http://127.0.0.1:$nginx_port$path (canned reply, $(echo "$nginx_pids" | wc -w) processes)"
for conns in 1 16; do
  set -- $(run "$base$path" "$conns" "$emu_pid")
  e=$1 ecpu=$2
  # shellcheck disable=SC2086
  set -- $(run "http://127.0.0.1:$nginx_port$path" "$conns" $nginx_pids)
  n=$1 ncpu=$2
  awk -v c="$conns" -v e="$e" -v n="$n" -v ec="$ecpu" -v nc="$ncpu" 'BEGIN {
    printf "%2d connection%s: emulator %8.0f req/s (%5.1f us cpu/req)   nginx %8.0f req/s (%5.1f us cpu/req)   ratio %.2f\n",
           c, (c == 1 ? " " : "s"), e, ec, n, nc, (n > 0 ? e / n : 0) }'
done
exit 0
