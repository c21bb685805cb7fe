// Typed parameter schemas for plugins, and configurations validated against them. The host
// validates every configuration BEFORE running anything: an unknown parameter, a wrong type or
// an out-of-range value is an error naming the plugin, the parameter and what is allowed.

/// A parameter's type and allowed values.
public enum ParameterKind: Sendable, Equatable {
    /// An integer in the range; read it with `Configuration.int(_:)`.
    case int(ClosedRange<Int>)
    /// A number in the range; read it with `Configuration.float(_:)`.
    case float(ClosedRange<Double>)
    /// `true` or `false`; read it with `Configuration.bool(_:)`.
    case bool
    /// One of the listed words; read it with `Configuration.string(_:)`.
    case choice([String])
    /// Any text; read it with `Configuration.string(_:)`.
    case string
    /// Integers joined by '-' (e.g. layer widths "256-256"), each in the range, at most
    /// `maxCount` of them.
    case intList(ClosedRange<Int>, maxCount: Int)
    /// Numbers joined by '/' (e.g. per-channel means "0.49/0.48/0.45").
    case floatList

    /// "integer in 1...1024", "one of random, next".
    public var allowed: String {
        switch self {
        case .int(let r): return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .float(let r): return "a number in \(fmtDouble(r.lowerBound))...\(fmtDouble(r.upperBound))"
        case .bool: return "true or false"
        case .choice(let c): return "one of \(c.joined(separator: ", "))"
        case .string: return "a string"
        case .intList(let r, let n):
            return "1 to \(n) integers in \(r.lowerBound)...\(r.upperBound) joined by '-' (e.g. 256-256)"
        case .floatList: return "numbers joined by '/' (e.g. 0.49/0.48/0.45)"
        }
    }
}

/// A parameter value.
public enum ParameterValue: Sendable, Equatable, CustomStringConvertible, Codable {
    /// The value of an `.int` parameter.
    case int(Int)
    /// The value of a `.float` parameter.
    case float(Double)
    /// The value of a `.bool` parameter.
    case bool(Bool)
    /// The value of a `.string` or `.choice` parameter.
    case string(String)
    /// The value of an `.intList` parameter.
    case intList([Int])
    /// The value of a `.floatList` parameter.
    case floatList([Double])

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return fmtDouble(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        case .intList(let v): return v.map(String.init).joined(separator: "-")
        case .floatList(let v): return v.map(fmtDouble).joined(separator: "/")
        }
    }
}

func fmtDouble(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    return String(v)
}

/// One entry of a plugin's parameter schema.
public struct ParameterSpec: Sendable, Equatable {
    /// The key, kebab-case, as users write it (`--attack-opt steps=20`, `--transform normalize:std=0.35`).
    public var name: String
    /// The type and the allowed values.
    public var kind: ParameterKind
    /// The value when none is given; the registry refuses a plugin whose default is invalid.
    public var defaultValue: ParameterValue
    /// One line for `brittle plugins info ID`.
    public var help: String

    /// The parameter `name` of `kind`, with its default and help line.
    public init(_ name: String, _ kind: ParameterKind, default defaultValue: ParameterValue, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// Parses and checks a value given as text (from the command line or a config file).
    public func parse(_ text: String, plugin: String) throws -> ParameterValue {
        func bad() -> ConfigurationError {
            ConfigurationError(plugin: plugin, parameter: name, message: "got '\(text)', expected \(kind.allowed)")
        }
        switch kind {
        case .int(let r):
            guard let v = Int(text), r.contains(v) else { throw bad() }
            return .int(v)
        case .float(let r):
            guard let v = Double(text), v.isFinite, r.contains(v) else { throw bad() }
            return .float(v)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: throw bad()
            }
        case .choice(let c):
            guard c.contains(text) else { throw bad() }
            return .string(text)
        case .string:
            return .string(text)
        case .intList(let r, let n):
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard !parts.isEmpty, parts.count <= n, parts.allSatisfy({ $0.map(r.contains) ?? false }) else { throw bad() }
            return .intList(parts.map { $0! })
        case .floatList:
            let parts = text.split(separator: "/").map { Double($0) }
            guard !parts.isEmpty, parts.allSatisfy({ $0?.isFinite ?? false }) else { throw bad() }
            return .floatList(parts.map { $0! })
        }
    }

