#!/bin/sh
# Make the release rock of a tagged version of the Lua module:
#
#   scripts/make-rock.sh [--url URL] TAG [OUTDIR]
#
# TAG is vX.Y.Z (or X.Y.Z) and must name the version in SC_VERSION at that
# tag.  Writes to OUTDIR (default build/rock):
#   smartcar-X.Y.Z.tar.gz        git archive of the tag
#   smartcar-X.Y.Z-1.rockspec    the tag's rockspec with that tarball as
#                                its source (URL, default a file:// URL of
#                                the tarball: give the address you publish
#                                it at) and its MD5
#   smartcar-X.Y.Z-1.src.rock    luarocks pack of that rockspec: installs
#                                offline with `luarocks install FILE`
# Run from inside the repository (any clone holding the tag).
set -eu

url=""
if [ "${1:-}" = "--url" ]; then
	url=$2
	shift 2
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 [--url URL] TAG [OUTDIR]" >&2
	exit 2
fi
tag=$1
version=${tag#v}
case $version in
*[!0-9.]* | "" | .* | *. | *..*)
	echo "make-rock.sh: $tag: not a version tag (vX.Y.Z)" >&2
	exit 2
	;;
esac

repo=$(git rev-parse --show-toplevel)
out=${2:-$repo/build/rock}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! git -C "$repo" rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
	echo "make-rock.sh: no tag $tag in $repo" >&2
	exit 1
fi
# The rock's version is the library's
sc_version=$(git -C "$repo" show "$tag:csrc/include/smartcar/common.h" |
	sed -n 's/^#define SC_VERSION "\(.*\)"$/\1/p')
if [ "$sc_version" != "$version" ]; then
	echo "make-rock.sh: $tag holds SC_VERSION \"$sc_version\", not" \
	     "\"$version\"" >&2
	exit 1
fi

name=smartcar-$version
tarball=$out/$name.tar.gz
git -C "$repo" archive --format=tar.gz --prefix="$name/" -o "$tarball" "$tag"
[ -n "$url" ] || url="file://$tarball"
md5=$(md5sum "$tarball" | cut -d' ' -f1)

# The tag's scm rockspec, with the version and a source block for the
# tarball in place of the checkout's (and of the comment above it).
rockspec=$out/$name-1.rockspec
git -C "$repo" show "$tag:rockspec/smartcar-scm-1.rockspec" |
	awk -v ver="$version-1" -v url="$url" -v dir="$name" -v md5="$md5" '
	/^--/ && !skip { held = held $0 "\n"; next }
	!/^source = \{/ { printf "%s", held }
	{ held = "" }
	/^version = / { print "version = \"" ver "\""; next }
	/^source = \{/ {
		print "source = {"
		print "   url = \"" url "\","
		print "   md5 = \"" md5 "\","
		print "   dir = \"" dir "\","
		print "}"
		skip = 1
		next
	}
	skip && /^\}/ { skip = 0; next }
	!skip { print }' >"$rockspec"

(cd "$out" && rm -f "$name-1.src.rock" && luarocks pack "$rockspec" >/dev/null)
[ -f "$out/$name-1.src.rock" ] || {
	echo "make-rock.sh: luarocks pack wrote no $name-1.src.rock" >&2
	exit 1
}
echo "$out/$name-1.src.rock"
