// The `square` attack plugin (Square Attack, Andriushchenko et al. 2020) seen through every query
// it makes: each one inside the ball and the box, at most `queries` per example with restarts,
// only live examples queried, the Linf stripes and squares of the reference's sizes, the L2
// proposals on the sphere, and the schedule and pseudo-Gaussian window against the reference's
// values. The search's outcome on models (and the conformance suite) is in SquareSearchTests.
import BrittleConformance
import BrittleNN
import BrittlePlugins
import BrittleTestSupport
import XCTest

/// An oracle that records every query and fails the test on a gradient request: what a
/// score-based attack may see of the model.
final class SquareRecordingOracle: AttackOracle {
    let base: ClassifierOracle
    /// The inputs of every `scores` call, in order.
    private(set) var queries: [Tensor] = []
    init(_ model: Classifier) { base = ClassifierOracle(model) }
    var classCount: Int { base.classCount }

    func objective(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor, gradient: Tensor) {
        XCTFail("a score-based attack asked for an input gradient")
        return base.objective(x, goal: goal, loss: loss)
    }

    func scores(_ x: Tensor, goal: AttackGoal, loss: AttackLoss) -> (values: [Float], logits: Tensor) {
        XCTAssertEqual(loss, .margin, "the Square Attack's loss is the margin")
        queries.append(x)
        return base.scores(x, goal: goal, loss: loss)
    }

    /// Every queried row, with the index of the original example it is nearest to in `norm`.
    func rows(nearest originals: Tensor, _ norm: Norm) -> [(example: Int, row: Tensor, distance: Float)] {
        queries.flatMap { q in
            (0..<q.batchSize).map { r -> (example: Int, row: Tensor, distance: Float) in
                let row = q.slice(r..<(r + 1))
                let distances = (0..<originals.batchSize).map { perExampleNorms(row, originals.slice($0..<($0 + 1)), norm)[0] }
                let i = distances.indices.min { distances[$0] < distances[$1] }!
                return (i, row, distances[i])
            }
        }
    }
}

final class SquareAttackTests: XCTestCase {
    func square(_ params: [String: String]) throws -> any Attack {
        let p = try TestPlugins.attack("square")
        return try p.makeAttack(try p.configuration(params))
    }

    /// A linear model with zero weights: every logit 0, so class 0 always wins, the margin never
    /// changes and no proposal is ever accepted (examples labelled 0 are never broken, others
    /// are broken by the first query).
    func constantModel(_ shape: [Int]) -> Classifier {
        let m = linearModel(inputShape: shape, classes: 3, seed: 1)
        for p in m.parameters { p.value = Tensor(shape: p.value.shape) }
        m.mode = .evaluation
        return m
    }

    /// Runs `attack` through a recording oracle; returns the proposal and the oracle.
    func record(_ attack: any Attack, _ m: Classifier, _ x: Tensor, _ labels: [Int], seeds: [UInt64]? = nil) -> (Tensor, SquareRecordingOracle) {
        let oracle = SquareRecordingOracle(m)
        let out = attack.perturb(x, goal: .untargeted(TrueLabels(labels)), oracle: oracle,
                                 exampleSeeds: seeds ?? (0..<x.batchSize).map { UInt64(100 + $0) })
        return (out, oracle)
    }

    func testEveryQueryIsInsideTheBallAndTheBox() throws {
        let shape = [3, 8, 8]
        let cases: [(Norm, Float, Float, Float)] = [(.linf, 0.1, 0, 1), (.linf, 0.25, -1, 0.5), (.l2, 0.5, 0, 1), (.l2, 1, -1, 0.5)]
        for (norm, eps, lo, hi) in cases {
            let a = try square(["norm": norm.rawValue, "epsilon": "\(eps)", "lower-bound": "\(lo)", "upper-bound": "\(hi)", "queries": "60"])
            let m = smallConvModel(inputShape: shape, classes: 10, seed: 4)
            m.mode = .evaluation
            // Random images and two at the box's corners, where the clamp must act.
            let x = Tensor.concatenate([randomImages(5, shape, lo: lo, hi: hi, seed: 5),
                                        Tensor(shape: [1] + shape, repeating: lo), Tensor(shape: [1] + shape, repeating: hi)])
            let (out, oracle) = record(a, m, x, m.predict(x))
            let rows = oracle.rows(nearest: x, norm)
            XCTAssertGreaterThan(rows.count, 7 * 10, "\(norm): the attack hardly queried")
            for (i, row, distance) in rows {
                XCTAssertLessThanOrEqual(distance, eps * (1 + 1e-6), "\(norm) eps \(eps): a query for example \(i) leaves the ball")
                XCTAssertTrue(row.scalars.allSatisfy { $0 >= lo && $0 <= hi }, "\(norm) [\(lo), \(hi)]: a query for example \(i) leaves the box")
            }
            XCTAssertTrue(perExampleNorms(out, x, norm).allSatisfy { $0 <= eps * (1 + 1e-6) }, "\(norm): the result leaves the ball")
            XCTAssertTrue(out.scalars.allSatisfy { $0 >= lo && $0 <= hi }, "\(norm): the result leaves the box")
        }
    }

