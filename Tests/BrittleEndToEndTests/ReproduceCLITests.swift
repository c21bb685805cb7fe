// `brittle reproduce` end to end through the real binary (smoke preset, Fashion-MNIST): every
// stage, the report, results, figures and bundle; a rerun that computes nothing; a changed
// setting recomputing exactly what depends on it; Ctrl-C and resume to the same figures.
import BrittleExperiments
import BrittleTestSupport
import Foundation
import XCTest

final class ReproduceCLITests: CLITestCase {
    private func stageLines(_ run: CLIRun, _ tag: String) -> [String] {
        run.stderr.split(separator: "\n").compactMap { line in
            line.hasPrefix(tag + " ") ? String(line.dropFirst(tag.count + 1).split(separator: " ").first ?? "") : nil
        }
    }

    /// The smoke preset end to end, as CI runs it: every stage, the report, results, figures
    /// and bundle; the bundle re-checked; a rerun computing nothing; a changed setting
    /// recomputing exactly the stages that depend on it.
    func testReproduceSmokeWritesReportBundleAndRerunsOnlyWhatChanged() throws {
        try fashionMNISTOrSkip()
        let out = path("repro")
        let arguments = ["reproduce", "all", "--preset", "smoke", "--out", out]
        let first = try brittle(arguments, timeout: 600)
        assertSuccess(first)
        for file in ["report.md", "results.json", "config.json", "figures/datasets.png", "figures/robust-accuracy.png",
                     "figures/transfer.png", "experiment.tar.zst"] {
            XCTAssertTrue(exists(out + "/" + file), "\(file) missing:\n\(first.transcript)")
        }
        for png in ["datasets", "robust-accuracy", "transfer"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/figures/\(png).png"))
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(png).png is not a PNG")
        }
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        for text in ["## Claims", "## Robust features", "## Non-robust features", "## Transfer", "D_R", "D_NR", "D_sub", "D_rand",
                     "D_det (eps 2)", "(y+1) share", "84.1%", "32.6%", "## Stages", "## Configuration", "\"set_size\" : 200"] {
            XCTAssertTrue(report.contains(text), "report.md lacks '\(text)'")
        }
        let results = try ReproductionReport.readResults(out + "/results.json")
        XCTAssertEqual(Set(results.models.map(\.name)),
                       ["standard", "robust", "d_r", "d_nr", "d_sub", "d_rand", "d_rand_any", "d_rand_robust", "d_det_eps2"])
        XCTAssertEqual(results.transfer.map(\.architecture), ["mlp", "cnn-small", "resnet-mini"])
        XCTAssertNotNil(results.sets("d_rand").first?.reported["targeted-success"])
        XCTAssertNotNil(results.sets("d_r").first?.reported["relative-distance"])
        XCTAssertEqual(results.sets("d_rand").first?.reported["target-equals-label"], 0, "D_rand's targets exclude y")
        XCTAssertTrue(results.models.allSatisfy { $0.evaluation.robust.count == 2 && $0.transferredAccuracy != nil })
        XCTAssertEqual(results.subsetIndices.first?.count, 200)
        // Every model also faced the attack ensemble, on the smoke preset's 50 images, and the
        // report shows it beside PGD.
        XCTAssertTrue(results.models.allSatisfy { $0.ensemble?.examples == 50 && $0.ensemble?.members.map(\.attack) == ["apgd-ce", "apgd-t", "square"] })
        XCTAssertTrue(results.models.allSatisfy { m in m.ensemble.map { Double($0.robustAccuracy) <= $0.members.first!.robustAccuracy + 1e-6 } ?? false })
        let strong = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(strong.contains("## Strong evaluation: PGD-") && strong.contains("under the attack ensemble (apgd-ce, apgd-t, square)"))
        XCTAssertFalse(first.stdout.isEmpty)

        // The bundle verifies, and re-evaluating its models gives the recorded figures.
        assertSuccess(try brittle(["bundle", "verify", out + "/experiment.tar.zst"]))
        let check = try brittle(["reproduce", "--from-bundle", out + "/experiment.tar.zst"], timeout: 300)
        assertSuccess(check)
        XCTAssertTrue(check.stdout.contains("figures match"), check.transcript)
        XCTAssertFalse(check.stdout.contains("MISMATCH"), check.transcript)

        // A rerun computes nothing and reports the same figures.
        let again = try brittle(arguments, timeout: 300)
        assertSuccess(again)
        XCTAssertEqual(stageLines(again, "[stage]"), [], "a rerun recomputed stages:\n\(again.stderr)")
        XCTAssertGreaterThan(stageLines(again, "[cached]").count, 20)
        let rerunResults = try ReproductionReport.readResults(out + "/results.json")
        XCTAssertEqual(rerunResults.models.map(\.evaluation), results.models.map(\.evaluation))

        // Changing the epochs on the constructed sets reruns their training and evaluation only.
        let changed = try brittle(arguments + ["--set", "set_epochs=1", "--no-bundle"], timeout: 300)
        assertSuccess(changed)
        let rerun = stageLines(changed, "[stage]")
        XCTAssertTrue(rerun.contains("train-d_r-cnn-small-s0") && rerun.contains("eval-train-d_det_eps2-cnn-small-s0")
                      && rerun.contains("train-d_rand-resnet-mini-s0"), "\(rerun)")
        XCTAssertEqual(rerun.filter { !($0.hasPrefix("train-") || $0.hasPrefix("eval-train-") || $0.hasPrefix("ensemble-train-") || $0 == "transfer-s0") }, [],
                       "stages that do not depend on set_epochs were recomputed")
        XCTAssertTrue(stageLines(changed, "[cached]").contains("robust-cnn-small-s0"))

        // Figure 3's architectures with parameters: new models for them only, built as specified.
        let widths = try brittle(arguments + ["--set", "transfer_architectures=linear,mlp:hidden=8", "--no-bundle"], timeout: 300)
        assertSuccess(widths)
        XCTAssertEqual(Set(stageLines(widths, "[stage]")),
                       ["train-d_rand-linear-s0", "target-linear-s0", "train-d_rand-mlp-hidden8-s0", "target-mlp-hidden8-s0", "transfer-s0"])
        XCTAssertEqual(try ReproductionReport.readResults(out + "/results.json").transfer.map(\.architecture), ["linear", "mlp:hidden=8"])
        let stages = try FileManager.default.contentsOfDirectory(atPath: out + "/stages")
        let mlpDir = try XCTUnwrap(stages.first { $0.hasPrefix("target-mlp-hidden8-s0-") })
        _ = try TestPlugins.architecture("mlp")     // loads the in-tree plugins in this process
        let mlp = try Checkpoint.load(out + "/stages/" + mlpDir + "/" + Checkpoint.fileName)
        XCTAssertEqual(mlp.architecture, "mlp")
        XCTAssertEqual(mlp.configuration["hidden"], "8", "the spec's parameter was not applied")

        // Bad settings fail before any work, naming the key.
        let bad = try brittle(["reproduce", "all", "--preset", "smoke", "--out", path("bad"), "--set", "set_sise=3"])
        assertCleanFailure(bad, mentions: ["set_sise", "set_size"])
        XCTAssertFalse(exists(path("bad")), "a rejected run left an output directory")
        assertCleanFailure(try brittle(["reproduce", "everything"]), mentions: ["everything", "robust-features"])
        assertCleanFailure(try brittle(["reproduce", "--from-bundle", out + "/results.json"]), mentions: ["results.json"])
    }

