// Correctness of the blocked, threaded `sgemm` against `referenceSGEMM` (the naive oracle) on
// every kernel path this machine can run (GEMMTestPaths: AVX2, the AVX-512 tile compiled for
// AVX2, the real AVX-512 path when present), on the shapes that stress its edges: each path's
// MR/NR/MC/KC/NC boundaries, primes, empty dimensions, padded leading dimensions, every
// transpose pair, alpha/beta, and both threaded split paths, with 1, 2, 3 and 5 threads.
// Also the determinism claim (bit-identical results for any thread count) and that
// `Parallel.partition` tiles its range exactly. Dispatch and cross-path identity:
// GEMMDispatchTests.
import XCTest
@testable import BrittleGEMM

final class GEMMTests: XCTestCase {
    let transposes: [(Transpose, Transpose)] = [
        (.none, .none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed),
    ]

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

    /// Every m in MR-1...MR+1 (and twice) against every n in NR-1...NR+1 (and twice), with
    /// the MR and NR of each path.
    func testMicrokernelEdges() {
        var seed: UInt64 = 10
        for path in GEMMTestPaths.perISA {
            let (MR, NR) = (path.mr, path.nr)
            let ms = [1, MR - 1, MR, MR + 1, 2 * MR - 1, 2 * MR, 2 * MR + 1]
            let ns = [1, NR - 1, NR, NR + 1, 2 * NR - 1, 2 * NR, 2 * NR + 1]
            for (ta, tb) in transposes {
                for m in ms {
                    for n in ns {
                        seed += 1
                        check(GEMMCase(transA: ta, transB: tb, m: m, n: n, k: 7, padA: 1, padB: 3,
                                       padC: 2, seed: seed), threads: [1], paths: [path])
                    }
                }
            }
        }
    }

    /// K just past one and two KC blocks: the beta of the second block must be 1, not beta.
    func testKBlockEdges() {
        let KC = GEMMBlocking.KC
        for (ta, tb) in transposes {
            for k in [KC - 1, KC, KC + 1, 2 * KC + 3] {
                check(GEMMCase(transA: ta, transB: tb, m: 13, n: 35, k: k, padA: 4, padB: 1, padC: 3),
                      threads: [1, 2])
                check(GEMMCase(transA: ta, transB: tb, m: 31, n: 35, k: k, alpha: -0.5, beta: 0.25,
                               padC: 1), threads: [1, 3])
            }
        }
    }

    /// M just past one MC block (single thread), and 2*MC+1 so a worker's half exceeds MC, with
    /// each path's own MC.
    func testMBlockEdges() {
        for path in GEMMTestPaths.all {
            let MC = path.mc
            for (ta, tb) in transposes {
                check(GEMMCase(transA: ta, transB: tb, m: MC + 1, n: 33, k: 40, padA: 2, padC: 1),
                      threads: [1], paths: [path])
                check(GEMMCase(transA: ta, transB: tb, m: MC - 1, n: 17, k: 60, beta: 1, padB: 2),
                      threads: [1, 2], paths: [path])
                check(GEMMCase(transA: ta, transB: tb, m: 2 * MC + 1, n: 19, k: 70, alpha: -0.5,
                               beta: 0.25, padA: 1, padB: 1, padC: 1), paths: [path])
            }
        }
    }

    /// N across NC blocks: NC-1, NC+1 and 2*NC+5 columns with each path's NC (the analytical
    /// NC is thousands of columns, so few rows keep the reference cheap).
    func testNBlockEdges() {
        for path in GEMMTestPaths.all {
            let NC = path.nc
            for (ta, tb) in [(Transpose.none, Transpose.none), (.transposed, .transposed)] {
                for n in [NC - 1, NC + 1, 2 * NC + 5] {
                    check(GEMMCase(transA: ta, transB: tb, m: 7, n: n, k: 19, beta: 0.25, padB: 1,
                                   padC: 1), threads: [1, 2], paths: [path])
                }
            }
            check(GEMMCase(m: 3 * path.mr + 1, n: NC + 3, k: 33, alpha: -0.5, padA: 2),
                  threads: [1, 3, 5], paths: [path])
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

    /// Few rows: workers take disjoint column blocks, sharing one packed A when m <= 256.
    func testThreadedColumnSplitPath() {
        for (ta, tb) in transposes {
            check(GEMMCase(transA: ta, transB: tb, m: 20, n: 700, k: 300, padA: 3, padB: 5, padC: 7))
        }
        check(GEMMCase(m: 20, n: 700, k: 300, alpha: -0.5, beta: 0.25, padC: 1, seed: 9))
        check(GEMMCase(transB: .transposed, m: 20, n: 700, k: 300, beta: 1, seed: 10))
        // N not a multiple of NR, K past KC: uneven column blocks over two K blocks.
        check(GEMMCase(m: 7, n: 333, k: GEMMBlocking.KC + 1, beta: 0.25, padB: 1, padC: 1))
        // Few rows and too few column panels to split by columns: workers still take columns.
        check(GEMMCase(transB: .transposed, m: 20, n: 30, k: 400, alpha: 0.5, beta: 0.25, padA: 1, padC: 2))
        // The 28-row tile's shared-panel threshold (2 * 4 * 28 rows) and uneven row splits.
        check(GEMMCase(transA: .transposed, m: 229, n: 45, k: 80, alpha: 2, beta: 0.5, padC: 1),
              threads: [2, 3, 5])
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
        for path in GEMMTestPaths.all {
            for t in cases {
                guard let first = onPath(path, { t.run(threads: 1).map(\.bitPattern) }) else { return }
                for th in [1, 2, 3, 5, 1, 2, 3, 5] {
                    let again = onPath(path) { t.run(threads: th).map(\.bitPattern) }
                    XCTAssert(again == first, "\(t) \(path): threads=\(th) differs from threads=1 bit for bit")
                }
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
