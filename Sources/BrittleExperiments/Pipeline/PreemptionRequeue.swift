// Slurm's early warning turned into a requeue: a stage job asks for `--signal=B:USR1@N` and
// `--requeue`; on the signal it runs `scontrol requeue` on its own job, so Slurm stops it and
// queues it again, and the requeued job resumes the stage from its last finished epoch (the
// per-epoch checkpoint). Preemption or the time limit thus loses at most the current epoch.
import Dispatch
import Foundation

/// The USR1 handler of a stage job.
public enum PreemptionRequeue {
    nonisolated(unsafe) private static var source: DispatchSourceSignal?

    /// Under Slurm (SLURM_JOB_ID set), requeue this job on SIGUSR1.
    public static func installIfUnderSlurm(log: @escaping @Sendable (String) -> Void = { note($0) }) {
        guard let job = ProcessInfo.processInfo.environment["SLURM_JOB_ID"], source == nil else { return }
        signal(SIGUSR1, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        s.setEventHandler {
            log("Slurm warned job \(job) (time limit or preemption): requeueing it; the stage resumes from its last finished epoch")
            do { try Slurm.requeueCurrentJob() } catch { log("could not requeue job \(job): \(error)") }
        }
        s.resume()
        source = s
    }
}
