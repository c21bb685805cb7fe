// The two views of a model a dataset construction gets (Construction.swift), and the host's
// implementations over a Classifier: its penultimate representation with the input gradient,
// and an attack runner that projects, clamps and re-scores whatever an attack returns
// (AttackRunner.swift). Each call runs the model in evaluation mode, restores the mode, and
// leaves parameter gradients and batch-norm statistics untouched.
import BrittleNN

/// A model's penultimate representation g, as a construction sees it.
public protocol RepresentationOracle: AnyObject {
    /// g(x) for each example of `x` (N, C, H, W): shape (N, D).
    func representation(of x: Tensor) -> Tensor
    /// The gradient dL/dx, shaped like `x`, of a loss L of the representation, in one forward and
    /// one backward pass: `lossGradient` receives g(x) (N, D) and returns dL/dg (N, D).
    func inputGradient(at x: Tensor, lossGradient: (_ representation: Tensor) -> Tensor) -> Tensor
}

/// Runs configured attacks against a model on a construction's behalf.
public protocol AttackRunner: AnyObject {
    /// `attack` run on `x` toward `goal` (`exampleSeeds[i]` seeds example i); the result is
    /// projected into the attack's threat model, clamped, and scored by the host.
    func run(_ attack: any Attack, on x: Tensor, goal: AttackGoal, exampleSeeds: [UInt64]) -> AttackedBatch
}

/// The host's representation oracle: a Classifier's `features`, in evaluation mode.
public final class ClassifierRepresentation: RepresentationOracle {
    /// The model behind the oracle.
    public let model: Classifier

    /// An oracle over `model`.
    public init(_ model: Classifier) { self.model = model }

    public func representation(of x: Tensor) -> Tensor {
        let saved = model.mode
        model.mode = .evaluation
        defer { model.mode = saved }
        return model.representation(x)
    }

    public func inputGradient(at x: Tensor, lossGradient: (_ representation: Tensor) -> Tensor) -> Tensor {
        let saved = model.mode
        model.mode = .evaluation
        defer { model.mode = saved }
        let g = model.representation(x)
        let dg = lossGradient(g)
        precondition(dg.shape == g.shape, "lossGradient returned shape \(dg.shape) for a representation of shape \(g.shape)")
        return model.backward(representationGradient: dg, parameterGradients: false)
    }
}

/// The host's attack runner over a Classifier: `runAttack`, with its projection and scoring.
public final class ClassifierAttackRunner: AttackRunner {
    /// The model attacked.
    public let model: Classifier

    /// A runner against `model`.
    public init(_ model: Classifier) { self.model = model }

    public func run(_ attack: any Attack, on x: Tensor, goal: AttackGoal, exampleSeeds: [UInt64]) -> AttackedBatch {
        runAttack(attack, on: model, inputs: x, goal: goal, exampleSeeds: exampleSeeds)
    }
}

extension ConstructionModel {
    /// The host's view of `classifier` for a construction.
    public init(_ classifier: Classifier) {
        self.init(inputShape: classifier.inputShape, classCount: classifier.classCount,
                  representation: ClassifierRepresentation(classifier), attacks: ClassifierAttackRunner(classifier))
    }
}
