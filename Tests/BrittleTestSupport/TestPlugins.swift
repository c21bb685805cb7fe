// Loads the in-tree plugins for the tests the way the host does: from the directory of the
// running executable (the test bundle sits beside `brittle` and the plugin libraries). These
// models are the small-model fixtures of the tests (with the data of Fixtures.swift).
import BrittleNN
import BrittlePlugins
import XCTest

public enum TestPlugins {
    public static let report: PluginLoadReport = {
        let dir = PluginLoader.executableDirectory() ?? "."
        return PluginLoader.load([dir])
    }()

    /// The registered architecture `id`, or a test failure explaining how to build the plugins.
    public static func architecture(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> any ArchitecturePlugin {
        _ = report
        do { return try Registry.shared.architecture(id) } catch {
            XCTFail("\(error). Run `swift build` before the tests: it builds the plugin libraries.", file: file, line: line)
            throw error
        }
    }

    public static func attack(_ id: String) throws -> any AttackPlugin {
        _ = report
        return try Registry.shared.attack(id)
    }

    public static func augmentation(_ id: String) throws -> any AugmentationPlugin {
        _ = report
        return try Registry.shared.augmentation(id)
    }

    public static func inputLayer(_ id: String) throws -> any InputLayerPlugin {
        _ = report
        return try Registry.shared.inputLayer(id)
    }

    public static func construction(_ id: String) throws -> any ConstructionPlugin {
        _ = report
        return try Registry.shared.construction(id)
    }

    public static let architectureIDs = ["mlp", "cnn-small", "resnet-mini", "linear"]

    /// Builds a reference architecture with text parameters.
    public static func build(_ id: String, _ parameters: [String: String] = [:], inputShape: [Int], classes: Int, seed: UInt64) throws -> Classifier {
        let p = try architecture(id)
        return try p.build(try p.configuration(parameters), inputShape: inputShape, classCount: classes, seed: seed)
    }
}
