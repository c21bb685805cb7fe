// The body of the 28x16 SGEMM tile, written once and compiled into two modules: this file is
// part of BrittleGEMM (AVX2 flags: the `avx512-tile-on-avx2` test path, ymm codegen) and, via
// the symbolic link Sources/BrittleGEMMAVX512/Tile28x16.swift, of BrittleGEMMAVX512 (AVX-512
// flags: the real path, zmm codegen). So the logic the AVX-512 machines run is the logic the
// tests run on any AVX2 machine. A shared source file rather than an @inlinable function in a
// third module: an incremental build did not recompile the inlining module after the
// @inlinable body changed (a planted bug went unnoticed until a clean build). Only the kernel
// body lives here: internal functions, no state, no globals (the AVX-512 module must not run
// anything at load time), no dispatch, no packing.
//
// Contract (as the 6x16 kernel's, BLIS naming): `a` holds kc columns of a 28-row panel
// (a[p*28 + r] = A(r, p)), `b` holds kc rows of a 16-column panel (b[p*16 + j] = B(p, j));
// C = alpha*A*B + beta*C on the full tile, C read only when beta != 0.
// Why 28x16: with AVX-512 the 28 SIMD16 accumulators take 28 of the 32 zmm registers, one
// holds the row of B, and each A element is an embedded broadcast operand of its FMA
// (vfmadd231ps m32{1to16}), so no register is spent on broadcasts. NR 16 keeps the KC x NR
// micro-panel of B at 32 KiB for KC 512, inside a 48 KiB L1d (a 32-wide tile would need 64 KiB).
// Per element of C the arithmetic is the 6x16 kernel's: acc = fma(a, b, acc) for p in order,
// then acc*alpha (+ old*beta), unfused. That is what makes the two paths bit-identical.
import CBrittleShims

/// Stores one 16-float row: acc*alpha, or acc*alpha + old*beta (separate multiply and add).
@inline(__always)
func storeRow16(
    _ c: UnsafeMutablePointer<Float>, _ acc: SIMD16<Float>, _ alpha: Float, _ beta: Float
) {
    let raw = UnsafeMutableRawPointer(c)
    let al = SIMD16<Float>(repeating: alpha)
    if beta == 0 {
        raw.storeBytes(of: acc * al, as: SIMD16<Float>.self)
    } else {
        let old = UnsafeRawPointer(c).loadUnaligned(as: SIMD16<Float>.self)
        raw.storeBytes(of: acc * al + old * SIMD16<Float>(repeating: beta), as: SIMD16<Float>.self)
    }
}

/// The full 28x16 tile; C rows are `ldc` floats apart.
@inline(__always)
func tile28x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    for r in 0..<28 {
        brittle_prefetch_write(c + r * ldc)
        brittle_prefetch_write(c + r * ldc + 15)
    }
    let z = SIMD16<Float>()
    var c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z
    var c7 = z, c8 = z, c9 = z, c10 = z, c11 = z, c12 = z, c13 = z
    var c14 = z, c15 = z, c16 = z, c17 = z, c18 = z, c19 = z, c20 = z
    var c21 = z, c22 = z, c23 = z, c24 = z, c25 = z, c26 = z, c27 = z
    var ap = UnsafeRawPointer(a)
    var bp = UnsafeRawPointer(b)
    var p = 0
    while p < kc {
        let bv = bp.loadUnaligned(as: SIMD16<Float>.self)
        c0 = c0.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 0, as: Float.self)), bv)
        c1 = c1.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 4, as: Float.self)), bv)
        c2 = c2.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 8, as: Float.self)), bv)
        c3 = c3.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 12, as: Float.self)), bv)
        c4 = c4.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 16, as: Float.self)), bv)
        c5 = c5.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 20, as: Float.self)), bv)
        c6 = c6.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 24, as: Float.self)), bv)
        c7 = c7.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 28, as: Float.self)), bv)
        c8 = c8.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 32, as: Float.self)), bv)
        c9 = c9.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 36, as: Float.self)), bv)
        c10 = c10.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 40, as: Float.self)), bv)
        c11 = c11.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 44, as: Float.self)), bv)
        c12 = c12.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 48, as: Float.self)), bv)
        c13 = c13.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 52, as: Float.self)), bv)
        c14 = c14.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 56, as: Float.self)), bv)
        c15 = c15.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 60, as: Float.self)), bv)
        c16 = c16.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 64, as: Float.self)), bv)
        c17 = c17.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 68, as: Float.self)), bv)
        c18 = c18.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 72, as: Float.self)), bv)
        c19 = c19.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 76, as: Float.self)), bv)
        c20 = c20.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 80, as: Float.self)), bv)
        c21 = c21.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 84, as: Float.self)), bv)
        c22 = c22.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 88, as: Float.self)), bv)
        c23 = c23.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 92, as: Float.self)), bv)
        c24 = c24.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 96, as: Float.self)), bv)
        c25 = c25.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 100, as: Float.self)), bv)
        c26 = c26.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 104, as: Float.self)), bv)
        c27 = c27.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 108, as: Float.self)), bv)
        ap += 112
        bp += 64
        p += 1
    }
    storeRow16(c + 0 * ldc, c0, alpha, beta)
    storeRow16(c + 1 * ldc, c1, alpha, beta)
    storeRow16(c + 2 * ldc, c2, alpha, beta)
    storeRow16(c + 3 * ldc, c3, alpha, beta)
    storeRow16(c + 4 * ldc, c4, alpha, beta)
    storeRow16(c + 5 * ldc, c5, alpha, beta)
    storeRow16(c + 6 * ldc, c6, alpha, beta)
    storeRow16(c + 7 * ldc, c7, alpha, beta)
    storeRow16(c + 8 * ldc, c8, alpha, beta)
    storeRow16(c + 9 * ldc, c9, alpha, beta)
    storeRow16(c + 10 * ldc, c10, alpha, beta)
    storeRow16(c + 11 * ldc, c11, alpha, beta)
    storeRow16(c + 12 * ldc, c12, alpha, beta)
    storeRow16(c + 13 * ldc, c13, alpha, beta)
    storeRow16(c + 14 * ldc, c14, alpha, beta)
    storeRow16(c + 15 * ldc, c15, alpha, beta)
    storeRow16(c + 16 * ldc, c16, alpha, beta)
    storeRow16(c + 17 * ldc, c17, alpha, beta)
    storeRow16(c + 18 * ldc, c18, alpha, beta)
    storeRow16(c + 19 * ldc, c19, alpha, beta)
    storeRow16(c + 20 * ldc, c20, alpha, beta)
    storeRow16(c + 21 * ldc, c21, alpha, beta)
    storeRow16(c + 22 * ldc, c22, alpha, beta)
    storeRow16(c + 23 * ldc, c23, alpha, beta)
    storeRow16(c + 24 * ldc, c24, alpha, beta)
    storeRow16(c + 25 * ldc, c25, alpha, beta)
    storeRow16(c + 26 * ldc, c26, alpha, beta)
    storeRow16(c + 27 * ldc, c27, alpha, beta)
}
