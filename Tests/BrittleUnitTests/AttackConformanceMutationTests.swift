// Mutation tests of AttackConformance: each planted bug (PlantedBugAttacks.swift) must be reported
// under its row of Documentation/attack-properties.md, while the bug-free copy and the in-tree attacks
// pass with no failures. A check that no mutant trips is a check that cannot fail.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

final class AttackConformanceMutationTests: XCTestCase {
    /// Asserts that conformance reports `bug` with a failure containing every one of `expected`.
    func assertCaught(_ bug: PlantedBug, _ expected: String..., file: StaticString = #filePath, line: UInt = #line) {
        let failures = AttackConformance.check(PlantedBugPGDPlugin(bug))
        XCTAssert(failures.contains { f in expected.allSatisfy { f.contains($0) } },
                  "\(bug) not reported as \(expected); failures:\n" + failures.joined(separator: "\n"), file: file, line: line)
    }

    func testTheBugFreeCopyAndTheInTreeAttacksPass() throws {
        let clean = AttackConformance.check(PlantedBugPGDPlugin(.none))
        XCTAssertEqual(clean, [], clean.joined(separator: "\n"))
        for (id, parameters) in [("fgsm", [:]), ("fgsm", ["random-start": "true"]), ("pgd-linf", ["steps": "3"]),
                                 ("pgd-l2", ["steps": "3"]), ("pgd-l2", ["steps": "4", "random-start": "true", "restarts": "2"]),
                                 ("apgd-ce", ["steps": "5"]), ("apgd-dlr", ["steps": "5"]), ("apgd-t", ["steps": "5", "target-classes": "3"]),
                                 ("apgd-ce", ["steps": "5", "restarts": "2", "stop-on-success": "false"])] {
            let failures = AttackConformance.check(try TestPlugins.attack(id), parameters: parameters)
            XCTAssertEqual(failures, [], "\(id) \(parameters):\n" + failures.joined(separator: "\n"))
        }
    }

    // #3: the raw proposal is checked at step sizes of epsilon and more, where a missing
    // projection shows.
    func testMissingLinfProjection() { assertCaught(.noLinfProjection, "#3 budget", "linf norm") }
    func testClipAppliedToTheInputInsteadOfTheDelta() { assertCaught(.clipsInputNotDelta, "#3 budget") }
    // #2: tiny steps stay near the input.
    func testProjectionOntoTheSphere() { assertCaught(.sphereProjection, "#2 projection") }
    // #4: the box.
    func testMissingBoxClamp() { assertCaught(.noBoxClamp, "#4 box") }

    // #1: examples at very different gradient scales expose any normalisation over the batch.
    func testBatchPooledL2Normalisation() { assertCaught(.pooledL2Normalisation, "#1 independence", "l2,") }
    func testBatchPooledLinfNormalisation() { assertCaught(.pooledLinfNormalisation, "#1 independence", "linf,") }
    func testOneRandomStreamForTheBatch() { assertCaught(.batchRandomStream, "#1 independence", "random-start true") }
    func testSeedsTakenByBatchPosition() { assertCaught(.seedsByPosition, "#1 independence", "random-start true") }
    func testExampleSeedsIgnored() { assertCaught(.fixedSeed, "#1 seeds") }

    func testZeroGradientDivision() { assertCaught(.zeroGradientNaN, "#6 zero gradients: NaN/Inf") }
    func testInvertedTargetedSign() { assertCaught(.invertedTargetSign, "#7 targeted") }
    func testLastRestartReplacesTheEarlierOnes() { assertCaught(.lastRestartOnly, "#10 best iterate", "restarts") }
    func testLastIterateReturned() { assertCaught(.lastIterate, "#10 best iterate") }
    func testEpsilonZeroReadAsNoBudget() { assertCaught(.epsilonZeroUnbounded, "#15 epsilon = 0") }
    func testNegativeEpsilonAccepted() { assertCaught(.negativeEpsilonAccepted, "#15 configuration: epsilon = -1 accepted") }
    func testInputModifiedInPlace() { assertCaught(.mutatesInput, "#16 inputs") }
    func testWrongShapeStopsTheChecks() { assertCaught(.flattenedOutput, "shape: returned [8, 64]") }
    func testNoOpAttack() { assertCaught(.noOp, "#18 search") }
}
