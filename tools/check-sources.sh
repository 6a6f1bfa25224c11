#!/usr/bin/env bash
# CMakeLists.txt, setup.py and the rockspec each compile csrc/lib; their
# source lists must be the same, and must name every csrc/lib/*.c file.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake_list=$(sed -n '/set(SC_LIB_SOURCES/,/)/p' CMakeLists.txt |
	grep -oE 'csrc/lib/[a-z_0-9]+\.c' | sort)
setup_list=$(grep -oE 'csrc/lib/[a-z_0-9]+\.c' setup.py | sort -u)
rock_list=$(grep -oE 'csrc/lib/[a-z_0-9]+\.c' rockspec/smartcar-scm-1.rockspec |
	sort -u)
files=$(ls csrc/lib/*.c | sort)

ok=1
for name in setup_list rock_list files; do
	if [ "$cmake_list" != "${!name}" ]; then
		echo "source lists differ: CMakeLists.txt vs $name"
		diff <(echo "$cmake_list") <(echo "${!name}") || true
		ok=0
	fi
done
[ $ok -eq 1 ] && echo "source lists agree ($(echo "$cmake_list" | wc -l) files)"
[ $ok -eq 1 ]
