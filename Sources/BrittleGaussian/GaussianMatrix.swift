// The small dense linear algebra the Gaussian experiment needs, in Double: square matrices,
// products, the Cholesky factor, inverses and log-determinants of positive-definite matrices,
// and the symmetric eigendecomposition (cyclic Jacobi) that matrix functions are built on.
// Sized for d of a few dozen; not a general library and not the engine's Float GEMM.
import BrittleExperiments
import Foundation

/// A dense n x n matrix of Doubles, row-major.
public struct GaussianMatrix: Equatable, Codable, Sendable {
    /// The number of rows (and columns).
    public let n: Int
    /// The entries, row-major: entry (i, j) is `entries[i * n + j]`.
    public var entries: [Double]

    /// The n x n matrix with these row-major entries.
    public init(n: Int, entries: [Double]) {
        precondition(entries.count == n * n, "GaussianMatrix: \(entries.count) entries for \(n) x \(n)")
        self.n = n
        self.entries = entries
    }

    /// The diagonal matrix with `diagonal` on its diagonal.
    public init(diagonal: [Double]) {
        let n = diagonal.count
        var e = [Double](repeating: 0, count: n * n)
        for i in 0..<n { e[i * n + i] = diagonal[i] }
        self.init(n: n, entries: e)
    }

    /// The n x n identity scaled by `scale`.
    public static func identity(_ n: Int, scale: Double = 1) -> GaussianMatrix {
        GaussianMatrix(diagonal: [Double](repeating: scale, count: n))
    }

    /// Entry (i, j).
    public subscript(i: Int, j: Int) -> Double {
        get { entries[i * n + j] }
        set { entries[i * n + j] = newValue }
    }

    /// The diagonal entries.
    public var diagonal: [Double] { (0..<n).map { self[$0, $0] } }

    /// The sum of the diagonal.
    public var trace: Double { diagonal.reduce(0, +) }

    /// The transpose.
    public var transposed: GaussianMatrix {
        var t = self
        for i in 0..<n { for j in 0..<n { t[i, j] = self[j, i] } }
        return t
    }

    /// (M + Mᵀ) / 2: removes the rounding asymmetry products leave.
    public var symmetrized: GaussianMatrix {
        var s = self
        for i in 0..<n { for j in 0..<n { s[i, j] = (self[i, j] + self[j, i]) / 2 } }
        return s
    }

    /// The Frobenius norm.
    public var frobeniusNorm: Double { entries.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// The matrix product.
    public static func * (a: GaussianMatrix, b: GaussianMatrix) -> GaussianMatrix {
        precondition(a.n == b.n)
        let n = a.n
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n where a.entries[i * n + k] != 0 {
                let aik = a.entries[i * n + k]
                for j in 0..<n { c[i * n + j] += aik * b.entries[k * n + j] }
            }
        }
        return GaussianMatrix(n: n, entries: c)
    }

    /// The matrix-vector product.
    public static func * (a: GaussianMatrix, v: [Double]) -> [Double] {
        precondition(a.n == v.count)
        return (0..<a.n).map { i in (0..<a.n).reduce(0) { $0 + a[i, $1] * v[$1] } }
    }

    /// Entrywise sum.
    public static func + (a: GaussianMatrix, b: GaussianMatrix) -> GaussianMatrix {
        GaussianMatrix(n: a.n, entries: zip(a.entries, b.entries).map(+))
    }

    /// Entrywise difference.
    public static func - (a: GaussianMatrix, b: GaussianMatrix) -> GaussianMatrix {
        GaussianMatrix(n: a.n, entries: zip(a.entries, b.entries).map(-))
    }

    /// Scalar multiple.
    public static func * (s: Double, a: GaussianMatrix) -> GaussianMatrix {
        GaussianMatrix(n: a.n, entries: a.entries.map { s * $0 })
    }

