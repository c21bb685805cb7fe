// The plugin registry: one per process, shared by the host and every loaded plugin (the kit
// is mapped once, so `Registry.shared` is the same object everywhere; a test checks it).
// Registration checks ids (kebab-case, unique across files), families and schema defaults.
import Foundation

/// A registered plugin and the file it came from.
public struct RegisteredPlugin {
    /// The plugin object its entry point registered.
    public let plugin: any Plugin
    /// The family, from the protocol it conforms to.
    public let family: PluginFamily
    /// The library it was loaded from ("<built in>" when registered directly).
    public let file: String
    /// The identity of the code that implements it, for cache keys: "source:SHA256" (the hash of
    /// the library's sources, from its optional `brittle_library_source_identity` entry point),
    /// "file:SHA256" (the hash of the library file, for a library built without the
    /// SourceIdentity build plugin) or "built-in:SHA256" (registered in-process: the kit's
    /// identity, `KitSourceIdentity.sha256`).
    public let codeIdentity: String
}

/// A lookup or registration problem, with what to do about it.
public struct PluginError: Error, CustomStringConvertible {
    public let description: String
    /// An error that reads `description`: say what is wrong and how to fix it.
    public init(_ description: String) { self.description = description }
}

/// Every plugin the process knows, by id.
public final class Registry: @unchecked Sendable {
    /// The process's registry.
    public static let shared = Registry()

    private let lock = NSLock()
    private var byID: [String: RegisteredPlugin] = [:]
    private var failures: [String] = []
    /// The file whose plugins are being registered (set by the loader around each call).
    public var loadingFile = "<built in>"
    /// Where the loader looked, for "not found" messages.
    public var searchedDirectories: [String] = []
    /// The code identity of the file being loaded (set by the loader with `loadingFile`); nil
    /// for plugins registered directly, which get the kit's identity.
    var loadingCodeIdentity: String?

    /// An empty registry (tests; the host and loaded plugins use `shared`).
    public init() {}

    /// Registers `plugin` under its id. Throws on a bad id, an unknown family, an invalid
    /// default, or an id already taken (naming both files).
    public func register(_ plugin: any Plugin) throws {
        let id = plugin.id
        guard Registry.isValidID(id) else {
            throw PluginError("\(loadingFile): plugin id '\(id)' is not kebab-case (lowercase letters, digits, single dashes)")
        }
        guard let family = plugin.family else {
            throw PluginError("\(loadingFile): plugin '\(id)' conforms to none of ArchitecturePlugin, AttackPlugin, AugmentationPlugin, InputLayerPlugin, ConstructionPlugin")
        }
        for spec in plugin.parameters {
            do { try spec.check(spec.defaultValue, plugin: id) } catch {
                throw PluginError("\(loadingFile): plugin '\(id)' has an invalid default: \(error)")
            }
        }
        lock.lock()
        defer { lock.unlock() }
        if let existing = byID[id] {
            throw PluginError("duplicate plugin id '\(id)': registered by \(existing.file) and again by \(loadingFile); the second is ignored (plugin ids must be unique)")
        }
        byID[id] = RegisteredPlugin(plugin: plugin, family: family, file: loadingFile,
                                    codeIdentity: loadingCodeIdentity ?? "built-in:" + KitSourceIdentity.sha256)
    }

    /// Records a registration that failed inside a plugin's entry point.
    public func recordRegistrationFailure(_ message: String) {
        lock.lock()
        failures.append(message)
        lock.unlock()
    }

    /// Registration failures recorded since the last call (and clears them).
    public func takeRegistrationFailures() -> [String] {
        lock.lock()
        defer { failures = []; lock.unlock() }
        return failures
    }

    /// All plugins, by family then id.
    public var all: [RegisteredPlugin] {
        lock.lock()
        defer { lock.unlock() }
        let order = PluginFamily.allCases
        return byID.values.sorted {
            (order.firstIndex(of: $0.family)!, $0.plugin.id) < (order.firstIndex(of: $1.family)!, $1.plugin.id)
        }
    }

    /// The plugin with `id`, if any.
    public func entry(_ id: String) -> RegisteredPlugin? {
        lock.lock()
        defer { lock.unlock() }
        return byID[id]
    }

    /// The code identity of the plugin `id` (any family), or nil for an unknown id: see
    /// `RegisteredPlugin.codeIdentity`. Cache keys include it, so that a change to a plugin's
    /// code invalidates the results it computed.
    public func codeIdentity(of id: String) -> String? {
        entry(id)?.codeIdentity
    }

    /// Ids of one family.
    public func ids(_ family: PluginFamily) -> [String] {
        all.filter { $0.family == family }.map { $0.plugin.id }
    }

    /// The architecture plugin `id`; the error names the known ones.
    public func architecture(_ id: String) throws -> any ArchitecturePlugin {
        try lookup(id, .architecture) as! any ArchitecturePlugin
    }

    /// The attack plugin `id`; the error names the known ones.
    public func attack(_ id: String) throws -> any AttackPlugin {
        try lookup(id, .attack) as! any AttackPlugin
    }

    /// The augmentation plugin `id`; the error names the known ones.
    public func augmentation(_ id: String) throws -> any AugmentationPlugin {
        try lookup(id, .augmentation) as! any AugmentationPlugin
    }

    /// The input-layer plugin `id`; the error names the known ones.
    public func inputLayer(_ id: String) throws -> any InputLayerPlugin {
        try lookup(id, .inputLayer) as! any InputLayerPlugin
    }

    /// The construction plugin `id`; the error names the known ones.
    public func construction(_ id: String) throws -> any ConstructionPlugin {
        try lookup(id, .construction) as! any ConstructionPlugin
    }

    private func lookup(_ id: String, _ family: PluginFamily) throws -> any Plugin {
        if let e = entry(id), e.family == family { return e.plugin }
        let known = ids(family)
        var message = "unknown \(family.rawValue) '\(id)'"
        if let e = entry(id) { message += " ('\(id)' is \(e.family.withArticle) plugin)" }
        if known.isEmpty {
            message += "; no \(family.rawValue) plugins are loaded. Looked in: "
                + (searchedDirectories.isEmpty ? "(nowhere)" : searchedDirectories.joined(separator: ", "))
                + ". Build the in-tree plugins with `swift build` (or `swift build -c release`): `swift run brittle` alone does not build them"
        } else {
            message += "; known: \(known.joined(separator: ", "))"
        }
        throw PluginError(message)
    }

    /// Whether `id` is a valid plugin id: kebab-case, i.e. a lowercase ASCII letter, then
    /// lowercase letters, digits and single dashes, not ending in a dash (e.g. `my-attack`).
    public static func isValidID(_ s: String) -> Bool {
        guard let first = s.first, first.isLowercase, first.isASCII, !s.hasSuffix("-"), !s.contains("--") else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
