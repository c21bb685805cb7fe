// Finds and loads plugin libraries: dlopen with immediate binding (a missing symbol is a clean
// error, not a crash at first call), local scope, never unloaded (a Swift image keeps pointers
// from the runtime into its conformance sections: dlclose crashed the next protocol lookup).
// Every problem is a diagnostic; a broken plugin never takes the host or the others down.
import BrittleArchive
import Foundation

/// One problem met while loading plugins.
public struct PluginDiagnostic: CustomStringConvertible, Sendable {
    /// What went wrong, as a category a test or tool can match on.
    public enum Kind: String, Sendable {
        /// `dlopen` failed (an unresolved symbol, a wrong architecture); the message quotes `dlerror`.
        case notLoadable
        /// The library exports no `brittle_plugin_api_version`: not a plugin, skipped.
        case notAPlugin
        /// One of the other two entry points is missing.
        case missingSymbol
        /// Built against another plugin API version or Swift compiler: rebuild the plugin.
        case versionMismatch
        /// A plugin's registration threw (bad id, no family, invalid default).
        case registrationFailed
        /// Another file already registered the id; the second is ignored.
        case duplicateID
    }
    /// The category of the problem.
    public var kind: Kind
    /// The library the problem is about.
    public var file: String
    /// What went wrong and what to do about it.
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// What a load pass did.
public struct PluginLoadReport: Sendable {
    /// Directories searched, in order.
    public var searched: [String] = []
    /// Libraries that registered at least one plugin.
    public var loaded: [String] = []
    /// Every problem met, in load order; none of them stops the other libraries from loading.
    public var diagnostics: [PluginDiagnostic] = []
}

/// Finds plugin libraries on the search path and loads them into a registry (what the host does
/// at start-up; a plugin's own tests rarely need it, since they can register plugins directly).
public enum PluginLoader {
    /// The kit's own library, which lives beside the plugins but is not one.
    public static let kitLibraryName = "libBrittleKit.so"

    /// Directories to search, in order: explicit paths (`--plugin-path`), `BRITTLE_PLUGIN_PATH`
    /// (colon-separated), the per-user directory, then the executable's own directory.
    public static func searchPath(explicit: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                                  executableDirectory: String? = executableDirectory()) -> [String] {
        var dirs = explicit
        if let env = environment["BRITTLE_PLUGIN_PATH"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        dirs.append(userPluginDirectory(environment))
        if let executableDirectory { dirs.append(executableDirectory) }
        var seen = Set<String>()
        return dirs.map { ($0 as NSString).standardizingPath }.filter { seen.insert($0).inserted }
    }

    /// `$XDG_DATA_HOME/brittle/plugins`, else `~/.local/share/brittle/plugins`.
    public static func userPluginDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_DATA_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return base + "/brittle/plugins"
    }

    /// The directory of the running executable (where in-tree plugins are built).
    public static func executableDirectory() -> String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return (path as NSString).deletingLastPathComponent
    }

    /// Plugin candidates at `path`: the `*.so` files of a directory other than the kit, or the file itself.
    public static func candidates(in path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        if !isDir.boolValue { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".so") && $0 != kitLibraryName }.sorted().map { path + "/" + $0 }
    }

    /// Loads every plugin library found in `paths` (directories or files) into `registry`.
    /// The same file reached twice (by two paths) is loaded once.
    public static func load(_ paths: [String], into registry: Registry = .shared) -> PluginLoadReport {
        var report = PluginLoadReport()
        report.searched = paths
        registry.searchedDirectories = paths
        var seen = Set<String>()
        for path in paths {
            for file in candidates(in: path) {
                let real = (file as NSString).resolvingSymlinksInPath
                guard seen.insert(real).inserted else { continue }
                loadLibrary(file, into: registry, report: &report)
            }
        }
        return report
    }

    static func loadLibrary(_ file: String, into registry: Registry, report: inout PluginLoadReport) {
        func diag(_ kind: PluginDiagnostic.Kind, _ message: String) {
            report.diagnostics.append(PluginDiagnostic(kind: kind, file: file, message: message))
        }
        _ = dlerror()
        guard let handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            diag(.notLoadable, "cannot be loaded: \(why)")
            return
        }
        // Never dlclose: see the file header. RTLD_NODELETE keeps it mapped even if we did.
        guard let versionSymbol = dlsym(handle, PluginSymbols.apiVersion) else {
            diag(.notAPlugin, "not a Brittle plugin (no \(PluginSymbols.apiVersion) symbol); skipped")
            return
        }
        typealias VersionFn = @convention(c) () -> Int32
        typealias SwiftFn = @convention(c) () -> UnsafePointer<CChar>
        typealias RegisterFn = @convention(c) (UnsafeMutableRawPointer) -> Int32
        guard let swiftSymbol = dlsym(handle, PluginSymbols.swiftVersion) else {
            diag(.missingSymbol, "missing entry symbol \(PluginSymbols.swiftVersion); rebuild the plugin against this Brittle")
            return
        }
        let api = unsafeBitCast(versionSymbol, to: VersionFn.self)()
        let swift = String(cString: unsafeBitCast(swiftSymbol, to: SwiftFn.self)())
        guard api == HostABI.apiVersion && swift == HostABI.compilerVersion else {
            diag(.versionMismatch,
                 "built against API v\(api) / Swift \(swift), host has v\(HostABI.apiVersion) / Swift \(HostABI.compilerVersion); rebuild the plugin with this host's kit and toolchain"
                 + (api < 4 && api < HostABI.apiVersion ? HostABI.transformSplitNote : ""))
            return
        }
        guard let registerSymbol = dlsym(handle, PluginSymbols.register) else {
            diag(.missingSymbol, "missing entry symbol \(PluginSymbols.register); a plugin must export it (see PluginEntry)")
            return
        }
        let before = registry.all.count
        registry.loadingFile = file
        registry.loadingCodeIdentity = codeIdentity(ofLibrary: file, handle: handle)
        _ = registry.takeRegistrationFailures()
        let failed = unsafeBitCast(registerSymbol, to: RegisterFn.self)(Unmanaged.passUnretained(registry).toOpaque())
        registry.loadingFile = "<built in>"
        registry.loadingCodeIdentity = nil
        for message in registry.takeRegistrationFailures() {
            diag(message.hasPrefix("duplicate plugin id") ? .duplicateID : .registrationFailed, message)
        }
        if failed > 0 && report.diagnostics.last?.file != file {
            diag(.registrationFailed, "\(failed) registration(s) failed")
        }
        if registry.all.count > before { report.loaded.append(file) }
    }

    /// The code identity of the loaded library `file` (`handle` from `dlopen`): "source:SHA256"
    /// when it exports the optional `brittle_library_source_identity` entry point (what the
    /// SourceIdentity build plugin generates), else "file:SHA256" of the file's bytes, which
    /// changes with any rebuild that changes the binary. If the file cannot be read (it was just
    /// loaded, so hardly ever), "file:unreadable-UUID": unique, so it never matches a cached key.
    public static func codeIdentity(ofLibrary file: String, handle: UnsafeMutableRawPointer) -> String {
        typealias IdentityFn = @convention(c) () -> UnsafePointer<CChar>
        if let symbol = dlsym(handle, PluginSymbols.sourceIdentity) {
            return "source:" + String(cString: unsafeBitCast(symbol, to: IdentityFn.self)())
        }
        guard let hash = try? SHA256.hash(file: file).sha256 else { return "file:unreadable-\(UUID().uuidString)" }
        return "file:" + hash
    }
}
