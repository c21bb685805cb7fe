// The "stop soon" flag of a long computation run under Slurm: a handler for a signal (SIGUSR1
// unless told otherwise; what `--signal=B:USR1@N` sends before the time limit) records that it
// came and when. The computation polls `isRequested` between steps, checkpoints and requeues
// (Slurm.requeueCurrentJob). It never stops anything itself.
import Dispatch
import Foundation

/// Whether this process was asked to stop soon (by a signal), readable from any thread.
public enum PreemptionSignal {
    /// Installs the handler for `signal` (idempotent). From then on `signal` no longer kills
    /// the process; it sets `isRequested`.
    public static func install(_ signal: Int32 = SIGUSR1) {
        state.install(signal)
    }

    /// Whether an installed signal has arrived (since the last `reset`).
    public static var isRequested: Bool { state.requestedAt != nil }

    /// When the first signal arrived (since the last `reset`), or nil.
    public static var requestedAt: Date? { state.requestedAt }

    /// Forgets an arrived signal (e.g. after a checkpoint that lets the work go on); the
    /// handlers stay installed.
    public static func reset() { state.reset() }

    private static let state = SignalState()
}

/// The handlers and the flag. The signal itself is taken by a dispatch source (signalfd-like
/// delivery on a queue), not an async-signal handler, so a lock and a Date are safe here.
private final class SignalState: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [Int32: DispatchSourceSignal] = [:]
    private var arrived: Date?
    private let queue = DispatchQueue(label: "brittle.preemption-signal")

    func install(_ signal: Int32) {
        lock.lock(); defer { lock.unlock() }
        guard sources[signal] == nil else { return }
        // The default action (terminate) must go before the source can see the signal.
        Foundation.signal(signal, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
        source.setEventHandler { [weak self] in self?.record() }
        source.resume()
        sources[signal] = source
    }

    var requestedAt: Date? { lock.lock(); defer { lock.unlock() }; return arrived }

    func reset() { lock.lock(); arrived = nil; lock.unlock() }

    private func record() {
        lock.lock(); defer { lock.unlock() }
        if arrived == nil { arrived = Date() }
    }
}
