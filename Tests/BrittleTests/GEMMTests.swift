// Correctness of the blocked, threaded `sgemm` against `referenceSGEMM` (the naive oracle) on
// the shapes that stress its edges: MR/NR/MC/KC boundaries, primes, empty dimensions, padded
// leading dimensions, every transpose pair, alpha/beta, and both threaded split paths.
// Also checks the determinism claim (bit-identical results for any thread count) and that
// `Parallel.partition` tiles its range exactly.
import XCTest
@testable import BrittleGEMM

/// A 64-bit LCG (Knuth's MMIX constants): seeded, portable test data in [-1, 1).
struct TestLCG {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 40) - (1 << 23)) / Float(1 << 23)
    }
}

/// A NaN with a payload, so "still untouched" is checked bit for bit, not just `isNaN`.
let sentinel = Float(nan: 0x5EED, signaling: false)
/// Floats past the end of every buffer, to catch overruns.
let guardTail = 64

/// One GEMM problem as stored: op(A) is m x k, op(B) is k x n, C is m x n, all row-major
/// with `pad*` extra (NaN-filled) columns per stored row.
struct GEMMCase: CustomStringConvertible {
    var transA = Transpose.none, transB = Transpose.none
    var m: Int, n: Int, k: Int
    var alpha: Float = 1, beta: Float = 0
    var padA = 0, padB = 0, padC = 0
    var seed: UInt64 = 1

    var aRows: Int { transA == .none ? m : k }
    var aCols: Int { transA == .none ? k : m }
    var bRows: Int { transB == .none ? k : n }
    var bCols: Int { transB == .none ? n : k }
    var lda: Int { max(1, aCols) + padA }
    var ldb: Int { max(1, bCols) + padB }
    var ldc: Int { max(1, n) + padC }

    var description: String {
        let ta = transA == .none ? "N" : "T", tb = transB == .none ? "N" : "T"
        return "\(m)x\(n)x\(k) \(ta)\(tb) alpha=\(alpha) beta=\(beta) "
            + "lda=\(lda) ldb=\(ldb) ldc=\(ldc)"
    }

    /// A stored `rows x cols` matrix with leading dimension `ld`: random logical part, sentinel
    /// padding and tail.
    static func matrix(rows: Int, cols: Int, ld: Int, _ rng: inout TestLCG) -> [Float] {
        var x = [Float](repeating: sentinel, count: rows * ld + guardTail)
        for i in 0..<rows {
            for j in 0..<cols { x[i * ld + j] = rng.next() }
        }
        return x
    }

    func inputs() -> (a: [Float], b: [Float], c: [Float]) {
        var rng = TestLCG(seed: seed)
        let a = Self.matrix(rows: aRows, cols: aCols, ld: lda, &rng)
        let b = Self.matrix(rows: bRows, cols: bCols, ld: ldb, &rng)
        var c = Self.matrix(rows: m, cols: n, ld: ldc, &rng)
        // beta == 0 means C is write-only: pre-fill it with NaN, which must not leak out.
        if beta == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = .nan } }
        }
        return (a, b, c)
    }

    /// Runs `sgemm` on fresh inputs and returns the C buffer (padding and tail included).
    func run(threads: Int) -> [Float] {
        var (a, b, c) = inputs()
        call(&a, &b, &c) { ap, bp, cp in
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                  a: ap, lda: lda, b: bp, ldb: ldb, beta: beta, c: cp, ldc: ldc,
                  threads: threads)
        }
        return c
    }

    func reference() -> (c: [Float], before: [Float], a: [Float], b: [Float]) {
        var (a, b, c) = inputs()
        let before = c
        call(&a, &b, &c) { ap, bp, cp in
            referenceSGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: ap, lda: lda, b: bp, ldb: ldb, beta: beta, c: cp, ldc: ldc)
        }
        return (c, before, a, b)
    }

    private func call(
        _ a: inout [Float], _ b: inout [Float], _ c: inout [Float],
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    body(ap.baseAddress!, bp.baseAddress!, cp.baseAddress!)
                }
            }
        }
    }
}

final class GEMMTests: XCTestCase {
    let transposes: [(Transpose, Transpose)] = [
        (.none, .none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed),
    ]

