// Starting a requeued Slurm job at once in a test. Slurm holds a requeued job back (BeginTime,
// about two minutes); tests lift the hold with `scontrol update StartTime=now`. Lifted within
// the same second as the requeue, the new launch carries a credential no newer than the
// revocation of the old run's, and slurmd refuses it ("Job credential revoked"): the job ends
// FAILED with exit 1 without running (seen in CI). So the hold is lifted two seconds after it.
import Foundation

/// Lifts Slurm's hold on requeued job `id` once the requeue is two seconds old.
public func startRequeuedSlurmJob(_ id: String) throws {
    Thread.sleep(forTimeInterval: 2)
    try ProcessRunner.runTool("scontrol", ["update", "JobId=\(id)", "StartTime=now"], install: "apt-get install slurm-client")
}
