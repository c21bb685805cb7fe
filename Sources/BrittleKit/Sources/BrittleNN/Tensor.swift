// The Tensor value type: a shape and a contiguous, row-major Float32 buffer with value (copy-on-
// write) semantics. Image batches are NCHW everywhere in Brittle: (batch, channels, height,
// width), width fastest. Feature batches are (batch, features). Not an autodiff type: layers
// carry their own pullbacks (Layer.swift).

/// A dense Float32 array with a shape. Row-major (last axis fastest); images are NCHW.
public struct Tensor: Equatable, Sendable {
    /// Extent of each axis, outermost first.
    public var shape: [Int]
    /// The elements, row-major. `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// A tensor from its elements; `scalars.count` must match the shape.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in \(shape)")
        precondition(
            scalars.count == shape.reduce(1, *),
            "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor whose elements are written by `fill` (which must write all of them).
    public init(shape: [Int], unsafeUninitialized fill: (UnsafeMutablePointer<Float>, Int) -> Void) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { fill(buf.baseAddress!, n) }
            count = n
        }
    }

    /// Number of elements.
    @inlinable public var count: Int { scalars.count }
    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
    /// Extent of the first axis (the batch, for batched tensors).
    @inlinable public var batchSize: Int { shape.first ?? 1 }
    /// Elements per batch item.
    @inlinable public var itemSize: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Read access to the elements as a raw pointer (valid only inside `body`).
    @inlinable
    public func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0.baseAddress ?? UnsafePointer(bitPattern: 16)!) }
    }

    /// Write access to the elements as a raw pointer (valid only inside `body`).
    @inlinable
    public mutating func withUnsafeMutablePointer<R>(
        _ body: (UnsafeMutablePointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer {
            try body($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 16)!)
        }
    }

    /// Batch items `range` (along axis 0) as a new tensor.
    public func slice(_ range: Range<Int>) -> Tensor {
        let s = itemSize
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * s)..<(range.upperBound * s)]))
    }

    /// Batch items at `indices` (along axis 0), in that order.
    public func gather(_ indices: [Int]) -> Tensor {
        let s = itemSize
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(shape: newShape) { out, _ in
            withUnsafePointer { src in
                for (j, i) in indices.enumerated() {
                    (out + j * s).update(from: src + i * s, count: s)
                }
            }
        }
    }

    /// Concatenation along axis 0 of tensors with equal item shapes.
    public static func concatenate(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenate: nothing to concatenate")
        var shape = parts[0].shape
        shape[0] = parts.reduce(0) { $0 + $1.batchSize }
        var all: [Float] = []
        all.reserveCapacity(shape.reduce(1, *))
        for p in parts {
            precondition(Array(p.shape.dropFirst()) == Array(parts[0].shape.dropFirst()),
                         "Tensor.concatenate: item shapes differ")
            all.append(contentsOf: p.scalars)
        }
        return Tensor(shape: shape, scalars: all)
    }
}

extension Tensor {
    /// Elementwise sum (shapes must match).
    public static func + (l: Tensor, r: Tensor) -> Tensor {
        precondition(l.shape == r.shape, "Tensor +: shapes \(l.shape) and \(r.shape) differ")
        var out = l
        out.add(r)
        return out
    }

    /// Elementwise difference (shapes must match).
    public static func - (l: Tensor, r: Tensor) -> Tensor {
        precondition(l.shape == r.shape, "Tensor -: shapes \(l.shape) and \(r.shape) differ")
        var out = l
        out.add(r, scaledBy: -1)
        return out
    }

    /// Every element times `s`.
    public static func * (l: Tensor, s: Float) -> Tensor {
        var out = l
        out.scale(by: s)
        return out
    }

    /// self += alpha * other, in place.
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(count == other.count, "Tensor.add: \(shape) vs \(other.shape)")
        let n = count
        withUnsafeMutablePointer { d in
            other.withUnsafePointer { s in
                if alpha == 1 { for i in 0..<n { d[i] += s[i] } }
                else { for i in 0..<n { d[i] += alpha * s[i] } }
            }
        }
    }

    /// self *= s, in place.
    public mutating func scale(by s: Float) {
        let n = count
        withUnsafeMutablePointer { d in for i in 0..<n { d[i] *= s } }
    }

    /// Sum of all elements (Double accumulation).
    public func sum() -> Float {
        withUnsafePointer { p in
            var s = 0.0
            for i in 0..<count { s += Double(p[i]) }
            return Float(s)
        }
    }

    /// Largest absolute element (0 for an empty tensor).
    public func maxAbs() -> Float {
        scalars.reduce(0) { max($0, abs($1)) }
    }

    /// Dot product of all elements (Double accumulation).
    public func dot(_ other: Tensor) -> Double {
        precondition(count == other.count, "Tensor.dot: \(shape) vs \(other.shape)")
        return withUnsafePointer { a in
            other.withUnsafePointer { b in
                var s = 0.0
                for i in 0..<count { s += Double(a[i]) * Double(b[i]) }
                return s
            }
        }
    }

    /// Index of the largest element of each row of a (batch, classes) tensor.
    public func argmaxRows() -> [Int] {
        precondition(rank == 2, "argmaxRows needs a (batch, classes) tensor, got \(shape)")
        let n = shape[0], c = shape[1]
        return withUnsafePointer { p in
            (0..<n).map { i in
                var best = 0
                var bv = p[i * c]
                for j in 1..<c where p[i * c + j] > bv { bv = p[i * c + j]; best = j }
                return best
            }
        }
    }
}
