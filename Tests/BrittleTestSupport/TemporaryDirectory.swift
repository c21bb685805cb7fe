// A scratch directory for one test: unique under $TMPDIR, removed with everything in it when the
// test drops it (tearDown or the end of a `defer`), so a suite run leaves nothing behind.
// Not a sandbox for child processes (CLISandbox adds their own TMPDIR).
import Foundation

/// A unique temporary directory, removed on `remove()` or when released.
public final class TemporaryDirectory {
    /// Its absolute path.
    public let path: String

    /// Creates `$TMPDIR/brittle-<label>-<UUID>`.
    public init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// `name` inside the directory.
    public func path(_ name: String) -> String { path + "/" + name }

    /// Deletes the directory and its contents (idempotent).
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
