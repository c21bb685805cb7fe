// Runs the real `brittle` binary as a user would, in a private TMPDIR, and checks what a
// refusal must look like: exit status 1 (not a signal), a message naming the problem, no
// crash report, nothing left in TMPDIR. `CLIRun` is every CLI test's record of a run.
import BrittlePlugins
import Foundation
import XCTest

/// One finished run of `brittle`.
struct CLIRun {
    var arguments: [String]
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String

    var commandLine: String { "brittle " + arguments.joined(separator: " ") }
    /// The whole transcript, for failure messages.
    var transcript: String {
        "\(commandLine)\n-- exit \(status) (\(reason == .exit ? "exit" : "signal"))\n-- stdout:\n\(stdout)\n-- stderr:\n\(stderr)"
    }
}

/// A scratch directory with its own TMPDIR for the child processes.
final class CLISandbox {
    let root: String
    let tmp: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-sandbox-\(UUID().uuidString)").path
        tmp = root + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// The built `brittle` (BRITTLE_EXECUTABLE, else beside the test bundle or the kit).
    static func executable() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["BRITTLE_EXECUTABLE"] { candidates.append(override) }
        if let dir = PluginLoader.executableDirectory() { candidates.append(dir + "/brittle") }
        let bundle = Bundle.main.bundleURL
        candidates += [bundle.appendingPathComponent("brittle").path, bundle.deletingLastPathComponent().appendingPathComponent("brittle").path]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("the brittle binary is not built (run `swift build`); looked at \(candidates)")
            throw CocoaError(.executableNotLoadable)
        }
        return found
    }

    /// Starts `brittle arguments` with TMPDIR set to the sandbox's.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws
        -> (process: Process, finish: () -> CLIRun)
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.executable())
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = tmp
        env["BRITTLE_DATA_DIR"] = root + "/data"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let o = Box(), e = Box(), group = DispatchGroup()
        DispatchQueue.global().async(group: group) { o.data = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { e.data = err.fileHandleForReading.readDataToEndOfFile() }
        return (p, {
            p.waitUntilExit()
            group.wait()
            return CLIRun(arguments: arguments, status: p.terminationStatus, reason: p.terminationReason,
                          stdout: String(decoding: o.data, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self))
        })
    }

    /// Runs `brittle arguments` to the end.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIRun {
        try start(arguments, environment: environment).finish()
    }

    /// What the children left in TMPDIR.
    var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] }

    /// Asserts a clean refusal: exit status 1, stderr mentions every string of `mentions`,
    /// no crash report, no raw control character, nothing left in TMPDIR.
    func assertRefused(
        _ run: CLIRun, mentions: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(run.reason, .exit, "killed by a signal:\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(run.status, 1, "not exit status 1:\n\(run.transcript)", file: file, line: line)
        for crash in ["Fatal error", "Stack dump", "Illegal instruction", "Segmentation fault", "Precondition failed"] {
            XCTAssertFalse(run.stderr.contains(crash), "crashed:\n\(run.transcript)", file: file, line: line)
        }
        for m in mentions {
            XCTAssertTrue(run.stderr.contains(m), "stderr does not mention '\(m)':\n\(run.transcript)", file: file, line: line)
        }
        XCTAssertFalse(run.stderr.unicodeScalars.contains { $0.value == 0x1B }, "raw ESC on stderr", file: file, line: line)
        XCTAssertEqual(leftovers, [], "left behind in TMPDIR:\n\(run.transcript)", file: file, line: line)
    }
}