    /// The lower-triangular L with L Lᵀ = self, or nil when self is not (numerically) positive definite.
    public var cholesky: GaussianMatrix? {
        var L = GaussianMatrix(n: n, entries: [Double](repeating: 0, count: n * n))
        for j in 0..<n {
            var d = self[j, j]
            for k in 0..<j { d -= L[j, k] * L[j, k] }
            guard d > 0, d.isFinite else { return nil }
            L[j, j] = d.squareRoot()
            for i in (j + 1)..<max(j + 1, n) {
                var s = self[i, j]
                for k in 0..<j { s -= L[i, k] * L[j, k] }
                L[i, j] = s / L[j, j]
            }
        }
        return L
    }

    /// Whether the matrix is (numerically) symmetric positive definite.
    public var isPositiveDefinite: Bool { cholesky != nil }

    /// log det of a positive-definite matrix (nil when it is not positive definite).
    public var logDeterminant: Double? {
        guard let L = cholesky else { return nil }
        return 2 * L.diagonal.reduce(0) { $0 + log($1) }
    }

    /// The inverse of a symmetric positive-definite matrix, L⁻ᵀ L⁻¹ from its Cholesky factor
    /// (traps when the matrix is not positive definite: callers check first).
    public var inverse: GaussianMatrix {
        guard let L = cholesky else { preconditionFailure("GaussianMatrix.inverse: not positive definite") }
        // Linv = L⁻¹ by forward substitution, column by column.
        var Linv = GaussianMatrix(n: n, entries: [Double](repeating: 0, count: n * n))
        for j in 0..<n {
            Linv[j, j] = 1 / L[j, j]
            for i in (j + 1)..<max(j + 1, n) {
                var s = 0.0
                for k in j..<i { s -= L[i, k] * Linv[k, j] }
                Linv[i, j] = s / L[i, i]
            }
        }
        return (Linv.transposed * Linv).symmetrized
    }

    /// The eigenvalues (ascending) and orthonormal eigenvectors (the columns of `vectors`) of a
    /// symmetric matrix, by cyclic Jacobi rotations (Golub & Van Loan, section 8.5).
    public var symmetricEigen: (values: [Double], vectors: GaussianMatrix) {
        var A = symmetrized
        var V = GaussianMatrix.identity(n)
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += A[i, j] * A[i, j] } }
            if off <= 1e-30 * max(1e-300, A.frobeniusNorm * A.frobeniusNorm) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where A[p, q] != 0 {
                    // The rotation that zeroes A[p, q], with the smaller angle for stability.
                    let theta = (A[q, q] - A[p, p]) / (2 * A[p, q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = A[k, p], akq = A[k, q]
                        A[k, p] = c * akp - s * akq
                        A[k, q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = A[p, k], aqk = A[q, k]
                        A[p, k] = c * apk - s * aqk
                        A[q, k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = V[k, p], vkq = V[k, q]
                        V[k, p] = c * vkp - s * vkq
                        V[k, q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { A[$0, $0] < A[$1, $1] }
        var sorted = GaussianMatrix(n: n, entries: [Double](repeating: 0, count: n * n))
        for (column, k) in order.enumerated() { for i in 0..<n { sorted[i, column] = V[i, k] } }
        return (order.map { A[$0, $0] }, sorted)
    }

    /// f(self) for a symmetric matrix: f applied to each eigenvalue, V diag(f(λ)) Vᵀ.
    public func applying(_ f: (Double) -> Double) -> GaussianMatrix {
        let (values, V) = symmetricEigen
        var out = GaussianMatrix(n: n, entries: [Double](repeating: 0, count: n * n))
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += V[i, k] * f(values[k]) * V[j, k] }
                out[i, j] = s
            }
        }
        return out.symmetrized
    }
}

/// The dot product.
func vectorDot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// The Euclidean norm.
func vectorNorm(_ a: [Double]) -> Double { vectorDot(a, a).squareRoot() }

/// The cosine of the angle between two non-zero vectors.
public func cosine(_ a: [Double], _ b: [Double]) -> Double { vectorDot(a, b) / (vectorNorm(a) * vectorNorm(b)) }
