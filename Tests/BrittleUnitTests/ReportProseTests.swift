// The report's reference figures come from the cited data file Datasets/references/ilyas2019.json
// (not code constants), apply only to a run on the reference's dataset, and the findings label
// explanations the run did not test as hypotheses.
@testable import BrittleExperiments
import Foundation
import XCTest

final class ReportProseTests: XCTestCase {
    private func model(_ name: String, clean: Float, robust: Float, next: Float = 0.1) -> ModelResult {
        ModelResult(name: name, label: name, seed: 0, architecture: "cnn-small", trainImages: 100, epochs: 1,
                    evaluation: ModelEvaluation(cleanAccuracy: clean, testImages: 100, nextClassFraction: next, robustCleanAccuracy: clean,
                                                robustImages: 100, robust: [RobustPoint(epsilon: 1.0, robustAccuracy: robust)], steps: 20),
                    transferredAccuracy: nil, stage: name)
    }

    private func results(dataset: String = "fashion-mnist") throws -> ReproductionResults {
        var c = try ReproductionConfig.preset("quick")
        c.dataset = dataset
        c.detEpsilons = [2]
        var r = ReproductionResults(config: c, experiments: ["robust-features", "non-robust-features"], threads: 2)
        r.models = [model("d_r", clean: 0.80, robust: 0.35), model("d_nr", clean: 0.79, robust: 0.04),
                    model("d_rand", clean: 0.6, robust: 0.0), model("d_rand_robust", clean: 0.6, robust: 0.0),
                    model("d_det_eps2", clean: 0.05, robust: 0, next: 0.7)]
        r.claims = ReproductionClaims.evaluate(r)
        return r
    }

    func testTheShippedFileLoadsAndEveryFigureNamesADeclaredSource() throws {
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        XCTAssertEqual(Set(refs.sources.map(\.id)), ["fashion-mnist-pytorch", "ilyas2019"])
        XCTAssertTrue(refs.sources.allSatisfy { !$0.citation.isEmpty && !$0.protocol.isEmpty })
        XCTAssertEqual(refs.value("fashion-mnist-pytorch", set: "d_r", .robust), "32.6% / 32.8%")
        XCTAssertEqual(refs.value("ilyas2019", set: "d_det_eps4", .clean), "43.7% (eps 0.5)", "a budget falls back to the family's figure")
        XCTAssertEqual(refs.value("ilyas2019", set: "d_sub", .clean), "—")
    }

    func testAFigureWithAnUndeclaredSourceIsRefusedWithTheFix() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-refs-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("refs.json").path
        try Data(#"{"sources": [], "figures": [{"source": "nobody", "set": "d_r", "metric": "clean", "value": "1%"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try ReferenceFigures.load(file)) { XCTAssertTrue("\($0)".contains("'nobody'") && "\($0)".contains("sources"), "\($0)") }
    }

    func testTheReportQuotesTheFileAndItsCitation() throws {
        var refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        let md = ReproductionReport.render(try results(), figures: [], command: "reproduce all", references: refs)
        XCTAssertTrue(md.contains("| 32.6% / 32.8% |"), "D_R's reference robust figure comes from the file")
        XCTAssertTrue(md.contains("NeurIPS 2019"), "the paper's citation is printed")
        // The figure shown is the file's: change it there and the report follows.
        refs.figures = refs.figures.map { var f = $0; if f.set == "d_r" && f.metric == .robust { f.value = "99.9%" }; return f }
        let edited = ReproductionReport.render(try results(), figures: [], command: "reproduce all", references: refs)
        XCTAssertTrue(edited.contains("| 99.9% |") && !edited.contains("32.6% / 32.8%"))
    }

    func testAReferenceFromAnotherDatasetIsNotShownBesideThisRun() throws {
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        let md = ReproductionReport.render(try results(dataset: "mnist"), figures: [], command: "reproduce all", references: refs)
        XCTAssertFalse(md.contains("32.6% / 32.8%"), "the Fashion-MNIST reference beside an MNIST run")
        XCTAssertTrue(md.contains("no reference run on mnist"))
        XCTAssertTrue(md.contains("| 48.3% |"), "the paper's CIFAR-10 figures are still shown for the shape")
    }

    func testUntestedExplanationsAreLabelledHypotheses() throws {
        let notes = ReproductionReport.findings(try results())
        let det = try XCTUnwrap(notes.first { $0.contains("D_det (eps 2)") })
        XCTAssertTrue(det.contains("70.0%") && det.contains("5.0%"), "the measured figures come first: \(det)")
        XCTAssertTrue(det.contains("*Hypothesis"), det)
        let leakage = try XCTUnwrap(notes.first { $0.contains("leakage control") })
        XCTAssertTrue(leakage.contains("*Hypothesis, not tested by this run:*"), leakage)
        XCTAssertTrue(leakage.contains("rand_epsilon=1.0"), "the note names the run that would test it")
        for n in notes where n.contains("robust features of the target class") || n.contains("learns y -> y + 1") {
            let claim = n.components(separatedBy: "Hypothesis").first ?? n
            XCTAssertFalse(claim.contains("robust features of the target class") || claim.contains("learns y -> y + 1"),
                           "a mechanism stated as fact before its hypothesis label: \(n)")
        }
    }
}
