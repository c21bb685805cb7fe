// The stage cache seen through a plan: a planned stage's directory, whether it finished, its
// resume checkpoint, and the failure marker a failed stage leaves (what failed, its exit status,
// its log) so `status` and the next run can say why and what it blocks. Not the computation.
import BrittleIO
import Foundation

/// Why a stage failed (OUT/stages/<dir>.failed.json).
public struct StageFailure: Codable, Sendable {
    public var stage: String
    public var key: String
    public var message: String
    /// The process's exit status (1 for an error; 128 + N for signal N), when known.
    public var exitStatus: Int32?
    /// Where its output went.
    public var log: String?
    public var host: String
    public var time: Date
}

extension StageCache {
    /// Where `stage` lives once finished.
    public func directory(of stage: PlannedStage) -> String { directory(stage: stage.name, key: stage.key) }

    /// Whether `stage` has finished.
    public func isFinished(_ stage: PlannedStage) -> Bool { isFinished(stage: stage.name, key: stage.key) }

    /// Runs `body` for `stage` (see `run(_:key:_:)`); a success removes its failure marker and
    /// its resume checkpoint.
    @discardableResult
    public func run(_ stage: PlannedStage, _ body: (_ directory: String) throws -> Void) throws -> Bool {
        let (_, cached) = try run(stage.name, key: stage.key, body)
        clearFailure(stage)
        try? FileManager.default.removeItem(atPath: resumeFile(stage))
        return !cached
    }

    /// Per-epoch training checkpoint of a stage, beside its directory: a killed, cancelled or
    /// preempted stage's partial directory is discarded, this file is not.
    public func resumeFile(_ stage: PlannedStage) -> String {
        (root as NSString).appendingPathComponent("\(stage.directoryName).resume.safetensors")
    }

    /// Whether a killed run of `stage` left a training checkpoint to resume from.
    public func hasResumeFile(_ stage: PlannedStage) -> Bool { FileManager.default.fileExists(atPath: resumeFile(stage)) }

    /// The seconds the stage took, from its marker.
    public func seconds(_ stage: PlannedStage) -> Double? {
        guard let data = FileManager.default.contents(atPath: (directory(of: stage) as NSString).appendingPathComponent(StageCache.marker)),
              let m = try? JSONDecoder().decode(StageMarker.self, from: data) else { return nil }
        return m.seconds
    }

    // MARK: Failures

    func failureFile(_ stage: PlannedStage) -> String {
        (root as NSString).appendingPathComponent("\(stage.directoryName).failed.json")
    }

    /// Records that `stage` failed.
    public func recordFailure(_ stage: PlannedStage, message: String, exitStatus: Int32?, log: String?) {
        let f = StageFailure(stage: stage.name, key: stage.key, message: message, exitStatus: exitStatus, log: log,
                             host: StageCache.host, time: Date())
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.dateEncodingStrategy = .iso8601
        if let data = try? e.encode(f) { try? AtomicFile.write(failureFile(stage), data: data) }
    }

    /// Why `stage` failed last, if it did and has not succeeded since.
    public func failure(_ stage: PlannedStage) -> StageFailure? {
        guard !isFinished(stage), let data = FileManager.default.contents(atPath: failureFile(stage)) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(StageFailure.self, from: data)
    }

    /// Forgets `stage`'s failure (a new attempt starts).
    public func clearFailure(_ stage: PlannedStage) { try? FileManager.default.removeItem(atPath: failureFile(stage)) }
}
