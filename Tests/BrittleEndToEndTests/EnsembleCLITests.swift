// `brittle evaluate --ensemble` end to end through the real binary on synthetic-features (no
// downloaded data): the table, robustness.json and the curve agree with each other, a flag is
// printed and recorded (and --sanity-sample 0 turns it off), and bad input is refused before any
// work with a message naming the fix and no output directory left behind.
import BrittleExperiments
import BrittleNN
import BrittleTestSupport
import Foundation
import XCTest

final class EnsembleCLITests: CLITestCase {
    func testEnsembleTableAndRecordAgree() throws {
        let run = path("mlp")
        assertSuccess(try brittle(["train", "--dataset", "synthetic-features", "--arch", "mlp", "--arch-opt", "hidden=32",
                                   "--limit", "2000", "--test-limit", "200", "--epochs", "2", "--out", run]))
        let evaluated = try brittle(["evaluate", "--model", run, "--dataset", "synthetic-features", "--ensemble", "fgsm,pgd-linf",
                                     "--norm", "linf", "--eps", "0.03,0.08", "--attack-opt", "pgd-linf:steps=5",
                                     "--attack-opt", "random-start=true", "--test-limit", "200", "--sanity-sample", "50", "--seed", "4"])
        assertSuccess(evaluated)
        let dir = run + "/evaluation-ensemble-fgsm-pgd-linf"
        XCTAssertTrue(exists(dir + "/robustness.png"), evaluated.transcript)
        let record = try JSONDecoder().decode(EnsembleRecord.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/robustness.json")))
        XCTAssertEqual(record.members.map(\.attack), ["fgsm", "pgd-linf"])
        XCTAssertEqual(record.members.map(\.attackVersion), ["1.0.0", "1.0.0"])
        XCTAssertEqual(record.members[1].configuration["steps"], "5", "ID:KEY=VALUE sets one member")
        XCTAssertEqual(record.members.map { $0.configuration["random-start"] }, ["true", "true"], "KEY=VALUE sets every member")
        XCTAssertEqual(record.norm, .linf)
        XCTAssertEqual(record.sanitySample, 50)
        XCTAssertEqual(record.evaluations.map(\.epsilon), [0.03, 0.08])

        // One table per epsilon, in order: its rows, final figure and flags are the record's.
        let tables = evaluated.stdout.components(separatedBy: "\nensemble fgsm,pgd-linf, linf epsilon ").dropFirst()
        XCTAssertEqual(tables.count, 2, evaluated.stdout)
        for (evaluation, table) in zip(record.evaluations, tables) {
            let r = evaluation.result
            XCTAssertEqual(r.examples, 200)
            XCTAssertEqual(r.members.map { $0.configuration["epsilon"] }, Array(repeating: String(evaluation.epsilon), count: 2))
            let robust = r.members.map(\.robustAccuracy)
            XCTAssertLessThanOrEqual(robust[0], r.cleanAccuracy)
            XCTAssertLessThanOrEqual(robust[1], robust[0], "robust accuracy rose after a member")
            XCTAssertEqual(r.robustAccuracy, robust[1], "the final figure is the last row's")
            XCTAssertEqual(r.members[0].attacked, r.outcomes.filter { $0 != .misclassified }.count)
            XCTAssertEqual(r.members[1].attacked, r.members[0].attacked - r.members[0].broken)
            for (k, row) in r.members.enumerated() {
                XCTAssertEqual(r.outcomes.filter { $0 == .broken(by: row.attack) }.count, row.broken, row.attack)
                let printed = table.split(separator: "\n").first { $0.hasPrefix(row.attack + " ") }.map {
                    $0.split(separator: " ").map(String.init)
                }
                XCTAssertEqual(printed?[1], row.attackVersion)
                XCTAssertEqual(printed?[2], String(row.attacked), "row \(k) of eps \(evaluation.epsilon)")
                XCTAssertEqual(printed?[3], String(row.broken))
                XCTAssertEqual(printed?[4], String(format: "%.2f%%", 100 * row.robustAccuracy))
            }
            XCTAssertEqual(percentage(after: "final robust accuracy:", in: table), String(format: "%.2f", 100 * r.robustAccuracy))
            XCTAssertEqual(Double(r.outcomes.filter { $0 == .robust }.count) / 200, r.robustAccuracy)
            let printedFlags = table.split(separator: "\n").filter { $0.hasPrefix("FLAG ") }.map { String($0.dropFirst(5).prefix { $0 != ":" }) }
            XCTAssertEqual(printedFlags, evaluation.flags.map(\.id))
            if evaluation.flags.isEmpty { XCTAssertTrue(table.contains("sanity checks: no flags"), table) }
        }
        XCTAssertLessThan(record.evaluations[1].result.robustAccuracy, record.evaluations[0].result.robustAccuracy,
                          "a larger epsilon must break more here (the non-robust features flip at 0.063)")
    }

    func testFlagsArePrintedAndRecorded() throws {
        let model = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 8, 8], classes: 2, seed: 0)
        for p in model.parameters { p.value = Tensor(shape: p.value.shape) }  // zero weights: zero input gradients
        let run = path("zero")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try Checkpoint.save(model, to: run + "/" + Checkpoint.fileName)
        let common = ["evaluate", "--model", run, "--dataset", "synthetic-features", "--ensemble", "fgsm", "--norm", "linf",
                      "--eps", "0.1", "--test-limit", "30"]
        let flagged = try brittle(common + ["--sanity-sample", "20", "--out", path("flagged")])
        assertSuccess(flagged)
        XCTAssertTrue(flagged.stdout.contains("FLAG zero-gradients: 20 of 20 sampled examples"), flagged.stdout)
        let record = try JSONDecoder().decode(EnsembleRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path("flagged") + "/robustness.json")))
        let flags = try XCTUnwrap(record.evaluations.first).flags
        XCTAssertEqual(flags.map(\.id), ["zero-gradients"])
        XCTAssertEqual(flags.first?.figures["zeroGradientExamples"], 20)
        let off = try brittle(common + ["--sanity-sample", "0", "--out", path("off")])
        assertSuccess(off)
        XCTAssertFalse(off.stdout.contains("FLAG"), off.stdout)
        XCTAssertTrue(off.stdout.contains("sanity checks: no flags (--sanity-sample 0"), off.stdout)
    }

    func testBadEnsembleInputIsRefusedBeforeAnyWork() throws {
        let model = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 8, 8], classes: 2, seed: 0)
        let run = path("run")
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try Checkpoint.save(model, to: run + "/" + Checkpoint.fileName)
        let out = path("out")
        let base = ["evaluate", "--model", run, "--dataset", "synthetic-features", "--out", out]
        let cases: [([String], [String])] = [
            (["--ensemble", "fgsm,nope", "--norm", "linf", "--eps", "0.1"], ["unknown attack 'nope'", "known:", "pgd-linf"]),
            (["--ensemble", "fgsm", "--attack", "pgd-linf", "--norm", "linf", "--eps", "0.1"], ["--ensemble fgsm and --attack pgd-linf", "give one"]),
            (["--ensemble", "fgsm,pgd-linf", "--eps", "0.1"], ["--ensemble needs --norm linf or --norm l2"]),
            (["--ensemble", "fgsm", "--norm", "l1", "--eps", "0.1"], ["--norm l1", "linf or l2"]),
            (["--ensemble", "fgsm", "--norm", "linf"], ["--ensemble needs --eps"]),
            (["--ensemble", "fgsm,pgd-linf", "--norm", "linf", "--eps", "0.1", "--attack-opt", "bogus=1"],
             ["--attack-opt bogus=1", "no member of the ensemble takes bogus", "fgsm takes", "pgd-linf takes"]),
            (["--ensemble", "fgsm,pgd-linf", "--norm", "linf", "--eps", "0.1", "--attack-opt", "fgsm:steps=3"],
             ["fgsm", "'steps'", "unknown parameter"]),
            (["--ensemble", "fgsm,pgd-linf", "--norm", "linf", "--eps", "0.1", "--attack-opt", "pgd-l2:steps=3"],
             ["pgd-l2 is not in the ensemble (fgsm, pgd-linf)"]),
            (["--ensemble", "fgsm,pgd-linf", "--norm", "linf", "--eps", "0.1", "--attack-opt", "epsilon=0.2"], ["set for every member by --eps"]),
            (["--ensemble", "fgsm,pgd-linf", "--norm", "linf", "--eps", "0.1,-1"], ["--eps", "out of range", "non-negative"]),
            (["--ensemble", "fgsm,pgd-l2", "--norm", "linf", "--eps", "0.1"], ["pgd-l2 attacks in the l2 norm, not --norm linf"]),
            (["--ensemble", "fgsm,fgsm", "--norm", "linf", "--eps", "0.1"], ["fgsm is given twice"]),
            (["--ensemble", "fgsm", "--norm", "linf", "--eps", "0.1", "--steps", "3"], ["--attack-opt steps=N"]),
            (["--ensemble", "fgsm", "--norm", "linf", "--eps", "0.1", "--sanity-sample", "-1"], ["--sanity-sample must be at least 0"]),
            (["--norm", "linf"], ["--norm and --sanity-sample need --ensemble"]),
        ]
        // The members are checked before the model is read: a bad id wins over a missing model.
        box.assertRefused(try brittle(["evaluate", "--model", path("no-model"), "--ensemble", "fgsm,nope", "--norm", "linf", "--eps", "0.1"]),
                          mentions: ["unknown attack 'nope'"])
        for (arguments, mentions) in cases {
            let result = try brittle(base + arguments)
            box.assertRefused(result, mentions: mentions)
            XCTAssertFalse(exists(out), "\(arguments) left \(out)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run), [Checkpoint.fileName], "\(arguments)")
        }
    }
}
