// Small C helpers for the Swift compute core: things Swift cannot say directly (prefetch,
// pause, a thread-local flag, CPUID/XGETBV). Not a place for computation.
#ifndef CBRITTLE_SHIMS_H
#define CBRITTLE_SHIMS_H

/// Prefetch a cache line for writing (the C tile of the GEMM microkernel).
static inline void brittle_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
/// Prefetch a cache line for reading.
static inline void brittle_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }

/// CPU hint inside spin-wait loops.
static inline void brittle_spin_pause(void) { __builtin_ia32_pause(); }

/// Whether the calling thread is one of Brittle's pool workers (nested parallel loops run
/// serially there instead of waiting on the pool they are part of).
int brittle_is_pool_worker(void);
void brittle_mark_pool_worker(void);

/// CPUID leaf/subleaf into regs (eax, ebx, ecx, edx); 0 (and zeros) if the leaf is above
/// the CPU's maximum. For BrittleGEMM's CPU detection.
int brittle_cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]);
/// XCR0 (which register states the OS saves: bit 1 SSE, 2 YMM, 5-7 opmask/ZMM), or 0 when the
/// OS has not enabled XSAVE (then no AVX state is usable).
unsigned long long brittle_xgetbv0(void);

/// Not inline, so the module has an object file and a symbol to find in the shared library.
int brittle_shims_version(void);

#endif
