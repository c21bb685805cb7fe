// `brittle attack`, `brittle evaluate --attack` and `brittle train --adversarial` end to end
// through the real binary on Fashion-MNIST: the files each writes and what they must hold.
import BrittleIO
import BrittleTestSupport
import Foundation
import XCTest

final class AttackCLITests: CLITestCase {
    /// issue #4 as a user runs it: `attack` files, `evaluate --attack` files, adversarial training.
    func testAttackEvaluateAndAdversarialTrainingWriteWhatTheySay() throws {
        try fashionMNISTOrSkip()
        let run = path("mlp")
        assertSuccess(try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=64", "--limit", "3000", "--test-limit", "200",
                                   "--epochs", "2", "--out", run]))

        // Targeted Linf attack: float32 arrays, the budget respected, targets (y + 1) mod 10, a grid.
        let adv = path("adv")
        let attacked = try brittle(["attack", "--model", run, "--attack", "pgd-linf", "--attack-opt", "epsilon=0.05",
                                    "--attack-opt", "steps=5", "--targeted", "next", "--test-limit", "20", "--out", adv])
        assertSuccess(attacked)
        XCTAssertTrue(attacked.stdout.contains("targeted success"), attacked.transcript)
        let x = try NPY.readTensor(path: adv + "/original.npy"), xa = try NPY.readTensor(path: adv + "/adversarial.npy")
        XCTAssertEqual(xa.shape, [20, 1, 28, 28])
        XCTAssertLessThanOrEqual(zip(x.scalars, xa.scalars).map { abs($0 - $1) }.max()!, 0.05 + 1e-6, "Linf budget")
        XCTAssertTrue(xa.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertNotEqual(x, xa)
        let labels = try NPY.readIntegers(path: adv + "/labels.npy").values
        XCTAssertEqual(try NPY.readIntegers(path: adv + "/targets.npy").values, labels.map { ($0 + 1) % 10 })
        let png = try Data(contentsOf: URL(fileURLWithPath: adv + "/examples.png"))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "examples.png is not a PNG")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: adv + "/attack.json"))) as? [String: Any]
        XCTAssertEqual(record?["targeted"] as? String, "next")
        XCTAssertNotNil(record?["successDefinition"] as? String)

        // Robust evaluation: a table, robustness.json with one row per epsilon, and the curve.
        let ev = path("eval")
        let evaluated = try brittle(["evaluate", "--model", run, "--attack", "pgd-l2", "--eps", "0.5,2", "--steps", "5",
                                     "--test-limit", "100", "--out", ev])
        assertSuccess(evaluated)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ev + "/robustness.json"))) as? [String: Any]
        let rows = try XCTUnwrap(json?["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 2)
        let robust = rows.compactMap { ($0["result"] as? [String: Any])?["robustAccuracy"] as? Double }
        let clean = try XCTUnwrap(json?["cleanAccuracy"] as? Double)
        XCTAssertEqual(robust.count, 2)
        XCTAssertLessThanOrEqual(robust[0], clean)
        XCTAssertLessThanOrEqual(robust[1], robust[0], "robust accuracy rose with epsilon")
        XCTAssertTrue(FileManager.default.fileExists(atPath: ev + "/robustness.png"))

        // Adversarial training with FGSM: the per-epoch monitor is recorded (and watches PGD too).
        let at = path("adv-train")
        let trained = try brittle(["train", "--arch", "mlp", "--arch-opt", "hidden=32", "--limit", "1000", "--test-limit", "100",
                                   "--epochs", "1", "--adversarial", "fgsm", "--attack-opt", "epsilon=0.1", "--monitor", "50", "--out", at])
        assertSuccess(trained)
        XCTAssertTrue(trained.stderr.contains("held-out"), trained.transcript)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: at + "/metrics.json"))) as? [String: Any]
        XCTAssertEqual((metrics?["adversarial"] as? [String: Any])?["attack"] as? String, "fgsm")
        let monitor = try XCTUnwrap(metrics?["robustMonitor"] as? [[String: Any]])
        XCTAssertEqual(monitor.count, 1)
        XCTAssertEqual((monitor[0]["robustAccuracy"] as? [String: Any])?.count, 2, "FGSM training must also watch PGD")
    }
}
