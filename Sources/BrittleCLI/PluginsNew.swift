// `brittle plugins new FAMILY NAME --dir PATH`: writes a starter package for an out-of-tree
// plugin (attack, augmentation, input-layer or construction): its own Package.swift depending on
// the kit by path, one plugin file, the entry points, and a test that runs the family's
// conformance checks. The data-side families' sources are in PluginsNewTemplates.swift.
import ArgumentParser
import BrittleExperiments
import BrittleIO
import BrittlePlugins
import Foundation

extension Plugins {
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a starter package for a new plugin (family: attack, augmentation, input-layer, construction).",
            discussion: """
                Example:
                  brittle plugins new attack my-attack --dir ~/my-attack
                  cd ~/my-attack && swift build && swift test
                  brittle evaluate --model runs/cnn --plugin-path ~/my-attack/.build/debug --attack my-attack
                """)

        @Argument(help: "Plugin family: attack, augmentation, input-layer or construction.") var family: String
        @Argument(help: "Plugin id, kebab-case (e.g. my-attack).") var name: String
        @Option(help: "Directory to create (must not exist or be empty).") var dir: String
        @Option(help: "Path of Brittle's kit package (default: found from the brittle executable).") var kit: String?

        func validate() throws {
            guard starterFamilies.contains(family) else {
                throw ValidationError("no starter for family '\(family)'; choose one of \(starterFamilies.joined(separator: ", "))")
            }
            guard Registry.isValidID(name) else { throw ValidationError("plugin id '\(name)' must be kebab-case: lowercase letters, digits, single dashes") }
        }

        func run() throws {
            let fm = FileManager.default
            let kitPath = try kit ?? findKit()
            guard fm.fileExists(atPath: kitPath + "/Package.swift") else {
                throw ValidationError("no kit package at \(kitPath) (expected Package.swift there); pass --kit PATH/Sources/BrittleKit")
            }
            if fm.fileExists(atPath: dir), !((try? fm.contentsOfDirectory(atPath: dir)) ?? []).isEmpty {
                throw ValidationError("\(dir) exists and is not empty; choose a new directory")
            }
            let module = name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            let type = module + "Plugin"
            let files: [(String, String)] = [
                ("Package.swift", packageTemplate(module: module, kit: absolute(kitPath))),
                ("Sources/\(module)/\(module).swift", pluginTemplate(family: family, id: name, type: type)),
                ("Sources/\(module)/Entry.swift", entryTemplate(type: type)),
                ("Tests/\(module)Tests/\(module)Tests.swift", testTemplate(module: module, type: type, family: family)),
                (".gitignore", ".build/\nPackage.resolved\n"),
            ]
            // Published whole by the kit's one atomic writer: no half-written starter.
            let target = absolute(dir)
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try AtomicFile.publishDirectory(target) { tmp in
                for (path, text) in files {
                    let full = tmp + "/" + path
                    try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try AtomicFile.write(full, data: Data(text.utf8))
                }
            }
            print("""
                wrote \(dir) (\(family) plugin '\(name)', module \(module))
                next:
                  cd \(dir) && swift build && swift test
                  \(tryItCommand(family: family, id: name, libraries: absolute(dir) + "/.build/debug"))
                """)
        }

        func absolute(_ p: String) -> String {
            let expanded = (p as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? (expanded as NSString).standardizingPath
                : ((fm().currentDirectoryPath + "/" + expanded) as NSString).standardizingPath
        }

        func fm() -> FileManager { .default }

        /// The kit beside the repository that built this executable (.build/<config>/brittle).
        func findKit() throws -> String {
            var dir = PluginLoaderPaths.executableDirectory ?? FileManager.default.currentDirectoryPath
            for _ in 0..<6 {
                let candidate = dir + "/Sources/BrittleKit"
                if FileManager.default.fileExists(atPath: candidate + "/Package.swift") { return candidate }
                dir = (dir as NSString).deletingLastPathComponent
            }
            throw ValidationError("cannot find Brittle's Sources/BrittleKit from the executable; pass --kit PATH")
        }
    }
}

enum PluginLoaderPaths {
    static var executableDirectory: String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { ($0 as NSString).deletingLastPathComponent }
    }
}

