// In-process tests of training and checkpoints (BrittleExperiments) and of the optimiser pieces
// they rest on: checkpoint round trips of every reference architecture, bit-identical training
// for a seed, learning-rate schedules and SGD against hand-computed values, batch-norm running
// statistics by mode. The CLI around them: TrainCLITests.
@testable import BrittleExperiments
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class TrainingTests: XCTestCase {
    private var scratch: TemporaryDirectory!
    private var directory: String { scratch.path }

    /// Small options for each reference architecture (fast, but every layer kind present).
    private let smallOptions: [String: [String: String]] = [
        "linear": [:],
        "mlp": ["hidden": "16-8"],
        "cnn-small": ["channels1": "4", "channels2": "8", "hidden": "16"],
        "resnet-mini": ["width": "4", "blocks": "1"],
    ]

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory("training")
        ProgressBar.enabled = false
    }

    override func tearDownWithError() throws { scratch = nil }

    // MARK: Helpers

    private func build(_ id: String, seed: UInt64, classes: Int = 10) throws -> Classifier {
        try TestPlugins.build(id, smallOptions[id]!, inputShape: [1, 28, 28], classes: classes, seed: seed)
    }

    /// Bit patterns, so that -0 vs 0 and NaN payloads count as differences.
    private func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

    /// Every parameter and buffer, by name, as bit patterns.
    private func state(_ model: Classifier) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: (model.namedParameters + model.namedBuffers).map { ($0.0, bits($0.1.value)) })
    }

    /// Names whose values differ between two states (or exist in only one), sorted.
    private func differences(_ a: [String: [UInt32]], _ b: [String: [UInt32]]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    private func randomImages(_ n: Int, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return Tensor(shape: [n, 1, 28, 28], scalars: (0..<(n * 784)).map { _ in rng.nextUniform() })
    }

    private func syntheticDataset(count: Int, seed: UInt64) -> LabeledDataset {
        Fixtures.quadrants(count: count, seed: seed)
    }

    /// Trains architecture `id` from `seed` with `threads` worker threads (restored afterwards)
    /// and returns the model.
    private func trained(_ id: String, seed: UInt64, threads: Int, data: LabeledDataset) throws -> Classifier {
        let saved = Parallel.threads
        Parallel.threads = threads
        defer { Parallel.threads = saved }
        let model = try build(id, seed: seed, classes: data.numClasses)
        var c = TrainingConfiguration()
        c.epochs = 2
        c.batchSize = 32
        c.learningRate = 0.05
        c.seed = seed
        let history = try BrittleExperiments.train(model, on: data, configuration: c)
        XCTAssertEqual(history.map(\.epoch), [1, 2])
        XCTAssertEqual(model.mode, .evaluation, "train(...) must leave the model in evaluation mode")
        return model
    }

    // MARK: Checkpoints

    func testCheckpointRoundTripOfEveryArchitectureIsBitExact() throws {
        for id in TestPlugins.architectureIDs {
            // Seed 7, and every tensor perturbed (batch-norm statistics included), so that nothing
            // can pass by coinciding with the seed-0 model that `Checkpoint.load` starts from.
            let original = try build(id, seed: 7)
            var rng = SeededGenerator(seed: 99)
            for (name, p) in original.namedParameters + original.namedBuffers {
                for i in 0..<p.value.count {
                    let u = rng.nextUniform()
                    p.value.scalars[i] = name.hasSuffix("running_var") ? 0.5 + u : p.value.scalars[i] + 0.2 * (u - 0.5)
                }
            }
            XCTAssertEqual(original.namedBuffers.isEmpty, id != "resnet-mini", "\(id): buffers")
            let file = (directory as NSString).appendingPathComponent("\(id).safetensors")
            try Checkpoint.save(original, to: file)
            let loaded = try Checkpoint.load(file)

            XCTAssertEqual(loaded.architecture, id)
            XCTAssertEqual(loaded.configuration, original.configuration)
            for (key, value) in smallOptions[id]! {
                XCTAssertEqual(loaded.configuration[key], value, "\(id): configuration '\(key)'")
            }
            XCTAssertEqual(loaded.inputShape, [1, 28, 28])
            XCTAssertEqual(loaded.classCount, 10)
            XCTAssertEqual(loaded.namedParameters.map(\.0), original.namedParameters.map(\.0), "\(id): parameter names")
            XCTAssertEqual(loaded.namedBuffers.map(\.0), original.namedBuffers.map(\.0), "\(id): buffer names")
            XCTAssertEqual((loaded.namedParameters + loaded.namedBuffers).map(\.1.value.shape),
                           (original.namedParameters + original.namedBuffers).map(\.1.value.shape), "\(id): shapes")
            XCTAssertEqual(differences(state(loaded), state(original)), [], "\(id): tensors that differ after the round trip")
            let fresh = state(try build(id, seed: 0)), saved = state(original)
            XCTAssertEqual(fresh.keys.filter { fresh[$0] == saved[$0] }, [], "\(id): unperturbed tensors make the check void")

            let x = randomImages(6, seed: 5)
            original.mode = .evaluation
            loaded.mode = .evaluation
            let expected = original.logits(x)
            XCTAssertEqual(bits(loaded.logits(x)), bits(expected), "\(id): logits differ after the round trip")
            XCTAssertNotEqual(bits(try build(id, seed: 0).logits(x)), bits(expected), "\(id): fresh model agrees")

            // A run directory is accepted as well as the file.
            let run = (directory as NSString).appendingPathComponent("run-\(id)")
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            try Checkpoint.save(original, to: (run as NSString).appendingPathComponent(Checkpoint.fileName))
            XCTAssertEqual(bits(try Checkpoint.load(run).logits(x)), bits(expected), "\(id): via run directory")
        }
    }

    // MARK: Resuming

    /// A run resumed from its checkpoint after epoch 1 ends bit-identical to the uninterrupted
    /// run (weights, BN buffers, and momentum all restored); another configuration is refused.
    func testTrainingResumedAfterAnEpochEndsBitIdenticalToAnUninterruptedRun() throws {
        let data = syntheticDataset(count: 96, seed: 5)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-resume-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = TrainingConfiguration()
        c.epochs = 3
        c.batchSize = 32
        c.seed = 3
        let full = dir + "/full.safetensors", afterOne = dir + "/after-one.safetensors"
        let uninterrupted = try build("cnn-small", seed: 3, classes: 4)
        let history = try BrittleExperiments.train(uninterrupted, on: data, configuration: c, resumeFile: full) { m in
            if m.epoch == 1 { try? FileManager.default.copyItem(atPath: full, toPath: afterOne) }
        }
        XCTAssertEqual(history.count, 3)

        // Each resumed run continues writing its checkpoint: give each its own copy.
        func copy(_ name: String) throws -> String {
            try FileManager.default.copyItem(atPath: afterOne, toPath: dir + "/" + name)
            return dir + "/" + name
        }
        let resumed = try build("cnn-small", seed: 3, classes: 4)
        let resumedHistory = try BrittleExperiments.train(resumed, on: data, configuration: c, resumeFile: try copy("a.safetensors"))
        XCTAssertEqual(resumedHistory.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(resumedHistory[0].trainLoss, history[0].trainLoss, "epoch 1 must come from the checkpoint")
        XCTAssertEqual(differences(state(uninterrupted), state(resumed)), [], "tensors that differ after resuming")

        // Without the momentum buffers, the resumed run would differ: the check above can fail.
        let noMomentum = try build("cnn-small", seed: 3, classes: 4)
        let (tensors, _, meta) = try Safetensors.read(path: try copy("b.safetensors"))
        let stripped = tensors.filter { !$0.key.hasPrefix("velocity.") }.map { (name: $0.key, tensor: $0.value) }
        XCTAssertLessThan(stripped.count, tensors.count, "the checkpoint holds no momentum buffers")
        try Safetensors.write(stripped, metadata: meta, to: dir + "/stripped.safetensors")
        _ = try BrittleExperiments.train(noMomentum, on: data, configuration: c, resumeFile: dir + "/stripped.safetensors")
        XCTAssertNotEqual(differences(state(uninterrupted), state(noMomentum)), [])

        var other = c
        other.learningRate = 0.01
        XCTAssertThrowsError(try BrittleExperiments.train(try build("cnn-small", seed: 3, classes: 4), on: data, configuration: other, resumeFile: try copy("c.safetensors"))) {
            XCTAssertTrue("\($0)".contains("another configuration"), "\($0)")
        }
    }

    // MARK: Determinism

    func testTrainingWithSameSeedAndTwoThreadsIsBitIdentical() throws {
        let data = syntheticDataset(count: 128, seed: 11)
        for id in ["cnn-small", "resnet-mini"] {
            let a = try trained(id, seed: 1, threads: 2, data: data)
            let b = try trained(id, seed: 1, threads: 2, data: data)
            let other = try trained(id, seed: 2, threads: 2, data: data)
            XCTAssertEqual(differences(state(a), state(b)), [], "\(id): tensors that differ between two identical runs")
            XCTAssertNotEqual(state(a), state(other), "\(id): seeds 1 and 2 trained identical models")
            let initial = state(try build(id, seed: 1, classes: 4))
            for (name, _) in a.namedParameters {
                XCTAssertNotEqual(state(a)[name], initial[name], "\(id): \(name) never changed in training")
            }
        }
    }

    /// Training.swift promises identical weights for the same seed AND thread count only; the
    /// GEMM (and the fixed splits of Parallel) promise independence of the thread count, which
    /// would make whole training runs identical for 1 and 2 threads. Checked here.
    func testTrainingWithOneAndTwoThreadsIsBitIdentical_claimedByGEMMNotByTraining() throws {
        let data = syntheticDataset(count: 128, seed: 11)
        for id in ["cnn-small", "resnet-mini"] {
            let one = state(try trained(id, seed: 1, threads: 1, data: data))
            let two = state(try trained(id, seed: 1, threads: 2, data: data))
            XCTAssertEqual(differences(one, two), [], "\(id): tensors that differ between 1 and 2 threads")
        }
    }

    func testTrainingLearnsTheSyntheticTask() throws {
        let data = syntheticDataset(count: 128, seed: 11)
        let test = syntheticDataset(count: 64, seed: 12)
        let model = try build("cnn-small", seed: 0, classes: 4)
        var c = TrainingConfiguration()
        c.epochs = 3
        c.batchSize = 16
        let history = try BrittleExperiments.train(model, on: data, configuration: c, test: test)
        XCTAssertEqual(history.count, 3)
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss, "\(history)")
        XCTAssertGreaterThan(accuracy(model, on: test), 0.9)
        XCTAssertEqual(history.last!.testAccuracy, accuracy(model, on: test))
    }

    // MARK: Learning-rate schedules

    func testConstantScheduleIsTheBaseRate() {
        for t: Float in [0, 0.5, 3.7, 10, 12] {
            XCTAssertEqual(LearningRateSchedule.constant.rate(base: 0.1, epoch: t, epochs: 10), 0.1)
        }
    }

    func testStepScheduleMultipliesByGammaAtEachMilestone() {
        let s = LearningRateSchedule.step(milestones: [2, 5], gamma: 0.1)
        let expected: [(Float, Float)] = [(0, 1), (1.99, 1), (2, 0.1), (4.99, 0.1), (5, 0.01), (9.5, 0.01)]
        for (t, r) in expected {
            XCTAssertEqual(s.rate(base: 1, epoch: t, epochs: 10), r, accuracy: 1e-7, "epoch \(t)")
        }
        XCTAssertEqual(s.rate(base: 0.4, epoch: 3, epochs: 10), 0.04, accuracy: 1e-7)
    }

    func testCosineScheduleFromBaseToFloorThroughTheAverage() {
        let s = LearningRateSchedule.cosine(floor: 0.1)
        let base: Float = 0.2, end: Float = 0.02  // floor * base
        XCTAssertEqual(s.rate(base: base, epoch: 0, epochs: 10), base, accuracy: 1e-7)
        XCTAssertEqual(s.rate(base: base, epoch: 10, epochs: 10), end, accuracy: 1e-7)
        XCTAssertEqual(s.rate(base: base, epoch: 5, epochs: 10), (base + end) / 2, accuracy: 1e-7)
        // A quarter of the way: base * (floor + (1 - floor) * (1 + cos(pi/4)) / 2).
        XCTAssertEqual(s.rate(base: base, epoch: 2.5, epochs: 10), 0.2 * (0.1 + 0.9 * 0.853_553_4), accuracy: 1e-6)
        // Outside the run it holds its end values.
        XCTAssertEqual(s.rate(base: base, epoch: -1, epochs: 10), base, accuracy: 1e-7)
        XCTAssertEqual(s.rate(base: base, epoch: 12, epochs: 10), end, accuracy: 1e-7)
        XCTAssertEqual(LearningRateSchedule.cosine(floor: 0).rate(base: 0.05, epoch: 1, epochs: 1), 0, accuracy: 1e-9)
    }

    func testPiecewiseLinearScheduleInterpolatesAndClamps() {
        let s = LearningRateSchedule.piecewiseLinear(points: [[1, 0.5], [3, 1], [11, 0]])
        let expected: [(Float, Float)] = [
            (-2, 0.2), (0, 0.2), (1, 0.2), (2, 0.3), (3, 0.4), (5, 0.3), (7, 0.2), (11, 0), (15, 0),
        ]
        for (t, r) in expected {
            XCTAssertEqual(s.rate(base: 0.4, epoch: t, epochs: 11), r, accuracy: 1e-6, "epoch \(t)")
        }
        XCTAssertEqual(LearningRateSchedule.piecewiseLinear(points: []).rate(base: 0.3, epoch: 2, epochs: 5), 0.3)
    }

    // MARK: SGD

    func testSGDMomentumAndWeightDecayMatchHandComputedSteps() {
        let sgd = SGD(momentum: 0.9, weightDecay: 0.1)
        let w = Parameter(Tensor(shape: [2], scalars: [1, -2]), decays: true)
        let b = Parameter(Tensor(shape: [1], scalars: [1]), decays: false)
        // Step 1, lr 0.5: g = (2, 0.5), (2).
        //   w: v = g + 0.1 w = (2.1, 0.3);  w = w - 0.5 v = (-0.05, -2.15)
        //   b: v = g = 2;                    b = 1 - 1 = 0
        w.gradient = Tensor(shape: [2], scalars: [2, 0.5])
        b.gradient = Tensor(shape: [1], scalars: [2])
        sgd.step([w, b], learningRate: 0.5)
        XCTAssertEqual(w.value.scalars[0], -0.05, accuracy: 1e-6)
        XCTAssertEqual(w.value.scalars[1], -2.15, accuracy: 1e-6)
        XCTAssertEqual(b.value.scalars[0], 0, accuracy: 1e-6)
        // Step 2, lr 0.5: g = (-1, 0), (-1).
        //   w: v = 0.9 (2.1, 0.3) + (-1 + 0.1 (-0.05), 0 + 0.1 (-2.15)) = (0.885, 0.055)
        //      w = (-0.05 - 0.4425, -2.15 - 0.0275) = (-0.4925, -2.1775)
        //   b: v = 0.9 * 2 - 1 = 0.8;  b = 0 - 0.4 = -0.4
        w.gradient = Tensor(shape: [2], scalars: [-1, 0])
        b.gradient = Tensor(shape: [1], scalars: [-1])
        sgd.step([w, b], learningRate: 0.5)
        XCTAssertEqual(w.value.scalars[0], -0.4925, accuracy: 1e-6)
        XCTAssertEqual(w.value.scalars[1], -2.1775, accuracy: 1e-6)
        XCTAssertEqual(b.value.scalars[0], -0.4, accuracy: 1e-6)
    }

    func testSGDNesterovStepMatchesHandComputedValue() {
        let sgd = SGD(momentum: 0.9, weightDecay: 0, nesterov: true)
        let p = Parameter(Tensor(shape: [1], scalars: [1]), decays: true)
        p.gradient = Tensor(shape: [1], scalars: [2])
        sgd.step([p], learningRate: 0.1)  // v = 2; w = 1 - 0.1 (2 + 0.9 * 2) = 0.62
        XCTAssertEqual(p.value.scalars[0], 0.62, accuracy: 1e-6)
        sgd.step([p], learningRate: 0.1)  // v = 3.8; w = 0.62 - 0.1 (2 + 3.42) = 0.078
        XCTAssertEqual(p.value.scalars[0], 0.078, accuracy: 1e-6)
    }

    // MARK: Batch-norm modes

    func testTrainingStepUpdatesBatchNormStatisticsAndEvaluationLeavesThem() throws {
        let model = try build("resnet-mini", seed: 3, classes: 4)
        let data = syntheticDataset(count: 16, seed: 4)
        let (x, y) = data.batch(Array(0..<16))
        let buffers = { self.state(model).filter { $0.key.contains("running") } }
        let before = buffers()
        XCTAssertEqual(before.count, 2 * 7, "resnet-mini with 1 block per stage has 7 batch norms")

        trainingStep(model, x, y, sgd: SGD(), learningRate: 0.01)
        let afterStep = buffers()
        for (name, value) in before {
            XCTAssertNotEqual(afterStep[name], value, "\(name) did not move in a training step")
        }

        model.mode = .evaluation
        let z1 = model.logits(x)
        _ = model.predict(x)
        _ = accuracy(model, on: data)
        let z2 = model.logits(x)
        XCTAssertEqual(differences(buffers(), afterStep), [], "evaluation-mode forward passes changed these")
        XCTAssertEqual(bits(z1), bits(z2))
        XCTAssertEqual(model.mode, .evaluation)

        // A training-mode forward alone updates them (and predict restores the caller's mode).
        model.mode = .training
        _ = model.predict(x)
        XCTAssertEqual(model.mode, .training)
        XCTAssertEqual(differences(buffers(), afterStep), [], "predict changed these")
        _ = model.logits(x)
        XCTAssertNotEqual(buffers(), afterStep)
    }

    func testBatchNormRunningStatisticsFollowPyTorchsUpdate() {
        let bn = BatchNorm2d(2)
        // (N=2, C=2, 1x2): channel 0 holds 1, 2, 3, 4 (mean 2.5, unbiased variance 5/3);
        // channel 1 holds 0, 0, 0, 8 (mean 2, unbiased variance 16).
        let x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 0, 0, 3, 4, 0, 8])
        _ = bn.forward(x, mode: .training)
        XCTAssertEqual(bn.runningMean.value.scalars[0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean.value.scalars[1], 0.2, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance.value.scalars[0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance.value.scalars[1], 0.9 + 0.1 * 16, accuracy: 1e-5)
        let y = bn.forward(x, mode: .evaluation)
        XCTAssertEqual(bn.runningMean.value.scalars[0], 0.25, accuracy: 1e-6)
        // Evaluation normalises with the running statistics: (1 - 0.25) / sqrt(var + eps).
        XCTAssertEqual(y.scalars[0], 0.75 / (0.9 + 0.1 * 5 / 3 + 1e-5).squareRoot(), accuracy: 1e-5)
    }
}
