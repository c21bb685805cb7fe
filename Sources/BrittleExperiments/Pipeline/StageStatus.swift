// `brittle reproduce status OUT`: the state of every stage of a run directory, from the stage
// cache (finished, partial directories of live processes, failure markers, resume checkpoints)
// and, for stages submitted to Slurm, the queue. Reads only; changes nothing.
import Foundation

/// The state of one stage.
public enum StageState: Equatable, Sendable {
    case done(seconds: Double?)
    case running(detail: String)
    case queued(job: String, reason: String?)
    case failed(StageFailure)
    /// A stage it reads failed.
    case blocked(by: String)
    /// Not started (resumable: a killed training left its epoch checkpoint).
    case notStarted(resumable: Bool)

    public var word: String {
        switch self {
        case .done: return "done"
        case .running: return "running"
        case .queued: return "queued"
        case .failed: return "failed"
        case .blocked: return "blocked"
        case .notStarted: return "not started"
        }
    }

    public static func == (a: StageState, b: StageState) -> Bool { a.word == b.word }
}

/// Every stage of a run and its state.
public struct RunStatus {
    public var stages: [(stage: PlannedStage, state: StageState)] = []

    /// Reads the state of every stage of the plan in `directory`; Slurm is asked about the
    /// jobs of jobs.json when any stage is not finished.
    public static func read(_ directory: RunDirectory) throws -> RunStatus {
        let plan = try directory.readPlan()
        let cache = directory.cache
        let jobs = directory.jobs()
        var slurmStates: [String: SlurmJobState] = [:]
        let unfinishedJobs = jobs.filter { key, _ in plan.stage(key).map { !cache.isFinished($0) } ?? false }
        if !unfinishedJobs.isEmpty, let slurm = try? Slurm() {
            slurmStates = (try? slurm.states(of: unfinishedJobs.values.map(\.jobID))) ?? [:]
        }
        var status = RunStatus()
        var states: [String: StageState] = [:]
        for s in plan.stages {
            let state: StageState
            let job = jobs[s.key]
            if cache.isFinished(s) {
                state = .done(seconds: cache.seconds(s))
            } else if let job, let js = slurmStates[job.jobID], js.isActive {
                state = js.isRunning ? .running(detail: "job \(job.jobID), log \(job.log)") : .queued(job: job.jobID, reason: js.reason)
            } else if let w = cache.writers(stage: s.name, key: s.key).first {
                state = .running(detail: "pid \(w.pid) on \(w.host)")
            } else if var f = cache.failure(s) {
                f.log = f.log ?? job?.log
                state = .failed(f)
            } else if let bad = s.upstream.first(where: { k in
                switch states[k] { case .failed?, .blocked?: return true; default: return false }
            }) {
                state = .blocked(by: plan.stage(bad)?.name ?? bad)
            } else if let job, let js = slurmStates[job.jobID] {
                state = .failed(StageFailure(stage: s.name, key: s.key, message: "Slurm job \(job.jobID) ended \(js) without finishing the stage",
                                             exitStatus: js.exitCode, log: job.log, host: "", time: job.submitted))
            } else {
                state = .notStarted(resumable: cache.hasResumeFile(s))
            }
            states[s.key] = state
            status.stages.append((s, state))
        }
        return status
    }

    /// How much of a run's work is done, by the plan's estimate.
    public struct Progress: Equatable {
        /// Share (0...1) of the plan's estimated image passes in finished stages.
        public var done: Double
        /// The passes left at the pace of the finished stages that recorded their time (nil:
        /// none did, or nothing is left).
        public var secondsLeft: Double?
    }

    /// Progress of stages given as (estimated passes, state).
    public static func progress(_ stages: [(passes: Double, state: StageState)]) -> Progress {
        var total = 0.0, done = 0.0, timedPasses = 0.0, timedSeconds = 0.0
        for (passes, state) in stages {
            total += passes
            guard case .done(let seconds) = state else { continue }
            done += passes
            if let seconds { timedPasses += passes; timedSeconds += seconds }
        }
        guard total > 0 else { return Progress(done: 1, secondsLeft: nil) }
        let left = total - done
        return Progress(done: done / total, secondsLeft: left > 0 && timedPasses > 0 ? left * timedSeconds / timedPasses : nil)
    }

    /// This run's progress.
    public var progress: Progress { Self.progress(stages.map { ($0.stage.estimatedPasses, $0.state) }) }

    /// Stages in each state.
    public var counts: [String: Int] { Dictionary(grouping: stages, by: { $0.state.word }).mapValues(\.count) }

    /// The table `brittle reproduce status` prints.
    public func render() -> String {
        var lines = ["state        stage                                    key               time      detail"]
        for (s, state) in stages {
            var time = "", detail = ""
            switch state {
            case .done(let seconds): time = seconds.map(formatDuration) ?? ""
            case .running(let d): detail = d
            case .queued(let job, let reason): detail = "job \(job)" + (reason.map { " (\($0))" } ?? "")
            case .failed(let f):
                detail = "exit \(f.exitStatus.map(String.init) ?? "?"), log \(f.log ?? "(this terminal)"): " + f.message.prefix(160)
            case .blocked(let by): detail = "by \(by)"
            case .notStarted(let resumable): detail = resumable ? "will resume from its last epoch" : ""
            }
            lines.append(state.word.padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                         + s.name.padding(toLength: 40, withPad: " ", startingAt: 0) + " " + String(s.key.prefix(16)) + "  "
                         + time.padding(toLength: 9, withPad: " ", startingAt: 0) + " " + detail)
        }
        let order = ["done", "running", "queued", "failed", "blocked", "not started"]
        lines.append("")
        lines.append("\(stages.count) stages: " + order.compactMap { w in counts[w].map { "\($0) \(w)" } }.joined(separator: ", "))
        let p = progress
        if let left = p.secondsLeft {
            lines.append(String(format: "work done: %.1f%% of the plan's estimated image passes; at the finished stages' pace about %@ of work left ", 100 * p.done, Self.hours(left))
                         + "(an estimate: the ensemble's cost is an upper bound, and other jobs on the machine slow it)")
        }
        return lines.joined(separator: "\n")
    }

    /// "1h05m" from an hour on, else as `formatDuration`.
    static func hours(_ seconds: Double) -> String {
        seconds >= 3600 ? "\(Int(seconds) / 3600)h" + String(format: "%02dm", Int(seconds) % 3600 / 60) : formatDuration(seconds)
    }
}
