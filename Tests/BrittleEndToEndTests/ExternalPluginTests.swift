// The user story "add a new attack as a plugin", as a test: `brittle plugins new` writes a
// package in a temporary directory OUTSIDE the repo; the test adds deliberately broken plugin
// libraries beside it, builds it with SwiftPM, runs the package's own conformance test, loads
// everything into the real `brittle` host, and checks the one-copy guarantee in-process.
// Slow (one package build, ~1-2 min): it is the only test that compiles Swift.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class ExternalPluginTests: XCTestCase {
    struct Result { var status: Int32; var out: String; var err: String }

    func run(_ exe: String, _ args: [String], cwd: String? = nil, timeout: TimeInterval = 900) throws -> Result {
        let r = try ProcessRunner.run(exe, args, directory: cwd, timeout: timeout)
        return Result(status: r.status, out: r.stdout, err: r.stderr)
    }

    func which(_ tool: String) -> String? { ProcessRunner.which(tool) }

    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let entryPoints = """
        @_cdecl("brittle_plugin_api_version") public func v() -> Int32 { API }
        @_cdecl("brittle_plugin_swift_version") public func s() -> UnsafePointer<CChar> { PluginEntry.swiftVersion() }
        """

    func testExternalAttackPluginRoundTripDiagnosticsAndOneCopy() throws {
        let brittle = try BuiltBinaries.brittle()
        guard let swift = which("swift"), let cc = which("cc") ?? which("gcc") else { return XCTFail("swift and cc are needed on PATH") }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-external-\(getpid())").path
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pkg = root + "/my-attack", scratch = root + "/build"

        // 1. The starter, exactly as a user gets it.
        let made = try run(brittle, ["plugins", "new", "attack", "my-attack", "--dir", pkg])
        XCTAssertEqual(made.status, 0, made.err)
        XCTAssert(FileManager.default.fileExists(atPath: pkg + "/Sources/MyAttack/MyAttack.swift"))

        // The starters of the v4 data-side families, as extra products of the same package (one
        // build): each must compile against the kit, load, and pass its family's conformance.
        let starters = [("augmentation", "my-noise", "MyNoise"), ("input-layer", "my-scale", "MyScale"),
                        ("construction", "my-shrink", "MyShrink")]
        for (family, id, module) in starters {
            let dir = root + "/" + id
            let made = try run(brittle, ["plugins", "new", family, id, "--dir", dir])
            XCTAssertEqual(made.status, 0, made.err)
            let test = try String(contentsOfFile: "\(dir)/Tests/\(module)Tests/\(module)Tests.swift", encoding: .utf8)
            XCTAssert(test.contains("\(["augmentation": "Augmentation", "input-layer": "InputLayer", "construction": "Construction"][family]!)Conformance.check"), test)
            for file in ["\(module).swift", "Entry.swift"] {
                try write(try String(contentsOfFile: "\(dir)/Sources/\(module)/\(file)", encoding: .utf8), "\(pkg)/Sources/\(module)/\(file)")
            }
        }

        // 2. Broken plugins beside it (extra products of the same package: one build).
        var manifest = try String(contentsOfFile: pkg + "/Package.swift", encoding: .utf8)
        let broken = ["WrongVersion", "MissingRegister", "DuplicateID", "BadRegistration", "Probe"] + starters.map(\.2)
        manifest = manifest.replacingOccurrences(
            of: "products: [",
            with: "products: [" + broken.map { ".library(name: \"\($0)\", type: .dynamic, targets: [\"\($0)\"]), " }.joined())
        manifest = manifest.replacingOccurrences(
            of: "targets: [\n",
            with: "targets: [\n" + broken.map { "        .target(name: \"\($0)\", dependencies: [.product(name: \"BrittleKit\", package: \"BrittleKit\")]),\n" }.joined())
        try write(manifest, pkg + "/Package.swift")
        let dupe = """
            final class Dupe: AttackPlugin {
                let id = "fgsm"; let version = "9.9.9"; let summary = "duplicate id"; let parameters: [ParameterSpec] = []
                func makeAttack(_ c: Configuration) throws -> any Attack { throw PluginError("unused") }
            }
            """
        // A plugin built against the previous API (v3): refused with both versions and the fix.
        try write("import BrittlePlugins\nlet API: Int32 = 3\n\(Self.entryPoints)\n@_cdecl(\"brittle_plugin_register\") public func r(_ p: UnsafeMutableRawPointer) -> Int32 { 0 }\n",
                  pkg + "/Sources/WrongVersion/Entry.swift")
        try write("import BrittlePlugins\nlet API = brittlePluginAPIVersion\n\(Self.entryPoints)\n", pkg + "/Sources/MissingRegister/Entry.swift")
        try write("import BrittlePlugins\nlet API = brittlePluginAPIVersion\n\(Self.entryPoints)\n\(dupe)\n@_cdecl(\"brittle_plugin_register\") public func r(_ p: UnsafeMutableRawPointer) -> Int32 { PluginEntry.register(p, [Dupe()]) }\n",
                  pkg + "/Sources/DuplicateID/Entry.swift")
        try write("import BrittlePlugins\nlet API = brittlePluginAPIVersion\n\(Self.entryPoints)\n\(dupe.replacingOccurrences(of: "\"fgsm\"", with: "\"Bad_ID\""))\n@_cdecl(\"brittle_plugin_register\") public func r(_ p: UnsafeMutableRawPointer) -> Int32 { PluginEntry.register(p, [Dupe()]) }\n",
                  pkg + "/Sources/BadRegistration/Entry.swift")
        // Probes: what the plugin side sees of the kit (not a plugin: no entry symbols).
        try write("""
            import BrittleNN
            import BrittlePlugins
            @_cdecl("probe_registry") public func probeRegistry() -> UnsafeMutableRawPointer { Unmanaged.passUnretained(Registry.shared).toOpaque() }
            @_cdecl("probe_tensor_type") public func probeTensorType() -> UnsafeRawPointer { unsafeBitCast(Tensor.self as Any.Type, to: UnsafeRawPointer.self) }
            @_cdecl("probe_make_layer") public func probeMakeLayer() -> UnsafeMutableRawPointer { Unmanaged.passRetained(ReLU() as AnyObject).toOpaque() }
            """, pkg + "/Sources/Probe/Probe.swift")

        // 3. Build outside the repo; then the package's own conformance test.
        let build = try run(swift, ["build", "--package-path", pkg, "--scratch-path", scratch])
        XCTAssertEqual(build.status, 0, "external build failed:\n\(build.out.suffix(3000))\n\(build.err.suffix(3000))")
        guard build.status == 0 else { return }
        let test = try run(swift, ["test", "--package-path", pkg, "--scratch-path", scratch])
        XCTAssertEqual(test.status, 0, "the starter's conformance test failed:\n\(test.out.suffix(3000))\n\(test.err.suffix(2000))")
        let libs = scratch + "/debug"

        // C-level broken libraries: an unresolved symbol, a library that is not a plugin, a non-ELF file.
        try write("extern void brittle_no_such_function(void);\nint brittle_plugin_api_version(void) { brittle_no_such_function(); return 1; }\n", root + "/c/unresolved.c")
        try write("int unrelated(void) { return 0; }\n", root + "/c/plain.c")
        XCTAssertEqual(try run(cc, ["-shared", "-fPIC", "-o", libs + "/libUnresolved.so", root + "/c/unresolved.c"]).status, 0)
        XCTAssertEqual(try run(cc, ["-shared", "-fPIC", "-o", libs + "/libPlain.so", root + "/c/plain.c"]).status, 0)
        try write("this is not a shared library\n", libs + "/libFake.so")

        // 4. Into the real host: every diagnostic, and the good plugin still works.
        let list = try run(brittle, ["plugins", "list", "--plugin-path", libs, "--verbose-plugins"])
        XCTAssertEqual(list.status, 0, list.err)
        XCTAssert(list.out.contains("my-attack") && list.out.contains("libMyAttack.so"), list.out)
        XCTAssert(list.out.contains("pgd-l2"), "in-tree plugins still load beside broken ones:\n\(list.out)")
        for (family, id, _) in starters {
            XCTAssert(list.out.split(separator: "\n").contains { $0.hasPrefix(id) && $0.contains(family) }, "\(id) not listed as \(family):\n\(list.out)")
        }
        for (needle, what) in [("built against API v3 / Swift \(HostABI.compilerVersion), host has v\(HostABI.apiVersion)", "version mismatch"),
                               ("rebuild the plugin with this host's kit", "version mismatch fix"),
                               ("missing entry symbol brittle_plugin_register", "missing symbol"),
                               ("duplicate plugin id 'fgsm'", "duplicate id"),
                               ("not kebab-case", "failed registration"),
                               ("brittle_no_such_function", "unresolved symbol (dlerror text)"),
                               ("not a Brittle plugin", "not a plugin"),
                               ("libFake.so: cannot be loaded", "non-ELF file")] {
            XCTAssert(list.err.contains(needle), "no \(what) diagnostic ('\(needle)') in:\n\(list.err)")
        }
        XCTAssert(list.err.contains("libDuplicateID.so") && list.err.contains("libBrittleAttacks.so"), "duplicate names both files:\n\(list.err)")

        let runDir = root + "/run"
        let trained = try run(brittle, ["train", "--arch", "mlp", "--arch-opt", "hidden=32", "--epochs", "1", "--limit", "1000",
                                        "--test-limit", "200", "--out", runDir])
        XCTAssertEqual(trained.status, 0, trained.err)
        let evaluated = try run(brittle, ["evaluate", "--model", runDir, "--plugin-path", libs + "/libMyAttack.so",
                                          "--attack", "my-attack", "--eps", "0.5,2", "--test-limit", "200"])
        XCTAssertEqual(evaluated.status, 0, evaluated.err)
        XCTAssert(evaluated.out.contains("attack my-attack v0.1.0"), evaluated.out)

        // 5. One copy of the kit in-process: same registry object, same Tensor type, casts work.
        let report = PluginLoader.load([libs + "/libMyAttack.so"] + starters.map { "\(libs)/lib\($0.2).so" })
        XCTAssertEqual(report.diagnostics.count, 0, "\(report.diagnostics)")
        XCTAssertEqual(AugmentationConformance.check(try Registry.shared.augmentation("my-noise")), [])
        XCTAssertEqual(InputLayerConformance.check(try Registry.shared.inputLayer("my-scale")), [])
        XCTAssertEqual(ConstructionConformance.check(try Registry.shared.construction("my-shrink")), [])
        let entry = try XCTUnwrap(Registry.shared.entry("my-attack"))
        XCTAssertNotNil(entry.plugin as? any AttackPlugin, "as? cast of a plugin-made value failed in the host")
        let probe = try XCTUnwrap(dlopen(libs + "/libProbe.so", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE), String(cString: dlerror()))
        typealias Ptr = @convention(c) () -> UnsafeMutableRawPointer
        typealias ConstPtr = @convention(c) () -> UnsafeRawPointer
        let registry = unsafeBitCast(dlsym(probe, "probe_registry"), to: Ptr.self)()
        XCTAssertEqual(registry, Unmanaged.passUnretained(Registry.shared).toOpaque(), "plugin and host see different registries")
        let tensorType = unsafeBitCast(dlsym(probe, "probe_tensor_type"), to: ConstPtr.self)()
        XCTAssertEqual(tensorType, unsafeBitCast(Tensor.self as Any.Type, to: UnsafeRawPointer.self), "plugin and host see different Tensor types")
        let object = Unmanaged<AnyObject>.fromOpaque(unsafeBitCast(dlsym(probe, "probe_make_layer"), to: Ptr.self)()).takeRetainedValue()
        XCTAssertNotNil(object as? ReLU, "a plugin-made ReLU does not cast to the host's ReLU")
        XCTAssertNotNil(object as? any Layer, "a plugin-made layer does not cast to the host's Layer protocol")
    }
}
