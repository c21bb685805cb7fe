// The AVX2 SGEMM microkernel: one MR x NR = 6 x 16 tile of C from packed panels (BLIS
// naming), and the partial-tile wrapper every path uses. The AVX-512 path's 28x16 tile is
// Tile28x16.swift; which one runs is KernelPath.swift.
// Contract: `a` holds kc columns of an MR-row panel (a[p*MR + r] = A(r, p)), `b` holds kc rows
// of an NR-column panel (b[p*NR + j] = B(p, j)); the kernel computes C = alpha*A*B + beta*C on
// the full tile, reading C only when beta != 0. Six SIMD16 accumulators (twelve ymm) stay in
// the 16 ymm registers; each k step is 2 loads of B, 6 broadcasts of A and 12 FMAs.
import CBrittleShims

@inline(__always)
func storeRow(
    _ c: UnsafeMutablePointer<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>,
    _ alpha: SIMD8<Float>, _ beta: Float
) {
    let raw = UnsafeMutableRawPointer(c)
    if beta == 0 {
        raw.storeBytes(of: lo * alpha, as: SIMD8<Float>.self)
        raw.storeBytes(of: hi * alpha, toByteOffset: 32, as: SIMD8<Float>.self)
    } else {
        let b = SIMD8<Float>(repeating: beta)
        let oldLo = UnsafeRawPointer(c).loadUnaligned(as: SIMD8<Float>.self)
        let oldHi = UnsafeRawPointer(c).loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: lo * alpha + oldLo * b, as: SIMD8<Float>.self)
        raw.storeBytes(of: hi * alpha + oldHi * b, toByteOffset: 32, as: SIMD8<Float>.self)
    }
}

/// Full 6x16 tile; C rows are `ldc` floats apart.
@inline(never)
func microkernel6x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    for r in 0..<6 {
        brittle_prefetch_write(c + r * ldc)
        brittle_prefetch_write(c + r * ldc + 15)
    }
    // SIMD16 accumulators: each broadcast of A feeds both halves of a row in one operation, so
    // the scheduler cannot hoist all six broadcasts ahead of the FMAs (which spilled with SIMD8).
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    var ap = UnsafeRawPointer(a)
    var bp = UnsafeRawPointer(b)
    var p = 0
    while p < kc {
        let bv = bp.loadUnaligned(as: SIMD16<Float>.self)
        c0 = c0.addingProduct(SIMD16<Float>(repeating: ap.load(as: Float.self)), bv)
        c1 = c1.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 4, as: Float.self)), bv)
        c2 = c2.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 8, as: Float.self)), bv)
        c3 = c3.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 12, as: Float.self)), bv)
        c4 = c4.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 16, as: Float.self)), bv)
        c5 = c5.addingProduct(SIMD16<Float>(repeating: ap.load(fromByteOffset: 20, as: Float.self)), bv)
        ap += 24
        bp += 64
        p += 1
    }
    let c00 = c0.lowHalf, c01 = c0.highHalf, c10 = c1.lowHalf, c11 = c1.highHalf
    let c20 = c2.lowHalf, c21 = c2.highHalf, c30 = c3.lowHalf, c31 = c3.highHalf
    let c40 = c4.lowHalf, c41 = c4.highHalf, c50 = c5.lowHalf, c51 = c5.highHalf
    let al = SIMD8<Float>(repeating: alpha)
    storeRow(c, c00, c01, al, beta)
    storeRow(c + ldc, c10, c11, al, beta)
    storeRow(c + 2 * ldc, c20, c21, al, beta)
    storeRow(c + 3 * ldc, c30, c31, al, beta)
    storeRow(c + 4 * ldc, c40, c41, al, beta)
    storeRow(c + 5 * ldc, c50, c51, al, beta)
}

/// Partial tile (mr <= MR, nr <= NR of `path`): the path's full kernel into a scratch tile,
/// then the valid part. Packed panels are zero-padded, so the scratch tile's extra rows and
/// columns are simply dropped. acc*1 is exact, so t*alpha + c*beta here rounds exactly as the
/// full kernel's store does: edge and interior elements follow the same arithmetic.
@inline(never)
func microkernelEdge(
    _ path: GEMMKernelPath, _ kc: Int, _ mr: Int, _ nr: Int,
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    let NR = path.nr
    withUnsafeTemporaryAllocation(of: Float.self, capacity: path.mr * NR) { tile in
        let t = tile.baseAddress!
        path.tile(kc, a, b, t, NR, 1, 0)
        for i in 0..<mr {
            let ci = c + i * ldc
            let ti = t + i * NR
            if beta == 0 {
                for j in 0..<nr { ci[j] = ti[j] * alpha }
            } else {
                for j in 0..<nr { ci[j] = ti[j] * alpha + ci[j] * beta }
            }
        }
    }
}
