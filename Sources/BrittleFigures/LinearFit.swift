// Ordinary least-squares line y = slope * x + intercept through finite points, with Pearson's
// correlation. Used by the scatter plot's fit line and by reports that quote the same numbers.
import Foundation

/// A least-squares line through points.
public struct LinearFit: Sendable, Equatable {
    /// dy / dx of the line.
    public var slope: Double
    /// y at x = 0.
    public var intercept: Double
    /// Pearson's r (NaN when every y is equal).
    public var correlation: Double
    /// Number of finite points used.
    public var count: Int

    /// The fit through the finite points of `points`; `nil` with fewer than two distinct x values.
    public init?(_ points: [PlotPoint]) {
        let p = points.filter(\.isFinite)
        guard p.count >= 2 else { return nil }
        let n = Double(p.count)
        let mx = p.reduce(0) { $0 + $1.x } / n
        let my = p.reduce(0) { $0 + $1.y } / n
        var sxx = 0.0
        var sxy = 0.0
        var syy = 0.0
        for q in p {
            sxx += (q.x - mx) * (q.x - mx)
            sxy += (q.x - mx) * (q.y - my)
            syy += (q.y - my) * (q.y - my)
        }
        guard sxx > 1e-12 * max(1, mx * mx) else { return nil }
        slope = sxy / sxx
        intercept = my - slope * mx
        correlation = syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
        count = p.count
    }

    /// y on the line at `x`.
    public func callAsFunction(_ x: Double) -> Double { slope * x + intercept }

    /// "y = 0.52x + 3.1 (r = 0.93)" with 3 significant digits.
    public var summary: String {
        func g(_ v: Double) -> String { String(format: "%.3g", v) }
        let sign = intercept < 0 ? "−" : "+"
        let r = correlation.isFinite ? ", r = \(String(format: "%.2f", correlation))" : ""
        return "y = \(g(slope))x \(sign) \(g(abs(intercept)))\(r)"
    }
}
