// The small data sets the tests build again and again: random images in [0, 1] with cyclic
// labels, a 4-class "bright quadrant" task a tiny model learns in an epoch, and a 10-class
// MNIST-style IDX directory for the CLI. Seeded, so every run sees the same bytes.
// Models come from the in-tree plugins (TestPlugins.build). Not real data (Fashion-MNIST).
import BrittleIO
import BrittleNN
import Foundation

/// Seeded synthetic data sets for tests.
public enum Fixtures {
    /// `n` images of `shape` (per image) with uniform random pixels in [0, 1], labels i mod
    /// `classes`, class names "c0", "c1", ...
    public static func uniformData(_ n: Int, shape: [Int], classes: Int, seed: UInt64, name: String = "tiny")
        -> LabeledDataset
    {
        var rng = SeededGenerator(seed: seed)
        let images = Tensor(shape: [n] + shape) { p, count in
            for i in 0..<count { p[i] = rng.nextUniform() }
        }
        return LabeledDataset(images: images, labels: (0..<n).map { $0 % classes },
                              classNames: (0..<classes).map { "c\($0)" }, name: name)
    }

    /// 4 classes of 28x28 images: class k is brighter in quadrant k, over uniform noise.
    public static func quadrants(count: Int, seed: UInt64) -> LabeledDataset {
        var rng = SeededGenerator(seed: seed)
        var pixels = [Float](repeating: 0, count: count * 784)
        var labels: [Int] = []
        for i in 0..<count {
            let k = i % 4
            labels.append(k)
            for r in 0..<28 {
                for c in 0..<28 {
                    let inQuadrant = (r / 14) * 2 + (c / 14) == k
                    pixels[i * 784 + r * 28 + c] = 0.5 * rng.nextUniform() + (inQuadrant ? 0.5 : 0)
                }
            }
        }
        return LabeledDataset(images: Tensor(shape: [count, 1, 28, 28], scalars: pixels), labels: labels,
                              classNames: ["0", "1", "2", "3"], name: "synthetic")
    }

    /// Writes the four IDX files of a 10-class data set of 28x28 images into `dir`: class k
    /// is a bright 8x4 block at its own place on a 2x5 grid (jittered by a pixel) over noise.
    /// Returns the files' bytes by name.
    @discardableResult
    public static func writeSyntheticDigits(
        in dir: String, train: Int = 200, test: Int = 100, seed: UInt64 = 1
    ) throws -> [String: [UInt8]] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        func split(_ count: Int) -> (images: [UInt8], labels: [UInt8]) {
            var pixels = [UInt8](repeating: 0, count: count * 28 * 28)
            var labels: [UInt8] = []
            for i in 0..<count {
                let k = i % 10
                labels.append(UInt8(k))
                let base = i * 784
                for p in 0..<784 { pixels[base + p] = UInt8(rng.nextInt(below: 80)) }
                let top = 3 + 13 * (k / 5) + rng.nextInt(below: 3) - 1
                let left = 2 + 5 * (k % 5) + rng.nextInt(below: 3) - 1
                for r in top..<(top + 8) {
                    for c in left..<(left + 4) { pixels[base + r * 28 + c] = UInt8(180 + rng.nextInt(below: 76)) }
                }
            }
            return (pixels, labels)
        }
        let tr = split(train), te = split(test)
        let files: [String: [UInt8]] = [
            "train-images-idx3-ubyte": IDX.encodeImages(tr.images, count: train, rows: 28, cols: 28),
            "train-labels-idx1-ubyte": IDX.encodeLabels(tr.labels),
            "t10k-images-idx3-ubyte": IDX.encodeImages(te.images, count: test, rows: 28, cols: 28),
            "t10k-labels-idx1-ubyte": IDX.encodeLabels(te.labels),
        ]
        for (name, bytes) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        return files
    }
}
