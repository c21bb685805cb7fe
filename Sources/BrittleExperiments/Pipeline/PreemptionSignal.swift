// The "stop soon" flag of a long computation run under Slurm: a handler for a signal (SIGUSR1
// unless told otherwise; what `--signal=B:USR1@N` sends before the time limit) records that it
// came and when. The computation polls `isRequested` between steps, checkpoints and requeues
// (Slurm.requeueCurrentJob). It never stops anything itself.
import Foundation
import Synchronization

/// Whether this process was asked to stop soon (by a signal), readable from any thread.
public enum PreemptionSignal {
    /// Installs the handler for `signal` (idempotent). From then on `signal` no longer kills
    /// the process; it sets `isRequested`.
    public static func install(_ signal: Int32 = SIGUSR1) {
        // Touch the flag first: its lazy initialisation must not happen inside the handler.
        _ = arrivedNanoseconds.load(ordering: .relaxed)
        // A plain handler, not a dispatch source: on Linux libdispatch takes the signal through
        // signalfd, which sees it only if every thread blocks it, so most would be lost.
        // glibc's signal() keeps the handler installed and restarts interrupted calls.
        _ = Foundation.signal(signal, preemptionSignalHandler)
    }

    /// Whether an installed signal has arrived (since the last `reset`).
    public static var isRequested: Bool { arrivedNanoseconds.load(ordering: .acquiring) != 0 }

    /// When the first signal arrived (since the last `reset`), or nil.
    public static var requestedAt: Date? {
        let nanoseconds = arrivedNanoseconds.load(ordering: .acquiring)
        return nanoseconds == 0 ? nil : Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
    }

    /// Forgets an arrived signal (e.g. after a checkpoint that lets the work go on); the
    /// handlers stay installed.
    public static func reset() { arrivedNanoseconds.store(0, ordering: .releasing) }

    /// Wall-clock nanoseconds since 1970 of the first signal, 0 while none came. Lock-free, so
    /// the handler may write it.
    fileprivate static let arrivedNanoseconds = Atomic<Int64>(0)
}

/// Async-signal-safe: clock_gettime and one atomic compare-and-swap, nothing else.
private func preemptionSignalHandler(_: Int32) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let nanoseconds = max(1, Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
    _ = PreemptionSignal.arrivedNanoseconds.compareExchange(expected: 0, desired: nanoseconds, ordering: .acquiringAndReleasing)
}
