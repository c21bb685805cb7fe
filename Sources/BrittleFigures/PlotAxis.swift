// How one axis of a plot is set up: its label, a fixed range or an automatic one, whether the
// automatic range must include zero, and a linear or logarithmic scale. Also the map from data
// to pixels (internal).

import Foundation

/// One axis of a plot.
public struct PlotAxis: Sendable, Equatable {
    /// Text under the x axis or, rotated, left of the y axis (e.g. "epsilon (L2)").
    public var label: String
    /// A fixed range (e.g. `0...100` for accuracy in %); `nil` fits the data with nice ticks.
    public var range: ClosedRange<Double>?
    /// With an automatic range, stretch it to include 0.
    public var includesZero: Bool
    /// Appended to every tick label (e.g. "%").
    public var tickSuffix: String
    /// Linear, or logarithmic (equal ratios at equal distances; every value must be positive).
    public var scale: AxisScale

    /// An axis; by default automatic and unlabelled.
    public init(
        _ label: String = "", range: ClosedRange<Double>? = nil, includesZero: Bool = false, tickSuffix: String = "",
        scale: AxisScale = .linear
    ) {
        self.label = label
        self.range = range
        self.includesZero = includesZero
        self.tickSuffix = tickSuffix
        self.scale = scale
    }

    /// Whether the axis is logarithmic.
    var isLogarithmic: Bool { scale == .logarithmic }

    /// The ticks for this axis given the finite data values it must show.
    func ticks(for data: [Double], targetCount: Int) -> AxisTicks {
        if isLogarithmic {
            if let r = range { return AxisTicks.logarithmic(within: r.lowerBound, r.upperBound) }
            let finite = data.filter(\.isFinite)
            guard let lo = finite.min(), let hi = finite.max() else { return AxisTicks.logarithmic(covering: 1, 10) }
            return AxisTicks.logarithmic(covering: lo, hi)
        }
        if let r = range { return AxisTicks.within(r.lowerBound, r.upperBound, targetCount: targetCount) }
        let finite = data.filter(\.isFinite) + (includesZero ? [0] : [])
        guard let lo = finite.min(), let hi = finite.max() else {
            return AxisTicks.covering(0, 1, targetCount: targetCount)
        }
        return AxisTicks.covering(lo, hi, targetCount: targetCount)
    }

    /// Throws unless a logarithmic axis gets only positive values: its fixed range and every
    /// finite value in `data` (a linear axis accepts anything).
    func check(_ data: [Double], figure: String, axis name: String) throws {
        guard isLogarithmic else { return }
        if let r = range, !(r.lowerBound > 0) {
            throw FigureError.invalidInput(
                figure: figure,
                reason: "the logarithmic \(name) axis has the range \(r.lowerBound)...\(r.upperBound); "
                    + "a logarithmic axis needs a range above 0 (give a positive lower bound, or use a linear axis)")
        }
        if let bad = data.first(where: { $0.isFinite && $0 <= 0 }) {
            throw FigureError.invalidInput(
                figure: figure,
                reason: "the logarithmic \(name) axis got the value \(bad); a logarithmic axis shows only "
                    + "positive values (drop the value, or use a linear axis)")
        }
    }
}

/// How data maps onto an axis.
public enum AxisScale: String, Sendable, Equatable {
    /// Equal differences at equal distances.
    case linear
    /// Equal ratios at equal distances (for values spread over decades, such as set sizes).
    case logarithmic
}

/// Linear map from a data interval onto a pixel interval (which may run backwards, as y does);
/// with `logarithmic`, linear in log10 of the data (`domain` still in data units).
struct LinearScale {
    /// The domain's ends in the mapped units (log10 of them on a logarithmic scale).
    private let ends: (Double, Double)
    private let pixels: (Double, Double)
    private let logarithmic: Bool

    init(domain: (Double, Double), pixels: (Double, Double), logarithmic: Bool = false) {
        self.ends = logarithmic ? (log10(domain.0), log10(domain.1)) : domain
        self.pixels = pixels
        self.logarithmic = logarithmic
    }

    func callAsFunction(_ v: Double) -> Double {
        let span = ends.1 - ends.0
        let t = span == 0 ? 0.5 : ((logarithmic ? log10(v) : v) - ends.0) / span
        return pixels.0 + t * (pixels.1 - pixels.0)
    }
}
