// What the executor and `status` ask of a Slurm job's state: will it still run (queued or
// running), is it running now, why it waits, how it ended. A view over SlurmJobState.
import Foundation

extension SlurmJobState {
    /// Queued or running: the stage it runs will still change state by itself.
    public var isActive: Bool { !isFinal }

    /// Running now (also while being requeued).
    public var isRunning: Bool {
        switch self {
        case .running, .requeued: return true
        default: return false
        }
    }

    /// Why a pending job waits.
    public var reason: String? {
        if case .pending(let r) = self { return r }
        return nil
    }

    /// The exit status of a failed job, if it has one.
    public var exitCode: Int32? {
        if case .failed(let code, _) = self { return Int32(code) }
        return nil
    }
}
