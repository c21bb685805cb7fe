// The sweep table (sweep.json): for every grid point, the headline figures of the reproduction
// report summarised over the seeds (SweepStatistics), and how many seeds each claim holds for.
// Built from the finished runs' ReproductionResults; runs nothing, renders nothing (SweepReport).
import BrittleIO
import Foundation

/// One finished reproduction of a sweep: a grid point at one seed.
public struct SweepRun: Sendable {
    /// The grid point.
    public var point: SweepPoint
    /// Its seed (the configuration's only seed).
    public var seed: UInt64
    /// What the reproduction measured.
    public var results: ReproductionResults
    /// A finished run.
    public init(point: SweepPoint, seed: UInt64, results: ReproductionResults) {
        self.point = point
        self.seed = seed
        self.results = results
    }
}

/// How the grid was run, for the line in sweep.md (filled by the runner; every field optional
/// but the executor).
public struct SweepExecution: Codable, Equatable, Sendable {
    /// "local", "processes", "slurm".
    public var executor: String
    /// Distinct stages of the graph.
    public var stages: Int?
    /// How many of them were already cached.
    public var cachedStages: Int?
    /// Wall-clock seconds of the whole sweep.
    public var seconds: Double?
    /// The `brittle sweep report` arguments that re-rendered this table (nil: written by the run).
    public var rerenderedBy: String?
    /// How a sweep ran.
    public init(executor: String, stages: Int? = nil, cachedStages: Int? = nil, seconds: Double? = nil, rerenderedBy: String? = nil) {
        self.executor = executor
        self.stages = stages
        self.cachedStages = cachedStages
        self.seconds = seconds
        self.rerenderedBy = rerenderedBy
    }
}

/// A headline figure across the grid: one summary per point (nil where no seed measured it).
public struct SweepFigure: Codable, Sendable {
    /// Stable id: "clean/d_r", "robust/d_r", "ensemble/d_r", "next-class/d_det_eps2", "transferred/d_rand",
    /// "set/d_rand/targeted-success", "transfer-correlation".
    public var id: String
    /// What it is, for titles and headings.
    public var label: String
    /// "%" (accuracies and shares, in percent) or "" (distances, correlations).
    public var unit: String
    /// Indexed like `SweepTable.points`.
    public var points: [SweepStatistics?]
}

/// How many seeds of each point a claim of the issue holds for.
public struct SweepClaim: Codable, Sendable {
    /// The claim's id in ReproductionClaims ("d_rand", "robust-vs-non-robust", ...).
    public var id: String
    /// Its statement (from the first run that checked it).
    public var statement: String
    /// Indexed like `SweepTable.points`: seeds where it holds.
    public var holds: [Int]
    /// Seeds where it was checked (holds true or false; "reported" claims are not checked).
    public var checked: [Int]
    /// Seeds run at the point.
    public var seeds: [Int]
}

/// The table of a sweep, written as sweep.json.
public struct SweepTable: Codable, Sendable {
    /// The grid: its keys in order and their values.
    public var grid: SweepGrid
    /// Every point of the grid, in grid order.
    public var points: [SweepPoint]
    /// The seeds every point ran with (`--seeds`).
    public var seeds: [UInt64]
    /// The experiment swept (`brittle sweep EXPERIMENT`).
    public var experiment: String
    /// The headline figures, in report order.
    public var figures: [SweepFigure]
    /// The claims with their seed counts.
    public var claims: [SweepClaim]
    /// How the grid ran, if the runner said.
    public var execution: SweepExecution?
    /// The headline epsilon of each point (robust figures are at it; it may be swept).
    public var headlineEpsilons: [Double]

    /// Figures of the constructed sets' reports that the table carries, with their unit and
    /// scale (the rest are diagnostics): the relabelling's targeted success, the inversion's
    /// relative distance to the target representation, the relabelling's mean L2 perturbation.
    static let setFigures: [(key: String, unit: String, scale: Double)] = [
        ("targeted-success", "%", 100), ("relative-distance", "", 1), ("mean-perturbation-l2", "", 1),
    ]

