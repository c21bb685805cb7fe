// The Gaussian model of Ilyas et al. 2019, Section 4 (the BrittleGaussian module): Theorem 2's
// closed form against a numerical optimum, the ε-λ calibration, the closed-form attacked accuracy
// against Monte Carlo with the exact worst case, standard MLE, Theorem 1's loss, gradient
// alignment, and seeded sampling. The engine bridge is in GaussianBridgeTests.
import BrittleExperiments
import BrittleGaussian
import BrittleNN
import XCTest

final class GaussianTheoryTests: XCTestCase {
    /// A model whose Σ* is NOT diagonal (the default spectrum rotated by a seeded orthogonal
    /// matrix), so nothing can lean on coordinates being eigenvectors.
    func rotatedModel(dimensions d: Int) -> GaussianModel {
        let base = GaussianModel.standard(dimensions: d)
        var rng = SeededGenerator(seed: 42)
        let A = GaussianMatrix(n: d, entries: (0..<(d * d)).map { _ in Double(rng.nextNormal()) })
        let Q = (A + A.transposed).symmetricEigen.vectors
        return GaussianModel(mean: Q * base.mean, covariance: (Q * base.covariance * Q.transposed).symmetrized)
    }

    func testClosedFormRobustCovarianceIsTheNumericalOptimum() {
        for model in [GaussianModel.standard(dimensions: 6), rotatedModel(dimensions: 5)] {
            for epsilon in [0.1, 0.5, 1, 2] {
                let t = RobustMLE.inverseLambda(model.covariance, epsilon: epsilon)
                let closed = RobustMLE.estimate(model, epsilon: epsilon)
                let objective = RobustObjective(model: model, inverseLambda: t)
                let numerical = objective.minimize(seed: 9)
                let gap = (numerical.estimate.covariance - closed.covariance).frobeniusNorm / closed.covariance.frobeniusNorm
                XCTAssertLessThan(gap, 1e-6, "ε \(epsilon): Σ_r \(closed.covariance.diagonal) vs numerical \(numerical.estimate.covariance.diagonal)")
                XCTAssertLessThan(zip(numerical.estimate.mean, model.mean).map { abs($0 - $1) }.max()!, 1e-6, "μ_r ≠ μ* at ε \(epsilon)")
                // The closed form is a minimum: no lower value nearby, none found by the optimiser.
                let atClosed = objective.value(mean: closed.mean, covariance: closed.covariance)
                XCTAssertLessThanOrEqual(atClosed, numerical.value + 1e-9)
                let nudged = closed.covariance + GaussianMatrix.identity(model.dimensions, scale: 1e-3)
                XCTAssertGreaterThan(objective.value(mean: closed.mean, covariance: nudged), atClosed)
            }
        }
    }

    func testZeroEpsilonGivesSigmaStar() {
        let model = rotatedModel(dimensions: 4)
        XCTAssertEqual(RobustMLE.inverseLambda(model.covariance, epsilon: 0), 0)
        let robust = RobustMLE.estimate(model, epsilon: 0)
        XCTAssertLessThan((robust.covariance - model.covariance).frobeniusNorm, 1e-12)
        XCTAssertEqual(robust.mean, model.mean)
    }

    /// λ is chosen so the Lagrangian adversary's root-mean-square perturbation is ε: measured on
    /// samples with each example's own best response δ = (λI - Σ_r⁻¹)⁻¹ Σ_r⁻¹ v.
    func testLambdaGivesTheAdversaryAnRMSPerturbationOfEpsilon() {
        let model = GaussianModel.standard(dimensions: 6)
        let sample = model.sample(count: 20_000, seed: 3)
        for epsilon in [0.25, 1, 2] {
            let t = RobustMLE.inverseLambda(model.covariance, epsilon: epsilon)
            let sigma = RobustMLE.covariance(model.covariance, inverseLambda: t)
            let response = sigma.applying { s in t / (s - t) }
            var squared = 0.0
            for (x, y) in zip(sample.inputs, sample.labels) {
                let delta = response * (0..<6).map { x[$0] - Double(y) * model.mean[$0] }
                squared += delta.reduce(0) { $0 + $1 * $1 } / Double(sample.count)
            }
            XCTAssertEqual(squared.squareRoot(), epsilon, accuracy: 0.02 * epsilon)
        }
    }

