// Bad models given to `brittle evaluate` through the real binary: a missing path, an empty run
// directory, checkpoints truncated at every part, a file that is not a checkpoint. Successful
// evaluation: TrainCLITests (the accuracy of a run) and AttackCLITests (robust evaluation).
import BrittleExperiments
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class EvaluateCLITests: CLITestCase {
    func testEvaluateMissingModelNamesThePath() throws {
        let run = try brittle(["evaluate", "--model", "/nonexistent/run"])
        assertCleanFailure(run, mentions: ["/nonexistent/run"])
        let emptyDir = path("empty")
        try FileManager.default.createDirectory(atPath: emptyDir, withIntermediateDirectories: true)
        let empty = try brittle(["evaluate", "--model", emptyDir])
        assertCleanFailure(empty, mentions: [emptyDir + "/model.safetensors"])
    }

    func testEvaluateTruncatedCheckpointNamesTheFile() throws {
        let model = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 28, 28], classes: 10, seed: 0)
        let run = path("run")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let file = run + "/" + Checkpoint.fileName
        try Checkpoint.save(model, to: file)
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        let headerLength = Int(whole.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        // Inside the length field, inside the JSON header, inside the tensor data, one byte short.
        for keep in [4, 8 + headerLength / 2, 8 + headerLength + 100, whole.count - 1] {
            try whole.prefix(keep).write(to: URL(fileURLWithPath: file))
            let result = try brittle(["evaluate", "--model", run, "--test-limit", "10"])
            assertCleanFailure(result, mentions: [file])
        }
        // A file that is not a checkpoint at all.
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: file))
        assertCleanFailure(try brittle(["evaluate", "--model", file, "--test-limit", "10"]), mentions: [file])
    }
}