    /// Ctrl-C in the middle of a training stage: the message says how to resume, and the rerun
    /// resumes (from the last finished epoch) to exactly the figures of an uninterrupted run.
    func testReproduceInterruptedByCtrlCResumesToTheSameFigures() throws {
        try fashionMNISTOrSkip()
        // PGD only: the ensemble stages have nothing to do with resuming (the smoke test covers them).
        let settings = ["--preset", "smoke", "--set", "robust_epochs=4", "--set", "robust_train_limit=400", "--set", "robust_evaluation=pgd",
                        "--no-bundle"]
        let reference = path("reference"), resumed = path("resumed")
        assertSuccess(try brittle(["reproduce", "robust-features", "--out", reference] + settings, timeout: 300))

        let running = try box.start(["reproduce", "robust-features", "--out", resumed] + settings, timeout: 300)
        let process = running.process
        // Interrupt once the robust model has finished an epoch (its checkpoint exists).
        let deadline = Date().addingTimeInterval(240)
        var checkpoint: String?
        while checkpoint == nil, process.isRunning, Date() < deadline {
            checkpoint = (try? FileManager.default.contentsOfDirectory(atPath: resumed + "/stages"))?
                .first { $0.hasPrefix("robust-") && $0.hasSuffix(".resume.safetensors") }
            usleep(20_000)
        }
        XCTAssertNotNil(checkpoint, "the robust model never wrote an epoch checkpoint")
        kill(process.processIdentifier, SIGINT)
        let interrupted = try running.finish()
        let transcript = interrupted.transcript
        XCTAssertEqual(interrupted.status, 130, transcript)
        XCTAssertTrue(transcript.contains("run the same command again to resume"), transcript)
        XCTAssertFalse(exists(resumed + "/results.json"), "an interrupted run wrote results")

        let rerun = try brittle(["reproduce", "robust-features", "--out", resumed] + settings, timeout: 300)
        assertSuccess(rerun)
        XCTAssertTrue(rerun.stderr.contains("resuming after epoch"), rerun.stderr)
        XCTAssertTrue(stageLines(rerun, "[cached]").contains("standard-cnn-small-s0"), rerun.stderr)
        let stages = try FileManager.default.contentsOfDirectory(atPath: resumed + "/stages")
        XCTAssertEqual(stages.filter { $0.contains(".partial-") || $0.hasSuffix(".resume.safetensors") }, [], "leftovers: \(stages)")
        let a = try ReproductionReport.readResults(reference + "/results.json")
        let b = try ReproductionReport.readResults(resumed + "/results.json")
        XCTAssertEqual(b.models.map(\.name), a.models.map(\.name))
        XCTAssertEqual(b.models.map(\.evaluation), a.models.map(\.evaluation), "the resumed run's figures differ")
    }
}
