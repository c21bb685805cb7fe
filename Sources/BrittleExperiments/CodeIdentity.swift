// Code identities for reproduction cache keys: what a stage's own code is (the kit and this
// module's computing sources) and which code each plugin it uses is. The hashes come from the
// kit's SourceIdentity build plugin (KitSourceIdentity, ExperimentsSourceIdentity) and from the
// plugin loader (Registry.codeIdentity). Not the keys themselves: the pipeline combines these.
import BrittleArchive
import BrittlePlugins

/// The identity of the code that computes a reproduction stage, for its cache key: a fix to the
/// kit, to this module's computing code or to a plugin changes the key of exactly the stages
/// that run it, while a rebuild with no code change keeps every key.
public enum CodeIdentity {
    /// The identity of Brittle's own computing code: the SHA-256 (64 lowercase hexadecimal
    /// digits) of the kit's source identity and BrittleExperiments' (which leaves out the
    /// Pipeline, Report and Sweep directories: planning and rendering code).
    public static var brittle: String { combined }

    private static let combined = SHA256.hash(Array(
        "kit:\(KitSourceIdentity.sha256)\nexperiments:\(ExperimentsSourceIdentity.sha256)\n".utf8))

    /// Each plugin of `ids` mapped to "id@version#codeIdentity", e.g.
    /// "pgd-linf@1.0.0#source:3f2a…": the plugin's declared version and the identity of the code
    /// that implements it (`Registry.codeIdentity(of:)`). Throws for an id the registry does not
    /// know, naming the known ids.
    public static func plugins(_ ids: [String], registry: Registry) throws -> [String: String] {
        var result: [String: String] = [:]
        for id in ids {
            guard let entry = registry.entry(id) else {
                let known = registry.all.map { $0.plugin.id }
                throw PluginError("cannot compute the code identity of unknown plugin '\(id)'; "
                    + (known.isEmpty
                        ? "no plugins are loaded (build the in-tree plugins with `swift build`)"
                        : "known: \(known.joined(separator: ", "))"))
            }
            result[id] = "\(id)@\(entry.plugin.version)#\(entry.codeIdentity)"
        }
        return result
    }
}
