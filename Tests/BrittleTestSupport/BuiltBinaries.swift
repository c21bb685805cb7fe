// Where the products under test are: `brittle`, `brittle-bench`, `brittle-fuzz` and the in-tree
// plugin libraries all land in .build/<configuration>/, beside the test bundle. A missing one
// FAILS the test (run `swift build` first): a skip would silently drop the end-to-end tests.
// Not a builder: the tests never run `swift build` for the products.
import BrittlePlugins
import Foundation
import XCTest

/// Paths of the built products.
public enum BuiltBinaries {
    /// The build directory: BRITTLE_BUILD_DIR, else the directory of the running test bundle.
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["BRITTLE_BUILD_DIR"] { return override }
        if let dir = PluginLoader.executableDirectory() { return dir }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    /// The directory the host loads the in-tree plugins from (the build directory).
    public static var pluginDirectory: String { directory }

    /// The built `brittle` (BRITTLE_EXECUTABLE overrides it).
    public static func brittle(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let override = ProcessInfo.processInfo.environment["BRITTLE_EXECUTABLE"] {
            return try executable(override, file: file, line: line)
        }
        return try executable(directory + "/brittle", file: file, line: line)
    }

    /// The built `brittle-bench`.
    public static func bench(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try executable(directory + "/brittle-bench", file: file, line: line)
    }

    /// The built `brittle-fuzz` (the replay driver).
    public static func fuzz(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try executable(directory + "/brittle-fuzz", file: file, line: line)
    }

    private static func executable(_ path: String, file: StaticString, line: UInt) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isExecutableFile(atPath: path)
        else {
            XCTFail("\(path) is not built: run `swift build` (or `swift build --build-tests`) first", file: file, line: line)
            throw CocoaError(.executableNotLoadable)
        }
        return path
    }
}
