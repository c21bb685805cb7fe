#!/usr/bin/env bash
# Runs every fuzz target (one per directory of Tests/Fuzz/corpus) briefly with scripts/fuzz.sh,
# after one build: the CI step (14 targets x 5 s, 70 s of fuzzing). Exits 1 if
# any target found a crash, listing them. Long runs to exhaust coverage: scripts/fuzz.sh.
# Usage: scripts/fuzz-all.sh [SECONDS_EACH]   (default 5)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-5}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz-all.sh [SECONDS_EACH]" >&2; exit 2; }

bash scripts/fuzz.sh --build || exit 2
start=$SECONDS
failed=()
for dir in Tests/Fuzz/corpus/*/; do
    target="$(basename "$dir")"
    BRITTLE_FUZZ_NO_BUILD=1 bash scripts/fuzz.sh "$target" "$seconds" || failed+=("$target")
done
echo "== fuzz-all: $(ls -d Tests/Fuzz/corpus/*/ | wc -l) targets in $((SECONDS - start))s"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FAIL  fuzz targets with crashes: ${failed[*]} (inputs under .build-fuzz/crashes/)"
    exit 1
fi
echo "PASS  every fuzz target ran clean"
