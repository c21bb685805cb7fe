// DataError: the one error type of BrittleIO. Every message names the file, the problem and,
// where there is one, the fix, so that a CLI can print it as is. Not a wrapper around
// POSIX/libarchive errors: their text is carried inside `problem`.

import Foundation

/// A failure to read or write a data set or checkpoint file.
///
/// `description` reads `"<path>: <problem>. <fix>"`, e.g.
/// `"/data/t10k-images-idx3-ubyte.gz: truncated IDX file: expected 7,840,016 bytes, found 4,096"`.
public struct DataError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What went wrong, for callers that want to branch on it.
    public enum Kind: String, Sendable {
        /// The file or directory does not exist.
        case missing
        /// The file ends before the data its header announces.
        case truncated
        /// The file is not in the expected format (magic, header, JSON, offsets).
        case malformed
        /// The file is well formed but uses something Brittle does not read (a dtype, a layout).
        case unsupported
        /// Two things that must agree do not (image and label counts, label ranges).
        case mismatch
        /// The operating system or libarchive reported an error.
        case io
    }

    /// The category of the failure.
    public var kind: Kind
    /// The file (or directory) concerned.
    public var path: String
    /// What is wrong, in words.
    public var problem: String
    /// How to fix it, when there is a known fix.
    public var fix: String?

    /// An error about `path`.
    public init(_ kind: Kind, path: String, problem: String, fix: String? = nil) {
        self.kind = kind
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    /// An error whose whole message (file, problem and fix) is `message`, for callers that
    /// compose their own, e.g. `DataError("\(file): tensor 'w' missing")`.
    public init(_ message: String, kind: Kind = .malformed) {
        self.init(kind, path: "", problem: message)
    }

    /// `"<path>: <problem>. <fix>"` (just `"<problem>. <fix>"` when there is no path).
    public var description: String {
        var text = path.isEmpty ? problem : "\(path): \(problem)"
        if let fix { text += ". \(fix)" }
        return text
    }

    /// Same as `description`, so `localizedDescription` is useful too.
    public var errorDescription: String? { description }
}

extension DataError {
    /// The error for a file shorter than its header says.
    static func truncated(_ path: String, what: String, expected: Int, actual: Int) -> DataError {
        DataError(
            .truncated, path: path,
            problem: "truncated \(what): expected \(expected) bytes, found \(actual)",
            fix: "The file is incomplete: download or copy it again")
    }
}
