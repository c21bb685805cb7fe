// Image grids: rows x columns of grayscale or RGB images from (C, H, W) tensors in [0, 1], each
// upscaled by an integer factor with nearest-neighbour sampling (pixels stay square and exact),
// with optional captions under the images, row titles on the left, column titles and a title.
// Not a plot: no axes. See ImageGrid+Attack.swift for original / perturbation / adversarial grids.
import BrittleNN
import Foundation

/// A grid of images written to PNG.
///
/// ```swift
/// var grid = ImageGrid(rows: [dImages, dRobustImages].map { $0.map { ImageGrid.Cell($0) } })
/// grid.rowTitles = ["D", "D_R"]
/// try grid.write(to: "report/datasets.png")
/// ```
public struct ImageGrid: Sendable {
    /// One image with an optional caption under it.
    public struct Cell: Sendable, Equatable {
        /// (C, H, W) with C = 1 (gray) or 3 (RGB); (H, W) and (1, C, H, W) are accepted too.
        /// Values are clamped to [0, 1]; NaN shows as black.
        public var image: Tensor
        /// Text under the image; "\n" starts a new line.
        public var caption: String?
        /// `nil`: the usual text colour (e.g. pass `.wrong` for a misclassified example).
        public var captionColor: FigureColor?

        /// A cell showing `image` with an optional caption.
        public init(_ image: Tensor, caption: String? = nil, captionColor: FigureColor? = nil) {
            self.image = image
            self.caption = caption
            self.captionColor = captionColor
        }
    }

    /// Cells row by row; rows may be shorter than others, and `nil` leaves a cell empty.
    public var rows: [[Cell?]]
    /// Text left of each row (e.g. "D", "D_R", "D_NR", "D_rand", "D_det").
    public var rowTitles: [String]
    /// Text above each column.
    public var columnTitles: [String]
    /// Text above the grid.
    public var title: String
    /// Integer upscaling; `nil` picks the factor that makes the largest image about 84 px.
    public var scale: Int?

    /// A grid from rows of cells.
    public init(
        rows: [[Cell?]], rowTitles: [String] = [], columnTitles: [String] = [], title: String = "", scale: Int? = nil
    ) {
        self.rows = rows
        self.rowTitles = rowTitles
        self.columnTitles = columnTitles
        self.title = title
        self.scale = scale
    }

    /// A grid of `images`, a list of (C, H, W) tensors, filled row by row, `columns` per row.
    public init(images: [Tensor], columns: Int, captions: [String]? = nil, title: String = "", scale: Int? = nil) {
        let cells = images.enumerated().map { i, t in Cell(t, caption: captions.flatMap { i < $0.count ? $0[i] : nil })
        }
        let n = max(1, columns)
        self.init(
            rows: stride(from: 0, to: cells.count, by: n).map { Array(cells[$0..<min($0 + n, cells.count)]) },
            title: title, scale: scale)
    }

    /// A grid of the images of a batch (N, C, H, W), filled row by row, `columns` per row.
    public init(images: Tensor, columns: Int, captions: [String]? = nil, title: String = "", scale: Int? = nil) throws {
        try self.init(images: ImageGrid.split(images), columns: columns, captions: captions, title: title, scale: scale)
    }

    /// The items of an (N, C, H, W) batch as (C, H, W) tensors.
    public static func split(_ batch: Tensor) throws -> [Tensor] {
        guard batch.rank == 4, batch.shape[1] == 1 || batch.shape[1] == 3 else {
            throw FigureError.invalidInput(
                figure: "ImageGrid", reason: "expected an image batch (N, C, H, W) with C = 1 or 3, got \(batch.shape)")
        }
        return (0..<batch.shape[0]).map { batch.slice($0..<($0 + 1)).reshaped(Array(batch.shape.dropFirst())) }
    }

    static let captionSize = 12.0
    static let headingSize = 13.0
    static let titleSize = 16.0
    static let margin = 12.0
    static let gap = 10.0

    /// Draws the grid and writes it to `path` as PNG, atomically.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }

    func render() throws -> Canvas {
        let images = try rows.map { try $0.map { try $0.map { try RGBImage($0.image) } } }
        let all = images.flatMap { $0.compactMap { $0 } }
        guard !all.isEmpty else { throw FigureError.invalidInput(figure: "ImageGrid", reason: "no images to draw") }
        let maxW = all.map(\.width).max()!
        let maxH = all.map(\.height).max()!
        let s = max(1, scale ?? Int((84.0 / Double(max(maxW, maxH))).rounded()))
        let nRows = rows.count
        let nCols = max(rows.map(\.count).max() ?? 0, columnTitles.count)

        // Measure text on a scratch canvas: the final size depends on it.
        let probe = try Canvas(width: 1, height: 1, figure: "ImageGrid")
        let captionLines = rows.flatMap { $0.map { $0?.caption.map(ImageGrid.lines) ?? [] } }
        let captionLineH = probe.lineHeight(size: ImageGrid.captionSize)
        let maxLines = captionLines.map(\.count).max() ?? 0
        let captionBlock = maxLines == 0 ? 0 : Double(maxLines) * captionLineH + 4
        let widestCaption =
            captionLines.flatMap { $0 }.map { probe.textWidth($0, size: ImageGrid.captionSize) }.max() ?? 0
        let widestColumnTitle = columnTitles.map { probe.textWidth($0, size: ImageGrid.headingSize) }.max() ?? 0
        let widestRowTitle = rowTitles.map { probe.textWidth($0, size: ImageGrid.headingSize, bold: true) }.max() ?? 0
        let headingH = probe.lineHeight(size: ImageGrid.headingSize)

        let imgW = Double(maxW * s)
        let imgH = Double(maxH * s)
        let colW = max(imgW, widestCaption + 8, widestColumnTitle + 8).rounded(.up)
        let rowH = imgH + captionBlock
        let m = ImageGrid.margin
        let gap = ImageGrid.gap
        let titleBlock = title.isEmpty ? 0 : probe.lineHeight(size: ImageGrid.titleSize, bold: true) + 10
        let columnTitleBlock = columnTitles.isEmpty ? 0 : headingH + 6
        let rowTitleW = rowTitles.isEmpty ? 0 : widestRowTitle + 14
        let gridW = Double(nCols) * colW + Double(max(0, nCols - 1)) * gap
        let titleW = probe.textWidth(title, size: ImageGrid.titleSize, bold: true)
        let W = max(2 * m + rowTitleW + gridW, 2 * m + titleW).rounded(.up)
        let H = (2 * m + titleBlock + columnTitleBlock + Double(nRows) * rowH + Double(max(0, nRows - 1)) * gap)
            .rounded(.up)

        let canvas = try Canvas(width: Int(W), height: Int(H), figure: "ImageGrid")
        let gridX = (m + rowTitleW + max(0, (W - 2 * m - rowTitleW - gridW) / 2)).rounded()
        let gridY = (m + titleBlock + columnTitleBlock).rounded()
        if !title.isEmpty {
            canvas.text(title, x: W / 2, y: m, size: ImageGrid.titleSize, bold: true, anchor: .middle, baseline: .top)
        }
        for (c, t) in columnTitles.enumerated() {
            canvas.text(
                t, x: gridX + Double(c) * (colW + gap) + colW / 2, y: gridY - 6, size: ImageGrid.headingSize,
                anchor: .middle, baseline: .bottom)
        }
        for r in 0..<nRows {
            let y0 = gridY + Double(r) * (rowH + gap)
            if r < rowTitles.count {
                canvas.text(
                    rowTitles[r], x: gridX - 14, y: y0 + imgH / 2, size: ImageGrid.headingSize, bold: true,
                    anchor: .end, baseline: .middle)
            }
            for (c, cell) in rows[r].enumerated() {
                guard let cell = cell, let img = images[r][c] else { continue }
                let x0 = gridX + Double(c) * (colW + gap)
                let ix = Int((x0 + (colW - Double(img.width * s)) / 2).rounded())
                let iy = Int((y0 + (imgH - Double(img.height * s)) / 2).rounded())
                canvas.strokeRect(
                    Rect(
                        x: Double(ix) - 0.5, y: Double(iy) - 0.5, width: Double(img.width * s) + 1,
                        height: Double(img.height * s) + 1), color: FigureColor(hex: 0xc8c8c8))
                canvas.drawImage(rgb: img.pixels, width: img.width, height: img.height, x: ix, y: iy, scale: s)
                if let caption = cell.caption {
                    for (k, line) in ImageGrid.lines(caption).enumerated() {
                        canvas.text(
                            line, x: x0 + colW / 2, y: y0 + imgH + 4 + Double(k) * captionLineH,
                            size: ImageGrid.captionSize,
                            color: cell.captionColor ?? .ink, anchor: .middle, baseline: .top)
                    }
                }
            }
        }
        return canvas
    }

    static func lines(_ s: String) -> [String] {
        s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// An image as 0x00RRGGBB pixels, converted from a tensor in [0, 1].
struct RGBImage {
    var width: Int
    var height: Int
    var pixels: [UInt32]

    init(_ t: Tensor) throws {
        var shape = t.shape
        if shape.count == 4 && shape[0] == 1 { shape.removeFirst() }
        if shape.count == 2 { shape.insert(1, at: 0) }
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, shape[1] > 0, shape[2] > 0 else {
            throw FigureError.invalidInput(
                figure: "ImageGrid", reason: "expected an image (C, H, W) with C = 1 or 3, got \(t.shape)")
        }
        let C = shape[0]
        let H = shape[1]
        let W = shape[2]
        width = W
        height = H
        func q(_ v: Float) -> UInt32 { v.isNaN ? 0 : UInt32((min(1, max(0, v)) * 255).rounded()) }
        let plane = H * W
        pixels = t.withUnsafePointer { p in
            (0..<plane).map { i in
                if C == 1 {
                    let g = q(p[i])
                    return g << 16 | g << 8 | g
                }
                return q(p[i]) << 16 | q(p[plane + i]) << 8 | q(p[2 * plane + i])
            }
        }
    }
}
