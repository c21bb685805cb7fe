// `invert-representation`: the paper's D_R / D_NR construction. Each image x is re-synthesised
// from a different random image (or noise) so that a model's penultimate representation matches
// g(x), by per-example normalised-L2 gradient descent (NormGeometry's step) clamped to [0, 1];
// the label is kept. The model is reached through its RepresentationOracle only.
// Not an attack (no epsilon ball). Reference: Ilyas et al. 2019, Sec. 3.1 and App. C.4.
import BrittleNN
import BrittlePlugins

/// Representation inversion: min over x_r of ||g(x_r) - g(x)||_2, starting far from x.
/// With a robust model's g this builds D_R; with a standard model's, D_NR. Reports the mean
/// relative distance ||g(x_r) - g(x)|| / ||g(x)|| ("relative-distance", per batch as
/// "batch-K/relative-distance") and at the start ("initial-relative-distance").
public final class InvertRepresentationTransform: ConstructionPlugin {
    public init() {}
    public let id = "invert-representation"
    public let version = "1.0.0"
    public let summary = "Re-synthesise each image to match a model's penultimate representation (the paper's D_R / D_NR)"
    public let parameters = [
        ParameterSpec("start", .choice(["other-image", "noise"]), default: .string("other-image"),
                      help: "Starting point: a different, randomly drawn image of the dataset, or uniform noise in [0, 1]"),
        ParameterSpec("step-size", .float(0...1000), default: .float(0.1),
                      help: "L2 length of each normalised gradient step (must be positive); the first step's with a decaying schedule"),
        ParameterSpec("step-schedule", .choice(StepSchedule.names), default: .string("constant"),
                      help: "Step length over the iterations: constant, or decaying linearly or along a half cosine towards 0"),
        ParameterSpec("iterations", .int(0...1_000_000), default: .int(1000),
                      help: "Gradient steps per example (0 = return the starting images)"),
        ParameterSpec("batch-size", .int(1...100_000), default: .int(250),
                      help: "Examples optimised together (results do not depend on it)"),
        ParameterSpec("best", .bool, default: .bool(true),
                      help: "Keep each example's iterate with the smallest distance, not the last (as the robustness library does)"),
    ]

    public var preservesLabels: Bool { true }

    public func makeConstruction(_ c: Configuration, registry: Registry) throws -> any DatasetConstruction {
        guard c.float("step-size") > 0 else {
            throw ConfigurationError(plugin: id, parameter: "step-size", message: "must be positive, got \(c.float("step-size"))")
        }
        return RepresentationInversion(step: Float(c.float("step-size")), schedule: StepSchedule(rawValue: c.string("step-schedule"))!,
                                       iterations: c.int("iterations"), batchSize: c.int("batch-size"),
                                       fromNoise: c.string("start") == "noise", keepBest: c.bool("best"))
    }
}

/// One configured inversion (see InvertRepresentationTransform).
final class RepresentationInversion: DatasetConstruction {
    let id = "invert-representation"
    let step: Float, schedule: StepSchedule, iterations: Int, batchSize: Int, fromNoise: Bool, keepBest: Bool

    init(step: Float, schedule: StepSchedule, iterations: Int, batchSize: Int, fromNoise: Bool, keepBest: Bool) {
        (self.step, self.schedule, self.iterations, self.batchSize, self.fromNoise, self.keepBest) =
            (step, schedule, iterations, batchSize, fromNoise, keepBest)
    }

