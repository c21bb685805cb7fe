// OpenBLAS's cblas_sgemm, loaded at run time with dlopen so that building Brittle never needs
// OpenBLAS: it is only the reference the benchmark prints beside the built-in GEMM.
import Foundation

struct OpenBLAS {
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float,
        UnsafePointer<Float>, Int32, UnsafePointer<Float>, Int32, Float,
        UnsafeMutablePointer<Float>, Int32
    ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    let sgemm: SGEMM
    let setThreads: SetThreads?
    let path: String

    /// Loads the first OpenBLAS found, or explains how to install it.
    static func load() -> Result<OpenBLAS, BenchError> {
        let names = ["libopenblas.so.0", "libopenblas.so", "libopenblasp-r0.3.21.so"]
        for name in names {
            guard let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let g = dlsym(h, "cblas_sgemm") else { continue }
            let t = dlsym(h, "openblas_set_num_threads")
            return .success(OpenBLAS(
                sgemm: unsafeBitCast(g, to: SGEMM.self),
                setThreads: t.map { unsafeBitCast($0, to: SetThreads.self) },
                path: name))
        }
        return .failure(BenchError(
            "OpenBLAS not found (tried \(names.joined(separator: ", "))): install it with "
            + "`apt-get install -y libopenblas-dev` to print the reference column"))
    }

    /// Row-major C = op(A) op(B) (CblasRowMajor = 101, NoTrans = 111, Trans = 112).
    func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              c: UnsafeMutablePointer<Float>, ldc: Int) {
        sgemm(101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(n), Int32(k), 1,
              a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}
