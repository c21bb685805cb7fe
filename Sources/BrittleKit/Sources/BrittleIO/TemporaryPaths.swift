// Temporary files and directories that must not outlive the process: every one Brittle makes
// is named `[.]brittle-<purpose>-<pid>-<random>` (or `.<file>.tmp-<pid>-<random>` beside an
// atomic write), registered here while it exists, removed on SIGINT/SIGTERM/SIGHUP, and, since
// a crash or `kill -9` cannot clean up, swept at the next start when its owning process is gone.
// Not the atomic writer itself (AtomicFile.swift) nor the bundle staging logic (BrittleArchive).

import Dispatch
import Foundation

/// The process-wide registry of temporary paths.
public enum TemporaryPaths {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: [Int: String] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []

    /// A fresh name `<prefix>brittle-<purpose>-<pid>-<random>` (prefix `.` hides it in a
    /// user's directory); `sweepStale` recognises it.
    public static func name(_ purpose: String, hidden: Bool = false) -> String {
        (hidden ? "." : "") + "brittle-\(purpose)-\(suffix)"
    }

    /// `<pid>-<8 hex digits>`: the tail of every temporary name, which `ownerPID` parses.
    public static var suffix: String {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(getpid())-" + String(repeating: "0", count: 8 - random.count) + random
    }

    /// The temporary directory (`$TMPDIR`, else `/tmp`), without a trailing slash.
    public static var directory: String {
        var dir = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        return dir
    }

    /// Registers `path` for removal on a signal; returns the token to `unregister` it with.
    @discardableResult
    public static func register(_ path: String) -> Int {
        lock.withLock {
            nextToken += 1
            live[nextToken] = path
            return nextToken
        }
    }

    /// Forgets a registered path (it was removed or renamed into place).
    public static func unregister(_ token: Int) {
        _ = lock.withLock { live.removeValue(forKey: token) }
    }

    /// Creates a private (0700) directory `brittle-<purpose>-...` in the temporary directory,
    /// registered; the caller removes it with `remove(_:token:)`.
    public static func makeDirectory(_ purpose: String) throws -> (path: String, token: Int) {
        let path = directory + "/" + name(purpose)
        guard mkdir(path, 0o700) == 0 else {
            throw DataError.posix(path, "create a temporary directory (is TMPDIR writable?)", errno: errno)
        }
        return (path, register(path))
    }

    /// Removes `path` (recursively) and unregisters it.
    public static func remove(_ path: String, token: Int) {
        try? FileManager.default.removeItem(atPath: path)
        unregister(token)
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every registered path, then
    /// end the process by the same signal (so the exit status still says "interrupted").
    /// Idempotent; call once at start.
    public static func installSignalCleanup() {
        lock.withLock {
            guard signalSources.isEmpty else { return }
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    removeAll()
                    if sig == SIGINT, let message = lock.withLock({ interruptMessage }) {
                        FileHandle.standardError.write(Data(message.utf8))
                        exit(130)
                    }
                    signal(sig, SIG_DFL)
                    kill(getpid(), sig)
                }
                source.resume()
                signalSources.append(source)
            }
        }
    }

    /// What to print on Ctrl-C before exiting with status 130 (e.g. how to resume), instead of
    /// ending by the signal itself; nil: no message.
    public static func setInterruptMessage(_ message: String?) {
        lock.withLock { interruptMessage = message }
    }
    nonisolated(unsafe) private static var interruptMessage: String?

    /// Removes every registered path now (the signal handlers' work).
    public static func removeAll() {
        let paths = lock.withLock { () -> [String] in
            defer { live.removeAll() }
            return Array(live.values)
        }
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }

    /// Removes entries of `directory` that a Brittle process left behind and whose process is
    /// gone: `[.]brittle-<purpose>-<pid>-<n>` and `.<name>.tmp-<pid>-<n>`. Entries of live
    /// processes (this one included) are kept. Returns the names removed.
    @discardableResult
    public static func sweepStale(in directory: String = TemporaryPaths.directory) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let pid = ownerPID(of: name), pid != getpid(), !isAlive(pid) else { continue }
            if (try? FileManager.default.removeItem(atPath: directory + "/" + name)) != nil { removed.append(name) }
        }
        return removed
    }

    /// The pid in a Brittle temporary name, or nil when `name` is not one.
    public static func ownerPID(of name: String) -> pid_t? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let random = parts.last, random.utf8.count == 8,
            random.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
            let pid = Int32(parts[parts.count - 2]), pid > 0
        else { return nil }
        let isScratch = (parts[0] == "brittle" || parts[0] == ".brittle") && parts.count >= 4
        let isAtomic = name.hasPrefix(".") && parts[parts.count - 3].hasSuffix(".tmp")
        return isScratch || isAtomic ? pid : nil
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
