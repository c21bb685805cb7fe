// Code identities for cache keys: the SourceIdentity build plugin's constants and entry points,
// the loader's "source:" / "file:" / "built-in:" identities, CodeIdentity's combinations, and the
// hashing script itself run on temporary files (what changes the hash and what must not).
// Not the cache keys: the pipeline's tests cover how stages use these.
import BrittleArchive
import BrittleExperiments
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class CodeIdentityTests: XCTestCase {
    /// The repository checkout these tests were compiled from.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let script = root + "/Sources/BrittleKit/BuildPlugins/SourceIdentity/source-identity.sh"

    func isHex64(_ s: String) -> Bool {
        s.count == 64 && s.allSatisfy { "0123456789abcdef".contains($0) }
    }

    /// The script's hash of `files` (absolute, under `base`).
    func scriptHash(_ kind: String, base: String, _ files: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try ProcessRunner.run("/bin/sh", [Self.script, "-", kind, base] + files, file: file, line: line)
        XCTAssertEqual(result.status, 0, result.transcript, file: file, line: line)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every file under `dir` whose name ends in one of `suffixes`, absolute.
    func files(under dir: String, _ suffixes: [String]) -> [String] {
        let names = FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []
        return names.filter { name in suffixes.contains { name.hasSuffix($0) } }.map { dir + "/" + $0 }
    }

    func testIdentitiesAreSHA256Hex() {
        XCTAssert(isHex64(KitSourceIdentity.sha256), KitSourceIdentity.sha256)
        XCTAssert(isHex64(ExperimentsSourceIdentity.sha256), ExperimentsSourceIdentity.sha256)
        XCTAssert(isHex64(CodeIdentity.brittle), CodeIdentity.brittle)
        XCTAssertNotEqual(KitSourceIdentity.sha256, ExperimentsSourceIdentity.sha256)
        XCTAssertNotEqual(CodeIdentity.brittle, KitSourceIdentity.sha256)
        XCTAssertNotEqual(CodeIdentity.brittle, ExperimentsSourceIdentity.sha256)
        XCTAssertEqual(CodeIdentity.brittle, CodeIdentity.brittle)
    }

    /// The compiled-in constants are the script's hash of the sources on disk (the build that ran
    /// these tests built them): the plugin hands the script the files these tests list.
    func testCompiledIdentitiesMatchTheSourcesOnDisk() throws {
        let kit = Self.root + "/Sources/BrittleKit"
        XCTAssertEqual(try scriptHash("kit", base: kit, files(under: kit + "/Sources", [".swift", ".c", ".h"])),
                       KitSourceIdentity.sha256, "the kit's identity covers every Swift and C file and header of its targets")
        let experiments = Self.root + "/Sources/BrittleExperiments"
        XCTAssertEqual(try scriptHash("experiments", base: experiments, files(under: experiments, [".swift"])),
                       ExperimentsSourceIdentity.sha256)
        _ = TestPlugins.report
        for (id, dir) in [("pgd-linf", "Attacks"), ("mlp", "Architectures"), ("normalize", "Transforms")] {
            let base = Self.root + "/Plugins/" + dir
            XCTAssertEqual(Registry.shared.codeIdentity(of: id),
                           "source:" + (try scriptHash("library", base: base, files(under: base, [".swift"]))), id)
        }
    }

    func testInTreePluginsReportSourceIdentities() throws {
        let report = TestPlugins.report
        XCTAssert(report.diagnostics.filter { $0.kind != .notAPlugin }.isEmpty, "\(report.diagnostics)")
        var byLibrary: [String: String] = [:]
        for id in ["fgsm", "pgd-linf", "pgd-l2", "mlp", "cnn-small", "normalize", "invert-representation", "random-crop"] {
            let identity = try XCTUnwrap(Registry.shared.codeIdentity(of: id), "\(id) is not registered")
            XCTAssert(identity.hasPrefix("source:") && isHex64(String(identity.dropFirst("source:".count))),
                      "\(id): \(identity) (the in-tree libraries are built with the SourceIdentity plugin)")
            let file = try XCTUnwrap(Registry.shared.entry(id)?.file)
            if let other = byLibrary[file] { XCTAssertEqual(other, identity, "one library, one identity") }
            byLibrary[file] = identity
        }
        XCTAssertEqual(Set(byLibrary.values).count, 3, "three libraries, three identities: \(byLibrary)")
        XCTAssertNil(Registry.shared.codeIdentity(of: "no-such-plugin"))

        let pgd = try TestPlugins.attack("pgd-linf")
        let mapped = try CodeIdentity.plugins(["pgd-linf", "mlp"], registry: .shared)
        XCTAssertEqual(mapped.count, 2)
        XCTAssertEqual(mapped["pgd-linf"], "pgd-linf@\(pgd.version)#\(Registry.shared.codeIdentity(of: "pgd-linf")!)")
        XCTAssert(mapped["mlp"]?.hasPrefix("mlp@") == true && mapped["mlp"]?.contains("#source:") == true, "\(mapped)")
        XCTAssertThrowsError(try CodeIdentity.plugins(["pgd-linf", "pgd-typo"], registry: .shared)) { error in
            XCTAssert("\(error)".contains("unknown plugin 'pgd-typo'") && "\(error)".contains("pgd-l2"), "\(error)")
        }
    }

    /// A library without the entry point is identified by its bytes; a plugin registered in
    /// process by the kit's identity.
    func testFallbackIdentities() throws {
        let kit = BuiltBinaries.directory + "/" + PluginLoader.kitLibraryName
        let handle = try XCTUnwrap(dlopen(kit, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD) ?? dlopen(kit, RTLD_NOW | RTLD_LOCAL),
                                   "cannot open \(kit)")
        XCTAssertEqual(PluginLoader.codeIdentity(ofLibrary: kit, handle: handle), "file:" + (try SHA256.hash(file: kit).sha256))

        // The loaded fgsm object registered again directly, into a registry of its own.
        let fgsm = try TestPlugins.attack("fgsm")
        let registry = Registry()
        try registry.register(fgsm)
        XCTAssertEqual(registry.codeIdentity(of: "fgsm"), "built-in:" + KitSourceIdentity.sha256)
        XCTAssertEqual(try CodeIdentity.plugins(["fgsm"], registry: registry),
                       ["fgsm": "fgsm@\(fgsm.version)#built-in:" + KitSourceIdentity.sha256])
        XCTAssertThrowsError(try CodeIdentity.plugins(["pgd-linf"], registry: registry)) { error in
            XCTAssert("\(error)".contains("unknown plugin 'pgd-linf'") && "\(error)".contains("known: fgsm"), "\(error)")
        }
    }

    // MARK: The hashing script

    func testScriptHashesPathsAndContents() throws {
        let dir = try TemporaryDirectory("source-identity")
        try FileManager.default.createDirectory(atPath: dir.path("Sub"), withIntermediateDirectories: true)
        try "let a = 1\n".write(toFile: dir.path("A.swift"), atomically: true, encoding: .utf8)
        try "let b = 2\n".write(toFile: dir.path("Sub/B.swift"), atomically: true, encoding: .utf8)
        let files = [dir.path("A.swift"), dir.path("Sub/B.swift")]
        let original = try scriptHash("library", base: dir.path, files)
        XCTAssert(isHex64(original), original)

        XCTAssertEqual(try scriptHash("library", base: dir.path, files), original, "same files, same hash")
        XCTAssertEqual(try scriptHash("library", base: dir.path, files.reversed()), original, "the order given does not count")
        // Touched without a change: the build re-runs the script, and the identity stays.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: files[0])
        XCTAssertEqual(try scriptHash("library", base: dir.path, files), original, "a touched file keeps the hash")
        // The same files elsewhere: relative paths, so another clone gets the same identity.
        let copy = try TemporaryDirectory("source-identity-copy")
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: dir.path, toPath: copy.path)
        XCTAssertEqual(try scriptHash("library", base: copy.path, [copy.path("A.swift"), copy.path("Sub/B.swift")]), original)

        try "let b = 3\n".write(toFile: files[1], atomically: true, encoding: .utf8)
        let edited = try scriptHash("library", base: dir.path, files)
        XCTAssertNotEqual(edited, original, "one byte changed")
        try "let b = 2\n".write(toFile: files[1], atomically: true, encoding: .utf8)
        XCTAssertEqual(try scriptHash("library", base: dir.path, files), original, "changed back")

        try FileManager.default.moveItem(atPath: files[1], toPath: dir.path("Sub/C.swift"))
        XCTAssertNotEqual(try scriptHash("library", base: dir.path, [files[0], dir.path("Sub/C.swift")]), original, "renamed")
        XCTAssertNotEqual(try scriptHash("library", base: dir.path, [files[0]]), original, "a file removed")

        // A file outside BASE would put a machine's path into the hash: refused.
        let outside = try ProcessRunner.run("/bin/sh", [Self.script, "-", "library", dir.path + "/Sub", files[0]])
        XCTAssertNotEqual(outside.status, 0)
        XCTAssert(outside.stderr.contains("is not under"), outside.transcript)
    }

    /// BrittleExperiments' rule: files under a directory named Pipeline, Report or Sweep do not
    /// count (planning and rendering code); everything else does, including a file so named.
    func testExperimentsKindLeavesOutPipelineReportAndSweep() throws {
        let dir = try TemporaryDirectory("source-identity-experiments")
        for sub in ["Pipeline", "Report", "Reproduction/Sweep", "Reproduction"] {
            try FileManager.default.createDirectory(atPath: dir.path(sub), withIntermediateDirectories: true)
        }
        let computing = [dir.path("Training.swift"), dir.path("Reproduction/Stages.swift"), dir.path("Reproduction/Pipeline.swift")]
        let planning = [dir.path("Pipeline/Graph.swift"), dir.path("Report/Markdown.swift"), dir.path("Reproduction/Sweep/Grid.swift")]
        for path in computing + planning { try "// \(path)\n".write(toFile: path, atomically: true, encoding: .utf8) }
        let all = computing + planning
        let before = try scriptHash("experiments", base: dir.path, all)
        XCTAssertEqual(before, try scriptHash("experiments", base: dir.path, computing), "planning files are not hashed")
        let libraryBefore = try scriptHash("library", base: dir.path, all)
        XCTAssertNotEqual(libraryBefore, try scriptHash("library", base: dir.path, computing), "other kinds hash every file")

        for path in planning {
            try "// edited\n".write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertEqual(try scriptHash("experiments", base: dir.path, all), before, "\(path) is planning code")
        }
        XCTAssertNotEqual(try scriptHash("library", base: dir.path, all), libraryBefore)
        for path in computing {
            let old = try String(contentsOfFile: path, encoding: .utf8)
            try "// edited\n".write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertNotEqual(try scriptHash("experiments", base: dir.path, all), before, "\(path) computes")
            try old.write(toFile: path, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(try scriptHash("experiments", base: dir.path, all), before)
    }

    /// The generated Swift file: declares what its kind says, and is rewritten only when the hash
    /// changes (a touched source re-runs the script without recompiling anything).
    func testScriptWritesTheGeneratedFileOnlyWhenItChanges() throws {
        let dir = try TemporaryDirectory("source-identity-output")
        let source = dir.path("A.swift"), out = dir.path("out/Identity.swift")
        try "let a = 1\n".write(toFile: source, atomically: true, encoding: .utf8)
        func generate(_ kind: String) throws -> String {
            let r = try ProcessRunner.run("/bin/sh", [Self.script, out, kind, dir.path, source])
            XCTAssertEqual(r.status, 0, r.transcript)
            return try String(contentsOfFile: out, encoding: .utf8)
        }
        let hash = try scriptHash("library", base: dir.path, [source])
        let library = try generate("library")
        XCTAssert(library.contains("@_cdecl(\"brittle_library_source_identity\")") && library.contains("\"\(hash)\""), library)
        XCTAssert(try generate("kit").contains("public enum KitSourceIdentity"))
        XCTAssert(try generate("experiments").contains("public enum ExperimentsSourceIdentity"))

        let old = Date(timeIntervalSinceNow: -3600)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: out)
        _ = try generate("experiments")
        let kept = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date
        XCTAssertEqual(kept?.timeIntervalSince1970 ?? 0, old.timeIntervalSince1970, accuracy: 1, "unchanged output rewritten")
        try "let a = 2\n".write(toFile: source, atomically: true, encoding: .utf8)
        XCTAssertFalse(try generate("experiments").contains(hash), "a changed source gives a new identity")

        let bad = try ProcessRunner.run("/bin/sh", [Self.script, out, "plugin", dir.path, source])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.stderr.contains("unknown KIND"), bad.transcript)
    }
}