    /// Checks `sgemm` against the reference for each thread count: the logical part of C within
    /// the K-scaled tolerance and NaN-free, the padding columns and tail still the sentinel.
    func check(
        _ t: GEMMCase, threads: [Int] = [1, 2, 3], file: StaticString = #filePath, line: UInt = #line
    ) {
        let (ref, before, a, b) = t.reference()
        func maxAbs(_ x: [Float], _ rows: Int, _ cols: Int, _ ld: Int) -> Float {
            var r: Float = 0
            for i in 0..<rows { for j in 0..<cols { r = max(r, abs(x[i * ld + j])) } }
            return r
        }
        let scale = maxAbs(a, t.aRows, t.aCols, t.lda) * maxAbs(b, t.bRows, t.bCols, t.ldb)
        let tolProduct = 1e-5 * Float(t.k) * scale * abs(t.alpha)
        for th in threads {
            let c = t.run(threads: th)
            var failures = 0
            for idx in 0..<c.count {
                let (i, j) = (idx / t.ldc, idx % t.ldc)
                let logical = i < t.m && j < t.n
                if logical {
                    let old = t.beta == 0 ? 0 : abs(before[idx])
                    let tol = tolProduct + 1e-6 * (1 + abs(t.beta) * old)
                    let ok = !c[idx].isNaN && abs(c[idx] - ref[idx]) <= tol
                    if !ok {
                        failures += 1
                        if failures <= 3 {
                            XCTFail("\(t) threads=\(th): C[\(i),\(j)] = \(c[idx]), "
                                    + "reference \(ref[idx]), tolerance \(tol)", file: file, line: line)
                        }
                    }
                } else if c[idx].bitPattern != sentinel.bitPattern {
                    failures += 1
                    if failures <= 3 {
                        XCTFail("\(t) threads=\(th): padding/tail float \(idx) (row \(i), col \(j)) "
                                + "was overwritten with \(c[idx])", file: file, line: line)
                    }
                }
            }
            if failures > 3 {
                XCTFail("\(t) threads=\(th): \(failures) bad floats in total", file: file, line: line)
            }
        }
    }

