// How one axis of a plot is set up: its label, a fixed range or an automatic one, and whether
// the automatic range must include zero. Also the linear map from data to pixels (internal).

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

    /// An axis; by default automatic and unlabelled.
    public init(
        _ label: String = "", range: ClosedRange<Double>? = nil, includesZero: Bool = false, tickSuffix: String = ""
    ) {
        self.label = label
        self.range = range
        self.includesZero = includesZero
        self.tickSuffix = tickSuffix
    }

    /// The ticks for this axis given the finite data values it must show.
    func ticks(for data: [Double], targetCount: Int) -> AxisTicks {
        if let r = range { return AxisTicks.within(r.lowerBound, r.upperBound, targetCount: targetCount) }
        let finite = data.filter(\.isFinite) + (includesZero ? [0] : [])
        guard let lo = finite.min(), let hi = finite.max() else {
            return AxisTicks.covering(0, 1, targetCount: targetCount)
        }
        return AxisTicks.covering(lo, hi, targetCount: targetCount)
    }
}

/// Linear map from a data interval onto a pixel interval (which may run backwards, as y does).
struct LinearScale {
    var domain: (Double, Double)
    var pixels: (Double, Double)

    func callAsFunction(_ v: Double) -> Double {
        let span = domain.1 - domain.0
        let t = span == 0 ? 0.5 : (v - domain.0) / span
        return pixels.0 + t * (pixels.1 - pixels.0)
    }
}
