// The plugin system end to end: in-tree plugins load from beside the executable; schema
// validation; and an out-of-tree package (written by `brittle plugins new`, plus deliberately
// broken libraries) built OUTSIDE the repo and loaded into the real host: one copy of the kit,
// every loader diagnostic, and the conformance suite run by the package's own test.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import Foundation
import XCTest

final class PluginLoaderTests: XCTestCase {
    func testInTreePluginsLoadFromTheExecutableDirectory() throws {
        let report = TestPlugins.report
        XCTAssert(report.diagnostics.filter { $0.kind != .notAPlugin }.isEmpty, "\(report.diagnostics)")
        XCTAssertEqual(Set(Registry.shared.ids(.architecture)).intersection(["mlp", "cnn-small", "resnet-mini"]).count, 3)
        XCTAssertEqual(Set(Registry.shared.ids(.attack)).intersection(["fgsm", "pgd-linf", "pgd-l2", "apgd-ce", "apgd-dlr", "apgd-t", "square"]).count, 7)
        XCTAssertEqual(Set(Registry.shared.ids(.augmentation)).intersection(["random-crop", "horizontal-flip", "gaussian-noise"]).count, 3)
        // Intersections: tests that load external starters (ExternalPluginTests) share this registry.
        XCTAssertEqual(Set(Registry.shared.ids(.inputLayer)).intersection(["normalize"]).count, 1)
        XCTAssertEqual(Set(Registry.shared.ids(.construction)).intersection(["invert-representation", "adversarial-relabel"]).count, 2)
        for e in Registry.shared.all where ["mlp", "fgsm", "normalize"].contains(e.plugin.id) {
            XCTAssert(e.file.hasSuffix(".so"), "\(e.plugin.id) registered from \(e.file)")
        }
        // A value made by a plugin casts in the host: one copy of the kit's types.
        let model = try TestPlugins.build("mlp", ["hidden": "8"], inputShape: [1, 4, 4], classes: 3, seed: 1)
        XCTAssertNotNil(model.features.layers.first as? Flatten, "plugin-built layer does not cast to the host's Flatten")
        XCTAssertNotNil(Registry.shared.entry("fgsm")?.plugin as? any AttackPlugin)
    }

    func testSchemaValidationNamesPluginParameterAndAllowedValues() throws {
        let pgd = try TestPlugins.attack("pgd-l2")
        func message(_ text: [String: String]) -> String {
            do { _ = try pgd.makeAttack(try pgd.configuration(text)); return "" } catch { return "\(error)" }
        }
        XCTAssert(message(["epsilon": "-0.5"]).contains("pgd-l2: parameter 'epsilon'"), message(["epsilon": "-0.5"]))
        XCTAssert(message(["steps": "ten"]).contains("an integer in 1...100000"), message(["steps": "ten"]))
        XCTAssert(message(["stpes": "10"]).contains("unknown parameter"), message(["stpes": "10"]))
        XCTAssert(message(["stpes": "10"]).contains("steps"), "the allowed names are listed")
        XCTAssert(message(["random-start": "maybe"]).contains("true or false"))
        XCTAssert(message(["epsilon": "0.5", "step-size": "0.1", "step-relative": "0.2"]).contains("not both"))
        XCTAssertEqual(message(["epsilon": "0.5", "steps": "7"]), "")
        let registry = Registry()
        XCTAssertThrowsError(try registry.architecture("cnn-small")) { error in
            XCTAssert("\(error)".contains("swift build"), "\(error)")
        }
    }

    func testInTreePluginsPassConformance() throws {
        for id in ["fgsm", "pgd-linf", "pgd-l2"] {
            let failures = AttackConformance.check(try TestPlugins.attack(id), parameters: id == "fgsm" ? [:] : ["steps": "3"])
            XCTAssertEqual(failures, [], "\(id):\n" + failures.joined(separator: "\n"))
        }
        for (id, params) in [("mlp", ["hidden": "16-8"]), ("cnn-small", ["channels1": "4", "channels2": "6", "hidden": "10"]),
                             ("resnet-mini", ["width": "4"])] {
            let failures = ArchitectureConformance.check(try TestPlugins.architecture(id), parameters: params, inputShape: [1, 12, 12])
            XCTAssertEqual(failures, [], "\(id):\n" + failures.joined(separator: "\n"))
        }
        for id in ["random-crop", "horizontal-flip", "gaussian-noise"] {
            let failures = AugmentationConformance.check(try TestPlugins.augmentation(id))
            XCTAssertEqual(failures, [], "\(id):\n" + failures.joined(separator: "\n"))
        }
        for channels in [1, 3] {
            let failures = InputLayerConformance.check(try TestPlugins.inputLayer("normalize"), channels: channels)
            XCTAssertEqual(failures, [], "normalize, \(channels) channels:\n" + failures.joined(separator: "\n"))
        }
    }
}