    /// Checks a typed value against the schema (for configurations built in code).
    public func check(_ value: ParameterValue, plugin: String) throws {
        _ = try parse(value.description, plugin: plugin)
        switch (kind, value) {
        case (.int, .int), (.float, .float), (.float, .int), (.bool, .bool), (.choice, .string),
             (.string, .string), (.intList, .intList), (.floatList, .floatList):
            return
        default:
            throw ConfigurationError(plugin: plugin, parameter: name, message: "got \(value), expected \(kind.allowed)")
        }
    }
}

/// A configuration problem, naming the plugin, the parameter and what is allowed.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The plugin's id.
    public var plugin: String
    /// The parameter at fault, nil when the problem is the combination.
    public var parameter: String?
    /// What is wrong and what is allowed.
    public var message: String

    /// An error for `plugin` (and `parameter`, if one is at fault); throw it from `make...`
    /// for values that are valid alone but not together.
    public init(plugin: String, parameter: String?, message: String) {
        self.plugin = plugin
        self.parameter = parameter
        self.message = message
    }

    public var description: String {
        if let parameter { return "\(plugin): parameter '\(parameter)': \(message)" }
        return "\(plugin): \(message)"
    }
}

/// A complete, validated set of parameter values for one plugin: every schema entry present
/// (defaults filled in), nothing else. Plugins read it with typed accessors.
public struct Configuration: Sendable, Equatable, CustomStringConvertible {
    /// The id of the plugin this configuration is for.
    public let plugin: String
    /// Every parameter's value, by name (defaults filled in).
    public let values: [String: ParameterValue]

    /// Validates text values ("key" -> "value") against `schema`, filling in defaults.
    public init(plugin: String, schema: [ParameterSpec], text: [String: String]) throws {
        var v: [String: ParameterValue] = [:]
        for key in text.keys.sorted() where !schema.contains(where: { $0.name == key }) {
            let known = schema.map(\.name)
            throw ConfigurationError(
                plugin: plugin, parameter: key,
                message: "unknown parameter; \(plugin) takes " + (known.isEmpty ? "no parameters" : known.joined(separator: ", ")))
        }
        for spec in schema {
            v[spec.name] = try text[spec.name].map { try spec.parse($0, plugin: plugin) } ?? spec.defaultValue
        }
        self.plugin = plugin
        self.values = v
    }

    /// Validates typed values against `schema`, filling in defaults.
    public init(plugin: String, schema: [ParameterSpec], values given: [String: ParameterValue]) throws {
        try self.init(plugin: plugin, schema: schema, text: given.mapValues { $0.description })
    }

    /// The `.int` parameter `name`; a name not in the schema is a programming error (trap).
    public func int(_ name: String) -> Int {
        if case .int(let v)? = values[name] { return v }
        preconditionFailure("\(plugin): no integer parameter '\(name)' in its schema")
    }

    /// The `.float` (or `.int`) parameter `name` as a Double; traps on a name not in the schema.
    public func float(_ name: String) -> Double {
        switch values[name] {
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        default: preconditionFailure("\(plugin): no numeric parameter '\(name)' in its schema")
        }
    }

    /// The `.bool` parameter `name`; traps on a name not in the schema.
    public func bool(_ name: String) -> Bool {
        if case .bool(let v)? = values[name] { return v }
        preconditionFailure("\(plugin): no boolean parameter '\(name)' in its schema")
    }

    /// The `.string` or `.choice` parameter `name`; traps on a name not in the schema.
    public func string(_ name: String) -> String {
        if case .string(let v)? = values[name] { return v }
        preconditionFailure("\(plugin): no string parameter '\(name)' in its schema")
    }

    /// The `.intList` parameter `name`; traps on a name not in the schema.
    public func intList(_ name: String) -> [Int] {
        if case .intList(let v)? = values[name] { return v }
        preconditionFailure("\(plugin): no list parameter '\(name)' in its schema")
    }

    /// The `.floatList` parameter `name`; traps on a name not in the schema.
    public func floatList(_ name: String) -> [Double] {
        if case .floatList(let v)? = values[name] { return v }
        preconditionFailure("\(plugin): no number-list parameter '\(name)' in its schema")
    }

    /// Text form of every value, for checkpoints and manifests.
    public var text: [String: String] { values.mapValues { $0.description } }

    /// "eps=0.3, steps=10" in name order.
    public var description: String {
        values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ", ")
    }
}
