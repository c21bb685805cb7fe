// The configuration of `brittle reproduce`: presets, overrides (--set, config files) and
// validation; and the claims checked on results (pass and fail sides). The pipeline end to end
// is tested through the CLI (ReproduceCLITests, smoke preset).
@testable import BrittleExperiments
import Foundation
import XCTest

final class ReproductionConfigTests: XCTestCase {
    func testPresetsAreValidAndDiffer() throws {
        let presets = try ReproductionConfig.presetNames.map { try ReproductionConfig.preset($0) }
        for p in presets { XCTAssertNoThrow(try p.validate(), p.preset) }
        let paper = try ReproductionConfig.preset("paper")
        XCTAssertGreaterThanOrEqual(paper.seeds.count, 2, "the paper preset runs at least 2 seeds")
        XCTAssertEqual(paper.inversionIterations, 1000)
        XCTAssertEqual(paper.setSize, 60000)
        XCTAssertEqual(paper.detEpsilons, [1, 2, 4, 8])
        XCTAssertThrowsError(try ReproductionConfig.preset("fast")) { XCTAssertTrue("\($0)".contains("smoke, quick, reference, paper"), "\($0)") }
    }

    func testSetParsesNumbersListsBooleansNullAndHyphenatedKeys() throws {
        var c = try ReproductionConfig.preset("quick")
        try c.set("set_size=3000")
        try c.set("det-epsilons=1,2,4")
        try c.set("seeds=[3, 4]")
        try c.set("rand_any_control=false")
        try c.set("robust_train_limit=null")
        try c.set("inversion_step_size=0.05")
        try c.set("transfer_architectures=mlp,cnn-small")
        try c.set("relabel_attack=pgd-linf")
        XCTAssertEqual(c.setSize, 3000)
        XCTAssertEqual(c.detEpsilons, [1, 2, 4])
        XCTAssertEqual(c.seeds, [3, 4])
        XCTAssertFalse(c.randAnyControl)
        XCTAssertNil(c.robustTrainLimit)
        XCTAssertEqual(c.inversionStepSize, 0.05)
        XCTAssertEqual(c.transferArchitectures, ["mlp", "cnn-small"])
        XCTAssertEqual(c.relabelAttack, "pgd-linf")
        // Everything else is the preset's.
        var expected = try ReproductionConfig.preset("quick")
        expected.setSize = 3000
        expected.detEpsilons = [1, 2, 4]
        expected.seeds = [3, 4]
        expected.randAnyControl = false
        expected.robustTrainLimit = nil
        expected.inversionStepSize = 0.05
        expected.transferArchitectures = ["mlp", "cnn-small"]
        expected.relabelAttack = "pgd-linf"
        XCTAssertEqual(c, expected)
    }

