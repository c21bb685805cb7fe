// Figure 3's correlation with its uncertainty: one point per architecture (the mean over seeds of
// x = accuracy when trained on the relabelled set and y = transfer success, with their min-max),
// Pearson's r over those means, and a percentile bootstrap interval from resampling the
// architectures. Statistics only: the claim, the report's table and the scatter read it.
import BrittleNN

/// Figure 3 summarised per architecture, with Pearson's r and its bootstrap interval.
public struct TransferCorrelation: Sendable {
    /// One architecture over its seeds; figures in percent.
    public struct Architecture: Sendable, Equatable {
        /// The architecture spec, as in `transfer_architectures`.
        public var name: String
        /// Seeds (points) it was measured with.
        public var seeds: Int
        /// Means over the seeds.
        public var x: Double, y: Double
        /// Min-max over the seeds.
        public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    }

    /// In the order the architectures first appear in the transfer results.
    public let architectures: [Architecture]
    /// Pearson's r over the architectures' means (NaN with fewer than 2, or no spread).
    public let r: Double
    /// The 2.5th and 97.5th percentiles of r over resamples of the architectures (with
    /// replacement); nil with fewer than 3 architectures. Resamples whose r is undefined (every
    /// point the same architecture) are left out; `usableResamples` counts the rest.
    public let interval: ClosedRange<Double>?
    /// Resamples drawn, and how many gave a defined r.
    public let resamples: Int
    public let usableResamples: Int

    /// Summarises `transfer` (every architecture x seed of Figure 3); the bootstrap draws
    /// `resamples` resamples from a generator seeded with `seed` (the same figures every time).
    public init(_ transfer: [TransferResult], resamples: Int = 10_000, seed: UInt64 = 0xF163) {
        var order: [String] = []
        var byName: [String: [TransferResult]] = [:]
        for t in transfer {
            if byName[t.architecture] == nil { order.append(t.architecture) }
            byName[t.architecture, default: []].append(t)
        }
        architectures = order.map { name in
            let ts = byName[name]!
            let xs = ts.map { 100 * Double($0.accuracyTrainedOnRelabelled) }, ys = ts.map { 100 * Double($0.transferSuccess) }
            return Architecture(name: name, seeds: ts.count, x: mean(xs), y: mean(ys),
                                xRange: xs.min()!...xs.max()!, yRange: ys.min()!...ys.max()!)
        }
        let x = architectures.map(\.x), y = architectures.map(\.y)
        r = architectures.count >= 2 ? ReproductionClaims.pearson(x, y) : .nan
        self.resamples = resamples
        guard architectures.count >= 3, r.isFinite, resamples > 0 else {
            (interval, usableResamples) = (nil, 0)
            return
        }
        var rng = SeededGenerator(seed: seed)
        var rs: [Double] = []
        rs.reserveCapacity(resamples)
        let n = architectures.count
        for _ in 0..<resamples {
            let picks = (0..<n).map { _ in rng.nextInt(below: n) }
            let value = ReproductionClaims.pearson(picks.map { x[$0] }, picks.map { y[$0] })
            if value.isFinite { rs.append(value) }
        }
        usableResamples = rs.count
        interval = TransferCorrelation.percentileInterval(rs)
    }

    /// The 2.5th-97.5th percentile range of `values` (linear interpolation between order
    /// statistics, as numpy's default); nil when empty.
    static func percentileInterval(_ values: [Double]) -> ClosedRange<Double>? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
        }
        return quantile(0.025)...quantile(0.975)
    }

    /// "r = 0.41 (95% bootstrap interval -0.52 to 0.93 over 6 architectures, 10,000 resamples)",
    /// or without the interval when there is none.
    public var summary: String {
        var text = "Pearson r = " + (r.isFinite ? String(format: "%.2f", r) : "undefined")
        if let i = interval {
            text += String(format: " (95%% bootstrap interval %.2f to %.2f over %d architectures' means, %d resamples",
                           i.lowerBound, i.upperBound, architectures.count, resamples)
            if usableResamples < resamples { text += ", \(resamples - usableResamples) without spread left out" }
            text += ")"
        } else {
            text += " over \(architectures.count) architectures (no bootstrap interval below 3)"
        }
        return text
    }
}
