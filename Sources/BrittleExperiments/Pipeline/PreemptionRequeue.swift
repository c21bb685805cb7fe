// Slurm's early warning turned into a requeue: a stage job asks for `--signal=B:USR1@N` and
// `--requeue`; on the signal (caught by PreemptionSignal's plain handler: a libdispatch signal
// source was seen to lose it) a watcher thread runs `scontrol requeue` on the job, so Slurm
// stops it and queues it again, and the requeued job resumes the stage from its last finished
// epoch (the per-epoch checkpoint). Preemption or the time limit loses at most the current epoch.
import Foundation

/// The USR1 watcher of a stage job.
public enum PreemptionRequeue {
    nonisolated(unsafe) private static var installed = false

    /// Under Slurm (SLURM_JOB_ID set), requeue this job when SIGUSR1 arrives.
    public static func installIfUnderSlurm(log: @escaping @Sendable (String) -> Void = { note($0) }) {
        guard let job = ProcessInfo.processInfo.environment["SLURM_JOB_ID"], !installed else { return }
        installed = true
        PreemptionSignal.install(SIGUSR1)
        let watcher = Thread {
            while !PreemptionSignal.isRequested { usleep(200_000) }
            log("Slurm warned job \(job) (time limit or preemption): requeueing it; the stage resumes from its last finished epoch")
            do { try Slurm.requeueCurrentJob() } catch { log("could not requeue job \(job): \(error)") }
        }
        watcher.start()
    }
}
