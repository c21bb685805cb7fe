// Dash patterns for plot lines. A series can differ from another by dash as well as by colour
// and marker, which keeps figures readable in grayscale print.

/// How a line is stroked.
public enum LineStyle: Sendable, Equatable {
    /// A continuous line.
    case solid
    /// 7-pixel dashes (scaled with the line width).
    case dashed
    /// Round dots.
    case dotted

    /// Cairo dash lengths in pixels for a 1.5-pixel line.
    var pattern: [Double] {
        switch self {
        case .solid: return []
        case .dashed: return [7, 4]
        case .dotted: return [2, 3]
        }
    }
}
