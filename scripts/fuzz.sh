#!/usr/bin/env bash
# Fuzzes one target of brittle-fuzz (Sources/BrittleFuzzTargets) with libFuzzer + AddressSanitizer
# for N seconds, on a temporary copy of its seed corpus (Tests/Fuzz/corpus/TARGET); the repo's
# corpus is never modified. On a crash: prints the input and a replay command, exits 1.
# Usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]    scripts/fuzz.sh --build (build only)
#   BRITTLE_FUZZ_NO_BUILD=1   use the existing .build-fuzz binary    BRITTLE_NO_LOCK=1  no build lock
#   BRITTLE_FUZZ_KEEP=DIR     keep the grown corpus and artifacts in DIR (default: a temp dir, removed)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_only=""
if [[ "${1:-}" == "--build" ]]; then
    build_only=1
elif [[ $# -lt 2 || ! "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]  |  scripts/fuzz.sh --build" >&2
    exit 2
else
    target="$1"; seconds="$2"; shift 2
fi

lock="${BRITTLE_BUILD_LOCK:-/tmp/brittle-build.lock}"
locked() {
    if [[ -z "${BRITTLE_NO_LOCK:-}" ]] && command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi
}

# `-sanitize=` is not cumulative in swiftc (the last one wins), so SwiftPM's two --sanitize
# flags alone would give ASan without coverage; the trailing -Xswiftc asks for both.
build_flags=(--scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
bin="$root/.build-fuzz/debug"
if [[ -n "$build_only" || -z "${BRITTLE_FUZZ_NO_BUILD:-}" ]]; then
    # The plugin libraries too: plugin-params and transform-spec validate against their schemas.
    mkdir -p "$root/.build-fuzz"
    for product in brittle-fuzz BrittleArchitectures BrittleAttacks BrittleTransforms; do
        if ! locked swift build "${build_flags[@]}" --product "$product" > "$root/.build-fuzz/build.log" 2>&1; then
            grep -v 'ld.gold: warning' "$root/.build-fuzz/build.log" | tail -30 >&2
            echo "FAIL  fuzz build of $product (log: .build-fuzz/build.log)" >&2
            exit 2
        fi
    done
    rm -f "$root/.build-fuzz/build.log"
fi
[[ -n "$build_only" ]] && { echo "built $bin/brittle-fuzz"; exit 0; }
if [[ ! -x "$bin/brittle-fuzz" ]]; then
    echo "no $bin/brittle-fuzz: run without BRITTLE_FUZZ_NO_BUILD" >&2
    exit 2
fi
if [[ ! -d "Tests/Fuzz/corpus/$target" ]]; then
    echo "unknown fuzz target '$target' (no Tests/Fuzz/corpus/$target); targets: $(ls Tests/Fuzz/corpus | tr '\n' ' ')" >&2
    exit 2
fi

work="${BRITTLE_FUZZ_KEEP:-}"
if [[ -z "$work" ]]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/brittle-fuzz-run-$target.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus" "$work/artifacts"
cp -r "Tests/Fuzz/corpus/$target/." "$work/corpus/"
regressions="Tests/Fuzz/regressions/$target"
[[ -d "$regressions" ]] && cp -r "$regressions/." "$work/corpus/"

case "$target" in
    bundle|bundle-tar|dataset-bundle|manifest|safetensors|checkpoint|reproduce-config) dict=(-dict=Tests/Fuzz/dict/json.dict) ;;
    npy) dict=(-dict=Tests/Fuzz/dict/npy.dict) ;;
    reproduce-set|plugin-params|transform-spec) dict=(-dict=Tests/Fuzz/dict/text.dict) ;;
    *) dict=() ;;
esac

echo "== fuzz $target for ${seconds}s (corpus: $(ls "$work/corpus" | wc -l) files)"
log="$work/fuzz.log"
# TMPDIR inside the work directory: the targets' scratch files go with it, even after a crash.
mkdir -p "$work/tmp"
# Swift's own crash backtracer is off: it reads memory ASan then reports as an overflow of its
# own; libFuzzer's deadly-signal handler prints the stack instead.
TMPDIR="$work/tmp" BRITTLE_FUZZ_TARGET="$target" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
    SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}" \
    "$bin/brittle-fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -max_len=65536 -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${dict[@]}" "$@" "$work/corpus" > "$log" 2>&1
status=$?
rm -rf "$work/tmp"
grep -E '^(INFO: Loaded|#[0-9]+[[:space:]]+(INITED|DONE))|^stat::(number_of_executed_units|new_units_added|peak_rss)' "$log"
crashes=("$work"/artifacts/*)
if [[ $status -ne 0 || -e "${crashes[0]}" ]]; then
    tail -60 "$log"
    keep="$root/.build-fuzz/crashes/$target"
    mkdir -p "$keep"
    cp "$work"/artifacts/* "$keep/" 2>/dev/null
    echo "FAIL  fuzz $target: libFuzzer exited $status; input(s) copied to $keep:"
    ls "$keep"
    echo "  replay: BRITTLE_FUZZ_TARGET=$target $bin/brittle-fuzz $keep/<file>"
    echo "  minimise (its crashing children leave scratch files in TMPDIR, hence a fresh one):"
    echo "    TMPDIR=\$(mktemp -d) SWIFT_BACKTRACE=enable=no BRITTLE_FUZZ_TARGET=$target $bin/brittle-fuzz \\"
    echo "      -minimize_crash=1 -runs=20000 -exact_artifact_path=Tests/Fuzz/regressions/$target/NAME $keep/<file>"
    exit 1
fi
echo "PASS  fuzz $target: ${seconds}s clean, corpus now $(ls "$work/corpus" | wc -l) files"
