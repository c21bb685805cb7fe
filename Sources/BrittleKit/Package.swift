// swift-tools-version:6.1
// BrittleKit: the one copy of the code that the `brittle` host and every plugin share
// (GEMM core, tensors, layers, losses, optimizers, data and checkpoint IO).
// It vends a single dynamic library so that host and plugins map it exactly once:
// see ../../README.md ("Layout") for why this matters.
import PackageDescription

// The compute modules are always optimised, even in `swift test`'s debug build, and get
// AVX2/FMA codegen: without it SIMD8<Float>.addingProduct lowers to a libm fmaf call per lane.
let computeFlags: [SwiftSetting] = [
    .unsafeFlags(["-O", "-target-cpu", "haswell", "-Xcc", "-mavx2", "-Xcc", "-mfma"]),
]

// Only BrittleGEMMAVX512 (the AVX-512 microkernel entry points) is compiled for AVX-512; the
// GEMM's dispatch enters it only on CPUs that have it (BrittleGEMM/KernelPath.swift).
// skylake-avx512 = F/CD/BW/DQ/VL, the common subset of every AVX-512 Xeon since 2017.
let avx512Flags: [SwiftSetting] = [
    .unsafeFlags(["-O", "-target-cpu", "skylake-avx512", "-Xcc", "-mavx512f", "-Xcc", "-mfma"]),
]

let package = Package(
    name: "BrittleKit",
    products: [
        .library(name: "BrittleKit", type: .dynamic, targets: ["BrittleGEMM", "BrittleGEMMAVX512", "BrittleNN", "BrittleIO", "BrittlePlugins", "BrittleConformance", "BrittleArchive", "BrittleDatasets"]),
        // The source-identity build plugin, for the root package's targets and external plugins.
        .plugin(name: "SourceIdentity", targets: ["SourceIdentity"]),
    ],
    targets: [
        .target(name: "CBrittleShims", cSettings: [.unsafeFlags(["-O2", "-mavx2", "-mfma"])]),
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev", "libzstd-dev"])]),
        // The AVX-512 microkernel: BrittleGEMM's Tile28x16.swift (symbolic link) compiled for
        // AVX-512, plus its entry point. Part of the one product through BrittleGEMM.
        .target(name: "BrittleGEMMAVX512", dependencies: ["CBrittleShims"], swiftSettings: avx512Flags),
        .target(name: "BrittleGEMM", dependencies: ["CBrittleShims", "BrittleGEMMAVX512"],
                swiftSettings: computeFlags),
        .target(name: "BrittleNN", dependencies: ["BrittleGEMM"], swiftSettings: computeFlags),
        .target(name: "BrittleIO", dependencies: ["BrittleNN", "CArchive"], swiftSettings: computeFlags),
        // SHA-256 for bundle manifests from the system OpenSSL (libcrypto): maintained, uses the
        // SHA-NI / AVX2 code paths (~2 GB/s here, about 10x a portable Swift loop, which would
        // cap bundle throughput), and costs no build time, unlike swift-crypto's BoringSSL copy.
        .systemLibrary(
            name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Bundles: streaming tar (pax) + zstd archives with a verified manifest.
        .target(name: "BrittleArchive", dependencies: ["BrittleIO", "CArchive", "CLibCrypto"]),
        // Dataset recipes, the CIFAR-10 and synthetic-features sets, dataset bundles.
        .target(name: "BrittleDatasets", dependencies: ["BrittleArchive", "BrittleIO", "BrittleNN"]),
        // The registry and loader. SourceIdentity gives it KitSourceIdentity (the whole kit's
        // code), and BrittleArchive's SHA-256 hashes plugin files that have no source identity.
        .target(name: "BrittlePlugins", dependencies: ["BrittleNN", "BrittleIO", "BrittleArchive"],
                swiftSettings: computeFlags, plugins: ["SourceIdentity"]),
        // Plugin conformance checks: part of the one library (no XCTest dependency), so plugin
        // authors' tests import it without linking a second copy of the kit.
        // Code identities for cache keys: a hash of a target's sources (BuildPlugins/SourceIdentity).
        // A shell script does the hashing, so the plugin needs no tool built and no dependency.
        .plugin(name: "SourceIdentity", capability: .buildTool(), path: "BuildPlugins/SourceIdentity",
                exclude: ["source-identity.sh"]),
        .target(name: "BrittleConformance", dependencies: ["BrittlePlugins", "BrittleIO", "BrittleNN"], swiftSettings: computeFlags),
    ],
    swiftLanguageModes: [.v5]
)
