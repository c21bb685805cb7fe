// The AVX-512 SGEMM microkernel: the only code of the kit compiled for AVX-512 (see
// Package.swift, `avx512Flags`). It is entered only through BrittleGEMM's dispatch, and only
// when CPUID + XGETBV report AVX-512F with the OS saving ZMM state (BrittleGEMM/CPU.swift).
// Deliberately tiny: kernel entry points only, no globals, no initialisers, nothing that could
// run at load time, so no AVX-512 instruction ever executes on a CPU without it.
// The tile body is `tile28x16` of Tile28x16.swift (a symbolic link to BrittleGEMM's copy of
// the same file), inlined here and so compiled with zmm registers and embedded-broadcast FMAs.

/// One full 28x16 tile of C = alpha*A*B + beta*C from packed panels (contract: Tile28x16.swift).
@inline(never)
public func avx512Microkernel28x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    tile28x16(kc, a, b, c, ldc, alpha, beta)
}
