// Thread-count policy and the one parallel-for used by the compute core.
// Work is always split into a fixed number of parts that depends only on the thread count and
// the problem size, never on timing, so results are bit-identical for a given thread count.
import Dispatch
import Foundation

public enum Parallel {
    /// Worker count for GEMM and batch-parallel kernels. Defaults to `BRITTLE_THREADS` if set,
    /// else the number of active processors. Set it before starting work, not during.
    nonisolated(unsafe) public static var threads: Int = defaultThreads()

    /// The thread count from the environment (`BRITTLE_THREADS`), else the core count.
    public static func defaultThreads() -> Int {
        if let s = ProcessInfo.processInfo.environment["BRITTLE_THREADS"], let n = Int(s), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs `body(part)` for `part` in `0..<parts`, concurrently when `parts > 1`.
    /// `threads` caps the number of threads taking parts (default `Parallel.threads`).
    public static func forEach(parts: Int, threads: Int? = nil, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        WorkerPool.shared.run(parts: parts, threads: threads ?? Parallel.threads, body)
    }

    /// Splits `0..<count` into at most `threads` contiguous chunks of at least `grain` items
    /// (chunk starts are multiples of `align`) and runs them in parallel.
    public static func forRange(
        _ count: Int, grain: Int = 1, align: Int = 1, _ body: (Range<Int>) -> Void
    ) {
        let parts = Parallel.partition(count, grain: grain, align: align)
        forEach(parts: parts.count) { body(parts[$0]) }
    }

    /// The chunks `forRange` would use: deterministic for a given count and thread count.
    public static func partition(_ count: Int, grain: Int = 1, align: Int = 1) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let maxParts = max(1, min(threads, count / max(grain, 1)))
        if maxParts == 1 { return [0..<count] }
        let units = (count + align - 1) / align
        let p = min(maxParts, units)
        var out: [Range<Int>] = []
        out.reserveCapacity(p)
        var start = 0
        for i in 0..<p {
            let endUnits = (units * (i + 1)) / p
            let end = min(count, endUnits * align)
            if end > start { out.append(start..<end) }
            start = end
        }
        return out
    }
}
