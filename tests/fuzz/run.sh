#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan + UBSan), replay the kept
# regression inputs, then fuzz each target for FUZZ_SECONDS (default 20).
# Prints "N passed, N failed" (one per target) and exits non-zero when a
# target crashed; a crash input is left in build/fuzz/ to be kept under
# tests/fuzz/regressions/<target>/ once fixed.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
out=build/fuzz
mkdir -p "$out"
srcs=$(sed -n '/set(SC_LIB_SOURCES/,/)/p' CMakeLists.txt |
	grep -oE 'csrc/lib/[a-z_0-9]+\.c')
flags=$(pkg-config --cflags --libs libcurl libcjson openssl sqlite3)
pass=0
fail=0
for t in response redirect webhook; do
	bin=$out/fuzz_$t
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Icsrc/include -Icsrc/lib \
		tests/fuzz/fuzz_$t.c $srcs $flags -lpthread -lm -o "$bin" \
		2>"$out/build_$t.log"; then
		echo "fuzz_$t: build failed"; cat "$out/build_$t.log"
		fail=$((fail + 1)); continue
	fi
	corpus=$out/corpus_$t
	mkdir -p "$corpus"
	# seed with the bodies of the shared cases
	for f in tests/cases/*.json; do cp "$f" "$corpus/" 2>/dev/null; done
	regs=tests/fuzz/regressions/$t
	if ls "$regs"/* >/dev/null 2>&1 &&
	   ! "$bin" -runs=0 "$regs" >"$out/replay_$t.log" 2>&1; then
		echo "fuzz_$t: a kept regression input fails again"
		tail -30 "$out/replay_$t.log"
		fail=$((fail + 1)); continue
	fi
	if "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 \
		-artifact_prefix="$out/crash_${t}_" "$corpus" \
		>"$out/fuzz_$t.log" 2>&1; then
		echo "fuzz_$t: ok ($(grep -oE '#[0-9]+' "$out/fuzz_$t.log" |
			tail -1) runs)"
		pass=$((pass + 1))
	else
		echo "fuzz_$t: FAILED"; tail -40 "$out/fuzz_$t.log"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
