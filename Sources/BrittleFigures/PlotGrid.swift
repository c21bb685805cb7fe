// Several line plots as panels of one PNG, row by row, each drawn at its own size (e.g. one
// panel per epsilon of the Gaussian experiment's 2-D figure). Not a layout engine: panels do
// not share axes or legends; give each the same size and ranges for a comparable grid.
import CCairo
import Foundation

/// Line plots side by side in rows, written to one PNG.
///
/// ```swift
/// let grid = PlotGrid(panels: [plotA, plotB, plotC], columns: 3)
/// try grid.write(to: "runs/gaussian/figures/gaussian-2d.png")
/// ```
public struct PlotGrid: Sendable {
    /// The panels, filled row by row.
    public var panels: [LinePlot]
    /// Panels per row.
    public var columns: Int

    /// A grid of `panels`, `columns` to a row.
    public init(panels: [LinePlot], columns: Int) {
        self.panels = panels
        self.columns = columns
    }

    /// Draws every panel and writes the grid to `path` as PNG, atomically.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }

    func render() throws -> Canvas {
        guard !panels.isEmpty, columns >= 1 else {
            throw FigureError.invalidInput(figure: "PlotGrid", reason: "needs at least one panel and one column")
        }
        let rows = (panels.count + columns - 1) / columns
        let cellWidth = panels.map(\.width).max()!, cellHeight = panels.map(\.height).max()!
        let canvas = try Canvas(width: cellWidth * min(columns, panels.count), height: cellHeight * rows, figure: "PlotGrid")
        for (i, panel) in panels.enumerated() {
            let drawn = try panel.render()
            cairo_save(canvas.cr)
            cairo_set_source_surface(canvas.cr, drawn.surface, Double((i % columns) * cellWidth), Double((i / columns) * cellHeight))
            cairo_paint(canvas.cr)
            cairo_restore(canvas.cr)
        }
        return canvas
    }
}
