// The Square Attack's starting points and proposals for ONE example (Andriushchenko et al., ECCV
// 2020; reference autoattack/square.py, `attack_single_run`): Linf vertical stripes and random
// signed squares, the L2 pseudo-Gaussian grid and the update that moves perturbation mass between
// two windows. Every draw comes from the example's own generator, where the reference draws the
// square's position and the window's orientation once per batch: Brittle's per-example
// independence needs this (an example's result must not depend on the rest of its batch).
// The positions are uniform over all h - s + 1 rows (the reference's random_int never picks the
// last). Not here: the schedule and the window patterns (BrittlePlugins/SquareSchedule.swift)
// nor the search loop that accepts or rejects proposals (SquareAttack.swift).
import BrittleNN
import BrittlePlugins

/// An example's layout and the threat model its proposals stay in (ball and box).
struct SquareGeometry {
    let channels: Int
    let height: Int
    let width: Int
    let threat: ThreatModel
    var features: Int { channels * height * width }

    /// The layout of one item of a batch of `shape` (N, C, H, W); (N, H, W) is one channel and
    /// (N, D) one row of D pixels.
    init(batchShape shape: [Int], threat: ThreatModel) {
        switch shape.count {
        case 4: (channels, height, width) = (shape[1], shape[2], shape[3])
        case 3: (channels, height, width) = (1, shape[1], shape[2])
        default: (channels, height, width) = (1, 1, shape.dropFirst().reduce(1, *))
        }
        self.threat = threat
    }

    @inline(__always) func clamp(_ v: Float) -> Float { min(max(v, threat.lowerBound), threat.upperBound) }

    @inline(__always) func index(_ c: Int, _ h: Int, _ w: Int) -> Int { (c * height + h) * width + w }

    /// -1 or +1 with equal probability.
    @inline(__always) func sign(_ rng: inout SeededGenerator) -> Float { rng.nextUniform() < 0.5 ? -1 : 1 }

    // MARK: Linf

    /// The Linf start: x + epsilon * (a random sign per channel and column), in the box.
    func linfStart(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        let eps = threat.epsilon
        for c in 0..<channels {
            for w in 0..<width {
                let s = sign(&rng)
                for h in 0..<height { out[index(c, h, w)] = clamp(x[index(c, h, w)] + eps * s) }
            }
        }
    }

    /// A Linf proposal from `current`: a square of side s (SquareSchedule.linfSide for fraction p)
    /// at a random position gets 2 epsilon times a random sign per channel, then the result is
    /// clipped to the epsilon ball around x and clamped to the box.
    func linfProposal(_ x: UnsafePointer<Float>, current: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                      fraction p: Double, rng: inout SeededGenerator) {
        let eps = threat.epsilon
        let s = SquareSchedule.linfSide(fraction: p, channels: channels, height: height, width: width)
        let top = rng.nextInt(below: height - s + 1), left = rng.nextInt(below: width - s + 1)
        for j in 0..<features { out[j] = current[j] }
        for c in 0..<channels {
            let step = 2 * eps * sign(&rng)
            for h in top..<(top + s) {
                for w in left..<(left + s) {
                    let j = index(c, h, w)
                    out[j] = clamp(min(max(current[j] + step, x[j] - eps), x[j] + eps))
                }
            }
        }
    }

    // MARK: L2

    /// The L2 start: a 5 x 5 grid of pseudo-Gaussian windows of side min(h, w)/5 (fewer on
    /// images under 5 pixels), centred, each with a random orientation and a random sign per
    /// channel; scaled onto the sphere of radius epsilon, then clamped to the box.
    func l2Start(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rng: inout SeededGenerator) {
        var delta = [Double](repeating: 0, count: features)
        let side = max(min(height, width) / 5, 1)
        let rows = min(5, height / side), columns = min(5, width / side)
        let top = (height - rows * side) / 2, left = (width - columns * side) / 2
        for r in 0..<rows {
            for q in 0..<columns {
                let window = SquareSchedule.pseudoGaussianWindow(side: side, transposed: rng.nextUniform() < 0.5)
                for c in 0..<channels {
                    let s = Double(sign(&rng))
                    for a in 0..<side {
                        for b in 0..<side {
                            delta[index(c, top + r * side + a, left + q * side + b)] += s * Double(window[a * side + b])
                        }
                    }
                }
            }
        }
        onSphere(x, delta, into: out)
    }

