// Set seeds: the models trained on each constructed set are replicated per set seed while the
// source models and the sets themselves are not; set seed 0 keeps the keys a run had before set
// seeds existed; the report's spread carries a 95% t interval from three values on; a claim
// holds on the means and says how many seed runs agree.
@testable import BrittleExperiments
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class SetSeedTests: XCTestCase {
    override func setUpWithError() throws {
        _ = TestPlugins.report
        _ = try TestPlugins.architecture("cnn-small")
    }

    private func plan(_ config: ReproductionConfig, experiments: [ReproductionExperiment] = ReproductionExperiment.allCases) throws -> ReproductionPlan {
        try testPlan(config, experiments: experiments)
    }

    func testEachSetModelIsTrainedOncePerSetSeedAndNothingElseIsReplicated() throws {
        var one = try ReproductionConfig.preset("smoke")
        one.setSeeds = [0]
        var three = one
        three.setSeeds = [0, 1, 2]
        let a = try plan(one), b = try plan(three)
        let kinds = { (p: ReproductionPlan) in Dictionary(grouping: p.stages, by: \.work.kind).mapValues(\.count) }
        // Smoke trains 2 models on D, 7 set models (D_R, D_NR, D_sub, D_rand, its two controls,
        // D_det) and 5 transfer models; two more set seeds add 2 x 7 set models, each with its
        // PGD evaluation and its ensemble.
        XCTAssertEqual(kinds(b)["train"], kinds(a)["train"]! + 14)
        XCTAssertEqual(kinds(b)["evaluate"], kinds(a)["evaluate"]! + 14)
        XCTAssertEqual(kinds(b)["ensemble"], kinds(a)["ensemble"]! + 14)
        XCTAssertEqual(kinds(b)["construct"], kinds(a)["construct"], "the sets are built once per pipeline seed")
        // Set seed 0 trains with the pipeline seed: every stage of the one-seed plan is in the
        // three-seed plan under the same key (a cached run keeps its models).
        XCTAssertTrue(Set(a.stages.map(\.key)).isSubset(of: Set(b.stages.map(\.key))))
        // The replicates differ in their training seed only, and all three are distinct.
        let dR = b.stages.filter { $0.name.hasPrefix("train-d_r-") }
        XCTAssertEqual(dR.map(\.name).sorted(), ["train-d_r-cnn-small-s0", "train-d_r-cnn-small-s0-t1", "train-d_r-cnn-small-s0-t2"])
        var seeds = Set<UInt64>()
        for s in dR {
            guard case .train(let w) = s.work else { return XCTFail("\(s.name) is not a training stage") }
            seeds.insert(w.training.seed)
            XCTAssertEqual(s.upstream, dR[0].upstream, "every replicate reads the same constructed set")
        }
        XCTAssertEqual(seeds.count, 3)
        // The run records which model has which set seed; models on D have none.
        let models = b.runs[0].seeds[0].models
        XCTAssertEqual(models.filter { $0.name == "d_rand" }.map(\.setSeed), [0, 1, 2])
        XCTAssertEqual(models.filter { $0.name == "standard" }.map(\.setSeed), [nil])
        // Pipeline seed 1 with set seed 0 and pipeline seed 0 with set seed 1 train differently.
        XCTAssertNotEqual(RunPlanner.trainingSeed(pipeline: 1, set: 0), RunPlanner.trainingSeed(pipeline: 0, set: 1))
    }

    func testSetSeedsAreValidated() throws {
        var c = try ReproductionConfig.preset("quick")
        XCTAssertEqual(c.setSeeds, [0, 1, 2], "the quick preset shows a spread")
        try c.set("set_seeds=4,5")
        XCTAssertEqual(c.setSeeds, [4, 5])
        c.setSeeds = []
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("set_seeds must list")) }
        c.setSeeds = [1, 1]
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("set_seeds must not repeat")) }
    }

    func testSpreadShowsRangeAndFromThreeValuesTheTInterval() {
        XCTAssertEqual(ReproductionReport.spread([0.5]), "50.0%")
        XCTAssertEqual(ReproductionReport.spread([0.5, 0.6]), "55.0% (50.0–60.0)")
        // mean 0.6, s = 0.1, t(0.975, 2) = 4.302653: half width 0.1 * 4.302653 / sqrt(3) = 0.2484.
        XCTAssertEqual(ReproductionReport.spread([0.5, 0.6, 0.7]), "60.0% (50.0–70.0; CI 35.2–84.8)")
        XCTAssertEqual(ReproductionReport.spread([]), "—")
    }

    private func model(_ name: String, setSeed: UInt64?, clean: Float, robust: Float) -> ModelResult {
        ModelResult(name: name, label: name, seed: 0, setSeed: setSeed, architecture: "cnn-small", trainImages: 100, epochs: 1,
                    evaluation: ModelEvaluation(cleanAccuracy: clean, testImages: 100, nextClassFraction: 0.1, robustCleanAccuracy: clean,
                                                robustImages: 100, robust: [RobustPoint(epsilon: 1.0, robustAccuracy: robust)], steps: 20),
                    stage: name)
    }

    func testAClaimHoldsOnTheMeansAndCountsTheSeedRunsThatAgree() throws {
        var c = try ReproductionConfig.preset("quick")
        c.robustEvaluation = "pgd"
        var r = ReproductionResults(config: c, experiments: ["non-robust-features"], threads: 2)
        // D_rand's clean accuracy per set seed: 60%, 50%, 40%; the claim needs >= 45%. The mean
        // (50%) passes; set seed 2's run does not.
        r.models = [model("standard", setSeed: nil, clean: 0.9, robust: 0.1)]
            + zip([0, 1, 2] as [UInt64], [0.6, 0.5, 0.4] as [Float]).map { model("d_rand", setSeed: $0, clean: $1, robust: 0.01) }
        XCTAssertEqual(r.seedRuns().count, 3)
        XCTAssertEqual(r.seedRuns().map { $0.models.map(\.name) }, Array(repeating: ["standard", "d_rand"], count: 3))
        var claim = try XCTUnwrap(ReproductionClaims.evaluate(r).first { $0.id == "d_rand" })
        XCTAssertEqual(claim.holds, true)
        XCTAssertEqual(claim.seedRuns, 3)
        XCTAssertEqual(claim.seedRunsHolding, 2)
        XCTAssertTrue(claim.detail.contains("clean 50.0%"), claim.detail)
        XCTAssertTrue(claim.detail.hasSuffix("holds in 2 of 3 seed runs"), claim.detail)
        // One seed run: no count.
        r.config.setSeeds = [0]
        r.models = Array(r.models.prefix(2))
        claim = try XCTUnwrap(ReproductionClaims.evaluate(r).first { $0.id == "d_rand" })
        XCTAssertNil(claim.seedRuns)
        XCTAssertFalse(claim.detail.contains("seed runs"))
    }
}
