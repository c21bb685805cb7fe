// The reference figures a reproduction report shows beside its own: read from the data file
// Datasets/references/ilyas2019.json, where every figure names its source (a citation and the
// protocol behind it). Not measured here and never a code constant: correcting a reference means
// editing that file. Figures are display strings ("32.6% / 32.8%" is two seeds), with the same
// numbers per seed where the source gives exact ones.
import BrittleDatasets
import Foundation

/// Cited reference figures, by source, training set and metric.
public struct ReferenceFigures: Codable, Sendable, Equatable {
    /// Where a group of figures comes from.
    public struct Source: Codable, Sendable, Equatable {
        /// Short key the figures refer to, e.g. "ilyas2019".
        public var id: String
        /// The dataset the source measured on (a recipe name, e.g. "fashion-mnist", "cifar10").
        public var dataset: String
        /// Paper, table or document the figures are quoted from.
        public var citation: String
        /// The protocol behind the figures, in one paragraph.
        public var `protocol`: String
    }

    /// One quoted figure.
    public struct Figure: Codable, Sendable, Equatable {
        public var source: String
        /// A training-set name of the report ("standard", "d_r", "d_det_eps1", ...).
        public var set: String
        public var metric: Metric
        public var value: String
        /// The figure as numbers, in percent, one per seed of the source (nil: the source gives
        /// no exact number, e.g. ">= 78%"): what the reference preset's report compares against.
        public var seeds: [Double]?
        /// The relabelling budget (L2 eps) a D_rand figure was measured at (nil: not tied to one);
        /// the reference preset's comparison skips it in a run built at another budget.
        public var epsilon: Double?
    }

    /// What a figure measures.
    public enum Metric: String, Codable, Sendable {
        /// Accuracy on the original test set.
        case clean
        /// Robust accuracy at the headline epsilon.
        case robust
        /// Accuracy on examples transferred from the standard model.
        case transferred
        /// Targeted success of the construction that built the set.
        case targetedSuccess = "targeted-success"
        /// Share of test predictions equal to (y + 1) mod classes.
        case nextClassShare = "next-class-share"
    }

    public var sources: [Source]
    public var figures: [Figure]

    /// No references (the data file was not found): every lookup gives "—".
    public static let none = ReferenceFigures(sources: [], figures: [])

    /// The data file's path in the Datasets/ folder that holds the dataset recipes.
    public static func defaultPath() throws -> String {
        try DatasetCatalog.recipesDirectory() + "/references/ilyas2019.json"
    }

    /// Reads and checks a reference file: every figure names a declared source.
    public static func load(_ path: String) throws -> ReferenceFigures {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReproductionError("cannot read the reference figures \(path); restore it from the Brittle checkout (Datasets/references/)")
        }
        let refs: ReferenceFigures
        do { refs = try JSONDecoder().decode(ReferenceFigures.self, from: data) } catch {
            throw ReproductionError("\(path) is not a reference-figures file: \(error)")
        }
        let ids = Set(refs.sources.map(\.id))
        if let orphan = refs.figures.first(where: { !ids.contains($0.source) }) {
            throw ReproductionError("\(path): figure \(orphan.set)/\(orphan.metric.rawValue) names source '\(orphan.source)', which the file does not declare; add it to \"sources\"")
        }
        return refs
    }

    /// The source `id`, if declared.
    public func source(_ id: String) -> Source? { sources.first { $0.id == id } }

    /// The figure of `source` for training set `set`, or "—". A set "d_det_eps2" falls back to
    /// the source's "d_det" figure when it quotes one for every budget.
    public func value(_ source: String, set: String, _ metric: Metric) -> String {
        let family = set.range(of: "_eps").map { String(set[..<$0.lowerBound]) }
        for name in [set, family].compactMap({ $0 }) {
            if let f = figures.first(where: { $0.source == source && $0.set == name && $0.metric == metric }) { return f.value }
        }
        return "—"
    }
}
