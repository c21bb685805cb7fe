// The measurements a reproduction (and `--from-bundle`'s re-check) takes of a model: clean and
// robust accuracy under the host's 20-step L2 PGD, the (y+1) share, transferred examples and
// transfer success. Free functions over a Classifier; not the stages that call them.
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Accuracy of `model` on `images` against `labels`.
func accuracyOn(_ model: Classifier, _ images: Tensor, _ labels: [Int]) -> Float {
    let p = model.predict(images)
    return Agreement.accuracy(p, labels)
}

/// Untargeted L2 PGD examples crafted on `source`, the whole set as one batch (per-example
/// seeds 0, 1, ...).
func craftTransferExamples(on source: Classifier, _ data: LabeledDataset, epsilon: Double, steps: Int,
                           registry: Registry) throws -> (inputs: Tensor, predictions: [Int]) {
    let run = AttackRun(attack: try pgdL2(epsilon: epsilon, steps: steps, registry: registry), seed: 0,
                        batchSize: max(data.count, 1))
    return run.craft(on: source, images: data.images, goal: .untargeted(TrueLabels(data.labels)))
}

/// Transfer success against `target`: the share of the images it classifies correctly whose
/// adversarial version it gets wrong; and its clean accuracy on them.
func transferSuccess(against target: Classifier, clean: Tensor, adversarial: Tensor, labels: [Int]) -> (success: Float, cleanAccuracy: Float) {
    let score = AttackScore(labels: labels, clean: target.predict(clean), adversarial: target.predict(adversarial))
    return (Float(score.successOnCorrect), Float(score.cleanAccuracy))
}

/// The host's L2 PGD at `epsilon` with `steps` steps of 2.5 eps / steps, no random start.
func pgdL2(epsilon: Double, steps: Int, registry: Registry) throws -> any Attack {
    let p = try registry.attack("pgd-l2")
    return try p.makeAttack(try p.configuration(["epsilon": "\(epsilon)", "steps": "\(steps)",
                                                 "step-size": "\(2.5 * epsilon / Double(steps))", "random-start": "false"]))
}

/// Clean accuracy on `test`, robust accuracy at each epsilon on `robustTest`, and the share of
/// test predictions equal to (y + 1) mod C (D_det's leak).
public func evaluateModel(_ model: Classifier, test: LabeledDataset, robustTest: LabeledDataset, epsilons: [Double],
                          steps: Int, label: String = "model", registry: Registry) throws -> ModelEvaluation {
    let predictions = model.predict(test.images)
    let c = model.classCount
    let correct = Agreement.count(predictions, test.labels)
    let next = zip(predictions, test.labels).filter { $0 == ($1 + 1) % c }.count
    var points: [RobustPoint] = []
    var robustClean: Float = 0
    for eps in epsilons {
        let bar = ProgressBar("\(label) eps \(eps)", total: robustTest.count)
        let r = evaluateRobustness(model, attack: try pgdL2(epsilon: eps, steps: steps, registry: registry), images: robustTest.images,
                                   labels: robustTest.labels, seed: 0) { bar.update($0, "") }
        robustClean = r.cleanAccuracy
        points.append(RobustPoint(epsilon: eps, robustAccuracy: r.robustAccuracy))
    }
    return ModelEvaluation(cleanAccuracy: Float(correct) / Float(max(test.count, 1)), testImages: test.count,
                           nextClassFraction: Float(next) / Float(max(test.count, 1)), robustCleanAccuracy: robustClean,
                           robustImages: robustTest.count, robust: points, steps: steps)
}
