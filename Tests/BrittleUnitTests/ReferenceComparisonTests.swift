// The reference preset's report puts every figure the reference run quotes as numbers beside this
// run's: the difference of the means and whether each lies inside the other's seed spread. Other
// presets do not get the section (their protocol differs from the reference's).
@testable import BrittleExperiments
import Foundation
import XCTest

final class ReferenceComparisonTests: XCTestCase {
    private func model(_ name: String, setSeed: UInt64?, clean: Float, robust: Float) -> ModelResult {
        ModelResult(name: name, label: name.uppercased(), seed: 0, setSeed: setSeed, architecture: "cnn-small", trainImages: 5000, epochs: 20,
                    evaluation: ModelEvaluation(cleanAccuracy: clean, testImages: 10000, nextClassFraction: 0.1, robustCleanAccuracy: clean,
                                                robustImages: 2000, robust: [RobustPoint(epsilon: 1.0, robustAccuracy: robust)], steps: 20),
                    stage: name)
    }

    private func results(preset: String) throws -> ReproductionResults {
        let c = try ReproductionConfig.preset(preset)
        var r = ReproductionResults(config: c, experiments: ["robust-features"], threads: 2)
        // D_R robust 31 / 33 / 35 (mean 33.0); D_NR robust 3 / 4 / 5; the standard model 90% clean.
        r.models = [model("standard", setSeed: nil, clean: 0.90, robust: 0.14)]
            + [0.31, 0.33, 0.35].enumerated().map { model("d_r", setSeed: UInt64($0.offset), clean: 0.8, robust: Float($0.element)) }
            + [0.03, 0.04, 0.05].enumerated().map { model("d_nr", setSeed: UInt64($0.offset), clean: 0.8, robust: Float($0.element)) }
        return r
    }

    func testEachNumericReferenceFigureStandsBesideThisRunsWithItsDifferenceAndSpreads() throws {
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        let rows = ReproductionReport.referenceComparisons(try results(preset: "reference"), references: refs, source: "fashion-mnist-pytorch")
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ("\($0.set)/\($0.metric.rawValue)", $0) })
        // Only figures the reference quotes as numbers AND this run measured.
        XCTAssertEqual(Set(byKey.keys), ["standard/clean", "standard/robust", "d_r/robust", "d_nr/robust"])
        let dR = try XCTUnwrap(byKey["d_r/robust"])
        XCTAssertEqual(dR.reference, [32.6, 32.8])
        XCTAssertEqual(dR.difference, 33.0 - 32.7, accuracy: 1e-4)
        XCTAssertEqual(dR.insideReferenceSpread, false, "33.0 lies outside 32.6–32.8")
        XCTAssertEqual(dR.referenceInsideRunSpread, true, "32.7 lies inside 31–35")
        let dNR = try XCTUnwrap(byKey["d_nr/robust"])
        XCTAssertEqual(dNR.insideReferenceSpread, true, "4.0 lies inside 2.9–5.1")
        XCTAssertEqual(dNR.referenceInsideRunSpread, true, "4.0 lies inside 3–5")
        let standard = try XCTUnwrap(byKey["standard/clean"])
        XCTAssertNil(standard.insideReferenceSpread, "one reference seed: no spread to be inside")
        XCTAssertNil(standard.referenceInsideRunSpread, "one value here: no spread")

        let md = ReproductionReport.referenceSection(try results(preset: "reference"), references: refs, source: "fashion-mnist-pytorch")
        XCTAssertTrue(md.contains("## Against the reference run"))
        XCTAssertTrue(md.contains("| D_R | robust | 33.0% (31.0–35.0; CI 28.0–38.0) | 32.6% / 32.8% | +0.3 | **no** | yes |"), md)
        XCTAssertTrue(md.contains("| STANDARD | clean | 90.0% | 91.1% | -1.1 | — | — |"), md)
        // D_R (reference inside ours) and D_NR agree; the standard model's rows have no spread.
        XCTAssertTrue(md.contains("2 of the 2 figures with a spread on either side agree within one of the two spreads; 2 figures are one value on each side"), md)
    }

    func testOtherPresetsHaveNoReferenceSection() throws {
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        XCTAssertEqual(ReproductionReport.referenceSection(try results(preset: "quick"), references: refs, source: "fashion-mnist-pytorch"), "")
    }

    /// D_rand's figures name the budget they were measured at: a run at eps 2 is compared with
    /// 65.0% clean and 89% success, a run at eps 1 only with the 33% success quoted for eps 1.
    func testDRandFiguresAreComparedOnlyAtTheirBudget() throws {
        let refs = try ReferenceFigures.load(ReferenceFigures.defaultPath())
        func rows(epsilon: Double) throws -> [String] {
            var r = try results(preset: "reference")
            r.config.randEpsilon = epsilon
            r.models = [0.60, 0.62, 0.64].enumerated().map { model("d_rand", setSeed: UInt64($0.offset), clean: Float($0.element), robust: 0) }
            r.sets = [SetResult(name: "d_rand", label: "D_rand", seed: 0, spec: "adversarial-relabel", sourceModel: "standard",
                                images: 5000, reported: ["targeted-success": 0.5], stage: "s")]
            let found = ReproductionReport.referenceComparisons(r, references: refs, source: "fashion-mnist-pytorch")
            return found.filter { $0.set == "d_rand" }.map { "\($0.metric.rawValue) \($0.reference)" }
        }
        XCTAssertEqual(try rows(epsilon: 2), ["clean [65.0]", "targeted-success [89.0]"])
        XCTAssertEqual(try rows(epsilon: 1), ["targeted-success [33.0]"])
        XCTAssertEqual(try rows(epsilon: 0.5), [])
    }
}
