// Point markers for plots: shapes that stay distinguishable without colour (so series differ
// by colour AND shape), drawn filled with a thin white rim so overlapping markers separate.
import CCairo
import Foundation

/// The shape of a data-point marker.
public enum MarkerShape: Sendable, Equatable, CaseIterable {
    /// A filled disc.
    case circle
    /// A filled square.
    case square
    /// A filled triangle pointing up.
    case triangle
    /// A filled square standing on a corner.
    case diamond
    /// A filled triangle pointing down.
    case invertedTriangle
    /// A thick plus sign.
    case plus

    /// Shape `index` of the automatic cycle.
    public static func cycle(_ index: Int) -> MarkerShape {
        allCases[((index % allCases.count) + allCases.count) % allCases.count]
    }
}

extension Canvas {
    /// Draws `shape` centred at (x, y); `size` is the diameter of the circle equivalent.
    func marker(_ shape: MarkerShape, x: Double, y: Double, size: Double, color: FigureColor) {
        let r = size / 2
        cairo_new_path(cr)
        switch shape {
        case .circle:
            cairo_arc(cr, x, y, r, 0, 2 * Double.pi)
        case .square:
            let s = r * 0.9
            cairo_rectangle(cr, x - s, y - s, 2 * s, 2 * s)
        case .triangle, .invertedTriangle:
            let s = r * 1.2
            let d: Double = shape == .triangle ? 1 : -1
            cairo_move_to(cr, x, y - d * s)
            cairo_line_to(cr, x + s * 0.866, y + d * s * 0.5)
            cairo_line_to(cr, x - s * 0.866, y + d * s * 0.5)
            cairo_close_path(cr)
        case .diamond:
            let s = r * 1.2
            cairo_move_to(cr, x, y - s)
            cairo_line_to(cr, x + s, y)
            cairo_line_to(cr, x, y + s)
            cairo_line_to(cr, x - s, y)
            cairo_close_path(cr)
        case .plus:
            let s = r * 1.1
            let t = max(1.2, r * 0.35)
            cairo_rectangle(cr, x - s, y - t, 2 * s, 2 * t)
            cairo_rectangle(cr, x - t, y - s, 2 * t, 2 * s)
        }
        setColor(color)
        cairo_set_dash(cr, nil, 0, 0)
        if shape == .plus {
            cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING)
            cairo_fill(cr)
            return
        }
        cairo_fill_preserve(cr)
        setColor(.white, alpha: 0.9)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
    }
}
