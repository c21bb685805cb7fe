// What Slurm says about one job, as a small typed state: waiting, running, or how it ended (with
// the exit code of a failure), and `.gone` for a job the controller no longer knows (purged
// after MinJobAge, or never existed). Parsed from squeue's long state names; not a full model of
// Slurm's 20-odd states, which are folded into these.
import Foundation

/// The state of one Slurm job.
public enum SlurmJobState: Sendable, Equatable, CustomStringConvertible {
    /// Waiting to start; `reason` is squeue's (e.g. "Priority", "Resources", "Dependency",
    /// "BeginTime" after a requeue, "DependencyNeverSatisfied" on a cluster without
    /// kill_invalid_depend).
    case pending(reason: String)
    /// Started and not yet finished (also configuring, completing, suspended).
    case running
    /// Ended with exit status 0.
    case completed
    /// Ended otherwise: a non-zero exit (`exitCode`), a signal, a node failure, out of memory.
    /// `reason` is Slurm's, plus the state or signal where that says more.
    case failed(exitCode: Int, reason: String)
    /// Cancelled by scancel, or by Slurm because a dependency failed (reason
    /// "DependencyNeverSatisfied").
    case cancelled(reason: String)
    /// Killed at its time limit.
    case timeout
    /// Preempted by another job (and not requeued).
    case preempted
    /// Being requeued (briefly; then `.pending`, usually with reason "BeginTime").
    case requeued
    /// Not known to the controller: finished longer than MinJobAge ago, or never submitted.
    case gone
    /// A state this client does not know, as squeue printed it.
    case other(String)

    /// Whether the job will not change state by itself any more: it ended, is gone, or waits on
    /// a dependency that can never be satisfied.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .timeout, .preempted, .gone: return true
        case .pending(let reason): return reason == "DependencyNeverSatisfied"
        case .running, .requeued, .other: return false
        }
    }

    /// Like squeue: "PENDING (Priority)", "FAILED (exit 3, NonZeroExitCode)".
    public var description: String {
        switch self {
        case .pending(let reason): return "PENDING (\(reason))"
        case .running: return "RUNNING"
        case .completed: return "COMPLETED"
        case .failed(let code, let reason): return "FAILED (exit \(code), \(reason))"
        case .cancelled(let reason): return reason == "None" ? "CANCELLED" : "CANCELLED (\(reason))"
        case .timeout: return "TIMEOUT"
        case .preempted: return "PREEMPTED"
        case .requeued: return "REQUEUED"
        case .gone: return "GONE"
        case .other(let state): return state
        }
    }

    /// The state for squeue's long `state` and `reason` and its raw `exit_code` (a wait status:
    /// code << 8, or the signal number).
    init(squeueState state: String, reason: String, waitStatus: Int) {
        let exitCode = (waitStatus >> 8) & 0xff, signal = waitStatus & 0x7f
        let signalled = signal == 0 ? reason : "\(reason), signal \(signal)"
        switch state {
        case "PENDING", "RESV_DEL_HOLD": self = .pending(reason: reason)
        case "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING":
            self = .running
        case "COMPLETED": self = .completed
        case "FAILED": self = .failed(exitCode: exitCode, reason: signalled)
        case "NODE_FAIL", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE":
            self = .failed(exitCode: exitCode, reason: "\(state): \(signalled)")
        case "CANCELLED": self = .cancelled(reason: reason)
        case "TIMEOUT": self = .timeout
        case "PREEMPTED": self = .preempted
        case "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "SPECIAL_EXIT": self = .requeued
        default: self = .other(state)
        }
    }
}
