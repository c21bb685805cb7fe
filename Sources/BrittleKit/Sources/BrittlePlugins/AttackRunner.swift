// The host side of every attack: the model in evaluation mode behind the AttackOracle interface
// (batch-norm statistics and parameter gradients untouched, mode restored), then the host's own
// projection into the threat model and its own re-scoring. A plugin can return anything; it
// cannot over-report success (Documentation/attack-properties.md: the host guards the contract).
import BrittleNN

/// A Classifier seen through the attack interface: objectives, with or without the input
/// gradient. The host builds one per attack run; plugin authors meet it in tests and
/// conformance checks.
public final class ClassifierOracle: AttackOracle {
    /// The model behind the oracle (the caller sets evaluation mode, as `runAttack` does).
    public let model: Classifier
    /// An oracle over `model`.
    public init(_ model: Classifier) { self.model = model }
    public var classCount: Int { model.classCount }

    public func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        let logits = model.logits(x)
        let (values, dz) = loss.evaluate(logits: logits, goal: goal)
        return (values, logits, model.backward(logitGradient: dz, parameterGradients: false))
    }

    public func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor) {
        let logits = model.logits(x)
        return (loss.evaluate(logits: logits, goal: goal).values, logits)
    }
}

/// The oracle a score-based attack gets: forward passes only. Asking it for a gradient stops
/// the process naming the plugin, since a plugin that declares `.scores` access and uses
/// gradients would make the ensemble's black-box check meaningless.
public final class ScoreOnlyOracle: AttackOracle {
    /// The oracle whose scores this one passes on.
    public let base: AttackOracle
    /// The attack's name, for the message.
    public let attack: String
    /// A score-only view of `base` for `attack` (its name, for the message).
    public init(_ base: AttackOracle, attack: String) {
        self.base = base
        self.attack = attack
    }
    public var classCount: Int { base.classCount }

    public func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        preconditionFailure("attack \(attack) declares score-only access (Attack.access == .scores) but asked for an input gradient; use AttackOracle.scores, or declare .gradients")
    }

    public func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor) {
        base.scores(x, goal: goal, loss: loss)
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
/// A score-based attack (`access == .scores`) gets forward passes only (ScoreOnlyOracle).
public func runAttack(_ attack: any Attack, on model: Classifier, inputs x: Tensor, goal: AttackGoal,
                      exampleSeeds: [UInt64]) -> AttackedBatch {
    let saved = model.mode
    model.mode = .evaluation
    defer { model.mode = saved }
    let oracle: AttackOracle = attack.access == .scores ? ScoreOnlyOracle(ClassifierOracle(model), attack: "\(type(of: attack))") : ClassifierOracle(model)
    let proposed = attack.perturb(x, goal: goal, oracle: oracle, exampleSeeds: exampleSeeds)
    precondition(proposed.shape == x.shape, "attack returned shape \(proposed.shape) for inputs \(x.shape)")
    let projected = attack.threatModel.project(proposed, around: x)
    return AttackedBatch(inputs: projected, predictions: model.predict(projected))
}

