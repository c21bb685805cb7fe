// Agreement between two class lists: accuracy (predictions against true labels), attack success
// (predictions against targets), label overlap. One definition for every figure that says
// "accuracy", so each divides the same way; an empty list scores 0, never NaN.
// Not a metrics library: no confusion matrices, no per-class figures.

/// Counts and shares of positions where two class lists hold the same class.
public enum Agreement {
    /// Positions `i` where `a[i] == b[i]`. The two must have the same length.
    public static func count<A: Collection<Int>, B: Collection<Int>>(_ a: A, _ b: B) -> Int {
        precondition(a.count == b.count, "Agreement.count: \(a.count) against \(b.count) classes")
        var n = 0
        for (p, q) in zip(a, b) where p == q { n += 1 }
        return n
    }

    /// Share of positions where `a[i] == b[i]`, in [0, 1]; 0 for empty lists. Computed in
    /// `Float` as `count / n`, so it is the correctly rounded quotient.
    public static func accuracy<A: Collection<Int>, B: Collection<Int>>(_ a: A, _ b: B) -> Float {
        Float(count(a, b)) / Float(max(a.count, 1))
    }
}