    /// An L2 proposal from `current` (Square Attack's L2 update): window 1 of side s
    /// (SquareSchedule.l2Side) gets, per channel, a random-signed pseudo-Gaussian window plus its
    /// old content scaled to unit norm, rescaled so that the mass of both windows plus the
    /// budget left outside them (split over the channels) lands in window 1; window 2 is
    /// emptied. The whole perturbation is then scaled onto the sphere of radius epsilon and the
    /// result clamped to the box.
    func l2Proposal(_ x: UnsafePointer<Float>, current: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                    fraction p: Double, rng: inout SeededGenerator) {
        let eps = Double(threat.epsilon)
        let s = SquareSchedule.l2Side(fraction: p, channels: channels, height: height, width: width)
        let top1 = rng.nextInt(below: height - s + 1), left1 = rng.nextInt(below: width - s + 1)
        let top2 = rng.nextInt(below: height - s + 1), left2 = rng.nextInt(below: width - s + 1)
        let window = SquareSchedule.pseudoGaussianWindow(side: s, transposed: rng.nextUniform() < 0.5)
        var delta = (0..<features).map { Double(current[$0]) - Double(x[$0]) }
        func inside(_ h: Int, _ w: Int, _ top: Int, _ left: Int) -> Bool {
            h >= top && h < top + s && w >= left && w < left + s
        }
        // The squared norms of the whole perturbation and of its part in the two windows.
        var imageSquared = 0.0, windowsSquared = 0.0
        for c in 0..<channels {
            for h in 0..<height {
                for w in 0..<width {
                    let v = delta[index(c, h, w)]
                    imageSquared += v * v
                    if inside(h, w, top1, left1) || inside(h, w, top2, left2) { windowsSquared += v * v }
                }
            }
        }
        let radius = (max(eps * eps - imageSquared, 0) / Double(channels) + windowsSquared).squareRoot()
        var fresh = [Double](repeating: 0, count: s * s)
        for c in 0..<channels {
            var oldSquared = 0.0
            for a in 0..<s { for b in 0..<s { let v = delta[index(c, top1 + a, left1 + b)]; oldSquared += v * v } }
            let oldScale = 1 / (1e-12 + oldSquared.squareRoot())
            let sgn = Double(sign(&rng))
            var freshSquared = 0.0
            for a in 0..<s {
                for b in 0..<s {
                    let v = Double(window[a * s + b]) * sgn + delta[index(c, top1 + a, left1 + b)] * oldScale
                    fresh[a * s + b] = v
                    freshSquared += v * v
                }
            }
            let scale = radius / (1e-12 + freshSquared.squareRoot())
            for a in 0..<s { for b in 0..<s { delta[index(c, top2 + a, left2 + b)] = 0 } }
            for a in 0..<s { for b in 0..<s { delta[index(c, top1 + a, left1 + b)] = fresh[a * s + b] * scale } }
        }
        onSphere(x, delta, into: out)
    }

    /// x + epsilon * delta / ||delta||_2, clamped to the box (the reference's `normalize`, whose
    /// 1e-12 keeps a zero perturbation at x).
    private func onSphere(_ x: UnsafePointer<Float>, _ delta: [Double], into out: UnsafeMutablePointer<Float>) {
        let norm = delta.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale = Double(threat.epsilon) / (norm + 1e-12)
        for j in 0..<features { out[j] = clamp(x[j] + Float(delta[j] * scale)) }
    }
}