    func testOneByOneByOne() {
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: 1, n: 1, k: 1))
            check(GEMMCase(transA: ta, transB: tb, m: 1, n: 1, k: 1, alpha: -0.5, beta: 0.25,
                           padA: 2, padB: 3, padC: 5))
        }
    }

    func testArrayConvenience() {
        XCTAssertEqual(sgemm(m: 2, n: 2, k: 2, [1, 2, 3, 4], [5, 6, 7, 8]), [19, 22, 43, 50])
        // A^T B with A stored 2x2: [[1,3],[2,4]]^T... i.e. op(A) = [[1,2],[3,4]].
        XCTAssertEqual(sgemm(transA: .transposed, m: 2, n: 2, k: 2, [1, 3, 2, 4], [5, 6, 7, 8]),
                       [19, 22, 43, 50])
    }

    /// Every m in MR-1...MR+1 (and twice) against every n in NR-1...NR+1 (and twice).
    func testMicrokernelEdges() {
        let ms = [MR - 1, MR, MR + 1, 2 * MR - 1, 2 * MR, 2 * MR + 1]
        let ns = [NR - 1, NR, NR + 1, 2 * NR - 1, 2 * NR, 2 * NR + 1]
        var seed: UInt64 = 10
        for (ta, tb) in transposes {
            for m in ms {
                for n in ns {
                    seed += 1
                    check(GEMMCase(transA: ta, transB: tb, m: m, n: n, k: 7, padA: 1, padB: 3,
                                   padC: 2, seed: seed), threads: [1])
                }
            }
        }
    }

    /// K just past one and two KC blocks: the beta of the second block must be 1, not beta.
    func testKBlockEdges() {
        let KC = GEMMBlocking.KC
        for (ta, tb) in transposes {
            for k in [KC - 1, KC, KC + 1, 2 * KC + 3] {
                check(GEMMCase(transA: ta, transB: tb, m: 13, n: 35, k: k, padA: 4, padB: 1, padC: 3))
                check(GEMMCase(transA: ta, transB: tb, m: 13, n: 35, k: k, alpha: -0.5, beta: 0.25,
                               padC: 1))
            }
        }
    }

    /// M just past one MC block (single thread), and 2*MC+1 so a worker's half exceeds MC.
    func testMBlockEdges() {
        let MC = GEMMBlocking.MC
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: MC + 1, n: 33, k: 40, padA: 2, padC: 1),
                  threads: [1])
            check(GEMMCase(transA: ta, transB: tb, m: MC - 1, n: 17, k: 60, beta: 1, padB: 2),
                  threads: [1, 2])
            check(GEMMCase(transA: ta, transB: tb, m: 2 * MC + 1, n: 19, k: 70, alpha: -0.5,
                           beta: 0.25, padA: 1, padB: 1, padC: 1))
        }
    }

    func testPrimes() {
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: 37, n: 53, k: 29))
            check(GEMMCase(transA: ta, transB: tb, m: 37, n: 53, k: 29, padA: 3, padB: 5, padC: 7))
        }
    }

    func testAlphaBeta() {
        for (ta, tb) in transposes {
            for alpha: Float in [1, -0.5] {
                for beta: Float in [0, 1, 0.25] {
                    check(GEMMCase(transA: ta, transB: tb, m: 37, n: 53, k: 29, alpha: alpha,
                                   beta: beta, padA: 1, padB: 2, padC: 3))
                }
            }
        }
    }

    /// alpha == 0 skips the product: C = beta * C (and beta == 0 clears NaNs), as in BLAS.
    func testAlphaZero() {
        for beta: Float in [0, 1, 0.25] {
            check(GEMMCase(m: 9, n: 20, k: 11, alpha: 0, beta: beta, padC: 2))
            check(GEMMCase(m: 300, n: 200, k: 600, alpha: 0, beta: beta, padC: 2))
        }
    }

    func testZeroSizedDimensions() {
        let shapes = [(0, 0, 0), (0, 5, 7), (5, 0, 7), (5, 7, 0), (0, 0, 7), (40, 33, 0)]
        for (m, n, k) in shapes {
            for (ta, tb) in transposes {
                for beta: Float in [0, 1, 0.25] {
                    check(GEMMCase(transA: ta, transB: tb, m: m, n: n, k: k, alpha: -0.5,
                                   beta: beta, padA: 1, padB: 1, padC: 2))
                }
            }
        }
    }

    /// m >= workers * 4 * MR: the shared-B-panel path (workers split the rows).
    func testThreadedSharedPanelPath() {
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: 300, n: 200, k: 600, padA: 3, padB: 5, padC: 7))
        }
        check(GEMMCase(m: 300, n: 200, k: 600, alpha: -0.5, beta: 0.25, padC: 1, seed: 7))
        check(GEMMCase(transA: .transposed, m: 300, n: 200, k: 600, beta: 1, seed: 8))
    }

    /// Too few rows to share: workers take disjoint column blocks.
    func testThreadedColumnSplitPath() {
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: 20, n: 700, k: 300, padA: 3, padB: 5, padC: 7))
        }
        check(GEMMCase(m: 20, n: 700, k: 300, alpha: -0.5, beta: 0.25, padC: 1, seed: 9))
        check(GEMMCase(transB: .transposed, m: 20, n: 700, k: 300, beta: 1, seed: 10))
        // N not a multiple of NR, K past KC: uneven column blocks over two K blocks.
        check(GEMMCase(m: 7, n: 333, k: GEMMBlocking.KC + 1, beta: 0.25, padB: 1, padC: 1))
    }

    /// The split is chosen from the worker count, but each C element's K reduction order is not:
    /// results must be bit-identical for 1, 2 and 3 threads and across repeated calls.
    func testDeterminismAcrossThreadCounts() {
        let KC = GEMMBlocking.KC
        let cases = [
            GEMMCase(m: 300, n: 200, k: 600, padC: 3),
            GEMMCase(transA: .transposed, transB: .transposed, m: 300, n: 200, k: 600, beta: 0.25),
            GEMMCase(m: 20, n: 700, k: 300, padC: 1),
            GEMMCase(transB: .transposed, m: 20, n: 700, k: 300, alpha: -0.5, beta: 1),
            GEMMCase(m: 151, n: 95, k: 2 * KC + 3, beta: 0.25, padA: 1),
        ]
        for t in cases {
            let first = t.run(threads: 1).map(\.bitPattern)
            for th in [1, 2, 3, 1, 2, 3] {
                let again = t.run(threads: th).map(\.bitPattern)
                XCTAssert(again == first, "\(t): threads=\(th) differs from threads=1 bit for bit")
            }
        }
    }

    func testPartitionCoversRangeExactly() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for threads in 1...5 {
            Parallel.threads = threads
            for count in 0...130 {
                for grain in [1, 3, 16] {
                    for align in [1, 4, 6] {
                        let parts = Parallel.partition(count, grain: grain, align: align)
                        let what = "partition(\(count), grain: \(grain), align: \(align)) "
                            + "with \(threads) threads = \(parts)"
                        if count == 0 { XCTAssert(parts.isEmpty, what); continue }
                        XCTAssertEqual(parts.first?.lowerBound, 0, what)
                        XCTAssertEqual(parts.last?.upperBound, count, what)
                        XCTAssertLessThanOrEqual(parts.count, threads, what)
                        for (x, y) in zip(parts, parts.dropFirst()) {
                            XCTAssertEqual(x.upperBound, y.lowerBound, what)
                        }
                        for p in parts {
                            XCTAssertFalse(p.isEmpty, what)
                            XCTAssertEqual(p.lowerBound % align, 0, what)
                            // Without alignment every chunk holds at least `grain` items.
                            if align == 1 && parts.count > 1 {
                                XCTAssertGreaterThanOrEqual(p.count, grain, what)
                            }
                        }
                        // Deterministic: the same answer twice.
                        XCTAssertEqual(Parallel.partition(count, grain: grain, align: align), parts, what)
                    }
                }
            }
        }
    }

    func testForRangeVisitsEachIndexOnce() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            for count in [0, 1, 7, 100, 1001] {
                var hits = [Int](repeating: 0, count: count)
                hits.withUnsafeMutableBufferPointer { h in
                    let p = h.baseAddress
                    Parallel.forRange(count, grain: 5, align: 4) { r in
                        for i in r { p![i] += 1 }
                    }
                }
                XCTAssert(hits.allSatisfy { $0 == 1 }, "forRange(\(count)) with \(threads) threads")
            }
        }
    }
}
