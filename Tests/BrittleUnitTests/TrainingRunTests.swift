// TrainingRun, the one code path of `brittle train` and the reproduction's training stages:
// the schedules a run names, and the per-batch composition (augmentation, then the adversarial
// step) and the robust monitor giving bit for bit what the command's own composition around
// `train` gave before. Fast: a tiny MLP on 12 synthetic 1 x 6 x 6 images.
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class TrainingRunTests: XCTestCase {
    override func setUp() { ProgressBar.enabled = false }

    func model(seed: UInt64 = 3) throws -> Classifier {
        try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 6, 6], classes: 3, seed: seed)
    }

    func data(_ n: Int, seed: UInt64) -> LabeledDataset {
        var rng = SeededGenerator(seed: seed)
        return LabeledDataset(images: Tensor(shape: [n, 1, 6, 6], scalars: (0..<(n * 36)).map { _ in rng.nextUniform() }),
                              labels: (0..<n).map { $0 % 3 }, classNames: ["a", "b", "c"], name: "tiny")
    }

    func bits(_ m: Classifier) -> [[UInt32]] { m.parameters.map { $0.value.scalars.map(\.bitPattern) } }

    func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = 2
        c.batchSize = 5
        c.seed = 7
        c.schedule = TrainingRun.Schedule.step.schedule(epochs: 2)
        return c
    }

    func testSchedulesByName() {
        XCTAssertEqual(TrainingRun.Schedule.cosine.schedule(epochs: 8), .cosine(floor: 0))
        XCTAssertEqual(TrainingRun.Schedule.constant.schedule(epochs: 8), .constant)
        XCTAssertEqual(TrainingRun.Schedule.step.schedule(epochs: 1), .step(milestones: [0.5, 0.75], gamma: 0.1),
                       "fractions of the run: a one-epoch run decays twice")
    }

    /// Augmentation then a half-batch FGSM step, with the FGSM/PGD monitor: the same weights,
    /// history and monitor entries as the composition `brittle train` wrote out by hand.
    func testAugmentationThenAdversarialStepMatchesTheCommandsComposition() throws {
        let train = data(12, seed: 1), test = data(6, seed: 2)
        let noisePlugin = try TestPlugins.augmentation("gaussian-noise")
        let noise = try noisePlugin.makeAugmentation(try noisePlugin.configuration(["std": "0.05"]))
        let fgsm = try TestPlugins.attack("fgsm")
        let fgsmConfig = try fgsm.configuration(["epsilon": "0.1"])

        // The command's composition before TrainingRun (Train.run), inlined.
        let old = try model()
        let attack = try fgsm.makeAttack(fgsmConfig)
        let attackStep = adversarialBatches(model: old, attack: attack, fraction: 0.5)
        let pgd = try TestPlugins.attack("pgd-linf")
        let tm = attack.threatModel
        let label = "fgsm \(fgsmConfig.description)", pgdLabel = "pgd-linf epsilon=\(tm.epsilon) steps=10"
        let oldMonitor = RobustMonitor(
            images: test.subset(Array(0..<4)).images, labels: Array(test.labels[0..<4]),
            attacks: [(label, attack), (pgdLabel, try pgd.makeAttack(try pgd.configuration(
                ["epsilon": "\(tm.epsilon)", "steps": "10", "lower-bound": "\(tm.lowerBound)", "upper-bound": "\(tm.upperBound)"])))],
            overfitPair: (label, pgdLabel))
        let oldHistory = try BrittleExperiments.train(old, on: train, configuration: configuration(), test: test, augment: { batch, s in
            var b = try batch.augmented(by: noise, seed: s)
            b = try attackStep(b, s)
            return b
        }) { m in oldMonitor.observe(old, epoch: m.epoch) }

        let new = try model()
        var run = TrainingRun(configuration: configuration(), registry: .shared)
        run.augmentations = [noise]
        run.adversary = try TrainingRun.Adversary(plugin: fgsm, configuration: fgsmConfig, fraction: 0.5)
        run.monitor = 4
        var entries: [RobustMonitorEntry] = []
        let outcome = try run.run(new, on: train, test: test, log: { _ in }) { _, entry in entry.map { entries.append($0) } }

        XCTAssertEqual(bits(new), bits(old), "same weights")
        XCTAssertEqual(outcome.epochs.map(\.trainLoss), oldHistory.map(\.trainLoss))
        XCTAssertEqual(outcome.epochs.map(\.testAccuracy), oldHistory.map(\.testAccuracy))
        XCTAssertEqual(outcome.testAccuracy, oldHistory.last?.testAccuracy)
        XCTAssertEqual(outcome.robustMonitor.map(\.robustAccuracy), oldMonitor.history.map(\.robustAccuracy))
        XCTAssertEqual(Set(outcome.robustMonitor.first?.robustAccuracy.keys ?? [:].keys), [label, pgdLabel])
        XCTAssertEqual(entries.count, 2, "onEpoch sees each epoch's monitor entry")
    }

    /// Without augmentations or an adversary there is no batch step, and without an adversary
    /// no monitor: plain training, measured once at the end when asked to.
    func testAPlainRunIsPlainTraining() throws {
        let train = data(12, seed: 1), test = data(6, seed: 2)
        let old = try model()
        let oldHistory = try BrittleExperiments.train(old, on: train, configuration: configuration())
        let new = try model()
        let run = TrainingRun(configuration: configuration(), registry: .shared)
        XCTAssertNil(run.batchStep(for: new))
        let outcome = try run.run(new, on: train, test: test, testEachEpoch: false)
        XCTAssertEqual(bits(new), bits(old))
        XCTAssertEqual(outcome.epochs.map(\.trainLoss), oldHistory.map(\.trainLoss))
        XCTAssertEqual(outcome.epochs.compactMap(\.testAccuracy), [], "no per-epoch test")
        XCTAssertEqual(outcome.testAccuracy, accuracy(old, on: test))
        XCTAssert(outcome.robustMonitor.isEmpty)
    }
}