    func construct(from data: LabeledDataset, using model: ConstructionModel, context: ConstructionContext) throws -> LabeledDataset {
        let oracle = model.representation
        guard data.imageShape == model.inputShape else {
            throw ConfigurationError(plugin: id, parameter: nil,
                                     message: "the model takes inputs \(model.inputShape), the dataset has images \(data.imageShape)")
        }
        let N = data.count, d = data.images.itemSize
        guard fromNoise || N >= 2 || N == 0 else {
            throw ConfigurationError(plugin: id, parameter: "start",
                                     message: "other-image needs at least 2 images (got \(N)); use start=noise")
        }
        var output = data
        var distances: [Double] = []      // final relative distances, examples with g(x) != 0
        var initial: [Double] = []
        var zeroRepresentations = 0
        let batches = (N + batchSize - 1) / batchSize
        for b in 0..<batches {
            let range = (b * batchSize)..<min(N, (b + 1) * batchSize)
            let B = range.count
            let target = oracle.representation(of: data.images.slice(range))
            let D = target.itemSize
            var xr = startingImages(data, range, fromNoise: fromNoise, seed: context.seed)
            var best = xr
            var bestLoss = [Double](repeating: .infinity, count: B)
            var startLoss = [Double](repeating: 0, count: B)
            // Per-example squared distances of representation r to the target, and d/dr = 2 (r - g(x)).
            func squaredDistances(_ representation: Tensor) -> (loss: [Double], gradient: Tensor) {
                var diff = representation
                var loss = [Double](repeating: 0, count: B)
                diff.withUnsafeMutablePointer { r in
                    target.withUnsafePointer { t in
                        for i in 0..<B {
                            var ss = 0.0
                            for j in 0..<D {
                                let v = r[i * D + j] - t[i * D + j]
                                ss += Double(v) * Double(v)
                                r[i * D + j] = 2 * v
                            }
                            loss[i] = ss
                        }
                    }
                }
                return (loss, diff)
            }
            func consider(_ x: Tensor, _ loss: [Double]) {
                best.withUnsafeMutablePointer { dst in
                    x.withUnsafePointer { src in
                        for i in 0..<B where !keepBest || loss[i] < bestLoss[i] {
                            bestLoss[i] = loss[i]
                            (dst + i * d).update(from: src + i * d, count: d)
                        }
                    }
                }
            }
            let geometry = NormGeometry(.l2)
            for it in 0..<iterations {
                let grad = oracle.inputGradient(at: xr) { representation in
                    let (loss, dg) = squaredDistances(representation)
                    if it == 0 { startLoss = loss }
                    consider(xr, loss)
                    return dg
                }
                // Per-example normalised descent step, then the clamp to [0, 1].
                let length = schedule.length(base: step, step: it, of: iterations)
                xr.withUnsafeMutablePointer { x in
                    grad.withUnsafePointer { g in
                        for i in 0..<B {
                            guard geometry.step(x + i * d, along: g + i * d, d, length: -length) else { continue }
                            for j in (i * d)..<((i + 1) * d) { x[j] = min(max(x[j], 0), 1) }
                        }
                    }
                }
                if it % 10 == 9 || it == iterations - 1 {
                    context.progress(range.lowerBound + B * (it + 1) / iterations, N, "batch \(b + 1)/\(batches)")
                }
            }
            let (finalLoss, _) = squaredDistances(oracle.representation(of: xr))
            if iterations == 0 { startLoss = finalLoss }
            consider(xr, finalLoss)

            // Relative distances ||g(x_r) - g(x)|| / ||g(x)||, for examples with g(x) != 0.
            var batchDistances: [Double] = []
            target.withUnsafePointer { t in
                for i in 0..<B {
                    var ss = 0.0
                    for j in 0..<D { ss += Double(t[i * D + j]) * Double(t[i * D + j]) }
                    guard ss > 0 else { zeroRepresentations += 1; continue }
                    batchDistances.append((bestLoss[i] / ss).squareRoot())
                    initial.append((startLoss[i] / ss).squareRoot())
                }
            }
            distances += batchDistances
            context.report("batch-\(b)/relative-distance", meanOf(batchDistances))
            output.images.withUnsafeMutablePointer { o in
                best.withUnsafePointer { src in (o + range.lowerBound * d).update(from: src, count: B * d) }
            }
            context.progress(range.upperBound, N, "batch \(b + 1)/\(batches)")
        }
        context.report("relative-distance", meanOf(distances))
        context.report("initial-relative-distance", meanOf(initial))
        if zeroRepresentations > 0 { context.report("zero-representations", Double(zeroRepresentations)) }
        return output
    }

    /// The starting points of examples `range`: for example i, a different image j != i drawn
    /// from stream(seed, i), or uniform noise from that stream. Depends on i only, not the batch.
    func startingImages(_ data: LabeledDataset, _ range: Range<Int>, fromNoise: Bool, seed: UInt64) -> Tensor {
        let d = data.images.itemSize, N = data.count
        var shape = data.images.shape
        shape[0] = range.count
        return Tensor(shape: shape) { out, _ in
            data.images.withUnsafePointer { src in
                for (k, i) in range.enumerated() {
                    var rng = SeededGenerator.stream(seed: seed, index: UInt64(i))
                    if fromNoise {
                        for j in 0..<d { out[k * d + j] = rng.nextUniform() }
                    } else {
                        var other = rng.nextInt(below: N - 1)
                        if other >= i { other += 1 }
                        (out + k * d).update(from: src + other * d, count: d)
                    }
                }
            }
        }
    }
}

/// Mean of `values` (0 when empty).
private func meanOf(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
}