func packageTemplate(module: String, kit: String) -> String {
    """
    // swift-tools-version:6.0
    // An out-of-tree Brittle plugin. It depends on Brittle's kit BY PATH and links its ONE dynamic
    // library: at run time the host's already-loaded libBrittleKit.so is reused, so plugin and host
    // share the registry and the tensor types. Do not set LD_LIBRARY_PATH to this package's build
    // folder. Module names must be unique across plugins.
    import PackageDescription

    let package = Package(
        name: "\(module)",
        products: [.library(name: "\(module)", type: .dynamic, targets: ["\(module)"])],
        dependencies: [.package(path: "\(kit)")],
        targets: [
            .target(name: "\(module)", dependencies: [.product(name: "BrittleKit", package: "BrittleKit")]),
            .testTarget(name: "\(module)Tests", dependencies: ["\(module)", .product(name: "BrittleKit", package: "BrittleKit")]),
        ],
        swiftLanguageModes: [.v5]
    )

    """
}

func attackTemplate(id: String, type: String) -> String {
    """
    // The '\(id)' attack: a starting point. As written it is a one-step L2 attack (the "fast
    // gradient method"): x + epsilon * g / ||g||. Replace `perturb` with your own method; keep the
    // parameter schema honest, and let the host project and score (it re-projects whatever you return).
    import BrittleNN
    import BrittlePlugins

    public final class \(type): AttackPlugin {
        public init() {}
        public let id = "\(id)"
        public let version = "0.1.0"
        public let summary = "One normalised L2 gradient step (starter template)"
        public let parameters = [
            ParameterSpec("epsilon", .float(0...1e6), default: .float(1.0), help: "Radius of the L2 ball, in pixel units"),
        ]

        public func makeAttack(_ configuration: Configuration) throws -> any Attack {
            OneStepL2(epsilon: Float(configuration.float("epsilon")))
        }
    }

    final class OneStepL2: Attack {
        let threatModel: ThreatModel
        init(epsilon: Float) { threatModel = ThreatModel(norm: .l2, epsilon: epsilon) }

        func perturb(_ x: Tensor, goal: AttackGoal, oracle: AttackOracle, exampleSeeds: [UInt64]) -> Tensor {
            if threatModel.epsilon == 0 { return x }
            let (_, _, g) = oracle.objective(x, goal: goal)
            let geometry = NormGeometry(.l2)
            let d = x.itemSize
            var out = x
            var step = [Float](repeating: 0, count: d)
            g.withUnsafePointer { gp in
                for i in 0..<x.batchSize {
                    step.withUnsafeMutableBufferPointer { geometry.direction(gp + i * d, d, into: $0.baseAddress!) }
                    for j in 0..<d {
                        let v = x.scalars[i * d + j] + threatModel.epsilon * step[j]
                        out.scalars[i * d + j] = min(max(v, threatModel.lowerBound), threatModel.upperBound)
                    }
                }
            }
            return out
        }
    }

    """
}

func entryTemplate(type: String) -> String {
    """
    // The C-level entry points the host looks for (fixed names; keep them as they are).
    import BrittlePlugins

    @_cdecl("brittle_plugin_api_version")
    public func brittlePluginAPIVersionEntry() -> Int32 { brittlePluginAPIVersion }

    @_cdecl("brittle_plugin_swift_version")
    public func brittlePluginSwiftVersionEntry() -> UnsafePointer<CChar> { PluginEntry.swiftVersion() }

    @_cdecl("brittle_plugin_register")
    public func brittlePluginRegisterEntry(_ registry: UnsafeMutableRawPointer) -> Int32 {
        PluginEntry.register(registry, [\(type)()])
    }

    """
}

func testTemplate(module: String, type: String, family: String) -> String {
    """
    // Runs Brittle's \(family) conformance checks (BrittleConformance in the Brittle kit) on this plugin.
    import BrittleConformance
    import XCTest
    @testable import \(module)

    final class \(module)ConformanceTests: XCTestCase {
        func testConformance() {
            let failures = \(conformanceCheck(family: family)).check(\(type)())
            XCTAssert(failures.isEmpty, failures.joined(separator: "\\n"))
        }
    }

    """
}
