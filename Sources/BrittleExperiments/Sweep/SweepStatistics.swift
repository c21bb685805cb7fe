// Summary statistics of one headline figure over the seeds of one grid point: n, mean, min,
// max, and a two-sided 95% Student-t interval of the mean when n >= 3 (with two seeds the
// interval is too wide to mean anything; with one it does not exist). Numbers only: no I/O.
import Foundation

/// A figure over seeds: count, mean, range and (n >= 3) a 95% t interval of the mean.
public struct SweepStatistics: Codable, Equatable, Sendable {
    /// The finite values summarised, in seed order.
    public var values: [Double]
    /// How many (finite) values.
    public var n: Int
    /// Mean of the values.
    public var mean: Double
    /// Smallest value.
    public var min: Double
    /// Largest value.
    public var max: Double
    /// Sample standard deviation (n - 1 in the denominator); nil when n < 2.
    public var standardDeviation: Double?
    /// Lower end of mean ± t(0.975, n-1) · s / sqrt(n); nil when n < 3.
    public var ci95Lower: Double?
    /// Upper end of the same interval; nil when n < 3.
    public var ci95Upper: Double?

    /// Summarises `values`, dropping non-finite ones (a figure a seed did not measure); nil if
    /// none is left.
    public init?(_ values: [Double]) {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max() else { return nil }
        self.values = v
        n = v.count
        mean = v.reduce(0, +) / Double(v.count)
        min = lo
        max = hi
        if n >= 2 {
            let m = mean
            let s = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
            standardDeviation = s
            if n >= 3 {
                let half = SweepStatistics.tQuantile975(degreesOfFreedom: n - 1) * s / Double(n).squareRoot()
                ci95Lower = mean - half
                ci95Upper = mean + half
            }
        }
    }

    /// t(0.975) with 1...30 degrees of freedom (checked against scipy.stats.t.ppf to 6 digits).
    static let tTable: [Double] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
    ]

    /// The 0.975 quantile of Student's t: the table up to 30 degrees of freedom, then the
    /// Cornish-Fisher expansion around the normal quantile (error below 1e-5 there).
    public static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "t quantile needs at least one degree of freedom")
        if df <= tTable.count { return tTable[df - 1] }
        let z = 1.959963984540054, v = Double(df)
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
    }
}
