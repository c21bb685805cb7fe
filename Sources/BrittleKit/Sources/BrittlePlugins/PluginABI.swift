// The plugin handshake: which API version and which Swift compiler a plugin was built with.
// The `@_alwaysEmitIntoClient` values are compiled INTO each plugin (a plain `public let` would
// be read from the host's copy of the kit at run time and always match); the `host...` values
// are compiled into the kit the host runs. Swift on Linux has no ABI stability across
// toolchains, so the compiler version is part of the handshake. See Documentation/PluginGuide.md.

/// The plugin API version. Bump it whenever any public API a plugin can touch changes.
/// History: 1 = registry, parameter schemas, architecture/attack/transform families;
/// 2 = TransformContext.report (metrics a transform measured);
/// 3 = ArchitecturePlugin.costEstimate (memory budget), bounded ParameterKind.intList;
/// 4 = TransformPlugin split into AugmentationPlugin, InputLayerPlugin and ConstructionPlugin
/// (typed model oracles), LabeledDataset and DataSplit in BrittleNN.
@_alwaysEmitIntoClient
public var brittlePluginAPIVersion: Int32 { 4 }

/// The Swift compiler that compiles the calling code, as "6.3.1" (to the precision `#if
/// compiler` can tell).
@_alwaysEmitIntoClient
public var brittleCompilerVersion: StaticString {
    #if compiler(>=6.5)
    return "6.5+"
    #elseif compiler(>=6.4)
    return "6.4"
    #elseif compiler(>=6.3.1)
    return "6.3.1"
    #elseif compiler(>=6.3)
    return "6.3.0"
    #elseif compiler(>=6.2)
    return "6.2"
    #else
    return "older than 6.2"
    #endif
}

/// What the host accepts: the values compiled into the kit.
public enum HostABI {
    /// The plugin API version the host accepts; a plugin's `brittle_plugin_api_version` must equal it.
    public static let apiVersion: Int32 = brittlePluginAPIVersion
    /// The Swift compiler that built the host's kit ("6.3.1"); a plugin's
    /// `brittle_plugin_swift_version` must equal it.
    public static let compilerVersion: String = brittleCompilerVersion.description
    /// What a plugin built before API v4 must change besides rebuilding.
    public static let transformSplitNote = " (API v4 replaced TransformPlugin by AugmentationPlugin, InputLayerPlugin and "
        + "ConstructionPlugin: see the README's Plugins section)"
}

/// The fixed C-level entry symbols every plugin library exports.
public enum PluginSymbols {
    /// `int32_t brittle_plugin_api_version(void)`: the API version the plugin was built against.
    public static let apiVersion = "brittle_plugin_api_version"
    /// `const char *brittle_plugin_swift_version(void)`: the compiler that built the plugin.
    public static let swiftVersion = "brittle_plugin_swift_version"
    /// `int32_t brittle_plugin_register(void *registry)`: registers the plugin's plugins into the
    /// registry passed as an opaque pointer; returns the number of registrations that failed.
    public static let register = "brittle_plugin_register"
}

/// Helpers a plugin's entry points call. A plugin module declares (copy verbatim, changing only
/// the list of plugins):
///
/// ```swift
/// @_cdecl("brittle_plugin_api_version")
/// public func brittlePluginAPIVersionEntry() -> Int32 { brittlePluginAPIVersion }
/// @_cdecl("brittle_plugin_swift_version")
/// public func brittlePluginSwiftVersionEntry() -> UnsafePointer<CChar> { PluginEntry.swiftVersion() }
/// @_cdecl("brittle_plugin_register")
/// public func brittlePluginRegisterEntry(_ registry: UnsafeMutableRawPointer) -> Int32 {
///     PluginEntry.register(registry, [MyAttackPlugin()])
/// }
/// ```
public enum PluginEntry {
    /// The compiler version string compiled into the caller, as a C string.
    @_alwaysEmitIntoClient
    public static func swiftVersion() -> UnsafePointer<CChar> {
        UnsafeRawPointer(brittleCompilerVersion.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// Registers `plugins` into the registry behind `registry`; returns how many failed (their
    /// errors are recorded in the registry's diagnostics).
    public static func register(_ registry: UnsafeMutableRawPointer, _ plugins: [any Plugin]) -> Int32 {
        let r = Unmanaged<Registry>.fromOpaque(registry).takeUnretainedValue()
        var failures: Int32 = 0
        for p in plugins {
            do { try r.register(p) } catch {
                r.recordRegistrationFailure("\(error)")
                failures += 1
            }
        }
        return failures
    }
}
