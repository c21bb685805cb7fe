// Robust evaluation: clean and robust accuracy of a model under an attack, through the kit's
// host-side runner (runAttack), in batches with per-example seeds.
import BrittleNN
import BrittlePlugins
import Foundation

/// Robust-evaluation figures of one attack configuration on a labelled set.
public struct RobustEvaluation: Codable, Sendable {
    /// Accuracy on clean inputs.
    public var cleanAccuracy: Float
    /// Accuracy on adversarial inputs, against the TRUE labels, over all examples.
    public var robustAccuracy: Float
    /// Fraction of the correctly classified clean examples that the attack made wrong.
    public var successOnCorrect: Float
    public var examples: Int
    public var seconds: Double
    /// How the figures are defined, stored with them (Documentation/attack-properties.md #8).
    public var definitions = "robustAccuracy = mean(pred(x_adv) == y) over all examples; successOnCorrect = fraction of examples with pred(x) == y whose pred(x_adv) != y"
}

/// Clean and robust accuracy of `model` under `attack` on `data` (untargeted), in batches.
public func evaluateRobustness(_ model: Classifier, attack: any Attack, images: Tensor, labels: [Int],
                               batchSize: Int = 250, seed: UInt64 = 0,
                               progress: ((Int) -> Void)? = nil) -> RobustEvaluation {
    let start = Date.now
    let clean = model.predict(images)
    var robustCorrect = 0, correct = 0, flipped = 0
    var i = 0
    let n = images.batchSize
    while i < n {
        let j = min(n, i + batchSize)
        let y = Array(labels[i..<j])
        let result = runAttack(attack, on: model, inputs: images.slice(i..<j), goal: .untargeted(TrueLabels(y)),
                               exampleSeeds: (i..<j).map { seed &+ UInt64($0) })
        for k in 0..<(j - i) {
            let wasRight = clean[i + k] == y[k], isRight = result.predictions[k] == y[k]
            if isRight { robustCorrect += 1 }
            if wasRight { correct += 1; if !isRight { flipped += 1 } }
        }
        i = j
        progress?(i)
    }
    return RobustEvaluation(cleanAccuracy: Float(correct) / Float(max(n, 1)),
                            robustAccuracy: Float(robustCorrect) / Float(max(n, 1)),
                            successOnCorrect: Float(flipped) / Float(max(correct, 1)),
                            examples: n, seconds: Date.now.timeIntervalSince(start))
}
