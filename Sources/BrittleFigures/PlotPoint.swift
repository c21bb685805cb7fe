// One (x, y) data point of a plot, the unit line plots and least-squares fits take. Points with
// a NaN or infinite coordinate are valid values: figures skip them rather than fail.

/// One (x, y) data point.
public struct PlotPoint: Sendable, Equatable {
    /// Horizontal coordinate.
    public var x: Double
    /// Vertical coordinate.
    public var y: Double
    /// The point (x, y).
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
    var isFinite: Bool { x.isFinite && y.isFinite }
}
