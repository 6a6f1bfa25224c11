#!/bin/sh
# The release rock, end to end and offline: tag the work tree's tracked
# files (in a throw-away clone) as vSC_VERSION, run scripts/make-rock.sh
# (git archive + rockspec + luarocks pack), install the packed .src.rock
# into empty trees for Lua 5.4 and for LuaJIT with no rock server, and load
# the module from each.  Also: make-rock.sh refuses a tag whose version
# is not the library's, and a missing tag.  Ends with "N passed, N failed".
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { # description command...
	desc=$1
	shift
	if "$@" >"$tmp/out.log" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/    /' "$tmp/out.log" | tail -20
	fi
}

version=$(sed -n 's/^#define SC_VERSION "\(.*\)"$/\1/p' \
	"$root/csrc/include/smartcar/common.h")
name=smartcar-$version

# The work tree as a commit (uncommitted changes to tracked files
# included), tagged in a clone that shares this repository's objects.
commit=$(cd "$root" && git -c user.name=rock-test -c user.email=rock@test \
	stash create)
[ -n "$commit" ] || commit=$(git -C "$root" rev-parse HEAD)
git clone -q --shared --no-checkout "$root" "$tmp/repo"
git -C "$tmp/repo" tag "v$version" "$commit"
git -C "$tmp/repo" tag "v9.9.9" "$commit"

check "make-rock.sh packs v$version" \
	sh -c 'cd "$1/repo" && sh "$2/scripts/make-rock.sh" "v$3" "$1/out"' \
	sh "$tmp" "$root" "$version"
for f in "$name.tar.gz" "$name-1.rockspec" "$name-1.src.rock"; do
	check "it wrote $f" test -s "$tmp/out/$f"
done
check "the rockspec's source is the tarball, with its MD5" sh -c '
	grep -q "^   url = \"file://$1/out/$2.tar.gz\",\$" "$1/out/$2-1.rockspec" &&
	grep -q "^   md5 = \"$(md5sum "$1/out/$2.tar.gz" | cut -d" " -f1)\",\$" \
		"$1/out/$2-1.rockspec" &&
	grep -q "^version = \"$3-1\"\$" "$1/out/$2-1.rockspec"' \
	sh "$tmp" "$name" "$version"
check "the tarball holds the tag's tree under $name/" sh -c '
	tar -tzf "$1/out/$2.tar.gz" | grep -qx "$2/lua/smartcar_core.c" &&
	tar -tzf "$1/out/$2.tar.gz" | grep -qx "$2/rockspec/smartcar-scm-1.rockspec"' \
	sh "$tmp" "$name"
check "make-rock.sh refuses a tag that is not the library's version" sh -c '
	cd "$1/repo" && ! sh "$2/scripts/make-rock.sh" v9.9.9 "$1/bad" 2>"$1/err" &&
	grep -q "SC_VERSION" "$1/err" && [ ! -e "$1/bad/smartcar-9.9.9-1.src.rock" ]' \
	sh "$tmp" "$root"
check "make-rock.sh refuses a missing tag" sh -c '
	cd "$1/repo" && ! sh "$2/scripts/make-rock.sh" v0.0.7 "$1/bad" 2>"$1/err" &&
	grep -q "no tag v0.0.7" "$1/err"' sh "$tmp" "$root"

# Install the packed rock offline (the only rock server is an empty
# directory) into an empty tree, then load it.
mkdir -p "$tmp/no-server"
install_and_load() { # interpreter luaver [VAR=VALUE...]
	lua=$1 luaver=$2
	shift 2
	tree=$tmp/tree-$luaver
	check "$lua: luarocks install $name-1.src.rock offline" \
		luarocks --lua-version="$luaver" --tree="$tree" \
		--only-server="$tmp/no-server" install \
		"$tmp/out/$name-1.src.rock" "$@"
	files=$(cd "$tree" && find . -type f ! -name manifest | LC_ALL=C sort |
		tr '\n' ' ')
	rocks=./lib/luarocks/rocks-$luaver/smartcar/$version-1
	want="$rocks/doc/CHANGELOG.md $rocks/doc/LICENSE $rocks/doc/README.md"
	want="$want $rocks/rock_manifest $rocks/$name-1.rockspec"
	want="$want ./lib/lua/$luaver/smartcar/core.so ./share/lua/$luaver/smartcar.lua "
	# sorted the same way as find's list
	want=$(echo "$want" | tr ' ' '\n' | grep . | LC_ALL=C sort | tr '\n' ' ')
	check "$lua: the tree holds the two modules and their docs only" \
		test "$files" = "$want"
	[ "$files" = "$want" ] || echo "    installed: $files"
	check "$lua: require 'smartcar' from the tree works" \
		env LUA_PATH="$tree/share/lua/$luaver/?.lua" \
		LUA_CPATH="$tree/lib/lua/$luaver/?.so" ROCK_VERSION="$version" \
		"$lua" -e '
		local smartcar = require "smartcar"
		local core = require "smartcar.core"
		assert(core._VERSION == os.getenv("ROCK_VERSION"), core._VERSION)
		local r = assert(smartcar.parse_redirect(
		  "https://app.example/cb?code=abc&state=s1", "s1"))
		assert(r.code == "abc")
		local _, err = smartcar.parse_redirect(
		  "https://app.example/cb?code=abc&state=s2", "s1")
		assert(smartcar.is_error(err))'
}
install_and_load lua5.4 5.4
install_and_load luajit 5.1 LUA_INCDIR="$(pkg-config --variable=includedir \
	luajit 2>/dev/null || echo /usr/include/luajit-2.1)" \
	LUA="$(command -v luajit)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
