// The host's memory budget: before a model is built, or before its activations are allocated,
// the bytes it will need are worked out from its architecture plugin's ModelCost and compared
// with the budget; a model that does not fit is refused with the estimate, the budget and the
// fix. Default budget: 3/4 of physical memory, or of the cgroup limit when that is lower.
// Not the estimate itself (BrittlePlugins/MemoryEstimate.swift) nor the CLI option (--max-memory).
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// A refusal: the estimate does not fit the budget, or a budget given by the user is impossible.
public struct MemoryBudgetError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How many bytes models and batches may take, and the check against it.
public struct MemoryBudget: Sendable, Equatable {
    /// The limit in bytes.
    public var bytes: Int64
    /// Where the limit comes from, for messages ("--max-memory 8G", "3/4 of physical memory").
    public var source: String

    public init(bytes: Int64, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The budget every check of this process uses (the CLI sets it from --max-memory).
    nonisolated(unsafe) public static var current = MemoryBudget.systemDefault()

    /// Examples `accuracy` and `Classifier.predict` run at once: a training run evaluates at this
    /// batch size too, and layers keep their largest scratch buffers.
    public static let evaluationBatchSize = 500

    /// 3/4 of physical memory, or of the cgroup memory limit when lower (the rest is for the
    /// datasets, the process and everything else on the machine).
    public static func systemDefault() -> MemoryBudget {
        let (total, what) = MemoryLimit.system
        return MemoryBudget(bytes: MemoryLimit.defaultBytes, source: "3/4 of \(what) (\(formatMemory(total)))")
    }

    /// Parses a byte count: digits with an optional K, M, G or T suffix (powers of 1024, an
    /// optional trailing "B" or "iB"), e.g. 8G, 512M, 1.5G, 1000000. Refuses 0, negative,
    /// non-finite and unparseable values, naming `flag`.
    public static func parseBytes(_ text: String, flag: String) throws -> Int64 {
        let fix = "give a positive size such as 512M, 8G or 1000000 (bytes)"
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count { t.removeLast(suffix.count); break }
        var scale: Double = 1
        if let last = t.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            scale = pow(1024, Double(power))
            t.removeLast()
        }
        if t.hasPrefix("-") { throw MemoryBudgetError("\(flag) '\(text)' is negative: \(fix)") }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let v = Double(t), v.isFinite else {
            throw MemoryBudgetError("\(flag) '\(text)' is not a size: \(fix)")
        }
        let bytes = (v * scale).rounded(.down)
        guard bytes >= 1 else { throw MemoryBudgetError("\(flag) '\(text)' is not a usable limit (it must be at least 1 byte): \(fix)") }
        guard bytes < 9.2e18 else { throw MemoryBudgetError("\(flag) '\(text)' is too large (at most 8E bytes): \(fix)") }
        return Int64(bytes)
    }

    /// What a model will be used for, which decides what memory it needs.
    public enum Use: Sendable, Equatable {
        /// Parameters, their gradients and SGD momentum, and activations for a training batch
        /// (and for the per-epoch evaluation batch).
        case training(batchSize: Int)
        /// Parameters (each with the gradient buffer every Parameter holds) and activations for
        /// the largest batch run at once (evaluation, attacks, constructions).
        case inference(batchSize: Int)
    }

    /// The bytes a model needs for `use`, by part.
    public struct Estimate: Sendable, Equatable, CustomStringConvertible {
        public var modelBytes: Int64
        public var activationBytes: Int64
        public var examples: Int
        public var training: Bool
        /// False when the architecture gave no estimate: only the parameters were counted.
        public var activationsEstimated = true
        public var totalBytes: Int64 { let (s, o) = modelBytes.addingReportingOverflow(activationBytes); return o ? .max : s }

        public var description: String {
            "\(formatMemory(totalBytes)) (\(training ? "parameters, gradients and momentum" : "parameters and gradients") "
                + "\(formatMemory(modelBytes)), "
                + (activationsEstimated ? "activations for \(examples) examples \(formatMemory(activationBytes)))" : "activations not estimated)")
        }
    }

    /// The bytes of `cost` for `use` (Float32: 4 bytes a scalar; saturating).
    public static func estimate(_ cost: ModelCost, use: Use) -> Estimate {
        let (copies, examples, training): (Int, Int, Bool)
        switch use {
        case .training(let b): (copies, examples, training) = (3, max(b, evaluationBatchSize), true)
        case .inference(let b): (copies, examples, training) = (2, max(b, 1), false)
        }
        let model = SizeArithmetic.product(4, SizeArithmetic.sum(SizeArithmetic.product(copies, cost.parameters), cost.buffers))
        let activations = SizeArithmetic.product(4, examples, cost.activationsPerExample)
        return Estimate(modelBytes: Int64(model), activationBytes: Int64(activations), examples: examples, training: training)
    }

    /// Checks the model `plugin` would build, BEFORE building it. Returns false when the plugin
    /// gives no estimate: the caller then builds and calls `check(_:use:)` on the result.
    @discardableResult
    public func check(_ plugin: any ArchitecturePlugin, configuration: Configuration, inputShape: [Int],
                      classCount: Int, use: Use) throws -> Bool {
        guard let cost = try plugin.costEstimate(configuration, inputShape: inputShape, classCount: classCount) else { return false }
        try require(MemoryBudget.estimate(cost, use: use), what: "\(plugin.id) (\(configuration.description))", use: use)
        return true
    }

    /// Checks a built or loaded model before its activations are allocated: its architecture's
    /// estimate, with the actual parameter count; for a plugin without an estimate, the
    /// parameters alone (and says so on standard error).
    public func check(_ model: Classifier, use: Use, registry: Registry = .shared) throws {
        let plugin = try? registry.architecture(model.architecture)
        let configuration = plugin.flatMap { try? $0.configuration(model.configuration) }
        var cost: ModelCost? = nil
        if let plugin, let configuration {
            cost = try plugin.costEstimate(configuration, inputShape: model.inputShape, classCount: model.classCount)
        }
        let known = cost != nil
        var c = cost ?? ModelCost()
        c.parameters = model.parameterCount
        c.buffers = model.namedBuffers.reduce(0) { SizeArithmetic.sum($0, $1.1.value.count) }
        // Input layers added by transforms (normalize) keep one more copy of the input.
        c.activationsPerExample = SizeArithmetic.sum(
            c.activationsPerExample, SizeArithmetic.product([model.inputTransforms.count] + model.inputShape))
        var e = MemoryBudget.estimate(c, use: use)
        e.activationsEstimated = known
        try require(e, what: "\(model.architecture) (\(configuration?.description ?? "as loaded"))", use: use)
        if !known {
            note("note: architecture \(model.architecture) gives no memory estimate (ArchitecturePlugin.costEstimate): "
                 + "only its \(model.parameterCount) parameters were checked against the memory budget, not its activations")
        }
    }

    func require(_ e: Estimate, what: String, use: Use) throws {
        guard e.totalBytes > bytes else { return }
        var fixes = ["raise the budget with --max-memory (e.g. --max-memory \(formatMemory(e.totalBytes, suffix: true)))"]
        switch use {
        case .training(let b):
            // Below the evaluation batch, a smaller training batch saves nothing.
            if b > MemoryBudget.evaluationBatchSize { fixes.append("use a smaller --batch-size") }
        case .inference:
            break
        }
        fixes.append("choose a smaller model (fewer or narrower layers, --arch-opt)")
        throw MemoryBudgetError(
            "\(what) needs an estimated \(e), more than the memory budget of \(formatMemory(bytes)) (\(source)). "
                + "Fix: " + fixes.joined(separator: ", or "))
    }
}
