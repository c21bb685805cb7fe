// `brittle-bench gemm`: the built-in SGEMM against OpenBLAS (loaded with dlopen) on square and
// network-shaped products, with each result as a fraction of the theoretical peak of the kernel
// path in use (printed with the CPU and the blocking; `--isa` or BRITTLE_ISA picks the path).
// The bar is Brittle >= 1.0 x OpenBLAS on every shape (issue 11; README "Performance").
import ArgumentParser
import BrittleGEMM
import Foundation

/// An M x N x K product: C (M x N) = A (M x K) * B (K x N).
struct GEMMShape: CustomStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var description: String { "\(m)x\(n)x\(k)" }
    var flop: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Parses "MxNxK" (also "X" or "×" as separators).
    init(m: Int, n: Int, k: Int) { (self.m, self.n, self.k) = (m, n, k) }
    init(parsing s: String) throws {
        let parts = s.split(whereSeparator: { "xX×".contains($0) })
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let m = parts[0], let n = parts[1], let k = parts[2],
              m > 0, n > 0, k > 0
        else { throw ValidationError("bad shape '\(s)': expected MxNxK with positive sizes, e.g. 512x512x512") }
        self.init(m: m, n: n, k: k)
    }

    static func list(_ s: String) throws -> [GEMMShape] {
        try s.split(separator: ",").map { try GEMMShape(parsing: String($0)) }
    }

    static let defaults: [GEMMShape] = [
        .init(m: 512, n: 512, k: 512), .init(m: 1024, n: 1024, k: 1024),
        .init(m: 2048, n: 2048, k: 2048),
        // MLP layers on MNIST (batch 128): 784 -> 128 -> 10, and a 512-wide layer's backward.
        .init(m: 128, n: 128, k: 784), .init(m: 128, n: 10, k: 784), .init(m: 128, n: 784, k: 512),
        // im2col convolutions of a small CNN: (N*H*W) x Cout x (Cin*3*3).
        .init(m: 25088, n: 64, k: 288), .init(m: 6272, n: 128, k: 576),
    ]
}

