#!/usr/bin/env bash
# The PostgreSQL suite: a private PostgreSQL cluster on a free loopback
# port in a temporary directory (initdb + pg_ctl, as an unprivileged user
# when we are root), the tests in tests/pg/ against it and the emulator,
# then the cluster is stopped and removed.  Installs Debian's postgresql
# when initdb is missing, and Dask (for examples/fleet_dask.py) into
# .venv.  Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
py=${PYTHON:-$root/.venv/bin/python}

pg_bindir() {
	local d
	for d in "$(pg_config --bindir 2>/dev/null || true)" \
		/usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
}

bindir=$(pg_bindir)
if [ -z "$bindir" ]; then
	echo "== installing postgresql (Debian)"
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq \
		postgresql >/dev/null
	bindir=$(pg_bindir)
fi
[ -n "$bindir" ] || { echo "run.sh: no initdb/pg_ctl found" >&2; exit 1; }

# dask[distributed] and a PostgreSQL driver for the fleet example
if ! "$py" -c 'import dask.distributed, pandas, psycopg' 2>/dev/null; then
	echo "== installing dask[distributed], pandas, psycopg into .venv"
	"$py" -m pip install -q "dask[distributed,dataframe]" pandas psycopg \
		>/dev/null
fi

# initdb refuses to run as root: the cluster belongs to nobody then
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
	as_owner=(runuser -u nobody --)
fi
dir=$(mktemp -d /tmp/sc-pg.XXXXXX)
chmod 755 "$dir"
[ ${#as_owner[@]} -gt 0 ] && chown nobody "$dir"
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
	"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop \
		>/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
trap "exit 1" INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U smartcar \
	--auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
	{ cat "$dir/initdb.log" >&2; exit 1; }
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" \
	start >/dev/null ||
	{ cat "$dir/server.log" >&2; exit 1; }

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=smartcar PGDATABASE=postgres
set +e
status=0
"$py" -m pytest -q -p no:cacheprovider tests/pg "$@" 2>&1 |
	tee "$dir/pytest.log" || status=1
bash tests/lua/run.sh tests/pg/store_spec.lua 2>&1 | tee "$dir/lua.log" ||
	status=1

# one closing line for scripts/test.sh: pytest's and busted's counts
summary=$(tail -1 "$dir/pytest.log")
p=$(echo "$summary" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
f=$(echo "$summary" | grep -oE '[0-9]+ (failed|errors?)' |
	awk '{s+=$1} END {print s+0}')
# (tests/lua/run.sh's closing line sums Lua 5.4 and LuaJIT)
read -r lp _ lf _ <<<"$(grep -E '^[0-9]+ passed, [0-9]+ failed$' \
	"$dir/lua.log" | tail -1)"
p=$((p + ${lp:-0}))
f=$((f + ${lf:-1}))
[ $status -ne 0 ] && [ "$f" -eq 0 ] && f=1
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ $status -eq 0 ]
