// The naive, obviously correct SGEMM: the test oracle for the blocked kernel and the
// definition of what `sgemm` computes. Row-major storage throughout.
// Not fast; never used on a hot path.

/// C = alpha * op(A) * op(B) + beta * C, row-major, by the textbook triple loop (Double accumulation).
/// op(A) is M x K, op(B) is K x N, C is M x N. When beta == 0, C is not read.
public func referenceSGEMM(
    transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let aip = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let bpj = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                s += Double(aip) * Double(bpj)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
            c[i * ldc + j] = Float(Double(alpha) * s + old)
        }
    }
}
