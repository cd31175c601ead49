#!/bin/sh
# Run the whole kapsel test suite: C unit tests (plain and under
# ASan/UBSan), the integration tests against the real binaries (with
# Docker, Podman and containerd), the runtime tests again against the
# ASan/UBSan build of kapsel-runtime, the runtime's resource, control and
# lifecycle tests on a pure cgroup v2 host (a qemu VM, tests/vm/run.sh),
# and each libFuzzer target briefly.
# Ends with one summary line: "N passed, M failed".  Needs root.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh test || exit 1
scripts/build.sh build || exit 1
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || exit 1

passed=0
failed=0
log=$(mktemp)
count_meson() { # dir suite
	meson test -C "$1" --suite "$2" --num-processes 2 --print-errorlogs >"$log" 2>&1
	cat "$log" | grep -E '^ *[0-9]+/[0-9]+ |^Ok:|^Fail:|^Skipped:|FAIL|ERROR' || true
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	ko=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${ko:-0} + ${to:-0}))
	[ -n "$ok" ] || { echo "meson test in $1 did not run"; cat "$log"; failed=$((failed + 1)); }
}
echo "== unit tests =="
count_meson build unit
# leaks of third-party libraries, each shown without kapsel's code: tests/lsan.supp
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
echo "== unit tests under ASan/UBSan =="
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
count_meson build-asan unit
unset ASAN_OPTIONS UBSAN_OPTIONS

count_pytest() { # label, then pytest arguments
	label=$1
	shift
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" >"$log" 2>&1
	count_summary "$label"
}
count_summary() { # label: add the counts of the pytest run whose output is in $log
	label=$1
	grep -vE 'PytestWarning|OSError|warnings.warn' "$log" | tail -40
	# only pytest's own summary line counts ("3 failed, 140 passed, 2 xfailed in 40.1s")
	summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|skipped|xfailed|deselected).* in [0-9.]+s' "$log" | tail -1)
	ip=$(echo "$summary" | grep -Eo '[0-9]+ passed' | cut -d' ' -f1)
	if_=$(echo "$summary" | grep -Eo '[0-9]+ failed' | cut -d' ' -f1)
	ie=$(echo "$summary" | grep -Eo '[0-9]+ errors?' | cut -d' ' -f1)
	passed=$((passed + ${ip:-0}))
	failed=$((failed + ${if_:-0} + ${ie:-0}))
	[ -n "$summary" ] || { echo "pytest ($label) did not run"; failed=$((failed + 1)); }
}

export KAPSEL_BUILD="$PWD/build"
echo "== integration tests =="
count_pytest integration tests/integration "$@"

echo "== runtime tests against the ASan/UBSan build =="
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=98
export KAPSEL_RUNTIME_BIN="$PWD/build-asan/src/runtime/kapsel-runtime"
count_pytest asan tests/integration/test_lifecycle.py tests/integration/test_exec.py \
	tests/integration/test_lsm.py tests/integration/test_policy.py tests/integration/test_config.py \
	tests/integration/test_security.py tests/integration/test_control.py tests/integration/test_limits.py \
	tests/integration/test_spec_corners.py \
	-k "not docker and not podman"
# the escapes again, kapsel-runtime only (runc and crun ran above)
count_pytest asan-escapes tests/integration/test_escapes.py -k "not runc and not crun"
unset ASAN_OPTIONS UBSAN_OPTIONS KAPSEL_RUNTIME_BIN

echo "== pure cgroup v2 VM =="
# pytest runs in the guest; its summary line comes back in run.sh's output
tests/vm/run.sh --build "$PWD/build" >"$log" 2>&1
count_summary vm

echo "== fuzz targets (libFuzzer, ${KAPSEL_FUZZ_SECONDS:-15} s each from the seed corpus) =="
if CC=clang scripts/build.sh build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false \
	-Dbuildtype=debug; then
	for t in config http http_answer policy seccomp dockerfile image apply manifest scan_dpkg scan_apk scan_data scan_rpmdb; do
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus/$t/* "$corpus"/
		rc=0
		build-fuzz/tests/fuzz/fuzz_$t -max_total_time="${KAPSEL_FUZZ_SECONDS:-15}" -rss_limit_mb=2048 \
			-artifact_prefix="$corpus/" "$corpus" >"$log" 2>&1 || rc=$?
		if [ "$rc" -eq 0 ]; then
			echo "fuzz_$t: $(grep -E '^Done' "$log")"
			passed=$((passed + 1))
		else
			# the whole report: a failure with no ERROR line (a signal from
			# outside, an exit) is only told by its status and last lines
			echo "fuzz_$t FAILED (exit status $rc):"
			grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
			tail -n 25 "$log"
			for a in "$corpus"/crash-* "$corpus"/leak-* "$corpus"/timeout-* "$corpus"/oom-*; do
				[ -f "$a" ] && { echo "input $a (base64):"; base64 -w 0 "$a" | head -c 4096; echo; }
			done
			failed=$((failed + 1))
		fi
		rm -rf "$corpus"
	done
else
	echo "the fuzz build failed"
	failed=$((failed + 1))
fi
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
