// A stand-in for an ensemble stage's result in the synthetic ReproductionResults the claim and
// sweep tests build: only the clean and robust accuracy at ε 1, no members or outcomes.
@testable import BrittleExperiments

extension EnsembleMeasurement {
    /// An ensemble at L2 ε 1 on 100 images that left `robust` of them robust.
    static func fixture(clean: Float, robust: Float) -> EnsembleMeasurement {
        EnsembleMeasurement(epsilon: 1.0, examples: 100, cleanAccuracy: clean, robustAccuracy: robust,
                            members: [], flags: [], sanitySample: 0, outcomes: nil)
    }
}