struct GEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Brittle's SGEMM against OpenBLAS, in GFLOP/s and as a fraction of peak.",
        discussion: """
            Row-major C = A * B (no transposes, alpha 1, beta 0). OpenBLAS is loaded at run time; \
            without it only the Brittle column is printed. Peak = threads x flop/cycle x clock, \
            with flop/cycle = 2 x SIMD lanes x FMA units of the path (avx2 32, avx512 64).
            """)

    @Option(help: ArgumentHelp(
        "GEMM kernel path: avx2 or avx512 (default: BRITTLE_ISA, else the best this CPU has).",
        valueName: "isa"))
    var isa: String? = nil

    @Option(help: "Tuning: MC (rows of the packed A block) instead of the cache model's.")
    var mc: Int? = nil

    @Option(help: "Tuning: NC (columns of the packed B block) instead of the cache model's.")
    var nc: Int? = nil

    @Option(help: "FMA units per core assumed for the peak (2 on most; 1 on some AVX-512 Xeons).")
    var fmaUnits: Int = 2

    @Option(help: "Worker threads for both libraries.")
    var threads: Int = 2

    @Option(help: "Timed batches per library and shape; the best one counts.")
    var repeats: Int = 5

    @Option(help: "Comma-separated MxNxK list (default: square sizes and MNIST/CNN layer shapes).",
            transform: { try GEMMShape.list($0) })
    var shapes: [GEMMShape]? = nil

    @Option(help: "Minimum seconds per timed batch.")
    var minBatch: Double = 0.2

    // Without it, a Brittle batch that follows an OpenBLAS batch shares a core with OpenBLAS's
    // still-spinning workers (measured: 128x784x512 at 0.68 unsettled).
    @Option(help: "Idle seconds before each batch (lets OpenBLAS's spinning workers park).")
    var settle: Double = 0.1

    @Option(help: "Clock in GHz for the peak (default: measured with a timing loop).")
    var ghz: Double? = nil

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard minBatch > 0 else { throw ValidationError("--min-batch must be positive") }
        guard settle >= 0 else { throw ValidationError("--settle must not be negative") }
        guard fmaUnits == 1 || fmaUnits == 2 else { throw ValidationError("--fma-units must be 1 or 2") }
        guard mc.map({ $0 >= 1 }) ?? true, nc.map({ $0 >= 1 }) ?? true else {
            throw ValidationError("--mc and --nc must be at least 1")
        }
    }

    /// The path of `--isa` (refused with the fix, exit status 1, if unknown or this CPU lacks
    /// it), else the process's (BRITTLE_ISA or automatic); `--mc`/`--nc` replace the model's.
    func chosenPath() throws -> GEMMKernelPath {
        let cpu = CPUInfo.current
        guard let isa else {
            let p = GEMMDispatch.current
            return mc == nil && nc == nil ? p : GEMMKernelPath(p.isa, mc: mc ?? p.mc, nc: nc ?? p.nc, cpu: cpu)
        }
        guard let chosen = GEMMISA(rawValue: isa.lowercased()) else {
            throw BenchError("--isa \(String(reflecting: isa)) is not a GEMM kernel path: use avx2 or avx512")
        }
        guard GEMMDispatch.isSupported(chosen, on: cpu) else {
            throw BenchError("--isa \(chosen): this CPU (\(cpu.model)) has no "
                + "\(chosen.requires.subtracting(cpu.features)); use --isa \(GEMMDispatch.automatic(for: cpu))")
        }
        let p = GEMMKernelPath(chosen, cpu: cpu)
        return GEMMKernelPath(chosen, mc: mc ?? p.mc, nc: nc ?? p.nc, cpu: cpu)
    }

    func run() throws {
        let path = try chosenPath()
        try GEMMDispatch.withPath(path) { try runOnPath(path) }
    }

    func runOnPath(_ path: GEMMKernelPath) throws {
        let clock: CPUClock
        let measured = CPUClock.measure()
        if let ghz { clock = CPUClock(ghz: ghz, source: "--ghz") } else { clock = measured }
        let flopPerCycle = peakFlopPerCycle(path.isa, fmaUnits: fmaUnits)
        let peak = Double(threads) * flopPerCycle * clock.ghz
        print(machineSummary())
        print("threads: \(threads), repeats: \(repeats), batches >= \(fmt(minBatch, 2)) s")
        print("clock: \(fmt(clock.ghz, 2)) GHz from \(clock.source)"
              + (CPUClock.fromCPUInfo().map { "; /proc/cpuinfo says \(fmt($0.ghz, 2)) GHz" } ?? ""))
        if ghz != nil { print("       (timing loop measured \(fmt(measured.ghz, 2)) GHz)") }
        print("peak: \(fmt(peak)) GFLOP/s = \(threads) threads x \(Int(flopPerCycle)) flop/cycle"
              + " x \(fmt(clock.ghz, 2)) GHz (\(path.isa): \(path.isa.lanes)-lane FMA, \(fmaUnits) FMA "
              + "unit\(fmaUnits == 1 ? "" : "s") per core assumed; --fma-units)")

        Parallel.threads = threads
        var blas: OpenBLAS?
        switch OpenBLAS.load() {
        case .success(let b):
            blas = b
            if let set = b.setThreads {
                set(Int32(threads))
                print("OpenBLAS: \(b.path), openblas_set_num_threads(\(threads))")
            } else {
                print("OpenBLAS: \(b.path) (no openblas_set_num_threads: its thread count is its own)")
            }
        case .failure(let error):
            print("\(error)")
        }
        print("")

        let table = Table([("M x N x K", 16), ("Brittle GFLOP/s", 0), ("OpenBLAS GFLOP/s", 0),
                           ("ratio", 6), ("Brittle % peak", 0)])
        table.printHeader()
        var worst: (ratio: Double, shape: GEMMShape)?
        for shape in shapes ?? GEMMShape.defaults {
            let (ours, theirs, warning) = measure(shape, blas)
            let ratio = theirs.map { ours / $0 }
            if let ratio, ratio < (worst?.ratio ?? .infinity) { worst = (ratio, shape) }
            table.printRow(shape.description, fmt(ours), theirs.map { fmt($0) } ?? "-",
                           ratio.map { fmt($0, 2) } ?? "-", fmt(100 * ours / peak) + "%")
            if let warning { print("  warning: \(warning)") }
        }
        print("")
        if let worst {
            let holds = worst.ratio >= 1.0
            print("minimum ratio: \(fmt(worst.ratio, 2)) (\(worst.shape)); the 1.0 bar "
                  + (holds ? "holds" : "does NOT hold"))
        } else if blas == nil {
            print("no OpenBLAS: ratios not measured (apt-get install -y libopenblas-dev)")
        }
    }

    /// Best GFLOP/s of Brittle and (if loaded) OpenBLAS on one shape, plus a warning if their
    /// results disagree beyond rounding.
    func measure(_ s: GEMMShape, _ blas: OpenBLAS?) -> (Double, Double?, String?) {
        let (m, n, k) = (s.m, s.n, s.k)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        let cRef = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate(); cRef.deallocate() }
        var state: UInt32 = 12345
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) - 0.5
        }
        for i in 0..<(m * k) { a[i] = next() }
        for i in 0..<(k * n) { b[i] = next() }
        c.initialize(repeating: 0, count: m * n)
        cRef.initialize(repeating: 0, count: m * n)

        var bodies: [() -> Void] = [{
            sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
        }]
        if let blas {
            bodies.append {
                blas.gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n,
                          c: cRef, ldc: n)
            }
        }
        let t = interleavedBestTimes(bodies, repeats: repeats, minBatch: minBatch, settle: settle)
        var warning: String?
        if blas != nil {
            var worst: Float = 0
            for i in 0..<(m * n) { worst = max(worst, abs(c[i] - cRef[i])) }
            // Inputs are in [-0.5, 0.5): |c| <= k/4; allow float rounding growth in k.
            if !(worst <= 1e-5 * Float(k)) {
                warning = "Brittle and OpenBLAS differ by up to \(worst) on \(s)"
            }
        }
        return (s.flop / t[0] / 1e9, t.count > 1 ? s.flop / t[1] / 1e9 : nil, warning)
    }
}
