// A persistent pool of worker threads for the compute core. Workers spin briefly after each job
// and then park on a condition variable, so back-to-back GEMM and layer calls (a training step
// makes dozens) start in well under a microsecond instead of paying a dispatch wake-up each.
// Parts are claimed through one atomic ticket word (generation | parts | next index), so a
// worker that wakes late can never claim a part of a job that has already finished.
import CBrittleShims
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    private let ticket = Atomic<UInt64>(0)  // generation (24 bits) | parts (20) | next (20)
    private let pending = Atomic<Int>(0)
    private var job: ((Int) -> Void)?
    private var generation: UInt64 = 0
    private let callerLock = NSLock()
    private let sleep = NSCondition()
    private var started = 0
    private static let spinRounds = 40_000

    private static let mask: UInt64 = 0xFFFFF
    @inline(__always) private static func gen(_ t: UInt64) -> UInt64 { t >> 40 }

    /// Runs body(0..<parts) on the calling thread and up to `threads - 1` workers.
    func run(parts: Int, threads: Int, _ body: (Int) -> Void) {
        precondition(parts < Int(WorkerPool.mask), "WorkerPool: too many parts")
        if brittle_is_pool_worker() != 0 || threads <= 1 {
            for i in 0..<parts { body(i) }
            return
        }
        callerLock.lock()
        defer { callerLock.unlock() }
        startWorkers(upTo: threads - 1)
        withoutActuallyEscaping(body) { b in
            job = b
            generation = (generation + 1) & 0xFFFFFF
            if generation == 0 { generation = 1 }
            let g = generation
            pending.store(parts, ordering: .sequentiallyConsistent)
            ticket.store((g << 40) | (UInt64(parts) << 20), ordering: .sequentiallyConsistent)
            sleep.lock()
            sleep.broadcast()
            sleep.unlock()
            claim(generation: g)
            while pending.load(ordering: .acquiring) > 0 { brittle_spin_pause() }
            job = nil
        }
    }

    /// Claims and runs parts of generation `g` until none are left.
    @inline(__always)
    private func claim(generation g: UInt64) {
        while true {
            let t = ticket.load(ordering: .acquiring)
            if WorkerPool.gen(t) != g { return }
            let next = t & WorkerPool.mask, parts = (t >> 20) & WorkerPool.mask
            if next >= parts { return }
            let (won, _) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
            if !won { continue }
            job!(Int(next))
            pending.subtract(1, ordering: .releasing)
        }
    }

    private func startWorkers(upTo n: Int) {
        while started < n {
            let t = Thread { [unowned self] in self.workerLoop() }
            t.stackSize = 8 << 20
            t.name = "brittle-worker-\(started)"
            t.start()
            started += 1
        }
    }

    private func workerLoop() {
        brittle_mark_pool_worker()
        var last = WorkerPool.gen(ticket.load(ordering: .acquiring))
        while true {
            var spins = 0
            var t = ticket.load(ordering: .acquiring)
            while WorkerPool.gen(t) == last {
                spins += 1
                if spins < WorkerPool.spinRounds {
                    brittle_spin_pause()
                } else {
                    sleep.lock()
                    while WorkerPool.gen(ticket.load(ordering: .acquiring)) == last { sleep.wait() }
                    sleep.unlock()
                }
                t = ticket.load(ordering: .acquiring)
            }
            last = WorkerPool.gen(t)
            claim(generation: last)
        }
    }
}
