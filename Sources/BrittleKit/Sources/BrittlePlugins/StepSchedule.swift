// A step-length schedule over a fixed number of gradient steps: constant, or decaying to zero
// linearly or along a half cosine. Used by `invert-representation` (the D_R / D_NR construction)
// and open to any plugin that runs a fixed number of steps. Pure arithmetic, tested on its values;
// not here: the steps themselves.
import Foundation

/// How the length of step t of T (t = 0 ... T-1) follows from the base length s:
/// constant s; linear s (1 - t/T); cosine s (1 + cos(pi t / T)) / 2. Every schedule starts at s,
/// and the decaying ones fall monotonically towards 0 without reaching it.
public enum StepSchedule: String, CaseIterable, Sendable, Equatable {
    /// Every step has the base length.
    case constant
    /// The length falls linearly from s to s / T.
    case linear
    /// The length follows a half cosine from s to nearly 0 (SGDR's annealing without restarts).
    case cosine

    /// The length of step `step` (0-based) of `steps`, for base length `base`.
    public func length(base: Float, step: Int, of steps: Int) -> Float {
        precondition(steps >= 1 && (0..<steps).contains(step), "StepSchedule: step \(step) of \(steps)")
        let fraction = Double(step) / Double(steps)
        switch self {
        case .constant: return base
        case .linear: return Float(Double(base) * (1 - fraction))
        case .cosine: return Float(Double(base) * (1 + cos(Double.pi * fraction)) / 2)
        }
    }

    /// The schedule names, for parameter schemas and error messages ("constant, linear, cosine").
    public static var names: [String] { allCases.map(\.rawValue) }
}
