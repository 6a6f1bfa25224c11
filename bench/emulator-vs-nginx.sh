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
# With 2 or more CPUs the servers run on CPU 0 and wrk on CPU 1 (taskset),
# so that a run does not depend on whether the scheduler puts client and
# server on the same core; nginx has one worker, the emulator the threads
# it picks for one CPU. A run alternates emulator and nginx in slices of
# one second (BENCH_SECONDS slices each), so that whatever else the
# machine runs weighs on both alike; its ratios are those of the sums.
# BENCH_RUNS runs (default 3) give the median CPU-per-request ratio
# emulator/nginx (the server's own CPU: the steady measure on a shared
# machine, which bench/perf.py reads) and the median throughput ratio
# emulator/nginx, each with its spread ((max - min) / median).
#
#   bench/emulator-vs-nginx.sh            (after cmake --build build)
#
# Environment: SMARTCAR_EMULATOR_BIN (default build/smartcar-emulator),
# BENCH_SECONDS (seconds per server per run, default 5), BENCH_RUNS
# (default 3), BENCH_SERVER_CPU / BENCH_CLIENT_CPU (default 0 / 1). wrk,
# nginx and curl are installed with apt-get when missing and when running
# as root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
emu_bin=${SMARTCAR_EMULATOR_BIN:-$root/build/smartcar-emulator}
secs=${BENCH_SECONDS:-5}
runs=${BENCH_RUNS:-3}
server_on=
client_on=
if [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  server_on="taskset -c ${BENCH_SERVER_CPU:-0}"
  client_on="taskset -c ${BENCH_CLIENT_CPU:-1}"
fi
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
# shellcheck disable=SC2086
$server_on "$emu_bin" --port 0 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
base=$(sh "$root/scripts/emulator-url.sh" "$work/emu.out") || { echo "$0: the emulator did not start" >&2; cat "$work/emu.err" >&2; exit 1; }

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
worker_processes 1;
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
# shellcheck disable=SC2086
$server_on "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
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

# slice URL CONNECTIONS PIDS... -> "requests cpu-ticks" of one second of
# wrk against URL (the ticks of the given server processes)
slice() {
  url=$1 conns=$2
  shift 2
  threads=$conns
  [ "$threads" -gt 2 ] && threads=2
  [ -n "$client_on" ] && threads=1 # one CPU for the client
  t0=$(ticks "$@")
  # shellcheck disable=SC2086
  $client_on wrk -t"$threads" -c"$conns" -d1s -s "$work/auth.lua" "$url" >"$work/wrk.txt" 2>&1 || true
  t1=$(ticks "$@")
  if grep -q 'Non-2xx' "$work/wrk.txt"; then
    echo "warning: $(grep 'Non-2xx' "$work/wrk.txt") for $url" >&2
  fi
  awk -v t="$((t1 - t0))" '/ requests in / {n = $1} END {print n + 0, t}' "$work/wrk.txt"
}

# run CONNECTIONS -> "emulator-req/s emulator-us/req nginx-req/s nginx-us/req
# ratio" over $secs alternating slices of each; ratio: the median of the
# slice pairs' throughput ratios (a second when a neighbour took the
# server's CPU counts once, not in the sum)
run() {
  conns=$1
  : >"$work/slices"
  k=0
  while [ "$k" -lt "$secs" ]; do
    k=$((k + 1))
    echo "e $(slice "$base$path" "$conns" "$emu_pid")" >>"$work/slices"
    # shellcheck disable=SC2086
    echo "n $(slice "http://127.0.0.1:$nginx_port$path" "$conns" $nginx_pids)" >>"$work/slices"
  done
  awk -v hz="$hz" -v s="$secs" '
    { n[$1] += $2; t[$1] += $3 }
    $1 == "e" { last = $2 }
    $1 == "n" { r[++k] = ($2 > 0 ? last / $2 : 0) }
    END {
      for (i = 2; i <= k; i++) # insertion sort: a handful of slices
        for (j = i; j > 1 && r[j - 1] > r[j]; j--) {
          x = r[j]; r[j] = r[j - 1]; r[j - 1] = x }
      m = (k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2)
      printf "%.0f %.1f %.0f %.1f %.4f\n", n["e"] / s,
             (n["e"] > 0 ? t["e"] * 1e6 / hz / n["e"] : 0), n["n"] / s,
             (n["n"] > 0 ? t["n"] * 1e6 / hz / n["n"] : 0), m }' "$work/slices"
}

nginx_pids="$nginx_pid $(ps -o pid= --ppid "$nginx_pid" 2>/dev/null | tr '\n' ' ')"
if [ -n "$server_on" ]; then
  pinned="servers on CPU ${BENCH_SERVER_CPU:-0}, wrk on CPU ${BENCH_CLIENT_CPU:-1}"
else
  pinned="not pinned (wrk shares the cores)"
fi
echo "odometer endpoint, ${secs} 1-second slices per server per run, $runs runs, $(nproc 2>/dev/null || echo '?') cores, $pinned"
echo "emulator: $base$path"
echo "nginx:    http://127.0.0.1:$nginx_port$path (canned reply, 1 worker)"
for conns in 1 16; do
  : >"$work/ratios"
  i=0
  while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    set -- $(run "$conns")
    e=$1 ecpu=$2 n=$3 ncpu=$4 r=$5
    awk -v c="$conns" -v e="$e" -v n="$n" -v ec="$ecpu" -v nc="$ncpu" -v r="$r" 'BEGIN {
      printf "  run, %2d connection%s: emulator %8.0f req/s (%5.1f us cpu/req)   nginx %8.0f req/s (%5.1f us cpu/req)   ratio %.2f\n",
             c, (c == 1 ? " " : "s"), e, ec, n, nc, r
      print r, (nc > 0 ? ec / nc : 0) > "/dev/stderr" }' 2>>"$work/ratios"
  done
  # median and spread of a column of $work/ratios
  med() {
    cut -d' ' -f"$1" "$work/ratios" | sort -n | awk '{ r[NR] = $1 } END {
      m = (NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2)
      printf "%.2f %.0f\n", m, (m > 0 ? (r[NR] - r[1]) / m * 100 : 0) }'
  }
  set -- $(med 1) $(med 2)
  awk -v c="$conns" -v m="$1" -v s="$2" -v cm="$3" -v cs="$4" -v k="$runs" 'BEGIN {
    printf "%2d connection%s: median of %d runs, throughput emulator/nginx %.2f (spread %d%%); CPU per request emulator/nginx %.2f (spread %d%%)\n",
           c, (c == 1 ? " " : "s"), k, m, s, cm, cs }'
done
exit 0
