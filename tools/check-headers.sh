#!/usr/bin/env bash
# The public headers compile on their own as strict C99 and as C++, with
# every warning an error (no varargs, no GNU extensions leaking out).
set -euo pipefail
cd "$(dirname "$0")/.."
src='#include <smartcar.h>
int main(void) { return sc_version() != 0 ? 0 : 1; }'
echo "$src" | gcc -std=c99 -Wall -Wextra -pedantic -Werror -fsyntax-only \
	-Icsrc/include -x c -
if command -v g++ >/dev/null 2>&1; then
	echo "$src" | g++ -std=c++11 -Wall -Wextra -pedantic -Werror \
		-fsyntax-only -Icsrc/include -x c++ -
fi
echo "public headers compile as C99 and C++"
