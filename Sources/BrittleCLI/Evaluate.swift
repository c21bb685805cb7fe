// `brittle evaluate`: clean test accuracy of a trained model.
import ArgumentParser
import BrittleExperiments
import BrittleIO
import BrittleNN
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a trained model's clean test accuracy.",
        discussion: "Example: brittle evaluate --model runs/cnn")

    @Option(help: "Run directory written by `brittle train`, or a .safetensors checkpoint.")
    var model: String

    @OptionGroup var data: DataOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        threads.apply()
        let m = try Checkpoint.load(model)
        let testSet = try data.load(.test)
        guard Array(testSet.images.shape.dropFirst()) == m.inputShape else {
            throw ValidationError("model expects inputs \(m.inputShape), dataset has \(Array(testSet.images.shape.dropFirst()))")
        }
        let start = Date()
        let acc = accuracy(m, on: testSet)
        print(String(format: "model: %@ (%@)\nclean test accuracy: %.2f%% (%d images, %.1fs)",
                     model, m.architecture, 100 * acc, testSet.count, Date().timeIntervalSince(start)))
    }
}