    func testBadOverridesNameTheKeyAndTheFix() throws {
        var c = try ReproductionConfig.preset("quick")
        XCTAssertThrowsError(try c.set("set_sise=3")) {
            XCTAssertTrue("\($0)".contains("unknown key 'set_sise'") && "\($0)".contains("set_size"), "\($0)")
        }
        XCTAssertThrowsError(try c.set("set_size=many")) {
            XCTAssertTrue("\($0)".contains("set_size") && "\($0)".contains("a number"), "\($0)")
        }
        XCTAssertThrowsError(try c.set("set_size")) { XCTAssertTrue("\($0)".contains("key=value"), "\($0)") }
        XCTAssertEqual(c, try ReproductionConfig.preset("quick"), "a failed override changed the configuration")
        var bad = c
        bad.headlineEpsilon = 3
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("headline_epsilon"), "\($0)") }
        bad = c
        bad.setSize = 0
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("set_size"), "\($0)") }
        bad = c
        bad.transferSet = "sub"
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("transfer_set"), "\($0)") }
        bad = c
        bad.inversionStepSchedule = "exponential"
        XCTAssertThrowsError(try bad.validate()) {
            XCTAssertTrue("\($0)".contains("inversion_step_schedule must be one of constant, linear, cosine"), "\($0)")
        }
        try c.set("inversion_step_schedule=cosine")
        XCTAssertEqual(ConstructedSet.dR.recipe(c).parameters["step-schedule"], "cosine", "D_R's recipe ignores the schedule")
    }

    func testConfigFileRoundTripsAndMerges() throws {
        let quick = try ReproductionConfig.preset("quick")
        let object = try JSONSerialization.jsonObject(with: quick.encoded()) as! [String: Any]
        var smoke = try ReproductionConfig.preset("smoke")
        try smoke.merge(object, source: "config.json")
        XCTAssertEqual(smoke, quick, "a whole config.json must reproduce the configuration")
        var c = quick
        try c.merge(["set_epochs": 7, "eval_epsilons": [0.5, 1.0]], source: "file")
        XCTAssertEqual(c.setEpochs, 7)
        XCTAssertEqual(c.evalEpsilons, [0.5, 1.0])
        XCTAssertThrowsError(try c.merge(["epochs": 3], source: "file.json")) { XCTAssertTrue("\($0)".contains("file.json"), "\($0)") }
    }

    /// Every key survives a round trip (a key the decoder forgot would come back as its default),
    /// and a configuration stored before a key existed loads with that key's default.
    func testStoredConfigurationsRoundTripAndEarlierOnesGetDefaults() throws {
        var object = try ReproductionConfig().jsonObject()
        for (key, value) in object {
            if key.hasSuffix("_control") {      // the two Boolean keys
                object[key] = !(value as! Bool)
                continue
            }
            switch value {
            case let n as NSNumber: object[key] = n.doubleValue.rounded() == n.doubleValue ? n.intValue + 3 : n.doubleValue * 3
            case let text as String: object[key] = text + "-changed"
            case let list as [Any]: object[key] = list + (list.first.map { [$0] } ?? [7])
            case is NSNull: object[key] = key == "data_dir" ? "/data" : 5
            default: XCTFail("\(key): unexpected \(value)")
            }
        }
        var changed = ReproductionConfig()
        try changed.merge(object, source: "test")
        let back = try JSONSerialization.jsonObject(with: changed.encoded()) as! [String: Any]
        for (key, value) in object {
            if let a = value as? NSNumber, let b = back[key] as? NSNumber {     // numbers and Booleans (Float keys: to float precision)
                XCTAssertEqual(a.doubleValue, b.doubleValue, accuracy: 1e-6 * max(1, abs(a.doubleValue)), "'\(key)' did not round-trip: the decoder drops it")
            } else {
                XCTAssertEqual("\(back[key] ?? "missing")", "\(value)", "'\(key)' did not round-trip: the decoder drops it")
            }
        }
        // results.json (snake_case) and plan.json (camelCase) of a run from before set seeds and
        // inversion step schedules.
        let quick = try ReproductionConfig.preset("quick")
        for (encoder, snakeCase) in [(ReproductionReport.resultsEncoder, true), (JSONEncoder(), false)] {
            var stored = try JSONSerialization.jsonObject(with: encoder.encode(quick)) as! [String: Any]
            for key in ["set_seeds", "setSeeds", "inversion_step_schedule", "inversionStepSchedule"] { stored[key] = nil }
            let decoder = JSONDecoder()
            if snakeCase { decoder.keyDecodingStrategy = .convertFromSnakeCase }
            let old = try decoder.decode(ReproductionConfig.self, from: JSONSerialization.data(withJSONObject: stored))
            XCTAssertEqual(old.setSeeds, [0])
            XCTAssertEqual(old.inversionStepSchedule, "constant")
            XCTAssertEqual(old.setSize, quick.setSize)
            XCTAssertEqual(old.transferTrainLimit, quick.transferTrainLimit)
        }
    }

    // MARK: Claims

    private func model(_ name: String, clean: Float, robust: Float, next: Float = 0.1, transferred: Float? = nil,
                       ensemble: Float? = nil) -> ModelResult {
        ModelResult(name: name, label: name, seed: 0, architecture: "cnn-small", trainImages: 100, epochs: 1,
                    evaluation: ModelEvaluation(cleanAccuracy: clean, testImages: 100, nextClassFraction: next, robustCleanAccuracy: clean,
                                                robustImages: 100, robust: [RobustPoint(epsilon: 1.0, robustAccuracy: robust)], steps: 20),
                    ensemble: ensemble.map { .fixture(clean: clean, robust: $0) },
                    transferredAccuracy: transferred, stage: name)
    }

    func testClaimsUseTheEnsembleFigureWhenMeasuredAndSaySo() throws {
        var c = try ReproductionConfig.preset("quick")
        // PGD says D_R is 31 points above D_NR; the ensemble only 15: the claim follows the ensemble.
        var r = ReproductionResults(config: c, experiments: ["robust-features"], threads: 2)
        r.models = [model("d_r", clean: 0.80, robust: 0.35, ensemble: 0.19), model("d_nr", clean: 0.79, robust: 0.04, ensemble: 0.04),
                    model("d_sub", clean: 0.84, robust: 0.33, ensemble: 0.21)]
        var claims = Dictionary(uniqueKeysWithValues: ReproductionClaims.evaluate(r).map { ($0.id, $0) })
        XCTAssertEqual(claims["robust-vs-non-robust"]?.holds, false)
        XCTAssertTrue(claims["robust-vs-non-robust"]?.statement.contains("under the attack ensemble (apgd-ce, apgd-t, square)") == true)
        XCTAssertTrue(claims["robust-vs-non-robust"]?.detail.contains("robust 19.0% vs 4.0%") == true, claims["robust-vs-non-robust"]?.detail ?? "")
        XCTAssertTrue(claims["d_sub-control"]?.detail.contains("(PGD-20: 35.0% vs 33.0%)") == true, claims["d_sub-control"]?.detail ?? "")
        // A model without its ensemble figure (a partial run): no claim rather than a mixed one.
        r.models[1] = model("d_nr", clean: 0.79, robust: 0.04)
        claims = Dictionary(uniqueKeysWithValues: ReproductionClaims.evaluate(r).map { ($0.id, $0) })
        XCTAssertNil(claims["robust-vs-non-robust"])
        // robust_evaluation = pgd: PGD's figures, and the statement says so.
        c.robustEvaluation = "pgd"
        r.config = c
        claims = Dictionary(uniqueKeysWithValues: ReproductionClaims.evaluate(r).map { ($0.id, $0) })
        XCTAssertEqual(claims["robust-vs-non-robust"]?.holds, true)
        XCTAssertTrue(claims["robust-vs-non-robust"]?.statement.contains("under PGD-20") == true)
    }

    func testClaimsHoldAndFailOnTheirThresholds() throws {
        var c = try ReproductionConfig.preset("quick")
        c.robustEvaluation = "pgd"
        c.detEpsilons = [2]
        var r = ReproductionResults(config: c, experiments: ["robust-features"], threads: 2)
        r.models = [model("d_r", clean: 0.80, robust: 0.35, transferred: 0.7), model("d_nr", clean: 0.79, robust: 0.04),
                    model("d_sub", clean: 0.84, robust: 0.33), model("d_rand", clean: 0.6, robust: 0.0, transferred: 0.02),
                    model("d_rand_robust", clean: 0.2, robust: 0.1), model("d_det_eps2", clean: 0.05, robust: 0, next: 0.7),
                    model("robust", clean: 0.85, robust: 0.7, transferred: 0.8)]
        var claims = Dictionary(uniqueKeysWithValues: ReproductionClaims.evaluate(r).map { ($0.id, $0) })
        XCTAssertEqual(claims["robust-vs-non-robust"]?.holds, true)
        XCTAssertNil(claims["d_sub-control"]?.holds as Any?, "the D_sub control is reported, not judged")
        XCTAssertEqual(claims["d_rand"]?.holds, true)
        XCTAssertEqual(claims["leakage-control"]?.holds, true)
        XCTAssertEqual(claims["d_det-eps2"]?.holds, true)
        XCTAssertEqual(claims["transfer-accuracy"]?.holds, true)

        r.models[1] = model("d_nr", clean: 0.77, robust: 0.04)           // D_NR below 78% clean
        r.models[3] = model("d_rand", clean: 0.44, robust: 0.0, transferred: 0.2)
        r.models[5] = model("d_det_eps2", clean: 0.3, robust: 0, next: 0.2)
        claims = Dictionary(uniqueKeysWithValues: ReproductionClaims.evaluate(r).map { ($0.id, $0) })
        XCTAssertEqual(claims["robust-vs-non-robust"]?.holds, false)
        XCTAssertEqual(claims["d_rand"]?.holds, false)
        XCTAssertEqual(claims["d_det-eps2"]?.holds, false)
        XCTAssertEqual(claims["transfer-accuracy"]?.holds, false)
    }
}
