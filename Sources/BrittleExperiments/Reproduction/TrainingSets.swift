// The paper's training sets (D, D_R, D_NR, D_rand and its controls, D_det, D_sub) and the
// transform spec that constructs each from a source model. Names and specs only; the stages
// that build and train on them are in Reproduction.swift.
import Foundation

/// A training set of the paper.
enum TrainingSet {
    case constructed(ConstructedSet)
    /// D_sub: the N source images with their true labels.
    case subset

    var name: String {
        switch self {
        case .constructed(let c): return c.name
        case .subset: return "d_sub"
        }
    }

    var label: String {
        switch self {
        case .constructed(let c): return c.label
        case .subset: return "D_sub"
        }
    }
}

/// A constructed set of the paper and how it is built.
enum ConstructedSet {
    case dR, dNR, dRand, dRandAny, dRandRobust, dDet(Double)

    var name: String {
        switch self {
        case .dR: return "d_r"
        case .dNR: return "d_nr"
        case .dRand: return "d_rand"
        case .dRandAny: return "d_rand_any"
        case .dRandRobust: return "d_rand_robust"
        case .dDet(let e): return "d_det_eps\(ReproductionReport.number(e))"
        }
    }

    var label: String {
        switch self {
        case .dR: return "D_R"
        case .dNR: return "D_NR"
        case .dRand: return "D_rand"
        case .dRandAny: return "D_rand, targets over all classes"
        case .dRandRobust: return "D_rand from the robust model"
        case .dDet(let e): return "D_det (eps \(ReproductionReport.number(e)))"
        }
    }

    var usesRobustModel: Bool {
        switch self {
        case .dR, .dRandRobust: return true
        default: return false
        }
    }

    /// The transform spec that builds it.
    func spec(_ c: ReproductionConfig) -> String {
        func relabel(_ rule: String, _ eps: Double) -> String {
            "adversarial-relabel:target-rule=\(rule),attack=\(c.relabelAttack),epsilon=\(eps),steps=\(c.relabelSteps),step-size=\(eps * c.relabelStepFraction)"
        }
        switch self {
        case .dR, .dNR:
            return "invert-representation:iterations=\(c.inversionIterations),step-size=\(c.inversionStepSize),start=\(c.inversionStart)"
        case .dRand, .dRandRobust: return relabel("random", c.randEpsilon)
        case .dRandAny: return relabel("random-any", c.randEpsilon)
        case .dDet(let e): return relabel("next", e)
        }
    }
}
