// Errors of the figure module: bad input data (wrong shapes, empty figures) and cairo failures
// (the path and cairo's own status string are always named). Figures never leave a partial
// file behind, so a thrown error means the destination is untouched.
import Foundation

/// Why a figure could not be drawn or written.
public enum FigureError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The data cannot be drawn (for example an image tensor that is not (C, H, W) with C = 1 or 3).
    case invalidInput(figure: String, reason: String)
    /// cairo reported an error while drawing (`status` is `cairo_status_to_string`).
    case drawingFailed(figure: String, status: String)
    /// The PNG could not be written to `path`; `status` is cairo's status string or the system error.
    case writeFailed(path: String, status: String, hint: String?)
    /// A PNG could not be read back (the tests' `DecodedPNG`).
    case readFailed(path: String, status: String)

    /// The message, naming the figure or path and the cause.
    public var description: String {
        switch self {
        case .invalidInput(let figure, let reason):
            return "\(figure): \(reason)"
        case .drawingFailed(let figure, let status):
            return "\(figure): cairo failed while drawing: \(status)"
        case .writeFailed(let path, let status, let hint):
            return "cannot write PNG '\(path)': \(status)" + (hint.map { " (\($0))" } ?? "")
        case .readFailed(let path, let status):
            return "cannot read PNG '\(path)': \(status)"
        }
    }

    /// Same as `description`.
    public var errorDescription: String? { description }
}
