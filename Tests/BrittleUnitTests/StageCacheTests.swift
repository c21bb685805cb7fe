// The stage cache behind `brittle reproduce`: finished stages are skipped, changed parameters
// and changed upstream stages rerun, failures and interruptions leave nothing behind.
import BrittleExperiments
import Foundation
import XCTest

final class StageCacheTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-stages-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testFinishedStagesAreSkippedAndChangesRerunWhatDependsOnThem() throws {
        var runs: [String] = []
        func pipeline(epochs: Int, eps: Double) throws -> (String, String) {
            let cache = try StageCache(root: root)
            let trainKey = try StageCache.key(stage: "train", configuration: ["epochs": epochs])
            let trained = try cache.run("train", key: trainKey) { dir in
                runs.append("train")
                try "weights \(epochs)".write(toFile: dir + "/model.txt", atomically: true, encoding: .utf8)
            }
            let evalKey = try StageCache.key(stage: "evaluate", configuration: ["epsilon": eps], upstream: [trainKey])
            let evaluated = try cache.run("evaluate", key: evalKey) { dir in
                runs.append("evaluate")
                let model = try String(contentsOfFile: trained.directory + "/model.txt", encoding: .utf8)
                try "\(model) at \(eps)".write(toFile: dir + "/result.txt", atomically: true, encoding: .utf8)
            }
            return (trained.directory, try String(contentsOfFile: evaluated.directory + "/result.txt", encoding: .utf8))
        }
        XCTAssertEqual(try pipeline(epochs: 2, eps: 0.5).1, "weights 2 at 0.5")
        XCTAssertEqual(runs, ["train", "evaluate"])
        _ = try pipeline(epochs: 2, eps: 0.5)
        XCTAssertEqual(runs, ["train", "evaluate"], "a rerun with the same configuration ran stages again")
        XCTAssertEqual(try pipeline(epochs: 2, eps: 1.0).1, "weights 2 at 1.0")
        XCTAssertEqual(runs, ["train", "evaluate", "evaluate"], "changing a downstream parameter reran upstream")
        XCTAssertEqual(try pipeline(epochs: 3, eps: 1.0).1, "weights 3 at 1.0")
        XCTAssertEqual(runs, ["train", "evaluate", "evaluate", "train", "evaluate"], "an upstream change did not rerun its dependants")
    }

    func testKeysIgnoreKeyOrderAndSeeEveryValue() throws {
        let a = try StageCache.key(stage: "s", configuration: ["x": 1, "y": 2])
        let b = try StageCache.key(stage: "s", configuration: ["y": 2, "x": 1])
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 64)
        XCTAssertNotEqual(a, try StageCache.key(stage: "s", configuration: ["x": 1, "y": 3]))
        XCTAssertNotEqual(a, try StageCache.key(stage: "t", configuration: ["x": 1, "y": 2]))
        XCTAssertNotEqual(a, try StageCache.key(stage: "s", configuration: ["x": 1, "y": 2], upstream: ["k"]))
    }

    func testAFailingStageLeavesNothingAndRunsAgainNextTime() throws {
        struct Boom: Error {}
        let cache = try StageCache(root: root)
        let key = try StageCache.key(stage: "s", configuration: ["a": 1])
        XCTAssertThrowsError(try cache.run("s", key: key) { dir in
            try "half".write(toFile: dir + "/out.txt", atomically: true, encoding: .utf8)
            throw Boom()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [], "a failed stage left files")
        XCTAssertFalse(cache.isFinished(stage: "s", key: key))
        var ran = false
        let r = try cache.run("s", key: key) { _ in ran = true }
        XCTAssertTrue(ran)
        XCTAssertFalse(r.cached)
    }

    func testAnInterruptedRunIsDiscardedAndResumedFromTheLastFinishedStage() throws {
        let cache = try StageCache(root: root)
        let done = try StageCache.key(stage: "first", configuration: ["n": 1])
        try cache.run("first", key: done) { dir in try "ok".write(toFile: dir + "/a", atomically: true, encoding: .utf8) }
        // What a run killed inside the second stage leaves behind:
        let killed = try StageCache.key(stage: "second", configuration: ["n": 2])
        let partial = cache.directory(stage: "second", key: killed) + ".partial-\(StageCache.host)-99999"
        try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
        // A live process's stage (another executor's child) and another node's are not touched.
        let live = cache.directory(stage: "third", key: killed) + ".partial-\(StageCache.host)-\(getpid())"
        let elsewhere = cache.directory(stage: "fourth", key: killed) + ".partial-other-node-99999"
        for dir in [live, elsewhere] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let reopened = try StageCache(root: root)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "the partial output of a killed run survived")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "a running process's partial stage was removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere), "another node's partial stage was removed")
        XCTAssertEqual(reopened.writers(stage: "third", key: killed).map(\.pid), [getpid()])
        for dir in [live, elsewhere] { try FileManager.default.removeItem(atPath: dir) }
        XCTAssertTrue(reopened.isFinished(stage: "first", key: done))
        var order: [String] = []
        try reopened.run("first", key: done) { _ in order.append("first") }
        try reopened.run("second", key: killed) { _ in order.append("second") }
        XCTAssertEqual(order, ["second"], "the finished stage ran again, or the interrupted one did not")
    }
}
