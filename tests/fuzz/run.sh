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
lib_srcs=$(sed -n '/set(SC_LIB_SOURCES/,/)/p' CMakeLists.txt |
	grep -oE 'csrc/lib/[a-z_0-9]+\.c')
lib_flags=$(pkg-config --cflags --libs libcurl libcjson openssl sqlite3)
# fuzz_emulator runs the emulator's server in-process: its sources but main.c
emu_srcs=$(ls csrc/emulator/*.c | grep -v '/main\.c$')
emu_flags="-Icsrc/emulator $(pkg-config --cflags --libs libmicrohttpd libcjson openssl)"
pass=0
fail=0
for t in response redirect webhook emulator http1; do
	bin=$out/fuzz_$t
	srcs=$lib_srcs flags=$lib_flags
	[ "$t" = emulator ] && srcs=$emu_srcs flags=$emu_flags
	# shellcheck disable=SC2086
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
	cp "$regs"/* "$corpus/" 2>/dev/null # the kept inputs seed it too
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
