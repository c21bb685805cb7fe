// Conformance checks for architecture plugins: output shapes, the representation, input and
// parameter gradients against finite differences, evaluation vs training mode, save/load round
// trip by parameter name, seeded determinism, and a memory estimate (`costEstimate`) that
// counts the parameters and buffers `build` makes.
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

/// Checks an architecture plugin against the `ArchitecturePlugin` contract; call it from the
/// plugin's own tests: `XCTAssertEqual(ArchitectureConformance.check(MyArchitecture()), [])`.
public enum ArchitectureConformance {
    /// Checks `plugin` built with `parameters` for inputs of `inputShape`. Returns failures.
    public static func check(_ plugin: any ArchitecturePlugin, parameters: [String: String] = [:],
                             inputShape: [Int] = [1, 28, 28], classes: Int = 10) -> [String] {
        var r = ConformanceReport(plugin.id)
        func build(_ seed: UInt64, _ k: Int = classes) -> Classifier? {
            do { return try plugin.build(try plugin.configuration(parameters), inputShape: inputShape, classCount: k, seed: seed) } catch {
                r.expect(false, "build failed: \(error)")
                return nil
            }
        }
        guard let m = build(1) else { return r.failures }
        let x = randomImages(3, inputShape, seed: 2)
        let (rep, logits) = m.forward(x)
        r.expect(logits.shape == [3, classes], "logits shape \(logits.shape), expected [3, \(classes)]")
        r.expect(rep.rank == 2 && rep.shape[0] == 3, "representation shape \(rep.shape), expected (N, D)")
        r.expect(logits.scalars.allSatisfy { $0.isFinite }, "non-finite logits")
        // Logits, not probabilities (Documentation/attack-properties.md #14).
        let rowSums = (0..<3).map { i in (0..<classes).reduce(Float(0)) { $0 + logits.scalars[i * classes + $1] } }
        r.expect(!(logits.scalars.allSatisfy { $0 >= 0 } && rowSums.allSatisfy { abs($0 - 1) < 1e-4 }),
                 "outputs look like probabilities (non-negative, rows sum to 1): models must return logits")
        for k in [2, 3] { r.expect(build(1, k)?.logits(x).shape == [3, k], "wrong logits shape with \(k) classes") }

        // The memory estimate the host checks before building must describe what build makes.
        do {
            if let cost = try plugin.costEstimate(try plugin.configuration(parameters), inputShape: inputShape, classCount: classes) {
                let buffers = m.namedBuffers.reduce(0) { $0 + $1.1.value.count }
                r.expect(cost.parameters == m.parameterCount,
                         "costEstimate says \(cost.parameters) parameters, build made \(m.parameterCount)")
                r.expect(cost.buffers == buffers, "costEstimate says \(cost.buffers) buffer values, build made \(buffers)")
            }
        } catch { r.expect(false, "costEstimate failed: \(error)") }

        // Determinism: the same seed gives the same parameters; another seed different ones.
        if let a = build(7), let b = build(7), let c = build(8) {
            r.expect(a.namedParameters.map { $0.1.value } == b.namedParameters.map { $0.1.value }, "same seed, different parameters")
            r.expect(a.namedParameters.map { $0.1.value } != c.namedParameters.map { $0.1.value }, "different seeds, same parameters")
        }

        // Gradients against finite differences, both modes.
        for mode in [Mode.evaluation, .training] {
            m.mode = mode
            let labels = [0, 1 % classes, 2 % classes]
            func loss(_ t: Tensor) -> Double {
                CrossEntropy.evaluate(logits: m.logits(t), labels: labels).losses.reduce(0) { $0 + Double($1) }
            }
            m.zeroGradients()
            let (_, _, dx) = m.lossAndInputGradient(x, labels: labels)
            var rng = SeededGenerator(seed: 3)
            let v = Initializer.normal(x.shape, std: 1, rng: &rng)
            r.expect(matchesFiniteDifference(dx.dot(v), scale: loss(x)) { loss(x + v * $0) }, "input gradient disagrees with finite differences (\(mode))")
            m.zeroGradients()
            let (_, dz) = CrossEntropy.evaluate(logits: m.logits(x), labels: labels, reduction: .sum)
            m.backward(logitGradient: dz, parameterGradients: true, inputGradient: false)
            for (name, p) in m.namedParameters {
                var u = Tensor(shape: p.value.shape)
                for _ in 0..<4 { u.scalars[rng.nextInt(below: u.count)] = rng.nextNormal() }
                let saved = p.value
                let ok = matchesFiniteDifference(p.gradient.dot(u), scale: loss(x)) { h in
                    p.value = saved + u * h
                    defer { p.value = saved }
                    return loss(x)
                }
                r.expect(ok, "gradient of \(name) disagrees with finite differences (\(mode))")
            }
        }

        // Evaluation mode changes no state; the same input gives the same logits.
        m.mode = .evaluation
        let buffers = m.namedBuffers.map { $0.1.value }
        let l1 = m.logits(x), l2 = m.logits(x)
        r.expect(l1 == l2 && m.namedBuffers.map { $0.1.value } == buffers, "evaluation mode is not a pure function")

        // Save/load by name (what a checkpoint does) reproduces the logits bit for bit.
        if let fresh = build(99) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-conf-\(getpid())-\(plugin.id)")
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("m.safetensors").path
            do {
                try Safetensors.write((m.namedParameters + m.namedBuffers).map { (name: $0.0, tensor: $0.1.value) }, metadata: [:], to: path)
                let (tensors, _, _) = try Safetensors.read(path: path)
                for (name, p) in fresh.namedParameters + fresh.namedBuffers {
                    if let t = tensors[name] { p.value = t } else { r.expect(false, "saved model lacks '\(name)'") }
                }
                r.expect(fresh.logits(x) == m.logits(x), "save/load round trip changes the logits")
            } catch { r.expect(false, "save/load failed: \(error)") }
        }
        return r.failures
    }
}

/// Central differences at h = 1e-3, 3e-4, 1e-4 (ReLU/max-pool kinks spoil some step sizes, a
/// wrong gradient spoils all); `scale` sizes the float32 round-off allowance.
func matchesFiniteDifference(_ analytic: Double, scale: Double, _ f: (Float) -> Double) -> Bool {
    for h: Float in [1e-3, 3e-4, 1e-4] {
        let fd = (f(h) - f(-h)) / Double(2 * h)
        if abs(analytic - fd) <= 2e-2 * max(abs(analytic), abs(fd)) + 1e-6 * (abs(scale) + 1) / Double(h) { return true }
    }
    return false
}
