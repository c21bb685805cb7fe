// The host side of every attack: the model in evaluation mode behind the AttackOracle interface
// (batch-norm statistics and parameter gradients untouched, mode restored), then the host's own
// projection into the threat model and its own re-scoring. A plugin can return anything; it
// cannot over-report success (Documentation/attack-properties.md: the host guards the contract).
import BrittleNN

/// A Classifier seen through the attack interface: objective and input gradient only.
/// The host builds one per attack run; plugin authors meet it in tests and conformance checks.
public final class ClassifierOracle: AttackOracle {
    /// The model behind the oracle (the caller sets evaluation mode, as `runAttack` does).
    public let model: Classifier
    /// An oracle over `model`.
    public init(_ model: Classifier) { self.model = model }
    public var classCount: Int { model.classCount }

    public func objective(_ x: Tensor, goal: AttackGoal) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        let logits = model.logits(x)
        switch goal {
        case .untargeted(let y):
            let (losses, dz) = CrossEntropy.evaluate(logits: logits, labels: y.classes, reduction: .sum)
            return (losses, logits, model.backward(logitGradient: dz, parameterGradients: false))
        case .targeted(let t):
            // Ascend on -CE(target): the target's loss goes DOWN.
            let (losses, dz) = CrossEntropy.evaluate(logits: logits, labels: t.classes, reduction: .sum)
            return (losses.map { -$0 }, logits, model.backward(logitGradient: dz * -1, parameterGradients: false))
        }
    }
}

/// What one attacked batch came to, scored by the host.
public struct AttackedBatch {
    /// The adversarial inputs after the host's projection and clamp.
    public var inputs: Tensor
    /// The model's predictions on them.
    public var predictions: [Int]
}

/// Runs `attack` on `x` against `model` and returns the host-projected, host-scored result.
/// `exampleSeeds[i]` seeds example i (derive them from a run seed and the example's dataset index).
public func runAttack(_ attack: any Attack, on model: Classifier, inputs x: Tensor, goal: AttackGoal,
                      exampleSeeds: [UInt64]) -> AttackedBatch {
    let saved = model.mode
    model.mode = .evaluation
    defer { model.mode = saved }
    let proposed = attack.perturb(x, goal: goal, oracle: ClassifierOracle(model), exampleSeeds: exampleSeeds)
    precondition(proposed.shape == x.shape, "attack returned shape \(proposed.shape) for inputs \(x.shape)")
    let projected = attack.threatModel.project(proposed, around: x)
    return AttackedBatch(inputs: projected, predictions: model.predict(projected))
}

