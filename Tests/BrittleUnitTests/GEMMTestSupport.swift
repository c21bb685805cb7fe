// Test support of the GEMM suites: seeded data (TestLCG), one GEMM problem as stored with
// NaN-sentinel padding (GEMMCase), the check of `sgemm` against `referenceSGEMM`, and the
// kernel paths every check runs on. No tests here (GEMMTests, GEMMDispatchTests).
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

/// The kernel paths the GEMM tests run on this machine: AVX2, the AVX-512 tile compiled for
/// AVX2, each with its analytical blocking and with a tight blocking (MC 2 tiles, NC 3 panels)
/// that crosses MC and NC boundaries on small shapes; plus the real AVX-512 path when the CPU
/// has it (else GEMMDispatchTests.testRealAVX512Path skips, naming why).
enum GEMMTestPaths {
    static var all: [GEMMKernelPath] {
        var isas: [GEMMISA] = [.avx2, .avx512TileOnAVX2]
        if GEMMDispatch.isSupported(.avx512) { isas.append(.avx512) }
        return isas.flatMap { isa in
            [GEMMKernelPath(isa, cpu: .current),
             GEMMKernelPath(isa, mc: 2 * isa.tile.mr, nc: 3 * isa.tile.nr)]
        }
    }
    /// One path per ISA, analytical blocking.
    static var perISA: [GEMMKernelPath] { all.filter { $0 == GEMMKernelPath($0.isa, cpu: .current) } }
}

/// `body` with every sgemm on `path`; a path this CPU lacks is a test failure here (callers
/// only pass supported paths).
func onPath<R>(_ path: GEMMKernelPath, file: StaticString = #filePath, line: UInt = #line,
               _ body: () -> R) -> R? {
    do { return try GEMMDispatch.withPath(path, body) } catch {
        XCTFail("\(error)", file: file, line: line)
        return nil
    }
}

extension XCTestCase {
    /// Checks `sgemm` against the reference on every path of `paths` (default: all of
    /// GEMMTestPaths) and thread count: the logical part of C within the K-scaled tolerance and
    /// NaN-free, the padding columns and tail still the sentinel; and, within each path, every
    /// thread count bit-identical to the first.
    func check(
        _ t: GEMMCase, threads: [Int] = [1, 2, 3, 5], paths: [GEMMKernelPath]? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let (ref, before, a, b) = t.reference()
        func maxAbs(_ x: [Float], _ rows: Int, _ cols: Int, _ ld: Int) -> Float {
            var r: Float = 0
            for i in 0..<rows { for j in 0..<cols { r = max(r, abs(x[i * ld + j])) } }
            return r
        }
        let scale = maxAbs(a, t.aRows, t.aCols, t.lda) * maxAbs(b, t.bRows, t.bCols, t.ldb)
        let tolProduct = 1e-5 * Float(t.k) * scale * abs(t.alpha)
        for path in paths ?? GEMMTestPaths.all {
            var first: [UInt32]?
            for th in threads {
                guard let c = onPath(path, file: file, line: line, { t.run(threads: th) }) else { return }
                let what = "\(t) \(path) threads=\(th)"
                let bits = c.map(\.bitPattern)
                if let first, first != bits {
                    XCTFail("\(what): not bit-identical to threads=\(threads[0])", file: file, line: line)
                }
                first = first ?? bits
                var failures = 0
                func fail(_ message: String) {
                    failures += 1
                    if failures <= 3 { XCTFail("\(what): \(message)", file: file, line: line) }
                }
                for idx in 0..<c.count {
                    let (i, j) = (idx / t.ldc, idx % t.ldc)
                    if i < t.m && j < t.n {
                        let old = t.beta == 0 ? 0 : abs(before[idx])
                        let tol = tolProduct + 1e-6 * (1 + abs(t.beta) * old)
                        if c[idx].isNaN || abs(c[idx] - ref[idx]) > tol {
                            fail("C[\(i),\(j)] = \(c[idx]), reference \(ref[idx]), tolerance \(tol)")
                        }
                    } else if c[idx].bitPattern != sentinel.bitPattern {
                        fail("padding/tail float \(idx) (row \(i), col \(j)) was overwritten with \(c[idx])")
                    }
                }
                if failures > 3 { XCTFail("\(what): \(failures) bad floats in total", file: file, line: line) }
            }
        }
    }
}
