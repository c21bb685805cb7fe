// The grid of `brittle sweep`: parses `--grid key=v1,v2,...` into axes of ReproductionConfig
// settings, checks every value by applying it to a configuration, expands the axes into points
// (cartesian product, first axis slowest) and gives the configuration of one (point, seed). Not
// the runner (the stage graph runs the configurations) and not the table (SweepTable).
import Foundation

/// One setting of a grid point: a snake_case ReproductionConfig key and the value's text.
public struct SweepSetting: Codable, Hashable, Sendable {
    /// The snake_case key (`set_size`).
    public var key: String
    /// The value as shown in tables (`2000`; a list value's items joined by `;`: `1;2`).
    public var value: String
    /// The items of a list-valued key (`det_epsilons`), nil for a scalar key.
    public var items: [String]?

    /// The `--set` assignment that applies it (`set_size=2000`, `det_epsilons=1,2`).
    public var assignment: String { "\(key)=" + (items.map { $0.joined(separator: ",") } ?? value) }
    /// The value as a number, if it is one (lists and null are not).
    public var number: Double? { items == nil ? Double(value).flatMap { $0.isFinite ? $0 : nil } : nil }
}

/// One point of the grid: one value of every swept key, in the grid's key order.
public struct SweepPoint: Codable, Hashable, Sendable {
    /// Position in `SweepGrid.points` (0-based).
    public var index: Int
    /// One setting per axis, in axis order.
    public var settings: [SweepSetting]

    /// The value of `key` at this point.
    public func value(_ key: String) -> SweepSetting? { settings.first { $0.key == key } }
    /// "set_size=2000, rand_epsilon=1".
    public var label: String { settings.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
}

/// The swept settings of a sweep.
///
/// `--grid key=v1,v2,...` names one key and its values. A list-valued key (`det_epsilons`,
/// `eval_epsilons`, `transfer_architectures`) takes each value as a `;`-separated list:
/// `--grid det_epsilons=1;2,4;8` sweeps `[1, 2]` and `[4, 8]`. The values may instead be one JSON
/// array: `--grid det_epsilons=[[1,2],[4,8]]`, `--grid inversion_start=["noise","other-image"]`
/// (JSON also lets a string value contain a comma). `null` is a value (`test_limit=1000,null`).
/// `seeds` is not a grid key (seeds come from `--seeds`), nor are `set_seeds` (a setting of
/// every point: `--set set_seeds=0,1,2`) and `preset` (`--preset`).
public struct SweepGrid: Codable, Equatable, Sendable {
    /// One swept key and its values, in the order given.
    public struct Axis: Codable, Equatable, Sendable {
        /// The snake_case key.
        public var key: String
        /// Its values, in the order given.
        public var values: [SweepSetting]
    }

    /// The axes, in the order of the `--grid` options.
    public var axes: [Axis]

    /// Keys a grid can sweep: every ReproductionConfig key but `seeds`, `set_seeds` and `preset`.
    public static var keys: [String] { ReproductionConfig.keys.subtracting(["seeds", "set_seeds", "preset"]).sorted() }

    /// Parses the `--grid` arguments (`key=v1,v2,...`, one per option), checking each value by
    /// applying it to `base` with `ReproductionConfig.set`.
    public init(parsing arguments: [String], base: ReproductionConfig = ReproductionConfig()) throws {
        guard !arguments.isEmpty else {
            throw ReproductionError("the sweep has no grid: give at least one --grid key=v1,v2,... (e.g. --grid set_size=1000,2000); keys: \(SweepGrid.keys.joined(separator: ", "))")
        }
        axes = []
        for argument in arguments {
            let axis = try SweepGrid.axis(argument, base: base)
            if axes.contains(where: { $0.key == axis.key }) {
                throw ReproductionError("--grid \(axis.key) is given twice; list all its values in one option (--grid \(axis.key)=v1,v2,...)")
            }
            axes.append(axis)
        }
    }

    /// The swept keys, in axis order.
    public var keys: [String] { axes.map(\.key) }

    /// The cartesian product of the axes: the first axis varies slowest, the last fastest, and
    /// each axis's values keep the order given (stable: the same arguments, the same points).
    public var points: [SweepPoint] {
        var combos: [[SweepSetting]] = [[]]
        for axis in axes {
            combos = combos.flatMap { prefix in axis.values.map { prefix + [$0] } }
        }
        return combos.enumerated().map { SweepPoint(index: $0, settings: $1) }
    }

