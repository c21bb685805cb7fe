// The reproduction's stage graph without running it: every stage's upstream comes first, keys
// are content-addressed and shared, and a change to a setting or to the code of one plugin
// changes the keys of exactly the stages that run it or read what it made (the graph's closure),
// nothing else. The executors and the CLI are tested end to end (ExecutorCLITests).
import BrittleExperiments
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class StagePlanTests: XCTestCase {
    override func setUpWithError() throws {
        _ = TestPlugins.report
        _ = try TestPlugins.architecture("cnn-small")
    }

    /// The plan of `config` with each plugin's identity as `identity` gives it.
    private func plan(_ config: ReproductionConfig, experiments: [ReproductionExperiment] = ReproductionExperiment.allCases,
                      identity: @escaping (String) -> String = { "\($0)@1#source:original" }) throws -> ReproductionPlan {
        try testPlan(config, experiments: experiments, identity: identity)
    }

    /// Keys of the stages that run plugin `id` or read (directly or not) a stage that does.
    private func closure(_ plan: ReproductionPlan, using id: String) -> Set<String> {
        var out = Set(plan.stages.filter { $0.code.plugins[id] != nil }.map(\.key))
        for s in plan.stages where s.upstream.contains(where: out.contains) { out.insert(s.key) }
        return out
    }

    private func changedNames(_ a: ReproductionPlan, _ b: ReproductionPlan) -> Set<String> {
        let before = Dictionary(uniqueKeysWithValues: a.stages.map { ($0.name, $0.key) })
        return Set(b.stages.filter { before[$0.name] != $0.key }.map(\.name))
    }

    func testEveryStageComesAfterWhatItReadsAndKeysAreUnique() throws {
        let p = try plan(try .preset("smoke"))
        var seen = Set<String>()
        for s in p.stages {
            XCTAssertEqual(s.key.count, 64)
            XCTAssertTrue(s.key.allSatisfy(\.isHexDigit))
            for u in s.upstream { XCTAssertTrue(seen.contains(u), "\(s.name) reads \(u), which is not before it") }
            XCTAssertTrue(seen.insert(s.key).inserted, "\(s.name) twice")
        }
        XCTAssertEqual(p.stages.count, 40)
        let kinds = Dictionary(grouping: p.stages, by: \.work.kind).mapValues(\.count)
        // Every evaluated model also faces the attack ensemble (robust_evaluation = ensemble).
        XCTAssertEqual(kinds, ["train": 14, "construct": 6, "evaluate": 9, "ensemble": 9, "transfer-examples": 1, "transfer": 1])
        var pgdOnly = try ReproductionConfig.preset("smoke")
        pgdOnly.robustEvaluation = "pgd"
        XCTAssertEqual(try plan(pgdOnly).stages.count, 31, "robust_evaluation = pgd plans no ensemble stage")
        // plan.json round-trips.
        let data = try p.encoded()
        let file = NSTemporaryDirectory() + "plan-\(getpid()).json"
        try data.write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(try ReproductionPlan.read(file).stages.map(\.key), p.stages.map(\.key))
    }

    func testAFixToOnePluginChangesExactlyTheStagesThatRunItOrReadTheirOutput() throws {
        let config = try ReproductionConfig.preset("smoke")
        let original = try plan(config)
        for id in ["pgd-l2", "invert-representation", "adversarial-relabel", "mlp"] {
            let fixed = try plan(config) { $0 == id ? "\($0)@1#source:fixed" : "\($0)@1#source:original" }
            let expected = Set(original.stages.filter { closure(original, using: id).contains($0.key) }.map(\.name))
            XCTAssertFalse(expected.isEmpty, id)
            XCTAssertEqual(changedNames(original, fixed), expected, "a change to \(id)")
        }
        // The inversion touches D_R and D_NR and what reads them, never the source models.
        let inversion = changedNames(original, try plan(config) { $0 == "invert-representation" ? "x@2" : "\($0)@1#source:original" })
        XCTAssertTrue(inversion.isSuperset(of: ["d_r-s0", "d_nr-s0", "train-d_r-cnn-small-s0", "eval-train-d_nr-cnn-small-s0", "transfer-s0"]))
        XCTAssertFalse(inversion.contains("standard-cnn-small-s0") || inversion.contains("robust-cnn-small-s0") || inversion.contains("d_rand-s0"))
        // The same code gives the same keys (a rebuild keeps the cache).
        XCTAssertEqual(changedNames(original, try plan(config)), [])
    }

    func testASettingChangesExactlyWhatDependsOnIt() throws {
        let base = try ReproductionConfig.preset("smoke")
        let original = try plan(base)
        var changed = base
        try changed.set("rand_epsilon=1.5")
        let names = changedNames(original, try plan(changed))
        let expected: Set<String> = ["d_rand-s0", "d_rand_any-s0", "d_rand_robust-s0", "train-d_rand-cnn-small-s0", "train-d_rand_any-cnn-small-s0",
                               "train-d_rand_robust-cnn-small-s0", "eval-train-d_rand-cnn-small-s0", "eval-train-d_rand_any-cnn-small-s0",
                               "eval-train-d_rand_robust-cnn-small-s0", "train-d_rand-mlp-s0", "train-d_rand-resnet-mini-s0", "transfer-s0",
                               "ensemble-train-d_rand-cnn-small-s0", "ensemble-train-d_rand_any-cnn-small-s0", "ensemble-train-d_rand_robust-cnn-small-s0"]
        XCTAssertEqual(names, expected)
    }

    func testRunsSharingStagesShareNodes() throws {
        let code: ([String]) throws -> StageCode = { ids in
            StageCode(brittle: "b", plugins: Dictionary(uniqueKeysWithValues: Set(ids).map { ($0, $0) }))
        }
        var planner = ReproductionPlanner(registry: .shared, trainCount: { _ in 60000 }, code: code)
        var a = try ReproductionConfig.preset("smoke"), b = a
        try a.set("rand_epsilon=1")
        try b.set("rand_epsilon=2")
        try planner.add(a, experiments: [.nonRobustFeatures], id: "a")
        let alone = planner.stages.count
        try planner.add(b, experiments: [.nonRobustFeatures], id: "b")
        let p = planner.plan(threads: 1)
        // Only D_rand and its two controls (each built, trained, evaluated by PGD and the ensemble) differ.
        XCTAssertEqual(p.stages.count, alone + 12)
        XCTAssertEqual(p.runs.count, 2)
        let standardA: String? = p.runs[0].seeds[0].models.first(where: { $0.name == "standard" })?.train
        let standardB: String? = p.runs[1].seeds[0].models.first(where: { $0.name == "standard" })?.train
        XCTAssertNotNil(standardA)
        XCTAssertEqual(standardA, standardB)
    }

    func testAStageIsFoundByKeyPrefixOrDirectoryAndAnAmbiguousOrUnknownReferenceIsRefused() throws {
        let p = try plan(try .preset("smoke"))
        let s = p.stages[3]
        XCTAssertEqual(try p.find(s.key).key, s.key)
        XCTAssertEqual(try p.find(String(s.key.prefix(16))).key, s.key)
        XCTAssertEqual(try p.find(s.directoryName).key, s.key)
        XCTAssertThrowsError(try p.find("nonsense")) { XCTAssertTrue("\($0)".contains("no stage 'nonsense'")) }
        XCTAssertThrowsError(try p.find("")) { XCTAssertTrue("\($0)".contains("no stage")) }
    }

    /// Figure 3's architectures may carry parameters: each spec is its own model (stage name and
    /// training work), keyed by its plugin's code, and refused at planning when the plugin is
    /// unknown or rejects a parameter.
    func testTransferArchitecturesWithParametersAreDistinctModels() throws {
        var c = try ReproductionConfig.preset("smoke")
        try c.set("transfer_architectures=linear,mlp:hidden=32,mlp:hidden=64-64,cnn-small:channels1=8,channels2=16")
        XCTAssertEqual(c.transferArchitectures, ["linear", "mlp:hidden=32", "mlp:hidden=64-64", "cnn-small:channels1=8,channels2=16"])
        let p = try plan(c, experiments: [.transfer])
        let targets = p.stages.filter { $0.name.hasPrefix("target-") }
        XCTAssertEqual(targets.map(\.name), ["target-linear-s0", "target-mlp-hidden32-s0", "target-mlp-hidden64-64-s0",
                                             "target-cnn-small-channels18-channels216-s0"])
        for (stage, spec) in zip(targets, c.transferArchitectures) {
            guard case .train(let work) = stage.work else { return XCTFail("\(stage.name) is not a training stage") }
            XCTAssertEqual(work.architecture, spec)
            XCTAssertEqual(Array(stage.code.plugins.keys), [String(spec.prefix { $0 != ":" })], "\(stage.name) keyed by the wrong plugin")
        }
        XCTAssertEqual(Set(targets.map(\.key)).count, 4, "two specs share a model")
        // Two mlp widths are two models on the relabelled set too.
        XCTAssertEqual(p.stages.filter { $0.name.hasPrefix("train-d_rand-mlp") }.count, 2)

        for (spec, expected) in [("mlp:hidden=0", "architecture 'mlp:hidden=0'"), ("transformer", "transformer"),
                                 ("cnn-small:width=3", "width")] {
            var bad = c
            bad.transferArchitectures = [spec]
            XCTAssertThrowsError(try plan(bad, experiments: [.transfer])) { XCTAssertTrue("\($0)".contains(expected), "\(spec): \($0)") }
        }
        var bad = c
        bad.transferArchitectures = ["mlp:hidden"]
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("transfer_architectures") && "\($0)".contains("key=value"), "\($0)") }
        bad.transferArchitectures = ["mlp", "mlp"]
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("must not repeat"), "\($0)") }
    }
}
