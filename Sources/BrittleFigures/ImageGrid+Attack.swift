// The grid `brittle attack` draws: one column per example, rows of originals (true labels),
// perturbations amplified through a diverging map (with their L2 and Linf norms), and the
// adversarial images with the model's predictions, red when wrong and green when right.
import BrittleNN
import Foundation

extension ImageGrid {
    /// A three-row grid of originals, amplified perturbations and adversarial images.
    ///
    /// - Parameters:
    ///   - originals: clean images (N, C, H, W) in [0, 1].
    ///   - adversarial: the attacked images, same shape.
    ///   - labels: the true label name of each example.
    ///   - predictions: the model's predicted label name on each adversarial image.
    ///   - amplification: factor applied to delta; `nil` picks the largest 1-2-5 value that keeps
    ///     the batch's largest |delta| inside the map.
    public static func attackExamples(
        originals: Tensor, adversarial: Tensor, labels: [String], predictions: [String],
        map: DivergingMap = .gray, amplification: Float? = nil, title: String = ""
    ) throws -> ImageGrid {
        guard originals.shape == adversarial.shape else {
            throw FigureError.invalidInput(
                figure: "ImageGrid",
                reason: "originals \(originals.shape) and adversarial images \(adversarial.shape) differ in shape")
        }
        let n = originals.rank == 4 ? originals.shape[0] : 0
        guard labels.count == n, predictions.count == n else {
            throw FigureError.invalidInput(
                figure: "ImageGrid",
                reason: "\(n) examples but \(labels.count) labels and \(predictions.count) predictions")
        }
        let delta = adversarial - originals
        let gain = amplification ?? ImageGrid.niceFloor(PerturbationImage.fullRangeAmplification(for: delta))
        let clean = try split(originals)
        let shown = try split(PerturbationImage.render(delta, map: map, amplification: gain))
        let attacked = try split(adversarial)
        let deltas = try split(delta)
        let gainText = gain == gain.rounded() ? String(Int(gain)) : String(format: "%g", Double(gain))
        return ImageGrid(
            rows: [
                clean.indices.map { Cell(clean[$0], caption: labels[$0]) },
                shown.indices.map { i in
                    let d = deltas[i].scalars
                    let l2 = d.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                    let linf = d.reduce(Float(0)) { max($0, abs($1)) }
                    return Cell(shown[i], caption: String(format: "L2 %.2f\nL∞ %.3f", l2, Double(linf)))
                },
                attacked.indices.map {
                    Cell(
                        attacked[$0], caption: "pred: \(predictions[$0])",
                        captionColor: predictions[$0] == labels[$0] ? .correct : .wrong)
                },
            ],
            rowTitles: ["original", "perturbation ×\(gainText)", "adversarial"], title: title)
    }

    /// The largest 1, 2 or 5 times a power of ten not above `v` (v > 0).
    static func niceFloor(_ v: Float) -> Float {
        guard v.isFinite, v > 0 else { return 1 }
        let p = Float(pow(10, floor(log10(Double(v)))))
        // The tolerance keeps 0.5 / 0.1000001 (a float32 epsilon) at 5 rather than 2.
        let f = v / p * (1 + 1e-4)
        return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p
    }
}
