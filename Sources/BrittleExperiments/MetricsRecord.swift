// metrics.json of `brittle train`: the architecture and its options, the transforms, the
// adversarial training and its monitor, the data, the threads, the training configuration, the
// per-epoch metrics and the test accuracy of one TrainingRun. A plain Codable record (its keys
// are the file's); not the reproduction's training.json (TrainingRecord) nor the run itself.
import BrittleGEMM
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// metrics.json: what a training run was and what it measured.
public struct MetricsRecord: Codable, Sendable {
    public var command: String
    public var architecture: String
    public var architectureVersion: String
    public var architectureOptions: [String: String]
    /// The transforms as given (ID or ID:key=value,...), input layers and augmentations alike.
    public var transforms: [String]
    public var adversarial: AdversarialRecord?
    public var robustMonitor: [RobustMonitorEntry]
    public var dataset: String
    public var testDataset: String
    public var trainImages: Int
    public var testImages: Int
    public var threads: Int
    public var configuration: TrainingConfiguration
    public var epochs: [EpochMetrics]
    public var testAccuracy: Float
    public var seconds: Double
    public var brittleVersion: String

    /// The record of `run` (whose `outcome` it is) of `architecture` with `options` on `train`,
    /// tested on `test`, with `transforms` as given.
    public init(command: String = "train", architecture: any ArchitecturePlugin, options: Configuration, transforms: [String],
                run: TrainingRun, outcome: TrainingOutcome, train: LabeledDataset, test: LabeledDataset) {
        self.command = command
        self.architecture = architecture.id
        architectureVersion = architecture.version
        architectureOptions = options.text
        self.transforms = transforms
        adversarial = run.adversary.map {
            AdversarialRecord(attack: $0.plugin.id, attackVersion: $0.plugin.version, configuration: $0.configuration.text,
                              fraction: $0.fraction)
        }
        robustMonitor = outcome.robustMonitor
        dataset = train.name
        testDataset = test.name
        trainImages = train.count
        testImages = test.count
        threads = Parallel.threads
        configuration = run.configuration
        epochs = outcome.epochs
        testAccuracy = outcome.testAccuracy
        seconds = outcome.seconds
        brittleVersion = BrittleExperiments.brittleVersion
    }
}

/// The adversarial training of a run: the attack, its configuration and the share of each batch.
public struct AdversarialRecord: Codable, Sendable {
    public var attack: String
    public var attackVersion: String
    public var configuration: [String: String]
    public var fraction: Double
}
