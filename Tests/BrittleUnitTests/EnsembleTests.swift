// EnsembleEvaluation, the AutoAttack-style ensemble: each member attacks only what the members
// before it left correct, clean-misclassified examples are never attacked, the rows, outcomes and
// predictions agree, and every example is seeded by its dataset index whatever else is alive or
// in its batch. Fast unit tests on a tiny linear model; the CLI: EnsembleCLITests.
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class EnsembleTests: XCTestCase {
    /// f(x) = W (flatten(x) - 0.5) with 3 classes on 1 x 4 x 4 inputs, weights of about 1, so
    /// its predictions vary over [0, 1] images and an epsilon of 0.05 moves some of them.
    static func linearModel(seed: UInt64 = 1) -> Classifier {
        var rng = SeededGenerator(seed: seed)
        let linear = Linear(16, 3, rng: &rng)
        linear.weight.value = linear.weight.value * 4
        for k in 0..<3 { linear.bias.value.scalars[k] = -0.5 * linear.weight.value.scalars[(k * 16)..<(k * 16 + 16)].reduce(0, +) }
        return Classifier(features: Sequential([Flatten()]), head: Sequential([linear]),
                          architecture: "linear", configuration: [:], inputShape: [1, 4, 4], classCount: 3)
    }

    /// `n` uniform images in [0, 1] and labels the model gets right for two examples in three.
    static func data(_ n: Int, model: Classifier, seed: UInt64 = 2) -> (images: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let x = Initializer.uniform([n, 1, 4, 4], bound: 0.5, rng: &rng) + Tensor(shape: [n, 1, 4, 4], repeating: 0.5)
        let predicted = model.predict(x)
        return (x, (0..<n).map { $0 % 3 != 0 ? predicted[$0] : (predicted[$0] + 1) % 3 })
    }

    static func member(_ id: String, _ parameters: [String: String]) throws -> EnsembleMember {
        let p = try TestPlugins.attack(id)
        return try EnsembleMember(plugin: p, configuration: try p.configuration(parameters))
    }

    func testEachMemberAttacksOnlyWhatThePreviousOnesLeftCorrect() throws {
        let model = Self.linearModel()
        let (x, y) = Self.data(60, model: model)
        let members = [try Self.member("fgsm", ["epsilon": "0.02"]), try Self.member("pgd-linf", ["epsilon": "0.1", "steps": "5"])]
        let r = EnsembleEvaluation.run(model: model, members: members, images: x, labels: y, seed: 3, batchSize: 7)
        let clean = model.predict(x)
        let cleanCorrect = (0..<60).filter { clean[$0] == y[$0] }.count
        XCTAssertEqual(r.cleanAccuracy, Double(cleanCorrect) / 60)
        XCTAssertEqual(r.members.map(\.attacked), [cleanCorrect, cleanCorrect - r.members[0].broken])
        XCTAssertGreaterThan(r.members[0].broken, 0, "fgsm must break something for the test to mean anything")
        XCTAssertGreaterThan(r.members[1].broken, 0, "pgd must break what fgsm left")
        XCTAssertEqual(r.members.map(\.robustAccuracy), [Double(cleanCorrect - r.members[0].broken) / 60,
                                                        Double(cleanCorrect - r.members[0].broken - r.members[1].broken) / 60])
        XCTAssertEqual(r.robustAccuracy, r.members[1].robustAccuracy)
        // Outcomes agree with the rows and the predictions.
        XCTAssertEqual(r.outcomes.filter { $0 == .misclassified }.count, 60 - cleanCorrect)
        XCTAssertEqual(r.outcomes.filter { $0 == .broken(by: "fgsm") }.count, r.members[0].broken)
        XCTAssertEqual(r.outcomes.filter { $0 == .broken(by: "pgd-linf") }.count, r.members[1].broken)
        XCTAssertEqual(Double(r.outcomes.filter { $0 == .robust }.count) / 60, r.robustAccuracy)
        for i in 0..<60 {
            switch r.outcomes[i] {
            case .misclassified: XCTAssertEqual(r.adversarialPredictions[i], clean[i])
            case .robust: XCTAssertEqual(r.adversarialPredictions[i], y[i])
            case .broken: XCTAssertNotEqual(r.adversarialPredictions[i], y[i])
            }
        }
    }

    func testMembersSeeOnlySurvivorsSeededByDatasetIndex() throws {
        let model = Self.linearModel()
        let (x, y) = Self.data(40, model: model)
        let recorder = SeedRecordingAttack()
        let first = try Self.member("fgsm", ["epsilon": "0.05"])
        let last = try EnsembleMember(plugin: RecordingPlugin(recorder), configuration: try RecordingPlugin(recorder).configuration())
        let r = EnsembleEvaluation.run(model: model, members: [first, last], images: x, labels: y, seed: 100, batchSize: 4)
        let survivors = (0..<40).filter { r.outcomes[$0] == .robust }
        XCTAssertFalse(survivors.isEmpty)
        XCTAssertLessThan(survivors.count, (0..<40).filter { r.outcomes[$0] != .misclassified }.count, "fgsm must break some")
        XCTAssertEqual(recorder.seeds, survivors.map { 100 + UInt64($0) }, "survivors only, seeded run seed + dataset index")
        XCTAssertEqual(recorder.labels, survivors.map { y[$0] })
    }

    func testResultsDoNotDependOnBatchSizeOrOnWhoElseIsAlive() throws {
        let model = Self.linearModel()
        let (x, y) = Self.data(30, model: model)
        // Random search: which draw breaks an example depends on nothing but its seed.
        let pgd = try EnsembleMember(plugin: RandomSearchPlugin(), configuration: try RandomSearchPlugin().configuration(["epsilon": "0.12"]))
        let whole = EnsembleEvaluation.run(model: model, members: [pgd], images: x, labels: y, seed: 5, batchSize: 250)
        let small = EnsembleEvaluation.run(model: model, members: [pgd], images: x, labels: y, seed: 5, batchSize: 3)
        XCTAssertEqual(whole.outcomes, small.outcomes)
        XCTAssertEqual(whole.adversarialPredictions, small.adversarialPredictions)
        // After a member that breaks some examples, the random-start member does to each
        // survivor exactly what it did alone.
        let withFirst = EnsembleEvaluation.run(model: model, members: [try Self.member("fgsm", ["epsilon": "0.03"]), pgd],
                                               images: x, labels: y, seed: 5, batchSize: 4)
        XCTAssertGreaterThan(withFirst.members[0].broken, 0)
        let survivors = (0..<30).filter { withFirst.outcomes[$0] != .broken(by: "fgsm") }
        for i in survivors {
            XCTAssertEqual(withFirst.adversarialPredictions[i], whole.adversarialPredictions[i], "example \(i)")
        }
        let other = EnsembleEvaluation.run(model: model, members: [pgd], images: x, labels: y, seed: 6, batchSize: 250)
        XCTAssertNotEqual(survivors.map { other.adversarialPredictions[$0] }, survivors.map { whole.adversarialPredictions[$0] },
                          "the seed must matter on the survivors (else this test proves nothing)")
    }

    func testOutcomesEncodeAsPlainStrings() throws {
        let outcomes: [EnsembleOutcome] = [.misclassified, .robust, .broken(by: "apgd-ce")]
        let data = try JSONEncoder().encode(outcomes)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["misclassified","robust","apgd-ce"]"#)
        XCTAssertEqual(try JSONDecoder().decode([EnsembleOutcome].self, from: data), outcomes)
    }

    func testStandardMembersAreAutoAttacksWithoutFAB() {
        XCTAssertEqual(EnsembleEvaluation.standardMembers, ["apgd-ce", "apgd-t", "square"])
    }
}

/// Returns its inputs unchanged and records the seeds and labels it was given.
final class SeedRecordingAttack: Attack {
    var seeds: [UInt64] = []
    var labels: [Int] = []
    var threatModel: ThreatModel { ThreatModel(norm: .linf, epsilon: 0.1) }
    func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
        seeds += exampleSeeds
        if case .untargeted(let t) = goal { labels += t.classes }
        return x
    }
}

/// The plugin of one SeedRecordingAttack.
final class RecordingPlugin: AttackPlugin {
    let attack: SeedRecordingAttack
    init(_ attack: SeedRecordingAttack) { self.attack = attack }
    let id = "recording"
    let version = "1.0.0"
    let summary = "test double: records seeds"
    let parameters: [ParameterSpec] = []
    func makeAttack(_ c: Configuration) throws -> any Attack { attack }
}
