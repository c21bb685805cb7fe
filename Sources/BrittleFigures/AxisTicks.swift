// Tick values for linear axes by the 1-2-5 rule (logarithmic axes: LogAxisTicks.swift): the
// step is 1, 2 or 5 times a power of ten, chosen so about `targetCount` ticks fit. Reference:
// P. Heckbert, "Nice numbers for graph labels", Graphics Gems (1990). Labels get exactly the
// decimals the step needs.
import Foundation

/// The range and tick values of one linear axis.
public struct AxisTicks: Equatable, Sendable {
    /// Lower end of the axis.
    public var lower: Double
    /// Upper end of the axis.
    public var upper: Double
    /// Distance between ticks: 1, 2 or 5 times a power of ten.
    public var step: Double
    /// Tick positions, ascending, all inside `lower...upper`.
    public var values: [Double]
    /// Ticks of a logarithmic axis (LogAxisTicks.swift): `step` is 0 and each label gets its own decimals.
    public var logarithmic = false

    /// Ticks for data in `[minimum, maximum]`: the axis grows outward to the nearest multiples of
    /// the step. A degenerate or non-finite range is widened to something drawable.
    public static func covering(_ minimum: Double, _ maximum: Double, targetCount: Int = 6) -> AxisTicks {
        let (lo, hi) = widened(minimum, maximum)
        let step = niceStep(span: hi - lo, targetCount: targetCount)
        // The tolerance keeps data already on a multiple (0, or 0.6 = 3 * 0.2 + 1 ulp) from
        // growing the axis by a whole step.
        let lower = (lo / step + 1e-9).rounded(.down) * step
        let upper = (hi / step - 1e-9).rounded(.up) * step
        return AxisTicks(lower: lower, upper: upper, step: step, values: multiples(of: step, in: lower, upper))
    }

    /// Ticks inside a fixed axis range `[minimum, maximum]`, which is kept exactly.
    public static func within(_ minimum: Double, _ maximum: Double, targetCount: Int = 6) -> AxisTicks {
        let (lo, hi) = widened(minimum, maximum)
        let step = niceStep(span: hi - lo, targetCount: targetCount)
        return AxisTicks(lower: lo, upper: hi, step: step, values: multiples(of: step, in: lo, hi))
    }

    /// The 1-2-5 step nearest `span / (targetCount - 1)`.
    public static func niceStep(span: Double, targetCount: Int) -> Double {
        let raw = span / Double(max(1, targetCount - 1))
        guard raw.isFinite, raw > 0 else { return 1 }
        let exponent = log10(raw).rounded(.down)
        let power = pow(10, exponent)
        let fraction = raw / power
        // Heckbert's rounding thresholds (geometric midpoints would be 1.41, 3.16, 7.07).
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * power
    }

    /// Decimals needed to tell ticks apart: none for steps >= 1, one for 0.1 or 0.2 or 0.5, ...;
    /// on a logarithmic axis, what its smallest tick needs (each label uses its own).
    public var fractionDigits: Int {
        logarithmic ? values.map(AxisTicks.logDecimals).max() ?? 0 : max(0, -Int((log10(step) + 1e-9).rounded(.down)))
    }

    /// `value` formatted with `fractionDigits` decimals, with a typographic minus ("−0.5");
    /// "-0" is shown as "0".
    public func label(_ value: Double) -> String {
        let digits = logarithmic ? AxisTicks.logDecimals(value) : fractionDigits
        var s = abs(value) >= 1e7 ? String(format: "%g", value) : String(format: "%.\(digits)f", value)
        if Double(s) == 0 { s = String(format: "%.\(digits)f", 0.0) }
        return s.replacingOccurrences(of: "-", with: "\u{2212}")
    }

    private static func multiples(of step: Double, in lo: Double, _ hi: Double) -> [Double] {
        let first = Int((lo / step - 1e-9).rounded(.up))
        let last = Int((hi / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        // k * step, not repeated addition, so 0.1 * 3 does not drift into a 17-digit label.
        return (first...last).map { Double($0) * step }
    }

    private static func widened(_ a: Double, _ b: Double) -> (Double, Double) {
        guard a.isFinite, b.isFinite else {
            if a.isFinite { return widened(a, a) }
            if b.isFinite { return widened(b, b) }
            return (0, 1)
        }
        let lo = min(a, b)
        let hi = max(a, b)
        if hi - lo > 1e-12 * max(1, abs(lo), abs(hi)) { return (lo, hi) }
        let pad = lo == 0 ? 1 : abs(lo) * 0.1
        return (lo - pad, hi + pad)
    }
}
