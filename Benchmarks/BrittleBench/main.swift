import BrittleGEMM
import Foundation

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let shapes: [(Int, Int, Int)] = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
    (128, 128, 784), (128, 10, 784), (128, 784, 512), (25088, 64, 288), (6272, 128, 576)]
let threads = Int(ProcessInfo.processInfo.environment["BT"] ?? "2")!
Parallel.threads = threads
let blas = try! OpenBLAS.load().get()
blas.setThreads?(Int32(threads))
for (m, n, k) in shapes {
    var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n)
    for i in a.indices { a[i] = Float(i % 7) * 0.1 - 0.3 }
    for i in b.indices { b[i] = Float(i % 5) * 0.1 - 0.2 }
    var c = [Float](repeating: 0, count: m * n)
    let flop = 2.0 * Double(m * n * k)
    let reps = max(3, min(200, Int(2e10 / flop)))
    func best(_ f: () -> Void) -> Double {
        var bestT = Double.infinity
        for _ in 0..<5 {
            let t0 = now()
            for _ in 0..<reps { f() }
            bestT = min(bestT, (now() - t0) / Double(reps))
        }
        return flop / bestT / 1e9
    }
    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
        let ours = best { sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n) }
        let ref = best { blas.gemm(transA: false, transB: false, m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n) }
        print("\(m)x\(n)x\(k): brittle \(String(format: "%.1f", ours))  openblas \(String(format: "%.1f", ref))  ratio \(String(format: "%.2f", ours / ref))")
    }}}
}
