// `adversarial-relabel`: the paper's D_rand / D_det construction. Each image is pushed toward a
// target class t by a registered attack plugin run TARGETED through the host's attack runner
// (host-side projection and scoring, through the construction's AttackRunner), then relabelled
// t. Not an evaluation of robustness. Reference: Ilyas et al. 2019, Sec. 3.2 and App. C.5.
import Foundation
import BrittleNN
import BrittlePlugins

/// Targeted adversarial relabelling: x -> attack(x, toward t), label y -> t.
/// `target-rule` `random` (excluding y) or `random-any` builds D_rand; `next` builds D_det.
/// The attack is named by the `attack` parameter (so the configuration records it) and looked
/// up when the construction is configured. Reports "targeted-success" (fraction whose adversarial
/// prediction is t, scored by the host), "target-equals-label", "mean-perturbation-l2", and
/// "batch-K/targeted-success".
public final class AdversarialRelabelTransform: ConstructionPlugin {
    public init() {}
    public let id = "adversarial-relabel"
    public let version = "1.0.0"
    public let summary = "Push each image toward a target class with a targeted attack and relabel it (the paper's D_rand / D_det)"
    public let parameters = [
        ParameterSpec("target-rule", .choice(["random", "random-any", "next"]), default: .string("random"),
                      help: "random: uniform over the classes other than y; random-any: uniform over all classes (the paper's rule); next: (y + 1) mod C"),
        ParameterSpec("attack", .string, default: .string("pgd-l2"),
                      help: "Attack plugin run targeted toward t (it must take an epsilon parameter)"),
        ParameterSpec("epsilon", .float(0...1e6), default: .float(2.0), help: "Attack radius, in pixel units"),
        ParameterSpec("steps", .int(1...100_000), default: .int(100), help: "Attack steps (if the attack takes steps)"),
        ParameterSpec("step-size", .float(0...1e6), default: .float(0.4), help: "Attack step length (if the attack takes step-size)"),
        ParameterSpec("batch-size", .int(1...100_000), default: .int(250), help: "Examples attacked together (results do not depend on it)"),
    ]

    public var preservesLabels: Bool { false }

    /// The configured attack: `attack` looked up in `registry`, given epsilon, steps and
    /// step-size (each only if its schema has it). Throws if the attack takes no epsilon.
    public func makeAttack(_ c: Configuration, registry: Registry) throws -> (plugin: any AttackPlugin, configuration: Configuration, attack: any Attack) {
        let attackID = c.string("attack")
        let plugin: any AttackPlugin
        do { plugin = try registry.attack(attackID) } catch {
            throw ConfigurationError(plugin: id, parameter: "attack", message: "\(error)")
        }
        let names = Set(plugin.parameters.map(\.name))
        guard names.contains("epsilon") else {
            throw ConfigurationError(plugin: id, parameter: "attack",
                                     message: "attack '\(attackID)' takes no epsilon parameter, so its budget cannot be set")
        }
        var text = ["epsilon": c.values["epsilon"]!.description]
        for key in ["steps", "step-size"] where names.contains(key) { text[key] = c.values[key]!.description }
        do {
            let cfg = try plugin.configuration(text)
            return (plugin, cfg, try plugin.makeAttack(cfg))
        } catch {
            throw ConfigurationError(plugin: id, parameter: "attack", message: "configuring '\(attackID)': \(error)")
        }
    }

    public func makeConstruction(_ c: Configuration, registry: Registry) throws -> any DatasetConstruction {
        AdversarialRelabel(attack: try makeAttack(c, registry: registry).attack, rule: c.string("target-rule"),
                           batchSize: c.int("batch-size"))
    }
}

/// One configured relabelling (see AdversarialRelabelTransform).
final class AdversarialRelabel: DatasetConstruction {
    let id = "adversarial-relabel"
    let attack: any Attack, rule: String, batchSize: Int

    init(attack: any Attack, rule: String, batchSize: Int) {
        (self.attack, self.rule, self.batchSize) = (attack, rule, batchSize)
    }

    func construct(from data: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset {
        guard data.imageShape == model.inputShape else {
            throw ConfigurationError(plugin: id, parameter: nil,
                                     message: "the model takes inputs \(model.inputShape), the dataset has images \(data.imageShape)")
        }
        let C = data.numClasses
        guard model.classCount == C else {
            throw ConfigurationError(plugin: id, parameter: nil,
                                     message: "the model has \(model.classCount) classes, the dataset \(C)")
        }
        guard C >= 2 else {
            throw ConfigurationError(plugin: id, parameter: "target-rule", message: "needs at least 2 classes, the dataset has \(C)")
        }
        let N = data.count, d = data.images.itemSize

        // Per example i, from stream(seed, i) alone: its target, then its attack seed.
        var targets = [Int](repeating: 0, count: N)
        var seeds = [UInt64](repeating: 0, count: N)
        for i in 0..<N {
            var rng = SeededGenerator.stream(seed: context.seed, index: UInt64(i))
            let y = data.labels[i]
            switch rule {
            case "next": targets[i] = (y + 1) % C
            case "random-any": targets[i] = rng.nextInt(below: C)
            default:
                let t = rng.nextInt(below: C - 1)
                targets[i] = t >= y ? t + 1 : t
            }
            seeds[i] = rng.next()
        }

        var output = LabeledDataset(images: data.images, labels: targets, classNames: data.classNames, name: data.name)
        var hits = 0, sameAsLabel = 0
        var normSum = 0.0
        let batches = (N + batchSize - 1) / batchSize
        for b in 0..<batches {
            let range = (b * batchSize)..<min(N, (b + 1) * batchSize)
            let x = data.images.slice(range)
            let t = Array(targets[range])
            let result = model.attacks.run(attack, on: x, goal: .targeted(TargetLabels(t)), exampleSeeds: Array(seeds[range]))
            let batchHits = Agreement.count(result.predictions, t)
            hits += batchHits
            sameAsLabel += Agreement.count(t, data.labels[range])
            result.inputs.withUnsafePointer { a in
                x.withUnsafePointer { x0 in
                    for i in 0..<range.count {
                        var ss = 0.0
                        for j in 0..<d { let v = Double(a[i * d + j] - x0[i * d + j]); ss += v * v }
                        normSum += ss.squareRoot()
                    }
                }
                output.images.withUnsafeMutablePointer { o in (o + range.lowerBound * d).update(from: a, count: range.count * d) }
            }
            context.report("batch-\(b)/targeted-success", Double(batchHits) / Double(range.count))
            context.progress(range.upperBound, N, String(format: "batch %d/%d  success %.1f%%", b + 1, batches,
                                                         100 * Double(hits) / Double(range.upperBound)))
        }
        let n = Double(max(N, 1))
        context.report("targeted-success", Double(hits) / n)
        context.report("target-equals-label", Double(sameAsLabel) / n)
        context.report("mean-perturbation-l2", normSum / n)
        return output
    }
}
