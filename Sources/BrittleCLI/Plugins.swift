// `brittle plugins`: what is loaded (list), one plugin's schema (info), and a starter package
// for a new out-of-tree plugin (new, in PluginsNew.swift). Not the loader nor the registry
// (BrittlePlugins).
import ArgumentParser
import BrittleExperiments
import BrittlePlugins
import Foundation

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe and create plugins.",
        discussion: """
            Search order: --plugin-path (repeatable), BRITTLE_PLUGIN_PATH (colon-separated), \
            ~/.local/share/brittle/plugins, then the directory of the brittle executable.
            """,
        subcommands: [List.self, Info.self, New.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Table of loaded plugins: id, family, version, file.")
        @OptionGroup var plugins: PluginOptions

        func run() throws {
            let report = plugins.load()
            let all = Registry.shared.all
            let idWidth = max(4, all.map(\.plugin.id.count).max() ?? 0)
            print("id".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  family        version  file")
            for e in all {
                print(e.plugin.id.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  "
                      + e.family.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + "  "
                      + e.plugin.version.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + e.file)
            }
            print("\nsearched: \(report.searched.joined(separator: ", "))")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A plugin's summary and parameter schema with defaults.")
        @Argument(help: "Plugin id.") var id: String
        @OptionGroup var plugins: PluginOptions

        func run() throws {
            plugins.load()
            guard let e = Registry.shared.entry(id) else {
                let known = Registry.shared.all.map(\.plugin.id)
                throw ValidationError("no plugin '\(id)'; loaded: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
            }
            let p = e.plugin
            print("\(p.id) (\(e.family.rawValue), v\(p.version))\n\(p.summary)\nfile: \(e.file)\n")
            if p.parameters.isEmpty { print("no parameters"); return }
            print("parameters:")
            for s in p.parameters {
                print("  \(s.name) = \(s.defaultValue)    (\(s.kind.allowed))\n      \(s.help)")
            }
        }
    }
}
