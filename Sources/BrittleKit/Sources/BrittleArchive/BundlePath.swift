// BundlePath: which entry paths a bundle may hold, so that unpacking never writes outside its
// target and never meets a name the file system or a terminal cannot take. Not the manifest's
// other checks (Manifest.swift).

import BrittleIO
import Foundation

/// Entry paths that are safe to unpack.
public enum BundlePath {
    /// Longest file-name component accepted: NAME_MAX of ext4, xfs, btrfs and tmpfs.
    public static let maxComponentBytes = 255

    /// Throws unless `path` is relative, `/`-separated, without empty, `.` or `..` components,
    /// control characters (NUL, newlines, ANSI escapes) or backslash, at most 1024 bytes, and
    /// with no component longer than `maxComponentBytes` (so `verify` catches what `unpack`
    /// could not create).
    public static func check(_ path: String, source: String) throws {
        func unsafe(_ why: String) -> DataError {
            DataError(
                .malformed, path: source, problem: "entry path '\(path.escapingControlCharacters)' is unsafe: \(why)",
                fix: "Bundles hold relative paths inside the bundle only; this archive was not written by Brittle "
                    + "and is not unpacked")
        }
        guard !path.isEmpty else { throw unsafe("it is empty") }
        guard path.utf8.count <= 1024 else { throw unsafe("longer than 1024 bytes") }
        guard !path.containsControlCharacters else {
            throw DataError(
                .malformed, path: source,
                problem: "entry path '\(path.escapingControlCharacters)' holds control characters (shown escaped)",
                fix: "Bundles never hold such names; this archive was not written by Brittle and is not unpacked")
        }
        guard !path.hasPrefix("/") else { throw unsafe("it is absolute") }
        guard !path.utf8.contains(0), !path.contains("\\") else { throw unsafe("it contains NUL or '\\'") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            if component == ".." { throw unsafe("it contains '..'") }
            if component == "." || component.isEmpty { throw unsafe("it contains an empty or '.' component") }
            if component.utf8.count > maxComponentBytes {
                throw DataError(
                    .unsupported, path: source,
                    problem: "entry path '\(path)' has a component of \(component.utf8.count) bytes; file systems "
                        + "allow \(maxComponentBytes) (NAME_MAX), so it cannot be unpacked",
                    fix: "Rename the file to at most \(maxComponentBytes) bytes and pack the bundle again")
            }
        }
    }
}
