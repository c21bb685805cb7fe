// Tick values for logarithmic axes: 1, 2 and 5 times each power of ten in the range (only the
// powers of ten when the range spans more than three decades), so a set-size axis from 1,000 to
// 20,000 is ticked 1000, 2000, 5000, 10000, 20000. Labels show each value with the decimals it
// needs ("0.5", "1", "2000"), since log ticks have no common step.
import Foundation

extension AxisTicks {
    /// Ticks for positive data in `[minimum, maximum]`: the axis grows outward to the nearest
    /// tick candidates. Non-positive or non-finite bounds fall back to 1...10.
    public static func logarithmic(covering minimum: Double, _ maximum: Double) -> AxisTicks {
        let (lo, hi) = positive(minimum, maximum)
        let mantissas = mantissas(lo, hi)
        let below = candidates(lo / 10, lo, mantissas).last(where: { $0 <= lo * (1 + 1e-9) }) ?? lo
        let above = candidates(hi, hi * 10, mantissas).first(where: { $0 >= hi * (1 - 1e-9) }) ?? hi
        return logarithmic(lower: below, upper: above, mantissas: mantissas)
    }

    /// Ticks inside a fixed logarithmic range `[minimum, maximum]`, which is kept exactly.
    public static func logarithmic(within minimum: Double, _ maximum: Double) -> AxisTicks {
        let (lo, hi) = positive(minimum, maximum)
        return logarithmic(lower: lo, upper: hi, mantissas: mantissas(lo, hi))
    }

    private static func logarithmic(lower: Double, upper: Double, mantissas: [Double]) -> AxisTicks {
        var values = candidates(lower, upper, mantissas).filter { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) }
        // A range inside one 1-2-5 gap (say 3...4.5) still gets its two ends as ticks.
        if values.count < 2 { values = [lower, upper] }
        return AxisTicks(lower: lower, upper: upper, step: 0, values: values, logarithmic: true)
    }

    /// 1, 2, 5 per decade; only 1 over more than three decades.
    private static func mantissas(_ lo: Double, _ hi: Double) -> [Double] {
        log10(hi / lo) > 3 ? [1] : [1, 2, 5]
    }

    /// m · 10^k for every mantissa m and every decade touching `[lo, hi]`, ascending; products
    /// are formed from the exact power of ten (`2 * 1e-1`, not a sum) so labels do not drift.
    private static func candidates(_ lo: Double, _ hi: Double, _ mantissas: [Double]) -> [Double] {
        let first = Int(log10(lo).rounded(.down)) - 1
        let last = Int(log10(hi).rounded(.up)) + 1
        return (first...last).flatMap { k in mantissas.map { m in m * pow(10, Double(k)) } }
    }

    private static func positive(_ a: Double, _ b: Double) -> (Double, Double) {
        let v = [a, b].filter { $0.isFinite && $0 > 0 }
        guard let lo = v.min(), let hi = v.max() else { return (1, 10) }
        return hi / lo > 1 + 1e-9 ? (lo, hi) : (lo / 2, hi * 2)
    }

    /// Decimals a logarithmic tick needs: none from 1 up, one for 0.5, two for 0.05...
    static func logDecimals(_ value: Double) -> Int {
        max(0, -Int((log10(abs(value)) + 1e-9).rounded(.down)))
    }
}