    /// Summarises `runs` (any order; each point's seeds in `seeds` order).
    public init(grid: SweepGrid, experiment: String, seeds: [UInt64], runs: [SweepRun], execution: SweepExecution? = nil) {
        self.grid = grid
        self.experiment = experiment
        self.seeds = seeds
        self.execution = execution
        points = grid.points
        let seedOrder = Dictionary(uniqueKeysWithValues: seeds.enumerated().map { ($1, $0) })
        let byPoint: [[SweepRun]] = points.map { p in
            runs.filter { $0.point.index == p.index }.sorted { (seedOrder[$0.seed] ?? .max, $0.seed) < (seedOrder[$1.seed] ?? .max, $1.seed) }
        }
        headlineEpsilons = points.indices.map { byPoint[$0].first?.results.config.headlineEpsilon ?? .nan }

        // Names in order of first appearance over the grid, so the table reads like a report.
        func ordered(_ names: [String]) -> [String] { var seen: [String] = []; for n in names where !seen.contains(n) { seen.append(n) }; return seen }
        let all = byPoint.flatMap { $0 }
        let modelNames = ordered(all.flatMap { $0.results.models.map(\.name) })
        let setNames = ordered(all.flatMap { $0.results.sets.map(\.name) })
        var labels: [String: String] = [:]
        for r in all { for m in r.results.models where labels[m.name] == nil { labels[m.name] = m.label } }
        for r in all { for s in r.results.sets where labels[s.name] == nil { labels[s.name] = s.label } }

        // A figure's values at a point: one per seed run and, for models trained on a set, per set seed.
        var figures: [SweepFigure] = []
        func add(_ id: String, _ label: String, _ unit: String, _ values: (ReproductionResults) -> [Double]) {
            let stats = byPoint.map { runs in SweepStatistics(runs.flatMap { values($0.results) }) }
            if stats.contains(where: { $0 != nil }) { figures.append(SweepFigure(id: id, label: label, unit: unit, points: stats)) }
        }
        for n in modelNames {
            add("clean/\(n)", "\(labels[n] ?? n): clean accuracy", "%") { $0.models(n).map { 100 * Double($0.evaluation.cleanAccuracy) } }
        }
        for n in modelNames {
            add("robust/\(n)", "\(labels[n] ?? n): robust accuracy at the headline epsilon", "%") { r in
                r.models(n).compactMap { $0.evaluation.robustAccuracy(r.config.headlineEpsilon).map { 100 * Double($0) } }
            }
        }
        for n in modelNames {
            add("ensemble/\(n)", "\(labels[n] ?? n): robust accuracy under the attack ensemble", "%") { r in
                r.models(n).compactMap { $0.ensemble.map { 100 * Double($0.robustAccuracy) } }
            }
        }
        for n in modelNames where n.hasPrefix("d_det") {
            add("next-class/\(n)", "\(labels[n] ?? n): (y+1) mod C share of test predictions", "%") { $0.models(n).map { 100 * Double($0.evaluation.nextClassFraction) } }
        }
        for n in modelNames {
            add("transferred/\(n)", "\(labels[n] ?? n): accuracy on transferred examples", "%") { $0.models(n).compactMap { $0.transferredAccuracy.map { 100 * Double($0) } } }
        }
        for n in setNames {
            for f in SweepTable.setFigures {
                add("set/\(n)/\(f.key)", "\(labels[n] ?? n): \(f.key) of the construction", f.unit) { r in
                    r.sets(n).compactMap { $0.reported[f.key].map { f.scale * $0 } }
                }
            }
        }
        add("transfer-correlation", "transfer: Pearson r of accuracy trained on the relabelled set against transfer success", "") { r in
            guard r.transfer.count >= 2 else { return [] }
            let c = ReproductionClaims.pearson(r.transfer.map { Double($0.accuracyTrainedOnRelabelled) }, r.transfer.map { Double($0.transferSuccess) })
            return c.isFinite ? [c] : []
        }
        self.figures = figures

        var claims: [SweepClaim] = []
        for id in ordered(all.flatMap { $0.results.claims.map(\.id) }) {
            let statement = all.lazy.compactMap { $0.results.claims.first { $0.id == id }?.statement }.first ?? id
            let per = byPoint.map { runs in runs.compactMap { $0.results.claims.first { $0.id == id }?.holds } }
            claims.append(SweepClaim(id: id, statement: statement, holds: per.map { $0.filter { $0 }.count },
                                     checked: per.map(\.count), seeds: byPoint.map(\.count)))
        }
        self.claims = claims
    }

    /// The figure `id`, if any point measured it.
    public func figure(_ id: String) -> SweepFigure? { figures.first { $0.id == id } }

    /// sweep.json: pretty, sorted, snake_case keys, NaN as "nan".
    public func encoded() throws -> Data { try ReproductionReport.resultsEncoder.encode(self) }

    /// Reads a sweep.json back.
    public static func decode(_ data: Data) throws -> SweepTable {
        do { return try ReproductionReport.resultsDecoder.decode(SweepTable.self, from: data) } catch {
            throw ReproductionError("not a sweep.json of `brittle sweep`: \(error)")
        }
    }
}