    /// On the constant model an example labelled 0 is never broken, so it must use its whole
    /// budget, and one labelled 1 is broken by its first query and never queried again: exact
    /// counts, per example, alone and in a batch, with one and with three restarts.
    func testTheQueryBudgetIsExactAndPerExample() throws {
        let shape = [1, 6, 6]
        let m = constantModel(shape)
        let x = randomImages(4, shape, seed: 7)
        let labels = [0, 1, 0, 1]
        for norm in ["linf", "l2"] {
            for queries in [1, 2, 10, 100] {
                for restarts in [1, 3] {
                    let a = try square(["norm": norm, "epsilon": "0.2", "queries": "\(queries)", "restarts": "\(restarts)"])
                    let context = "\(norm), queries \(queries), restarts \(restarts)"
                    let expected = labels.map { $0 == 0 ? queries : 1 }
                    for i in 0..<4 {
                        let (_, alone) = record(a, m, x.slice(i..<(i + 1)), [labels[i]], seeds: [UInt64(100 + i)])
                        XCTAssertEqual(alone.queries.reduce(0) { $0 + $1.batchSize }, expected[i], "\(context): example \(i) alone")
                    }
                    let (_, batch) = record(a, m, x, labels)
                    let rows = batch.rows(nearest: x, .linf)
                    let counts = (0..<4).map { i in rows.filter { $0.example == i }.count }
                    XCTAssertEqual(counts, expected, "\(context): queries per example in a batch")
                    XCTAssertLessThanOrEqual(rows.count, 4 * queries, context)
                    // Broken examples leave the batch: after the first query only the two live ones.
                    XCTAssertEqual(batch.queries.first?.batchSize, 4, context)
                    XCTAssertTrue(batch.queries.dropFirst().allSatisfy { $0.batchSize == 2 }, "\(context): broken examples were queried again")
                }
            }
        }
    }

    /// On a model it can break, no example ever exceeds its budget either (restarts included).
    func testTheBudgetHoldsWhileBreakingExamples() throws {
        let shape = [1, 8, 8]
        let m = smallConvModel(inputShape: shape, classes: 10, seed: 14)
        m.mode = .evaluation
        let x = randomImages(12, shape, seed: 15)
        for restarts in [1, 2] {
            for queries in [1, 2, 10, 100] {
                let a = try square(["epsilon": "0.3", "queries": "\(queries)", "restarts": "\(restarts)"])
                let (_, oracle) = record(a, m, x, m.predict(x))
                let rows = oracle.rows(nearest: x, .linf)
                XCTAssertLessThanOrEqual(rows.count, 12 * queries)
                for i in 0..<12 {
                    XCTAssertLessThanOrEqual(rows.filter { $0.example == i }.count, queries, "example \(i), queries \(queries), restarts \(restarts)")
                }
            }
        }
    }

    /// Restarts start afresh from their own stream, and an unbroken example keeps its highest
    /// margin over them (on the constant model every margin is 0: the first restart's start).
    func testRestartsStartAfreshAndKeepTheBest() throws {
        let m = constantModel([1, 6, 6])
        let x = randomImages(1, [1, 6, 6], seed: 8)
        for norm in ["linf", "l2"] {
            let (out, oracle) = record(try square(["norm": norm, "epsilon": "0.2", "queries": "4", "restarts": "2"]), m, x, [0])
            XCTAssertEqual(oracle.queries.count, 4)
            XCTAssertNotEqual(oracle.queries[2], oracle.queries[0], "\(norm): the second restart repeated the first's start")
            XCTAssertEqual(out, oracle.queries[0], "\(norm): a later restart with no higher margin replaced the first's point")
        }
    }

