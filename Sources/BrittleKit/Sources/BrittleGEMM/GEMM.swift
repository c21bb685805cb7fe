// Threaded, cache-blocked SGEMM in the BLIS structure: loops jc (NC) -> pc (KC) -> pack B ->
// ic (MC) -> pack A -> jr (NR) -> ir (MR) around the microkernel of the kernel path chosen for
// this process (KernelPath.swift, Dispatch.swift; blocking in Blocking.swift).
// Row-major. Threads split the larger of M and N; every element of C is reduced over K in the
// same order whatever the split, so results are bit-identical for any thread count.
// Not here: the kernels (Microkernel.swift, Tile28x16.swift), packing (Packing.swift).
// Reference: Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 2015; Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication", 2008.
import Foundation
import Synchronization

/// Floating-point operations (2*m*n*k per call) performed by `sgemm` since the process
/// started: what benchmarks divide by time to report effective GFLOP/s of a whole workload.
public let gemmFlopCounter = Atomic<UInt64>(0)

/// Whether an operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed
}

/// C = alpha * op(A) * op(B) + beta * C in single precision, row-major.
///
/// - Parameters:
///   - m, n, k: op(A) is m x k, op(B) is k x n, C is m x n.
///   - lda, ldb, ldc: row strides (in floats) of A, B and C as stored.
///   - threads: worker count; `nil` uses `Parallel.threads`.
/// When beta == 0, C is written without being read (NaNs in C do not propagate), as in BLAS.
public func sgemm(
    transA: Transpose = .none, transB: Transpose = .none, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int? = nil
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    if m == 0 || n == 0 { return }
    gemmFlopCounter.add(UInt64(2 * m * n * k), ordering: .relaxed)
    if k == 0 || alpha == 0 {
        for i in 0..<m {
            let ci = c + i * ldc
            for j in 0..<n { ci[j] = beta == 0 ? 0 : ci[j] * beta }
        }
        return
    }
    let path = GEMMDispatch.current
    let MR = path.mr, NR = path.nr
    let t = max(1, threads ?? Parallel.threads)
    // Waking a worker costs microseconds: tiny products run on the calling thread.
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let workers = flops < 2e5 ? 1 : t
    let mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR
    // Wide or short products: workers take disjoint column blocks and pack their own B columns
    // (no B is packed twice); a short A (m <= 256) is packed once per K block by all workers
    // together (sharedASGEMM). Tall products: B is packed once per block by all workers, then
    // the ic loop is split. Measured on the Zen 2 VM, 128x784x512 and 128x128x784: 190 and
    // 157 GFLOP/s split by columns vs 178 and 147 with a shared B.
    let byColumns = nPanels >= 2 * workers && (nPanels * NR >= mPanels * MR || m <= 256)
    if workers == 1 {
        blockedSGEMM(path, transA, transB, 0..<m, 0..<n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    } else if byColumns && m <= 256 {
        sharedASGEMM(path, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers)
    } else if !byColumns && m >= workers * 4 * MR {
        sharedPanelSGEMM(path, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, workers)
    } else {
        let parts = min(workers, nPanels)
        Parallel.forEach(parts: parts, threads: workers) { w in
            let cols = alignedSplit(n, NR, parts, w)
            if !cols.isEmpty {
                blockedSGEMM(path, transA, transB, 0..<m, cols, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
    }
}

/// Row splits of `0..<m` into `parts` pieces aligned to MR.
@inline(__always)
func alignedSplit(_ total: Int, _ align: Int, _ parts: Int, _ w: Int) -> Range<Int> {
    let units = (total + align - 1) / align
    let lo = min(total, (units * w / parts) * align)
    let hi = min(total, (units * (w + 1) / parts) * align)
    return lo..<hi
}

/// Multi-threaded path: for each (jc, pc) block the workers pack B together into one shared
/// buffer, then split the ic loop, each packing only its own rows of A. The rows are cut into
/// a multiple of `workers` balanced blocks of at most MC rows, which the workers claim one at a
/// time: on a shared VM a worker that loses its core for a while takes fewer blocks instead of
/// holding the others at the barrier. Which worker computes a block never changes its sums.
func sharedPanelSGEMM(
    _ path: GEMMKernelPath, _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ K: Int,
    _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
    _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ workers: Int
) {
    let shared = PackBufferPool.shared.take(for: path)
    defer { PackBufferPool.shared.give(shared) }
    let Bp = shared.b
    let KC = path.kc, NC = path.nc, MR = path.mr, NR = path.nr
    let rowBlocks = workers * (((m + path.mc - 1) / path.mc + workers - 1) / workers)
    var jc = 0
    while jc < n {
        let nc = min(NC, n - jc)
        var pc = 0
        while pc < K {
            let kc = min(KC, K - pc)
            let betaHere: Float = pc == 0 ? beta : 1
            let panels = (nc + NR - 1) / NR
            let packParts = min(panels, 4 * workers)
            Parallel.forEach(parts: packParts, threads: workers) { w in
                let q = alignedSplit(nc, NR, packParts, w)
                if !q.isEmpty {
                    packB(transB, b, ldb, pc: pc, jc: jc + q.lowerBound, kc: kc, nc: q.count,
                          Bp + q.lowerBound * kc)
                }
            }
            Parallel.forEach(parts: rowBlocks, threads: workers) { w in
                let rows = alignedSplit(m, MR, rowBlocks, w)
                if rows.isEmpty { return }
                let mine = PackBufferPool.shared.take(for: path)
                macroKernel(path, transA, a, lda, rows, pc, kc, jc, nc, UnsafePointer(Bp), mine.a,
                            alpha, betaHere, c, ldc, packedA: nil)
                PackBufferPool.shared.give(mine)
            }
            pc += KC
        }
        jc += NC
    }
}

/// The ic -> jr -> ir loops over rows `rows` of C for one packed KC x NC block of B. The rows
/// are cut into equal blocks of at most MC (128 rows with MC 126: 66 + 62, not 126 + 2), each
/// packed into `Ap`, unless `packedA` already holds all rows packed (row r at r * kc).
@inline(__always)
func macroKernel(
    _ path: GEMMKernelPath, _ transA: Transpose, _ a: UnsafePointer<Float>, _ lda: Int, _ rows: Range<Int>,
    _ pc: Int, _ kc: Int, _ jc: Int, _ nc: Int,
    _ Bp: UnsafePointer<Float>, _ Ap: UnsafeMutablePointer<Float>,
    _ alpha: Float, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    packedA: UnsafePointer<Float>?
) {
    let MR = path.mr, NR = path.nr
    let blocks = (rows.count + path.mc - 1) / path.mc
    for block in 0..<blocks {
        let part = alignedSplit(rows.count, MR, blocks, block)
        let ic = rows.lowerBound + part.lowerBound, mc = part.count
        if mc == 0 { continue }
        let aBlock: UnsafePointer<Float>
        if let packedA {
            aBlock = packedA + ic * kc
        } else {
            packA(transA, a, lda, ic: ic, pc: pc, mc: mc, kc: kc, mr: MR, Ap)
            aBlock = UnsafePointer(Ap)
        }
        var jr = 0
        while jr < nc {
            let nr = min(NR, nc - jr)
            let bPanel = Bp + jr * kc
            var ir = 0
            while ir < mc {
                let mr = min(MR, mc - ir)
                let aPanel = aBlock + ir * kc
                let cTile = c + (ic + ir) * ldc + jc + jr
                if mr == MR && nr == NR {
                    path.tile(kc, aPanel, bPanel, cTile, ldc, alpha, beta)
                } else {
                    microkernelEdge(path, kc, mr, nr, aPanel, bPanel, cTile, ldc, alpha, beta)
                }
                ir += MR
            }
            jr += NR
        }
    }
}

/// One thread's product for rows `rows` and columns `cols` of C.
func blockedSGEMM(
    _ path: GEMMKernelPath, _ transA: Transpose, _ transB: Transpose, _ rows: Range<Int>, _ cols: Range<Int>, _ K: Int,
    _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
    _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    let buffers = PackBufferPool.shared.take(for: path)
    defer { PackBufferPool.shared.give(buffers) }
    let KC = path.kc, NC = path.nc
    var jc = cols.lowerBound
    while jc < cols.upperBound {
        let nc = min(NC, cols.upperBound - jc)
        var pc = 0
        while pc < K {
            let kc = min(KC, K - pc)
            packB(transB, b, ldb, pc: pc, jc: jc, kc: kc, nc: nc, buffers.b)
            macroKernel(path, transA, a, lda, rows, pc, kc, jc, nc, UnsafePointer(buffers.b), buffers.a,
                        alpha, pc == 0 ? beta : 1, c, ldc, packedA: nil)
            pc += KC
        }
        jc += NC
    }
}

/// Multi-threaded path for short, wide products (m <= 256): for each K block the workers pack
/// all of A together into one shared buffer (instead of each packing all of it), then each
/// takes its block of columns and packs only its own columns of B. Per element of C the K
/// blocks still come in order, with beta on the first: the same sums as every other path.
func sharedASGEMM(
    _ path: GEMMKernelPath, _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ K: Int,
    _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
    _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ workers: Int
) {
    let MR = path.mr, NR = path.nr, KC = path.kc, NC = path.nc
    let rowPanels = (m + MR - 1) / MR
    let shared = PackBufferPool.shared.take(for: path, aRows: rowPanels * MR)
    defer { PackBufferPool.shared.give(shared) }
    let Ap = shared.a
    let parts = min(workers, (n + NR - 1) / NR), aParts = min(workers, rowPanels)
    var pc = 0
    while pc < K {
        let kc = min(KC, K - pc)
        let betaHere: Float = pc == 0 ? beta : 1
        Parallel.forEach(parts: aParts, threads: workers) { w in
            let rows = alignedSplit(m, MR, aParts, w)
            if !rows.isEmpty {
                packA(transA, a, lda, ic: rows.lowerBound, pc: pc, mc: rows.count, kc: kc, mr: MR,
                      Ap + rows.lowerBound * kc)
            }
        }
        Parallel.forEach(parts: parts, threads: workers) { w in
            let cols = alignedSplit(n, NR, parts, w)
            if cols.isEmpty { return }
            let mine = PackBufferPool.shared.take(for: path)
            var jc = cols.lowerBound
            while jc < cols.upperBound {
                let nc = min(NC, cols.upperBound - jc)
                packB(transB, b, ldb, pc: pc, jc: jc, kc: kc, nc: nc, mine.b)
                macroKernel(path, transA, a, lda, 0..<m, pc, kc, jc, nc, UnsafePointer(mine.b), mine.a,
                            alpha, betaHere, c, ldc, packedA: UnsafePointer(Ap))
                jc += NC
            }
            PackBufferPool.shared.give(mine)
        }
        pc += KC
    }
}

/// Array convenience: returns op(A) * op(B) for row-major arrays (no alpha/beta).
public func sgemm(
    transA: Transpose = .none, transB: Transpose = .none, m: Int, n: Int, k: Int,
    _ a: [Float], _ b: [Float], threads: Int? = nil
) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    let lda = transA == .none ? k : m
    let ldb = transB == .none ? n : k
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda,
                      b: bp.baseAddress!, ldb: ldb, c: cp.baseAddress!, ldc: n, threads: threads)
            }
        }
    }
    return c
}
