// CPUID and XGETBV for the GEMM's CPU detection (BrittleGEMM/CPU.swift): the two x86
// instructions Swift cannot issue itself. Compiled for any x86-64 (no AVX needed to run it).
#include "CBrittleShims.h"
#include <cpuid.h>

int brittle_cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) {
        regs[0] = regs[1] = regs[2] = regs[3] = 0;
        return 0;
    }
    regs[0] = a; regs[1] = b; regs[2] = c; regs[3] = d;
    return 1;
}

unsigned long long brittle_xgetbv0(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    // XGETBV is only legal when CPUID.1:ECX.OSXSAVE (bit 27) is set.
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
