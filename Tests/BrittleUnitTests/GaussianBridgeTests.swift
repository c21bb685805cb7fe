// The engine bridge of the Gaussian experiment (BrittleGaussian/GaussianBridge.swift):
// a linear model trained by Brittle's own loop and PGD-L2 adversarial training lands where the
// theory says, and the pgd-l2 plugin's accuracy on it equals the closed form for its weights.
import BrittleExperiments
import BrittleGaussian
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class GaussianBridgeTests: XCTestCase {
    override func setUp() { ProgressBar.enabled = false }

    /// Tolerances: standard training's weights within cos 0.99 of Σ*⁻¹μ*; PGD training's weights
    /// nearer Σ_r⁻¹μ* (Theorem 2 at the same ε) than Σ*⁻¹μ*; the engine's PGD accuracy within 4
    /// standard errors (+0.2 points) of the closed form for the trained (w, b).
    func testTrainedLinearModelsLandWhereTheTheorySays() throws {
        _ = try TestPlugins.attack("pgd-l2")
        let model = GaussianModel.standard(dimensions: 10)
        let settings = GaussianBridgeSettings()
        let runs = try GaussianBridge.run(model, settings: settings, registry: Registry.shared, seed: 7)
        let standard = try XCTUnwrap(runs.first { $0.name == "standard" })
        let adversarial = try XCTUnwrap(runs.first { $0.name == "adversarial" })
        XCTAssertGreaterThanOrEqual(standard.cosineToStandardTheory, 0.99)
        XCTAssertGreaterThan(adversarial.cosineToRobustTheory, adversarial.cosineToStandardTheory + 0.2)
        XCTAssertGreaterThan(adversarial.cosineToMeans, standard.cosineToMeans)
        for run in runs {
            XCTAssertEqual(run.attackedAccuracy, run.attackedAccuracyClosedForm, accuracy: 4 * run.standardError + 0.002, run.name)
        }
        XCTAssertGreaterThan(adversarial.attackedAccuracy, standard.attackedAccuracy + 0.2)
    }

    /// The bridge reads the model as sign(wᵀx + b) with w = W₊ - W₋: its predictions are the engine's.
    func testReadClassifierAgreesWithTheEngine() {
        let model = GaussianModel.standard(dimensions: 4)
        let sample = model.sample(count: 200, seed: 2)
        let net = GaussianBridge.linearModel(dimensions: 4, seed: 3)
        let data = GaussianBridge.dataset(sample, name: "test")
        let linear = GaussianBridge.readClassifier(net)
        let engine = net.predict(data.images)
        XCTAssertEqual(engine, sample.inputs.map { linear.predict($0) > 0 ? 1 : 0 })
        XCTAssertEqual(data.labels, sample.labels.map { $0 > 0 ? 1 : 0 })
    }
}
