// Fuzz targets for text settings: `brittle reproduce --config FILE` and `--set key=value`,
// plugin parameters (`--arch-opt` / `--attack-opt` key=value) and `--transform ID:k=v` specs,
// each through the code path the CLI uses. Plugin schemas come from the in-tree plugins when
// they can be loaded, plus built-in schemas covering every ParameterKind. Not the CLI itself.
import BrittleExperiments
import BrittlePlugins
import Foundation

enum TextTargets {
    /// The bytes as a `--config` file: read, merged over the quick preset, validated.
    static func reproduceConfig(_ bytes: [UInt8]) {
        let path = FuzzTargets.scratchFile("config.json", bytes)
        guard var config = try? ReproductionConfig.preset("quick"),
              let overrides = try? ReproductionConfig.overrides(fromFile: path) else { return }
        guard (try? config.merge(overrides, source: "--config \(path)")) != nil else { return }
        _ = try? config.validate()
        _ = try? config.encoded()
    }

    /// The bytes' lines as `--set` assignments over the quick preset (stopping at the first
    /// refused one, as the CLI does), then validated.
    static func reproduceSet(_ bytes: [UInt8]) {
        guard var config = try? ReproductionConfig.preset("quick") else { return }
        for line in lines(bytes) {
            guard (try? config.set(line)) != nil else { return }
        }
        _ = try? config.validate()
    }

    /// The bytes' lines as `key=value` options, validated against every schema.
    static func pluginParams(_ bytes: [UInt8]) {
        guard let pairs = pairs(lines(bytes)) else { return }
        for (plugin, schema) in Schemas.all {
            _ = try? Configuration(plugin: plugin, schema: schema, text: pairs)
        }
    }

    /// Each line a `--transform` spec, its parameters validated against the transform's schema
    /// (or, for an unknown id, every schema).
    static func transformSpec(_ bytes: [UInt8]) {
        for line in lines(bytes) {
            guard let (id, parameters) = try? parsePluginSpec(line) else { continue }
            if let transform = Schemas.transform(id) {
                _ = try? transform.configuration(parameters)
            } else {
                for (plugin, schema) in Schemas.all {
                    _ = try? Configuration(plugin: plugin, schema: schema, text: parameters)
                }
            }
        }
    }

    /// The bytes as UTF-8 text (invalid sequences replaced, as Swift does for arguments), split
    /// into its non-empty lines: one command-line argument each.
    static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// `key=value` items as the CLI's `parsePairs` reads them; nil when one is not key=value.
    static func pairs(_ items: [String]) -> [String: String]? {
        var out: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { return nil }
            out[parts[0]] = parts[1]
        }
        return out
    }
}

/// Parameter schemas to validate against: the in-tree plugins' own, and built-in ones.
enum Schemas {
    /// The in-tree plugins, loaded once from beside the executable (where `swift build` puts
    /// them) and `BRITTLE_PLUGIN_PATH`, unless something already loaded plugins.
    static let registry: Registry = {
        if Registry.shared.all.isEmpty {
            var dirs = ProcessInfo.processInfo.environment["BRITTLE_PLUGIN_PATH"]?
                .split(separator: ":").map(String.init) ?? []
            if let dir = PluginLoader.executableDirectory() { dirs.append(dir) }
            let report = PluginLoader.load(dirs)
            if ProcessInfo.processInfo.environment["BRITTLE_FUZZ_VERBOSE"] != nil {
                let line = "brittle-fuzz: plugins from \(dirs): \(Registry.shared.all.map(\.plugin.id)) \(report.diagnostics)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        return Registry.shared
    }()

    /// Every schema: the loaded plugins' (by id) and the built-in ones.
    static let all: [(String, [ParameterSpec])] =
        registry.all.map { ($0.plugin.id, $0.plugin.parameters) } + builtIn

    /// The plugin a `--transform ID` spec names, whichever data-side family it belongs to.
    static func transform(_ id: String) -> (any Plugin)? { registry.entry(id)?.plugin }

    /// Schemas covering every `ParameterKind`, with the range shapes the plugins use, so the
    /// target works even where the plugin libraries are not built.
    static let builtIn: [(String, [ParameterSpec])] = [
        ("fuzz-every-kind", [
            ParameterSpec("count", .int(1...100_000), default: .int(100), help: "int"),
            ParameterSpec("offset", .int(Int.min...Int.max), default: .int(0), help: "unbounded int"),
            ParameterSpec("epsilon", .float(0...1e6), default: .float(2), help: "float"),
            ParameterSpec("bound", .float(-1e6...1e6), default: .float(0), help: "signed float"),
            ParameterSpec("best", .bool, default: .bool(true), help: "bool"),
            ParameterSpec("start", .choice(["other-image", "noise"]), default: .string("noise"), help: "choice"),
            ParameterSpec("attack", .string, default: .string("pgd-l2"), help: "string"),
            ParameterSpec("hidden", .intList(1...65536, maxCount: 16), default: .intList([256, 256]), help: "int list"),
            ParameterSpec("mean", .floatList, default: .floatList([0.286]), help: "float list"),
        ]),
        ("fuzz-no-parameters", []),
    ]
}
