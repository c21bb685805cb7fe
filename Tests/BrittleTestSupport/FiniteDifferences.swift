// Central finite differences for gradient checks: directional derivatives along random (or
// sparse) directions, compared with a ladder of step sizes so a ReLU or max-pool kink crossed
// at one step size does not fail a correct pullback (GradientCheckTests explains the ladder).
// Not the layer checks themselves (GradientCheckTests, LayerFastPathTests).
import BrittleNN
import XCTest

public func randomTensor(_ shape: [Int], _ rng: inout SeededGenerator, scale: Float = 1) -> Tensor {
    Initializer.normal(shape, std: scale, rng: &rng)
}

/// f(x) = <w, layer(x)> in Double.
public func probe(_ layer: Layer, _ x: Tensor, _ w: Tensor, _ mode: Mode) -> Double {
    layer.forward(x, mode: mode).dot(w)
}

/// L1 size of the terms of <w, y>.
public func termScale(_ y: Tensor, _ w: Tensor) -> Double {
    zip(y.scalars, w.scalars).reduce(0) { $0 + Double(abs($1.0 * $1.1)) }
}

/// A direction with `k` random non-zero coordinates: moving a whole weight tensor along a dense
/// direction shifts every pre-activation by ~h*sqrt(fanIn) and crosses ReLU kinks constantly.
public func sparseDirection(_ shape: [Int], _ rng: inout SeededGenerator, k: Int = 8) -> Tensor {
    var t = Tensor(shape: shape)
    for _ in 0..<min(k, t.count) { t.scalars[rng.nextInt(below: t.count)] = rng.nextNormal() }
    return t
}

/// Asserts that `analytic` and `numeric` agree to `rel` relative and `abs` absolute error.
public func assertClose(_ analytic: Double, _ numeric: Double, _ what: String, rel: Double = 2e-2, abs: Double = 2e-4,
                 file: StaticString = #filePath, line: UInt = #line) {
    let err = Swift.abs(analytic - numeric)
    XCTAssert(err <= rel * max(Swift.abs(analytic), Swift.abs(numeric)) + abs,
              "\(what): analytic \(analytic) vs finite difference \(numeric)", file: file, line: line)
}

/// Compares `analytic` with (f(h) - f(-h)) / 2h over a ladder of step sizes; `f(t)` evaluates
/// the function at the point moved by t along the direction. `scale` is the L1 size of the
/// terms f sums (float32 round-off in f is ~1e-6 of it, amplified by 1/2h).
public func assertDirectionalDerivative(_ analytic: Double, _ what: String, scale: Double = 1, file: StaticString = #filePath,
                                 line: UInt = #line, _ f: (Float) -> Double) {
    var tried: [String] = []
    for h: Float in [1e-3, 3e-4, 1e-4] {
        let fd = (f(h) - f(-h)) / Double(2 * h)
        let tol = 2e-2 * max(Swift.abs(analytic), Swift.abs(fd)) + 1e-6 * (scale + 1) / Double(h)
        if Swift.abs(analytic - fd) <= tol { return }
        tried.append("h=\(h): \(fd)")
    }
    XCTFail("\(what): analytic \(analytic) vs finite differences \(tried.joined(separator: ", "))", file: file, line: line)
}
