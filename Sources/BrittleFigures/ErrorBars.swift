// Error bars for line plots: a vertical stem from a low to a high value at one x, with short
// horizontal caps, in the series' colour (e.g. the min-max spread of a figure over seeds), and
// the horizontal version for scatter plots. The data type and the drawing; LinePlot places them
// (Series.errorBars), ScatterPlot its points' spreads. Not a statistics
// module: what the bar spans is the caller's choice.
import Foundation

/// A vertical bar from `low` to `high` at `x`, in data units.
public struct ErrorBar: Sendable, Equatable {
    /// Horizontal position (for a categorical axis: the category's index).
    public var x: Double
    /// Lower end.
    public var low: Double
    /// Upper end.
    public var high: Double

    /// A bar at `x` spanning `low...high` (the ends may be given in either order).
    public init(x: Double, low: Double, high: Double) {
        self.x = x
        self.low = Swift.min(low, high)
        self.high = Swift.max(low, high)
    }

    /// Drawable: every coordinate finite.
    var isFinite: Bool { x.isFinite && low.isFinite && high.isFinite }

    /// Width of the caps in pixels.
    static let capWidth = 10.0
    /// Stroke width of stem and caps in pixels.
    static let lineWidth = 1.5
}

extension Canvas {
    /// Draws a bar with its stem at pixel x `x` from pixel y `top` to `bottom` (caps at both),
    /// on pixel centres so the stem is one solid column of `color`.
    func errorBar(x: Double, top: Double, bottom: Double, color: FigureColor) {
        let cx = Canvas.crisp(x)
        let t = Canvas.crisp(top), b = Canvas.crisp(bottom)
        let half = ErrorBar.capWidth / 2
        line(from: (cx, t), to: (cx, b), color: color, lineWidth: ErrorBar.lineWidth)
        line(from: (cx - half, t), to: (cx + half, t), color: color, lineWidth: ErrorBar.lineWidth)
        line(from: (cx - half, b), to: (cx + half, b), color: color, lineWidth: ErrorBar.lineWidth)
    }

    /// The same bar lying down: a stem at pixel y `y` from pixel x `left` to `right`, caps at both
    /// (a scatter plot's spread in x).
    func horizontalErrorBar(y: Double, left: Double, right: Double, color: FigureColor) {
        let cy = Canvas.crisp(y)
        let l = Canvas.crisp(left), r = Canvas.crisp(right)
        let half = ErrorBar.capWidth / 2
        line(from: (l, cy), to: (r, cy), color: color, lineWidth: ErrorBar.lineWidth)
        line(from: (l, cy - half), to: (l, cy + half), color: color, lineWidth: ErrorBar.lineWidth)
        line(from: (r, cy - half), to: (r, cy + half), color: color, lineWidth: ErrorBar.lineWidth)
    }
}
