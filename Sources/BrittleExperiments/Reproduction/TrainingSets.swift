// The paper's training sets (D, D_R, D_NR, D_rand and its controls, D_det, D_sub) and the
// construction recipe that builds each from a source model. Names and recipes only; the stages
// that build and train on them are planned in Pipeline/ReproductionPlanner.swift.
import Foundation

/// A training set of the paper.
public enum TrainingSet: Codable, Hashable, Sendable {
    case constructed(ConstructedSet)
    /// D_sub: the N source images with their true labels.
    case subset

    public var name: String {
        switch self {
        case .constructed(let c): return c.name
        case .subset: return "d_sub"
        }
    }

    public var label: String {
        switch self {
        case .constructed(let c): return c.label
        case .subset: return "D_sub"
        }
    }
}

/// A constructed set of the paper and how it is built.
public enum ConstructedSet: Codable, Hashable, Sendable {
    case dR, dNR, dRand, dRandAny, dRandRobust, dDet(Double)

    public var name: String {
        switch self {
        case .dR: return "d_r"
        case .dNR: return "d_nr"
        case .dRand: return "d_rand"
        case .dRandAny: return "d_rand_any"
        case .dRandRobust: return "d_rand_robust"
        case .dDet(let e): return "d_det_eps\(ReproductionReport.number(e))"
        }
    }

    public var label: String {
        switch self {
        case .dR: return "D_R"
        case .dNR: return "D_NR"
        case .dRand: return "D_rand"
        case .dRandAny: return "D_rand, targets over all classes"
        case .dRandRobust: return "D_rand from the robust model"
        case .dDet(let e): return "D_det (eps \(ReproductionReport.number(e)))"
        }
    }

    public var usesRobustModel: Bool {
        switch self {
        case .dR, .dRandRobust: return true
        default: return false
        }
    }

    /// The construction that builds it (typed: never a spec string parsed back).
    public func recipe(_ c: ReproductionConfig) -> ConstructionRecipe {
        func relabel(_ rule: String, _ eps: Double) -> ConstructionRecipe {
            ConstructionRecipe(plugin: "adversarial-relabel", parameters: [
                "target-rule": rule, "attack": c.relabelAttack, "epsilon": "\(eps)", "steps": "\(c.relabelSteps)",
                "step-size": "\(eps * c.relabelStepFraction)",
            ])
        }
        switch self {
        case .dR, .dNR:
            return ConstructionRecipe(plugin: "invert-representation", parameters: [
                "iterations": "\(c.inversionIterations)", "step-size": "\(c.inversionStepSize)", "start": c.inversionStart,
                "step-schedule": c.inversionStepSchedule,
            ])
        case .dRand, .dRandRobust: return relabel("random", c.randEpsilon)
        case .dRandAny: return relabel("random-any", c.randEpsilon)
        case .dDet(let e): return relabel("next", e)
        }
    }
}
