// Loads the in-tree plugins for the tests the way the host does: from the directory of the
// running executable (the test bundle sits beside `brittle` and the plugin libraries).
import BrittleNN
import BrittlePlugins
import XCTest

enum TestPlugins {
    static let report: PluginLoadReport = {
        let dir = PluginLoader.executableDirectory() ?? "."
        return PluginLoader.load([dir])
    }()

    /// The registered architecture `id`, or a test failure explaining how to build the plugins.
    static func architecture(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> any ArchitecturePlugin {
        _ = report
        do { return try Registry.shared.architecture(id) } catch {
            XCTFail("\(error). Run `swift build` before the tests: it builds the plugin libraries.", file: file, line: line)
            throw error
        }
    }

    static func attack(_ id: String) throws -> any AttackPlugin {
        _ = report
        return try Registry.shared.attack(id)
    }

    static func augmentation(_ id: String) throws -> any AugmentationPlugin {
        _ = report
        return try Registry.shared.augmentation(id)
    }

    static func inputLayer(_ id: String) throws -> any InputLayerPlugin {
        _ = report
        return try Registry.shared.inputLayer(id)
    }

    static func construction(_ id: String) throws -> any ConstructionPlugin {
        _ = report
        return try Registry.shared.construction(id)
    }

    static let architectureIDs = ["mlp", "cnn-small", "resnet-mini"]

    /// Builds a reference architecture with text parameters.
    static func build(_ id: String, _ parameters: [String: String] = [:], inputShape: [Int], classes: Int, seed: UInt64) throws -> Classifier {
        let p = try architecture(id)
        return try p.build(try p.configuration(parameters), inputShape: inputShape, classCount: classes, seed: seed)
    }
}
