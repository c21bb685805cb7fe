// Small C helpers for the Swift compute core: things Swift cannot say directly.
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

/// Not inline, so the module has an object file and a symbol to find in the shared library.
int brittle_shims_version(void);

#endif
