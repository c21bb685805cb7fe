// The plugin library's C-level entry points (see BrittlePlugins/PluginABI.swift).
import BrittlePlugins

@_cdecl("brittle_plugin_api_version")
public func brittlePluginAPIVersionEntry() -> Int32 { brittlePluginAPIVersion }

@_cdecl("brittle_plugin_swift_version")
public func brittlePluginSwiftVersionEntry() -> UnsafePointer<CChar> { PluginEntry.swiftVersion() }

@_cdecl("brittle_plugin_register")
public func brittlePluginRegisterEntry(_ registry: UnsafeMutableRawPointer) -> Int32 {
    PluginEntry.register(registry, [LinearArchitecture(), MLPArchitecture(), CNNSmallArchitecture(), ResNetMiniArchitecture()])
}
