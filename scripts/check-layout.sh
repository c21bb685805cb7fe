#!/usr/bin/env bash
# Checks the two build properties that fail silently when broken (see README "Layout":
# one copy of the kit, and "Performance": FMA codegen): (a) the executables link libBrittleKit.so and carry no copy of the kit's code, so the
# process maps the kit once; (b) each GEMM kernel path uses its own instructions: the AVX2
# microkernel ymm vfmadd and no zmm, the AVX-512 microkernel zmm vfmadd with no stack traffic in
# its inner loop, zmm nowhere else in the GEMM, and no per-lane libm fmaf calls in any kernel.
# Builds the release configuration of the checked products first; works from a fresh clone.
# Usage: scripts/check-layout.sh   (BRITTLE_NO_LOCK=1 skips the shared build lock)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

lock="${BRITTLE_BUILD_LOCK:-/tmp/brittle-build.lock}"
locked() {
    if [[ -z "${BRITTLE_NO_LOCK:-}" ]] && command -v flock >/dev/null; then
        flock "$lock" "$@"
    else
        "$@"
    fi
}

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }

for tool in readelf nm objdump; do
    command -v "$tool" >/dev/null || { echo "FAIL  $tool not found (apt-get install -y binutils)"; exit 2; }
done

executables=(brittle brittle-bench)
# Only the products checked (the kit comes with them): the plugins, fuzz targets and test
# support are not needed here, and skipping them saves minutes of CI.
for product in "${executables[@]}"; do
    echo "== swift build -c release --product $product"
    if ! locked swift build -c release --product "$product"; then
        fail "release build of $product"
        exit 1
    fi
done
bin="$(locked swift build -c release --show-bin-path)" || { fail "swift build --show-bin-path"; exit 1; }
lib="$bin/libBrittleKit.so"
# Module manglings of the kit's Swift modules (length-prefixed names), plus the C shim's symbol.
kit_modules=(11BrittleGEMM 17BrittleGEMMAVX512 9BrittleNN 9BrittleIO 14BrittlePlugins 18BrittleConformance 14BrittleArchive 15BrittleDatasets)
kit_modules_re='11BrittleGEMM|17BrittleGEMMAVX512|9BrittleNN|9BrittleIO|14BrittlePlugins|18BrittleConformance|14BrittleArchive|15BrittleDatasets'
kit_pattern="$kit_modules_re|brittle_shims_version"

echo "== (a) layout: one copy of the kit, in $lib"
if [[ -f "$lib" ]]; then
    for m in "${kit_modules[@]}"; do
        count=$(nm --defined-only "$lib" | grep -c -- "$m")
        if ((count > 0)); then
            pass "libBrittleKit.so defines $count symbols of module $m"
        else
            fail "libBrittleKit.so defines no symbol of module $m"
        fi
    done
else
    fail "$lib not built"
fi

for exe in "${executables[@]}"; do
    path="$bin/$exe"
    if [[ ! -x "$path" ]]; then
        fail "$exe: not built at $path"
        continue
    fi
    if readelf -d "$path" | grep -q 'NEEDED.*\[libBrittleKit\.so\]'; then
        pass "$exe lists libBrittleKit.so as NEEDED"
    else
        fail "$exe does not list libBrittleKit.so as NEEDED (kit linked statically?)"
    fi
    # A static copy of the kit shows up as *global* definitions of its symbols.
    copies=$(nm --defined-only --extern-only "$path" | grep -E -- "$kit_pattern")
    if [[ -z "$copies" ]]; then
        pass "$exe defines none of the kit's symbols (global)"
    else
        fail "$exe defines $(wc -l <<<"$copies") global kit symbols (a second copy of the kit), e.g.:"
        head -5 <<<"$copies" | sed 's/^/        /'
    fi
    # Any client of a Swift library also gets *local* helpers named after the kit's types: lazy
    # witness-table caches (WL/Wl), demangling caches (MD), outlined copy/destroy (WO*), plus
    # copies of @inlinable kit functions and their outlined constants (Tv<N>_, e.g. the string
    # table of a synthesised init?(rawValue:)). Local kit data/metadata would be a real second copy.
    locals=$(nm --defined-only "$path" | awk '$2 ~ /^[a-z]$/ { print $2, $3 }' \
        | grep -E -- "^[a-z] \\\$s($kit_modules_re)")
    helpers=$(grep -cE -- '(WL|Wl|MD|WO[a-z]|Tv[0-9]*_)$' <<<"$locals")
    inlined=$(grep -vE -- '(WL|Wl|MD|WO[a-z]|Tv[0-9]*_)$' <<<"$locals" | grep -E '^t ')
    data=$(grep -vE -- '(WL|Wl|MD|WO[a-z]|Tv[0-9]*_)$' <<<"$locals" | grep -E '^[^t] ')
    if [[ -z "$data" ]]; then
        note="$helpers client-side helpers"
        [[ -n "$inlined" ]] && note+=", $(wc -l <<<"$inlined") emitted copies of @inlinable kit functions"
        pass "$exe defines no local kit data or metadata ($note)"
    else
        fail "$exe defines kit data/metadata locally (a second copy of the kit's state), e.g.:"
        head -5 <<<"$data" | sed 's/^/        /'
    fi