    /// `base` with the point's settings applied and `seeds = [seed]`, validated.
    public func configuration(for point: SweepPoint, seed: UInt64, base: ReproductionConfig) throws -> ReproductionConfig {
        var c = base
        for s in point.settings { try c.set(s.assignment) }
        c.seeds = [seed]
        do { try c.validate() } catch {
            throw ReproductionError("grid point \(point.label) (seed \(seed)): \(error); change the grid or the base setting with --set")
        }
        return c
    }

    /// Every (point, seed) configuration, point by point and seeds in order within a point;
    /// throws on the first that does not validate, so a bad grid fails before anything runs.
    public func configurations(seeds: [UInt64], base: ReproductionConfig) throws -> [(point: SweepPoint, seed: UInt64, config: ReproductionConfig)] {
        guard !seeds.isEmpty else { throw ReproductionError("--seeds must list at least one seed (e.g. --seeds 0,1,2)") }
        guard Set(seeds).count == seeds.count else { throw ReproductionError("--seeds must not repeat a seed, got \(seeds)") }
        return try points.flatMap { p in try seeds.map { (p, $0, try configuration(for: p, seed: $0, base: base)) } }
    }

    // MARK: Parsing

    static func axis(_ argument: String, base: ReproductionConfig) throws -> Axis {
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let rawKey = parts[0].trimmingCharacters(in: .whitespaces)
        guard parts.count == 2, !rawKey.isEmpty else {
            throw ReproductionError("--grid '\(argument)' is not key=v1,v2,... (e.g. --grid set_size=1000,2000)")
        }
        let key = rawKey.replacingOccurrences(of: "-", with: "_")
        if key == "seeds" { throw ReproductionError("--grid seeds: seeds are not a grid key; give them with --seeds 0,1,2") }
        if key == "set_seeds" { throw ReproductionError("--grid set_seeds: set seeds are not a grid key; give them to every point with --set set_seeds=0,1,2") }
        if key == "preset" { throw ReproductionError("--grid preset: the preset is not a grid key; run one sweep per --preset") }
        guard SweepGrid.keys.contains(key) else {
            throw ReproductionError("--grid: unknown key '\(rawKey)'; known keys: \(SweepGrid.keys.joined(separator: ", "))")
        }
        let isList = ReproductionConfig.listKeys.contains(key)
        let texts = try values(parts[1], key: key, isList: isList)
        guard !texts.isEmpty else {
            throw ReproductionError("--grid \(key) has no values; give them as --grid \(key)=v1,v2,...")
        }
        var settings: [SweepSetting] = []
        var applied: [ReproductionConfig] = []
        for t in texts {
            let setting = isList
                ? SweepSetting(key: key, value: t.joined(separator: ";"), items: t)
                : SweepSetting(key: key, value: t[0], items: nil)
            var c = base
            do { try c.set(setting.assignment) } catch {
                throw ReproductionError("--grid \(key): bad value '\(setting.value)': \(error)")
            }
            if let i = applied.firstIndex(of: c) {
                throw ReproductionError("--grid \(key): the value '\(setting.value)' repeats '\(settings[i].value)'; give each value once")
            }
            applied.append(c)
            settings.append(setting)
        }
        return Axis(key: key, values: settings)
    }

    /// The values of one `--grid` option, each as its items (one item for a scalar key).
    static func values(_ text: String, key: String, isList: Bool) throws -> [[String]] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("[") {
            guard let data = trimmed.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [Any] else {
                throw ReproductionError("--grid \(key): '\(trimmed)' is not a JSON array of values (e.g. \(isList ? "[[1,2],[4]]" : "[1,2]"))")
            }
            return try array.map { element in
                if isList {
                    guard let list = element as? [Any] else {
                        throw ReproductionError("--grid \(key) is a list key: in the JSON form each value is a list (e.g. [[1,2],[4]]), got \(jsonText(element))")
                    }
                    return list.map(jsonText)
                }
                return [jsonText(element)]
            }
        }
        return try trimmed.split(separator: ",", omittingEmptySubsequences: false).map { raw in
            let v = raw.trimmingCharacters(in: .whitespaces)
            guard !v.isEmpty else { throw ReproductionError("--grid \(key)=\(text): an empty value; separate values with single commas") }
            return isList ? v.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } : [v]
        }
    }

    /// A JSON element as the text `--set` parses back: strings bare, the rest as JSON.
    static func jsonText(_ value: Any) -> String {
        if let s = value as? String { return s }
        if value is NSNull { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
