// Writing a canvas to a PNG file atomically: cairo encodes it (through libpng) into memory and
// the kit's one atomic writer (BrittleIO's AtomicFile) puts the bytes in place, so readers see
// the old file or the whole new one, and a failure leaves neither a partial nor a temporary file.
// Not a PNG reader (see DecodedPNG.swift).
import BrittleIO
import CCairo
import Foundation

extension Canvas {
    /// Encodes the canvas as PNG at `path`, atomically. Throws `FigureError.writeFailed` naming
    /// the path and the problem (or `.drawingFailed` with cairo's status) on failure.
    func writePNG(to path: String) throws {
        guard !path.isEmpty else {
            throw FigureError.writeFailed(path: path, status: "empty path", hint: nil)
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FigureError.writeFailed(path: path, status: "the path is a directory", hint: nil)
        }
        let bytes = try encodedPNG()
        do {
            try AtomicFile.write(path, bytes: bytes)
        } catch let error as DataError {
            let hint = Canvas.hint(directory: POSIXFile.split(path).directory, errno: 0)
            throw FigureError.writeFailed(
                path: path, status: error.problem, hint: hint.flatMap { error.problem.contains($0) ? nil : $0 })
        }
    }

    /// The canvas as PNG bytes.
    private func encodedPNG() throws -> [UInt8] {
        cairo_surface_flush(surface)
        let drawn = cairo_status(cr)
        guard drawn == CAIRO_STATUS_SUCCESS else {
            throw FigureError.drawingFailed(figure: figure, status: Canvas.statusString(drawn))
        }
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        let status = withExtendedLifetime(sink) {
            cairo_surface_write_to_png_stream(
                surface,
                { context, data, length in
                    guard let context, let data else { return CAIRO_STATUS_WRITE_ERROR }
                    let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
                    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                    return CAIRO_STATUS_SUCCESS
                }, Unmanaged.passUnretained(sink).toOpaque())
        }
        guard status == CAIRO_STATUS_SUCCESS else {
            throw FigureError.drawingFailed(figure: figure, status: Canvas.statusString(status))
        }
        return sink.bytes
    }

    /// A human reason for a failed write when the system's own does not say it.
    static func hint(directory: String, errno err: Int32) -> String? {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            return "directory '\(directory)' does not exist"
        }
        if !isDir.boolValue { return "'\(directory)' is not a directory" }
        if access(directory, W_OK) != 0 { return "directory '\(directory)' is not writable" }
        return err != 0 ? String(cString: strerror(err)) : nil
    }
}