    func testClosedFormAttackedAccuracyMatchesMonteCarloWithTheExactWorstCase() {
        let model = GaussianModel.standard(dimensions: 6)
        let sample = model.sample(count: 40_000, seed: 5)
        let classifiers = [model.bayesClassifier, RobustMLE.estimate(model, epsilon: 0.5).classifier,
                           LinearClassifier(weights: [0.3, -0.2, 0.5, 4, 1, -2], bias: 0.4)]
        for c in classifiers {
            for epsilon in [0, 0.1, 0.25, 0.5, 1] {
                let closed = c.robustAccuracy(on: model, epsilon: epsilon)
                let measured = c.robustAccuracy(on: sample, epsilon: epsilon)
                let se = (closed * (1 - closed) / Double(sample.count)).squareRoot()
                XCTAssertEqual(measured, closed, accuracy: 4 * se + 1e-3, "w \(c.weights), ε \(epsilon)")
            }
            // The perturbation has norm ε and no other direction of that norm does more harm.
            let delta = c.worstCasePerturbation(label: 1, epsilon: 0.5)
            XCTAssertEqual(delta.reduce(0) { $0 + $1 * $1 }.squareRoot(), 0.5, accuracy: 1e-12)
            var rng = SeededGenerator(seed: 8)
            for _ in 0..<20 {
                let r = (0..<6).map { _ in Double(rng.nextNormal()) }
                let n = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let random = r.map { 0.5 * $0 / n }
                let x = model.mean
                XCTAssertLessThanOrEqual(c.score(zip(x, delta).map(+)), c.score(zip(x, random).map(+)) + 1e-12)
            }
        }
    }

    func testStandardMLERecoversTheParameters() {
        let model = rotatedModel(dimensions: 4)
        let estimate = standardMLE(model.sample(count: 200_000, seed: 1))
        XCTAssertLessThan(zip(estimate.mean, model.mean).map { abs($0 - $1) }.max()!, 0.01)
        XCTAssertLessThan((estimate.covariance - model.covariance).frobeniusNorm / model.covariance.frobeniusNorm, 0.01)
        // The MLE maximises the likelihood: moving either parameter lowers it.
        let sample = model.sample(count: 2_000, seed: 2)
        let fitted = standardMLE(sample)
        let best = fitted.negativeLogLikelihood(sample)
        XCTAssertLessThan(best, GaussianEstimate(mean: fitted.mean.map { $0 + 0.01 }, covariance: fitted.covariance).negativeLogLikelihood(sample))
        XCTAssertLessThan(best, GaussianEstimate(mean: fitted.mean, covariance: 1.05 * fitted.covariance).negativeLogLikelihood(sample))
    }

    func testGradientAlignmentGrowsWithEpsilon() {
        let model = GaussianModel.standard(dimensions: 10)
        let epsilons = [0, 0.1, 0.25, 0.5, 1, 2]
        let estimates = epsilons.map { RobustMLE.estimate(model, epsilon: $0) }
        let cosines = estimates.map { GradientAlignment.cosine($0, model: model) }
        let worst = estimates.map { GradientAlignment.worstCaseCosine($0.covariance) }
        XCTAssertEqual(cosines[0], cosine(model.covariance.inverse * model.mean, model.mean), accuracy: 1e-12)
        for k in 1..<epsilons.count {
            XCTAssertGreaterThan(cosines[k], cosines[k - 1], "cos(∇f, μ*) did not grow from ε \(epsilons[k - 1]) to \(epsilons[k])")
            XCTAssertGreaterThan(worst[k], worst[k - 1])
            XCTAssertLessThan(Isotropy.conditionNumber(estimates[k].covariance), Isotropy.conditionNumber(estimates[k - 1].covariance))
        }
        // Kantorovich: no mean direction aligns worse than the bound.
        var rng = SeededGenerator(seed: 4)
        for estimate in estimates {
            let precision = estimate.covariance.inverse
            for _ in 0..<50 {
                let mu = (0..<10).map { _ in Double(rng.nextNormal()) }
                XCTAssertGreaterThanOrEqual(cosine(precision * mu, mu), GradientAlignment.worstCaseCosine(estimate.covariance) - 1e-12)
            }
        }
    }

    /// Theorem 1: the Lagrangian adversary's loss increase, closed form vs samples; smaller for
    /// the isotropic covariance of the same trace.
    func testMisalignmentLossMatchesMonteCarloAndIsSmallestWhenIsotropic() {
        let model = GaussianModel.standard(dimensions: 6)
        let sample = model.sample(count: 40_000, seed: 6)
        let isotropic = GaussianMatrix.identity(6, scale: model.covariance.trace / 6)
        for epsilon in [0.1, 0.5, 1] {
            let C = MisalignmentLoss.multiplier(model.covariance, epsilon: epsilon)
            XCTAssertEqual(MisalignmentLoss.perturbationNorm(model.covariance, multiplier: C), epsilon, accuracy: 1e-9)
            let closed = MisalignmentLoss.increase(model.covariance, multiplier: C)
            XCTAssertEqual(MisalignmentLoss.measuredIncrease(model, multiplier: C, sample: sample), closed, accuracy: 0.03 * closed)
            XCTAssertLessThan(MisalignmentLoss.increase(isotropic, multiplier: C), closed)
        }
    }

    func testSamplingIsSeededPerExample() {
        let model = GaussianModel.standard(dimensions: 3)
        let a = model.sample(count: 50, seed: 7), b = model.sample(count: 10, seed: 7), c = model.sample(count: 10, seed: 8)
        XCTAssertEqual(Array(a.inputs.prefix(10)), b.inputs)
        XCTAssertEqual(Array(a.labels.prefix(10)), b.labels)
        XCTAssertNotEqual(b.inputs, c.inputs)
        XCTAssertEqual(Set(a.labels), [-1, 1])
    }
}