done

echo "== (b) GEMM codegen in libBrittleKit.so"
if [[ -f "$lib" ]]; then
    # One pass over the disassembly: "<symbol>\t<instruction>" for every instruction of the GEMM
    # modules (BrittleGEMM, BrittleGEMMAVX512).
    gemm_asm=$(objdump -d --no-show-raw-insn "$lib" | awk '
        /^[0-9a-f]+ <.*>:$/ { sym = $2; gemm = (sym ~ /(11BrittleGEMM|17BrittleGEMMAVX512)/); next }
        gemm && /^ +[0-9a-f]+:/ { print sym "\t" $0 }')
    if [[ -z "$gemm_asm" ]]; then
        fail "no BrittleGEMM code found in the disassembly"
    else
        # AVX2 path: the 6x16 microkernel, FMAs on ymm, nothing on zmm.
        kernel=$(grep -F 'microkernel6x16' <<<"$gemm_asm")
        fma=$(grep -cE 'vfmadd[0-9]+ps' <<<"$kernel")
        fma_ymm=$(grep -E 'vfmadd[0-9]+ps' <<<"$kernel" | grep -c 'ymm')
        if [[ -z "$kernel" ]]; then
            fail "microkernel6x16 not found in libBrittleKit.so (renamed or inlined?)"
        elif ((fma_ymm > 0)) && ! grep -q 'zmm' <<<"$kernel"; then
            pass "avx2 path: microkernel6x16 has $fma vfmadd*ps ($fma_ymm on ymm), no zmm"
        else
            fail "avx2 path: microkernel6x16 has $fma_ymm ymm vfmadd and $(grep -c zmm <<<"$kernel") zmm instructions (want ymm FMAs, no zmm)"
        fi
        # AVX-512 path: the 28x16 entry point, FMAs on zmm, no stack access between the first
        # and the last FMA (the inner loop keeps its 28 accumulators in registers).
        kernel=$(grep -F 'avx512Microkernel28x16' <<<"$gemm_asm")
        fma_zmm=$(grep -E 'vfmadd[0-9]+ps' <<<"$kernel" | grep -c 'zmm')
        loop_stack=$(awk -F'\t' '/vfmadd[0-9]+ps/ { if (!seen) seen = NR; last = NR }
            { line[NR] = $0 } END { for (i = seen; i <= last; i++) if (line[i] ~ /\(%rsp\)|\(%rbp\)/) n++; print n + 0 }' <<<"$kernel")
        if [[ -z "$kernel" ]]; then
            fail "avx512Microkernel28x16 not found in libBrittleKit.so (renamed or inlined?)"
        elif ((fma_zmm > 0 && loop_stack == 0)); then
            pass "avx512 path: avx512Microkernel28x16 has $fma_zmm zmm vfmadd*ps, no stack access in its FMA loop"
        else
            fail "avx512 path: avx512Microkernel28x16 has $fma_zmm zmm vfmadd and $loop_stack stack accesses in its FMA loop (want zmm FMAs, no spills)"
        fi
        # AVX-512 instructions exist only in the AVX-512 module: nothing else may run them.
        stray=$(grep -v '17BrittleGEMMAVX512' <<<"$gemm_asm" | grep -E 'zmm|%k[0-7]')
        if [[ -z "$stray" ]]; then
            pass "zmm registers appear only in the BrittleGEMMAVX512 module"
        else
            fail "$(wc -l <<<"$stray") AVX-512 instructions outside BrittleGEMMAVX512 (run on CPUs without AVX-512), e.g.:"
            head -3 <<<"$stray" | sed 's/^/        /'
        fi
        calls=$(grep -E '(call|jmp)[a-z]* .*<fmaf(@plt)?>' <<<"$gemm_asm")
        if [[ -z "$calls" ]]; then
            pass "GEMM kernel code ($(wc -l <<<"$gemm_asm") instructions) has no call to fmaf"
        else
            fail "GEMM code calls fmaf $(wc -l <<<"$calls") times (scalar libm FMA per lane), e.g.:"
            head -3 <<<"$calls" | sed 's/^/        /'
        fi
    fi
fi

if ((failures == 0)); then
    echo "check-layout: all checks passed"
else
    echo "check-layout: $failures check(s) FAILED"
    exit 1
fi
