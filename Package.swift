// swift-tools-version:6.0
// Brittle: a Swift workbench for adversarial-robustness research (host executable, plugins,
// tests, benchmarks). The shared code lives in the nested package Sources/BrittleKit, which
// vends ONE dynamic library; everything here links that product and never its targets, so the
// process maps the kit exactly once (see README "Layout").
import PackageDescription

let package = Package(
    name: "Brittle",
    products: [
        .executable(name: "brittle", targets: ["BrittleCLI"]),
        .executable(name: "brittle-bench", targets: ["BrittleBench"]),
        .executable(name: "brittle-fuzz", targets: ["BrittleFuzz"]),
        // In-tree plugins: dynamic libraries that land beside `brittle` and are loaded at run
        // time. Nothing links them; the host knows them only through the registry.
        .library(name: "BrittleArchitectures", type: .dynamic, targets: ["BrittleArchitectures"]),
        .library(name: "BrittleAttacks", type: .dynamic, targets: ["BrittleAttacks"]),
        .library(name: "BrittleTransforms", type: .dynamic, targets: ["BrittleTransforms"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation` for the root targets. Root package only: the kit
        // stays free of it, since external plugins resolve the kit by path. The plugin API docs
        // (kit modules) are built by scripts/docs.sh.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(path: "Sources/BrittleKit"),
    ],
    targets: [
        // SourceIdentity (a kit build plugin) gives each plugin library the optional entry point
        // brittle_library_source_identity and BrittleExperiments its ExperimentsSourceIdentity:
        // hashes of their sources that reproduction cache keys include.
        .target(
            name: "BrittleArchitectures",
            dependencies: [.product(name: "BrittleKit", package: "BrittleKit")],
            path: "Plugins/Architectures",
            plugins: [.plugin(name: "SourceIdentity", package: "BrittleKit")]),
        .target(
            name: "BrittleAttacks",
            dependencies: [.product(name: "BrittleKit", package: "BrittleKit")],
            path: "Plugins/Attacks",
            plugins: [.plugin(name: "SourceIdentity", package: "BrittleKit")]),
        .target(
            name: "BrittleTransforms",
            dependencies: [.product(name: "BrittleKit", package: "BrittleKit")],
            path: "Plugins/Transforms",
            plugins: [.plugin(name: "SourceIdentity", package: "BrittleKit")]),
        // Training, evaluation and checkpoints: what the CLI runs, testable without the CLI.
        .target(
            name: "BrittleExperiments",
            dependencies: ["BrittleFigures", .product(name: "BrittleKit", package: "BrittleKit")],
            path: "Sources/BrittleExperiments",
            plugins: [.plugin(name: "SourceIdentity", package: "BrittleKit")]),
        // Section 4's Gaussian model (`brittle reproduce gaussian`): its own module, so that its
        // code is not part of the identity that keys the reproduction's cached stages.
        .target(
            name: "BrittleGaussian",
            dependencies: ["BrittleExperiments", "BrittleFigures", .product(name: "BrittleKit", package: "BrittleKit")],
            path: "Sources/BrittleGaussian",
            // Optimised in debug builds too: its Monte-Carlo checks are most of its tests' time.
            swiftSettings: [.unsafeFlags(["-O"])]),
        // Figures (PNG image grids and plots) through Debian's cairo; host side only.
        .systemLibrary(
            name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .target(
            name: "BrittleFigures",
            dependencies: ["CCairo", .product(name: "BrittleKit", package: "BrittleKit")],
            path: "Sources/BrittleFigures"),
        .executableTarget(
            name: "BrittleCLI",
            dependencies: [
                "BrittleExperiments", "BrittleGaussian",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "BrittleKit", package: "BrittleKit"),
            ],
            path: "Sources/BrittleCLI"),
        .executableTarget(
            name: "BrittleBench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "BrittleKit", package: "BrittleKit"),
                "BrittleExperiments",
            ],
            path: "Benchmarks/BrittleBench"),
        // Fuzz targets for every parser of untrusted bytes, and `brittle-fuzz`: the libFuzzer
        // entry point under -DFUZZING (scripts/fuzz.sh), else a replay driver for saved inputs.
        .target(
            name: "BrittleFuzzTargets",
            dependencies: ["BrittleExperiments", .product(name: "BrittleKit", package: "BrittleKit")],
            path: "Sources/BrittleFuzzTargets"),
        .executableTarget(
            name: "BrittleFuzz",
            dependencies: ["BrittleFuzzTargets"],
            path: "Sources/BrittleFuzz"),
        // One copy of what the tests share: the process runner, the built-binary locator, the
        // CLI sandbox, temporary directories, prerequisites, fixtures, golden files. A regular
        // target (it imports XCTest), linked only by the test targets.
        .target(
            name: "BrittleTestSupport",
            dependencies: ["BrittleExperiments", .product(name: "BrittleKit", package: "BrittleKit")],
            path: "Tests/BrittleTestSupport"),
        // In-process tests, seconds to a minute: `swift test --filter BrittleUnitTests`.
        .testTarget(
            name: "BrittleUnitTests",
            dependencies: [
                "BrittleExperiments", "BrittleFigures", "BrittleFuzzTargets", "BrittleGaussian", "BrittleTestSupport",
                .product(name: "BrittleKit", package: "BrittleKit"),
            ],
            path: "Tests/BrittleUnitTests"),
        // The real binaries, real Fashion-MNIST, an external package build, `reproduce`:
        // `swift test --filter BrittleEndToEndTests`.
        .testTarget(
            name: "BrittleEndToEndTests",
            dependencies: [
                "BrittleExperiments", "BrittleFigures", "BrittleGaussian", "BrittleTestSupport",
                .product(name: "BrittleKit", package: "BrittleKit"),
            ],
            path: "Tests/BrittleEndToEndTests",
            exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v5]
)
