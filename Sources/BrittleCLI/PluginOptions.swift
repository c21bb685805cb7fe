// Plugin discovery for every command that uses plugins: `--plugin-path` (repeatable), then
// BRITTLE_PLUGIN_PATH, the per-user directory and the executable's directory. Diagnostics go
// to standard error; a broken plugin never stops the command. Not the loader itself
// (BrittlePlugins' PluginLoader) nor the registry the plugins land in.
import ArgumentParser
import BrittleExperiments
import BrittlePlugins
import Foundation

struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin-path"),
            help: "Directory or .so file to load plugins from, searched first (repeatable).")
    var pluginPaths: [String] = []

    @Flag(help: "Print every plugin-loading diagnostic, including files that are not plugins.")
    var verbosePlugins = false

    /// A --plugin-path that names nothing is a typo, not an empty search directory: refuse it
    /// before any work (the environment's and the default directories may be missing quietly).
    func validate() throws {
        for path in pluginPaths where !FileManager.default.fileExists(atPath: path) {
            throw OptionError("--plugin-path \(path): no such file or directory. Fix: give a plugin library (.so) or the directory "
                              + "it was built into, e.g. --plugin-path ~/my-attack/.build/debug (run `swift build` there first)")
        }
    }

    /// Loads plugins once per process and reports problems.
    @discardableResult
    func load(quiet: Bool = false) -> PluginLoadReport {
        if let r = PluginOptions.report { return r }
        let report = PluginLoader.load(PluginLoader.searchPath(explicit: pluginPaths))
        PluginOptions.report = report
        for d in report.diagnostics where verbosePlugins || d.kind != .notAPlugin || pluginPaths.contains(where: { d.file.hasPrefix($0) }) {
            if !quiet { note("plugin warning: \(d)") }
        }
        if Registry.shared.all.isEmpty && !quiet {
            note("""
                no plugins found. Looked in: \(report.searched.joined(separator: ", ")).
                Build the in-tree plugins with `swift build` (debug) or `swift build -c release`: \
                `swift run brittle` and `swift build --product brittle` build the host only.
                """)
        }
        return report
    }

    nonisolated(unsafe) static var report: PluginLoadReport?
}

/// The start of every command that computes (train, evaluate, attack, datasets build): the
/// process-wide thread count, memory budget and bundle-size cap, then the plugins. Returns the
/// registry they registered in, which the command passes on (experiments never reach for it).
func startComputing(_ threads: ThreadOptions, _ memory: MemoryOptions, _ bundleLimit: MaxSizeOptions,
                    _ plugins: PluginOptions) throws -> Registry {
    threads.apply()
    try memory.apply()
    bundleLimit.apply()
    plugins.load()
    return Registry.shared
}

/// Parses repeated "key=value" options.
func parsePairs(_ items: [String], flag: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ValidationError("\(flag) takes key=value, got '\(item)'")
        }
        out[parts[0]] = parts[1]
    }
    return out
}