    func testEpsilonZeroReturnsTheInputWithoutQueries() throws {
        let m = constantModel([1, 6, 6])
        let x = randomImages(3, [1, 6, 6], seed: 2)
        for norm in ["linf", "l2"] {
            let (out, oracle) = record(try square(["norm": norm, "epsilon": "0"]), m, x, [0, 0, 0])
            XCTAssertEqual(out, x)
            XCTAssertEqual(oracle.queries.count, 0)
        }
    }

    /// Linf on the constant model (nothing is ever accepted, so every proposal starts from the
    /// start): the start is vertical stripes of +-epsilon, and each proposal changes whole
    /// columns of a square whose side follows the schedule.
    func testLinfStartIsStripesAndProposalsAreSquaresOfTheScheduledSide() throws {
        let shape = [1, 8, 8], eps: Float = 0.1, queries = 200
        let m = constantModel(shape)
        let x = randomImages(1, shape, lo: 0.3, hi: 0.7, seed: 3)   // the box never binds
        let (_, oracle) = record(try square(["epsilon": "\(eps)", "queries": "\(queries)"]), m, x, [0])
        XCTAssertEqual(oracle.queries.count, queries)
        let start = oracle.queries[0] - x
        for w in 0..<8 {
            let column = (0..<8).map { start.scalars[$0 * 8 + w] }
            XCTAssertTrue(column.allSatisfy { abs(abs($0) - eps) < 1e-6 && ($0 > 0) == (column[0] > 0) }, "column \(w) of the start: \(column)")
        }
        var moved = 0
        for (t, q) in oracle.queries.enumerated().dropFirst() {
            let side = SquareSchedule.linfSide(fraction: SquareSchedule.fraction(pInit: 0.8, iteration: t - 1, budget: queries),
                                               channels: 1, height: 8, width: 8)
            let changed = (0..<64).filter { q.scalars[$0] != oracle.queries[0].scalars[$0] }
            guard !changed.isEmpty else { continue }
            let rowsChanged = Set(changed.map { $0 / 8 }), columnsChanged = Set(changed.map { $0 % 8 })
            XCTAssertEqual(rowsChanged.count, side, "query \(t): the square's side")
            XCTAssertEqual(rowsChanged.max()! - rowsChanged.min()! + 1, side, "query \(t): the square's rows are contiguous")
            XCTAssertLessThanOrEqual(columnsChanged.max()! - columnsChanged.min()! + 1, side, "query \(t)")
            let deltas = Set(changed.map { q.scalars[$0] - x.scalars[$0] > 0 })
            XCTAssertEqual(deltas.count, 1, "query \(t): one sign per channel in the square")
            moved += 1
        }
        XCTAssertGreaterThan(moved, queries / 4, "too few proposals changed anything")
    }

