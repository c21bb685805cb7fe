// Timing, clock and table helpers shared by the benchmark subcommands (gemm now, train later).
// Methodology: warm up, size each batch to run at least `minBatch` seconds, interleave the
// contenders' batches (a noisy neighbour on a shared VM then hits both) and keep the best batch.
import Foundation

/// Monotonic wall-clock seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Best seconds per call of each body, from `repeats` interleaved batches. Each body runs once
/// to warm up (page faults, pack buffers, thread pools), once timed to size its batch so that a
/// batch lasts at least `minBatch` seconds, then batch after batch in turn with the others.
/// With several bodies, `settle` seconds of idle precede every batch: OpenBLAS's workers spin
/// for up to 2^28 cycles (~70 ms) after its last call and would otherwise share a core with the
/// next contender's threads. Within a batch, each body keeps its own back-to-back behaviour.
func interleavedBestTimes(
    _ bodies: [() -> Void], repeats: Int, minBatch: Double, settle: Double = 0
) -> [Double] {
    let reps: [Int] = bodies.map { body in
        body()
        let t0 = now()
        body()
        let once = max(now() - t0, 1e-9)
        return max(1, Int((minBatch / once).rounded(.up)))
    }
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<max(1, repeats) {
        for (i, body) in bodies.enumerated() {
            if settle > 0 && bodies.count > 1 { Thread.sleep(forTimeInterval: settle) }
            let t0 = now()
            for _ in 0..<reps[i] { body() }
            best[i] = min(best[i], (now() - t0) / Double(reps[i]))
        }
    }
    return best
}

/// The core clock, for the theoretical peak: measured or read from /proc/cpuinfo.
struct CPUClock {
    var ghz: Double
    var source: String

    /// FP add latency in cycles, by vendor: 3 on AMD Zen (and Intel Haswell/Broadwell), 4 on
    /// Intel Skylake and later.
    static func addLatency(vendor: String) -> Double { vendor == "GenuineIntel" ? 4 : 3 }

    /// Times a chain of dependent double-precision adds: each waits for the previous one, so
    /// the chain runs at exactly one add per `latency` cycles whatever the core's width.
    static func measure() -> CPUClock {
        let vendor = cpuinfo("vendor_id") ?? "unknown vendor"
        let latency = addLatency(vendor: vendor)
        let n = 4_000_000, addsPerIteration = 8.0
        // The step comes from the clock so the optimiser cannot fold the chain.
        let step = 1e-12 * (now().truncatingRemainder(dividingBy: 1) + 1)
        var best = Double.infinity
        var sink = 0.0
        for _ in 0..<5 {
            let t0 = now()
            sink += dependentAdds(n, sink, step)
            best = min(best, now() - t0)
        }
        if sink == .infinity { print("") }  // keep `sink` alive
        let ghz = Double(n) * addsPerIteration * latency / best / 1e9
        return CPUClock(
            ghz: ghz,
            source: "dependent-add timing loop (\(Int(latency))-cycle FP add latency assumed, \(vendor))")
    }

    /// The first "cpu MHz" line of /proc/cpuinfo, in GHz (often the base clock on VMs).
    static func fromCPUInfo() -> CPUClock? {
        guard let mhz = cpuinfo("cpu MHz").flatMap(Double.init) else { return nil }
        return CPUClock(ghz: mhz / 1000, source: "/proc/cpuinfo \"cpu MHz\"")
    }

    static func cpuinfo(_ key: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

@inline(never)
func dependentAdds(_ n: Int, _ start: Double, _ step: Double) -> Double {
    var x = start
    for _ in 0..<n {
        x += step; x += step; x += step; x += step
        x += step; x += step; x += step; x += step
    }
    return x
}

/// AVX2 + FMA: 2 FMA pipes x 8 float lanes x 2 flop per FMA.
let flopPerCyclePerCore = 32.0

/// A plain-text table printed row by row as results arrive: fixed column widths (at least the
/// header's), first column left-aligned, the others right-aligned.
struct Table {
    let headers: [String]
    let widths: [Int]

    init(_ columns: [(header: String, width: Int)]) {
        headers = columns.map(\.header)
        widths = columns.map { max($0.header.count, $0.width) }
    }

    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, s in
            let fill = String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : 0) - s.count))
            return i == 0 ? s + fill : fill + s
        }.joined(separator: "  ")
    }

    func printHeader() {
        print(line(headers))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        fflush(stdout)
    }

    func printRow(_ cells: String...) {
        print(line(cells))
        fflush(stdout)
    }
}

/// `x` with `digits` decimals.
func fmt(_ x: Double, _ digits: Int = 1) -> String {
    x.isFinite ? String(format: "%.\(digits)f", x) : "-"
}
