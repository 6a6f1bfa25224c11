#!/usr/bin/env bash
# Every line of csrc/lib/endpoints.def must have at least one declarative
# case in tests/cases/ (a file whose "endpoint" is that name).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=0
for name in $(grep -oE '^SC_ENDPOINT\([A-Z_]+, "[a-z_]+"' csrc/lib/endpoints.def |
	      sed -E 's/.*"([a-z_]+)"/\1/'); do
	if ! grep -lqE "\"endpoint\": *\"$name\"" tests/cases/*.json; then
		echo "endpoints.def: \"$name\" has no case in tests/cases/"
		missing=$((missing + 1))
	fi
done
if [ "$missing" -gt 0 ]; then
	exit 1
fi
echo "every endpoint has a case ($(ls tests/cases/*.json | wc -l) cases)"
