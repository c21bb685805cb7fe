// The schedule and the patterns of the Square Attack (Andriushchenko, Croce, Flammarion & Hein,
// ECCV 2020), as in the reference implementation (autoattack/square.py: `p_selection`, the square
// sides of `attack_single_run`, `eta_rectangles` and `eta`, the "meta pseudo-Gaussian"
// perturbation). Pure functions of their arguments, shared by the `square` attack plugin and its
// tests. Not here: any randomness (the caller draws the orientation) nor the search itself
// (Plugins/Attacks/SquareAttack.swift).
import Foundation

/// The piecewise-constant schedule of the fraction p of pixels a Square Attack proposal changes,
/// the square sides it implies, and the pseudo-Gaussian window of the L2 attack.
public enum SquareSchedule {
    /// The fraction p at iteration `iteration` (0-based, the initial query not counted) of a run
    /// with `budget` queries: the reference's schedule with the iteration rescaled to a
    /// 10,000-query budget, `it = int(iteration / budget * 10000)`, then p_init for it <= 10,
    /// p_init/2 up to 50, /4 up to 200, /8 up to 500, /16 up to 1000, /32 up to 2000, /64 up to
    /// 4000, /128 up to 6000, /256 up to 8000 and /512 beyond.
    public static func fraction(pInit: Double, iteration: Int, budget: Int) -> Double {
        precondition(budget > 0, "SquareSchedule.fraction: budget \(budget)")
        let it = Int(Double(iteration) / Double(budget) * 10000)
        let steps: [(upTo: Int, divisor: Double)] = [
            (10, 1), (50, 2), (200, 4), (500, 8), (1000, 16), (2000, 32), (4000, 64), (6000, 128), (8000, 256),
        ]
        for step in steps where it <= step.upTo { return pInit / step.divisor }
        return pInit / 512
    }

    /// The side of the Linf attack's square: max(round(sqrt(p * features / channels)), 1), with
    /// Python's rounding (half to even), at most the image's smaller side.
    public static func linfSide(fraction p: Double, channels: Int, height: Int, width: Int) -> Int {
        min(max(roundedRoot(p, channels, height, width), 1), min(height, width))
    }

    /// The side of the L2 attack's windows: max(round(sqrt(p * features / channels)), 3), made
    /// odd by adding 1, then at most the image's smaller side (odd again if that is possible).
    public static func l2Side(fraction p: Double, channels: Int, height: Int, width: Int) -> Int {
        var s = max(roundedRoot(p, channels, height, width), 3)
        if s % 2 == 0 { s += 1 }
        let limit = min(height, width)
        if s > limit { s = limit % 2 == 1 ? limit : limit - 1 }
        return max(s, 1)
    }

    private static func roundedRoot(_ p: Double, _ channels: Int, _ height: Int, _ width: Int) -> Int {
        let features = Double(channels * height * width)
        return Int((p * features / Double(channels)).squareRoot().rounded(.toNearestOrEven))
    }

    /// The reference's `eta_rectangles(rows, columns)`: nested rectangles around the centre,
    /// each adding 1/(k+1)^2 for ring k, row-major, scaled to unit L2 norm (all zeros when empty).
    public static func rectangles(rows: Int, columns: Int) -> [Double] {
        var delta = [Double](repeating: 0, count: rows * columns)
        guard rows > 0 && columns > 0 else { return delta }
        let centreRow = rows / 2 + 1, centreColumn = columns / 2 + 1
        var top = centreRow - 1, left = centreColumn - 1
        for ring in 0..<max(centreRow, centreColumn) {
            let weight = 1.0 / Double((ring + 1) * (ring + 1))
            for r in max(top, 0)..<min(top + 2 * ring + 1, rows) {
                for c in max(left, 0)..<min(left + 2 * ring + 1, columns) { delta[r * columns + c] += weight }
            }
            top -= 1
            left -= 1
        }
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return delta.map { $0 / norm }
    }

    /// The reference's `eta(side)`, the L2 attack's pseudo-Gaussian window, row-major side x side:
    /// `rectangles` on the top side/2 rows, minus `rectangles` on the other rows, scaled to unit
    /// L2 norm; `transposed` swaps rows and columns (the reference's coin flip, which the caller
    /// draws). A side of 1 gives [-1].
    public static func pseudoGaussianWindow(side s: Int, transposed: Bool) -> [Float] {
        precondition(s > 0, "SquareSchedule.pseudoGaussianWindow: side \(s)")
        let top = rectangles(rows: s / 2, columns: s)
        let bottom = rectangles(rows: s - s / 2, columns: s)
        var window = top + bottom.map { -$0 }
        let norm = window.reduce(0) { $0 + $1 * $1 }.squareRoot()
        window = window.map { $0 / norm }
        guard transposed else { return window.map { Float($0) } }
        return (0..<(s * s)).map { k in Float(window[(k % s) * s + k / s]) }
    }
}