    /// L2 on the constant model with the box far away: the start and every proposal lie ON the
    /// sphere of radius epsilon, and proposals differ from the start.
    func testL2QueriesLieOnTheSphere() throws {
        let shape = [3, 10, 10], eps: Float = 0.5
        let m = constantModel(shape)
        let x = randomImages(2, shape, lo: 0.45, hi: 0.55, seed: 4)
        let (_, oracle) = record(try square(["norm": "l2", "epsilon": "\(eps)", "queries": "50"]), m, x, [0, 0],
                                 seeds: [1, 2])
        for (i, row, distance) in oracle.rows(nearest: x, .l2) {
            XCTAssertEqual(distance, eps, accuracy: eps * 1e-5, "example \(i)")
            XCTAssertTrue(row.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        }
        XCTAssertNotEqual(oracle.queries[1], oracle.queries[0])
    }

    func testScheduleMatchesTheReference() {
        // (iteration, budget, p) from the reference's p_selection with p_init 0.8.
        let expected: [(Int, Int, Double)] = [
            (0, 5000, 0.8), (5, 5000, 0.8), (6, 5000, 0.4), (25, 5000, 0.4), (26, 5000, 0.2), (100, 5000, 0.2),
            (101, 5000, 0.1), (250, 5000, 0.1), (251, 5000, 0.05), (500, 5000, 0.05), (501, 5000, 0.025),
            (1000, 5000, 0.025), (1001, 5000, 0.0125), (2000, 5000, 0.0125), (2001, 5000, 0.00625),
            (3000, 5000, 0.00625), (3001, 5000, 0.003125), (4000, 5000, 0.003125), (4001, 5000, 0.0015625),
            (4999, 5000, 0.0015625), (1, 100, 0.2), (1, 3, 0.0125), (2, 3, 0.003125), (0, 1, 0.8), (29, 3000, 0.2),
        ]
        for (iteration, budget, p) in expected {
            XCTAssertEqual(SquareSchedule.fraction(pInit: 0.8, iteration: iteration, budget: budget), p, "iteration \(iteration) of \(budget)")
        }
        // Sides: round(sqrt(p h w)) half to even (2.5 -> 2, 3.5 -> 4), at least 1 (Linf) or 3 and odd (L2).
        XCTAssertEqual(SquareSchedule.linfSide(fraction: 0.8, channels: 1, height: 8, width: 8), 7)
        XCTAssertEqual(SquareSchedule.linfSide(fraction: 6.25 / 64, channels: 3, height: 8, width: 8), 2)
        XCTAssertEqual(SquareSchedule.linfSide(fraction: 12.25 / 64, channels: 1, height: 8, width: 8), 4)
        XCTAssertEqual(SquareSchedule.linfSide(fraction: 0.0015625, channels: 1, height: 8, width: 8), 1)
        XCTAssertEqual(SquareSchedule.linfSide(fraction: 0.8, channels: 3, height: 32, width: 32), 29)
        XCTAssertEqual(SquareSchedule.l2Side(fraction: 0.4, channels: 3, height: 32, width: 32), 21)
        XCTAssertEqual(SquareSchedule.l2Side(fraction: 0.0015625, channels: 1, height: 8, width: 8), 3)
        XCTAssertEqual(SquareSchedule.l2Side(fraction: 0.8, channels: 1, height: 28, width: 28), 25)
    }

    func testPseudoGaussianWindowHasUnitNormAndItsSignStructure() {
        for s in 1...9 {
            for transposed in [false, true] {
                let w = SquareSchedule.pseudoGaussianWindow(side: s, transposed: transposed)
                XCTAssertEqual(w.count, s * s)
                XCTAssertEqual(w.reduce(0) { $0 + Double($1) * Double($1) }, 1, accuracy: 1e-6, "side \(s)")
                for r in 0..<s {
                    for c in 0..<s {
                        // Positive in the first s/2 rows (columns when transposed), negative after.
                        let along = transposed ? c : r
                        XCTAssertEqual(w[r * s + c] > 0, along < s / 2, "side \(s), transposed \(transposed), (\(r), \(c))")
                        XCTAssertNotEqual(w[r * s + c], 0)
                    }
                }
            }
        }
        // Side 3 in closed form: [1 5 1] / sqrt(27) over -[[1 1 1], [1 5 1]] / sqrt(30), over sqrt(2).
        let w = SquareSchedule.pseudoGaussianWindow(side: 3, transposed: false)
        let top = 1 / (27.0 * 2).squareRoot(), bottom = -1 / (30.0 * 2).squareRoot()
        let expected = [1, 5, 1].map { $0 * top } + [1, 1, 1, 1, 5, 1].map { $0 * bottom }
        for (a, b) in zip(w, expected) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
    }

    func testInvalidHyperparametersFailAtConfigurationTime() throws {
        let p = try TestPlugins.attack("square")
        for (params, name) in [(["p-init": "0"], "p-init"), (["lower-bound": "1", "upper-bound": "1"], "upper-bound"),
                               (["norm": "l1"], "norm"), (["queries": "0"], "queries"), (["epsilon": "-0.1"], "epsilon"),
                               (["restarts": "0"], "restarts")] {
            XCTAssertThrowsError(try p.makeAttack(try p.configuration(params))) { error in
                XCTAssertTrue("\(error)".contains(name), "\(params): \(error)")
            }
        }
    }
}
