// The layout of a run directory (OUT): plan.json, stages/ (the stage cache, shared by every
// process and node of the run), logs/ (one log per stage process or Slurm job), jobs.json (the
// Slurm job of each submitted stage), and the report's files. Creating it remembers which
// directories it made, so a run refused before any work leaves nothing behind.
import BrittleIO
import Foundation

/// A run's output directory.
public final class RunDirectory: @unchecked Sendable {
    public let path: String
    public let cache: StageCache
    /// Directories this invocation created (OUT and its missing parents, stages/), deepest first.
    private let created: [String]
    private let hadPlan: Bool

    /// Opens (creating) `path` and its stage cache.
    public init(_ path: String) throws {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        self.path = (absolute as NSString).standardizingPath
        let root = (self.path as NSString).appendingPathComponent("stages")
        var missing: [String] = []
        var dir = root
        while !dir.isEmpty, dir != "/", !FileManager.default.fileExists(atPath: dir) {
            missing.append(dir)
            dir = (dir as NSString).deletingLastPathComponent
        }
        created = missing
        hadPlan = FileManager.default.fileExists(atPath: (self.path as NSString).appendingPathComponent("plan.json"))
        cache = try StageCache(root: root)
    }

    /// An existing run directory (status, report): refuses a directory without plan.json.
    public static func existing(_ path: String) throws -> RunDirectory {
        guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("plan.json")) else {
            throw ReproductionError("\(path) is not a run directory (no plan.json): give the --out of a `brittle reproduce` or `brittle sweep` run")
        }
        return try RunDirectory(path)
    }

    public var planFile: String { file("plan.json") }
    public var logDirectory: String { file("logs") }
    public var jobsFile: String { file("jobs.json") }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes plan.json.
    public func write(_ plan: ReproductionPlan) throws { try AtomicFile.write(planFile, data: plan.encoded()) }

    public func readPlan() throws -> ReproductionPlan { try ReproductionPlan.read(planFile) }

    /// After a run refused before any stage ran: removes the plan.json it wrote and the
    /// directories it created that are empty (rmdir: never a file).
    public func removeWhatARefusedRunMade() {
        let stages = (try? FileManager.default.contentsOfDirectory(atPath: cache.root)) ?? []
        if !hadPlan, stages.isEmpty { try? FileManager.default.removeItem(atPath: planFile) }
        _ = rmdir(logDirectory)
        for dir in created { _ = rmdir(dir) }
    }

    // MARK: Slurm jobs

    /// The Slurm job of each submitted stage (key -> job).
    public func jobs() -> [String: SubmittedJob] {
        guard let data = FileManager.default.contents(atPath: jobsFile),
              let jobs = try? JSONDecoder().decode([String: SubmittedJob].self, from: data) else { return [:] }
        return jobs
    }

    public func writeJobs(_ jobs: [String: SubmittedJob]) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(jobsFile, data: e.encode(jobs))
    }
}

/// A stage's Slurm job.
public struct SubmittedJob: Codable, Sendable {
    public var jobID: String
    public var stage: String
    public var log: String
    public var submitted: Date
}
