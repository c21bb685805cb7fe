// The measuring stages of `brittle reproduce`: each model's clean and robust accuracy on the
// original test set, and the examples transferred from the standard model, each a cached stage
// of Reproduction. The measurements themselves are ModelMeasurements.swift; not the training
// stages (Reproduction+Training.swift) nor the experiments' order (Reproduction+Run.swift).
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

extension Reproduction {
    /// What an evaluation stage's key holds.
    struct EvalKey: Encodable {
        var attack = "pgd-l2"
        var epsilons: [Double]
        var steps: Int
        var data: [String: String]
        var testLimit: Int?
        var robustTestLimit: Int
    }

    /// Clean and robust accuracy of the model of `model` on the original test set.
    func evaluation(of model: StageRef) throws -> ModelEvaluation {
        let key = EvalKey(epsilons: config.evalEpsilons, steps: config.evalSteps, data: datasetKey(limit: nil),
                          testLimit: config.testLimit, robustTestLimit: config.robustTestLimit)
        let ref = try stage("eval-\(model.name)", configuration: key, upstream: [model]) { dir, _ in
            let m = try Checkpoint.load(model.modelFile, registry: self.registry)
            let e = try evaluateModel(m, test: self.test(), robustTest: self.robustTest(), epsilons: self.config.evalEpsilons,
                                      steps: self.config.evalSteps, label: model.name, registry: self.registry)
            try prettyJSON(e).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("evaluation.json")))
        }
        return try JSONDecoder().decode(ModelEvaluation.self, from: Data(contentsOf: URL(fileURLWithPath: (ref.directory as NSString).appendingPathComponent("evaluation.json"))))
    }

    /// Untargeted L2 PGD examples crafted on the standard model, on the robust-test images.
    func transferExamples(seed: UInt64) throws -> (examples: Tensor, sourceAccuracy: Float) {
        let source = try standardModel(seed: seed)
        struct Key: Encodable { var epsilon: Double; var steps: Int; var data: [String: String]; var robustTestLimit: Int; var testLimit: Int? }
        let key = Key(epsilon: config.transferEpsilon, steps: config.transferSteps, data: datasetKey(limit: nil),
                      robustTestLimit: config.robustTestLimit, testLimit: config.testLimit)
        let ref = try stage("transfer-examples-s\(seed)", configuration: key, upstream: [source]) { dir, _ in
            let model = try Checkpoint.load(source.modelFile, registry: self.registry)
            let data = try self.robustTest()
            // The whole robust-test set is attacked as one batch.
            try MemoryBudget.current.check(model, use: .inference(batchSize: data.count))
            let adv = try craftTransferExamples(on: model, data, epsilon: self.config.transferEpsilon, steps: self.config.transferSteps,
                                            registry: self.registry)
            let acc = Agreement.accuracy(adv.predictions, data.labels)
            try Safetensors.write([(name: "adversarial", tensor: adv.inputs)], metadata: ["source_accuracy": "\(acc)"],
                                  to: (dir as NSString).appendingPathComponent("examples.safetensors"))
        }
        let (tensors, _, meta) = try Safetensors.read(path: (ref.directory as NSString).appendingPathComponent("examples.safetensors"))
        guard let x = tensors["adversarial"], let acc = meta["source_accuracy"].flatMap(Float.init) else {
            throw ReproductionError("\(ref.directory)/examples.safetensors is damaged: delete that directory and rerun")
        }
        return (x, acc)
    }
}
