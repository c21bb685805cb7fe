// Writing a canvas to a PNG file atomically: cairo encodes it (through libpng) to a hidden
// temporary name in the destination directory, which is then renamed over the destination, so
// readers see the old file or the whole new one and a failure leaves no partial file.
import CCairo
import Foundation

extension Canvas {
    /// Encodes the canvas as PNG at `path`, atomically. Throws `FigureError.writeFailed` naming
    /// the path and cairo's status (or the system error) on failure.
    func writePNG(to path: String) throws {
        guard !path.isEmpty else {
            throw FigureError.writeFailed(path: path, status: "empty path", hint: nil)
        }
        cairo_surface_flush(surface)
        let drawn = cairo_status(cr)
        guard drawn == CAIRO_STATUS_SUCCESS else {
            throw FigureError.drawingFailed(figure: figure, status: Canvas.statusString(drawn))
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw FigureError.writeFailed(path: path, status: "the path is a directory", hint: nil)
        }
        let parent = (path as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        let name = (path as NSString).lastPathComponent
        let tmp = (dir as NSString).appendingPathComponent(
            ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")

        let status = cairo_surface_write_to_png(surface, tmp)
        guard status == CAIRO_STATUS_SUCCESS else {
            let err = errno
            unlink(tmp)
            throw FigureError.writeFailed(
                path: path, status: Canvas.statusString(status), hint: Canvas.hint(directory: dir, errno: err))
        }
        guard rename(tmp, path) == 0 else {
            let err = errno
            unlink(tmp)
            throw FigureError.writeFailed(path: path, status: String(cString: strerror(err)), hint: nil)
        }
    }

    /// A human reason for a failed write: cairo only reports "error while writing to output stream".
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
