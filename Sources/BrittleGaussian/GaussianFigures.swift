// The figures of `brittle reproduce gaussian`, drawn with BrittleFigures from the results:
// accuracy under attack against ε, the robust covariance's spectrum against ε (closed form and
// numerical optimum), gradient alignment against ε, and a 2-D picture in the spirit of the
// paper's Figure 4 (one panel per ε: samples, both decision boundaries, both covariances).
// Not the numbers (GaussianExperiment.swift) nor the markdown (GaussianReport.swift).
import BrittleFigures
import BrittleExperiments
import Foundation

enum GaussianFigures {
    /// Accuracy (%) under the worst-case ℓ2 attack against the attack's ε, closed form: the
    /// standard classifier and the robust classifier of each nonzero training ε.
    static func attackedAccuracy(_ r: GaussianResults, to path: String) throws {
        let top = max(r.config.epsilons.max() ?? 1, 0.1)
        let grid = (0...60).map { top * Double($0) / 60 }
        var plot = LinePlot(title: "Accuracy under the worst-case ℓ2 attack (d = \(r.config.dimensions))",
                            xAxis: PlotAxis("attack ε (ℓ2)"), yAxis: PlotAxis("accuracy (%)", range: 0...100))
        let standard = r.model.bayesClassifier
        plot.series.append(.init("standard (Σ*⁻¹μ*)", x: grid, y: grid.map { 100 * standard.robustAccuracy(on: r.model, epsilon: $0) },
                                 color: .ink, showsMarkers: false))
        for (i, row) in r.epsilons.enumerated() where row.epsilon > 0 {
            let c = row.robust.classifier
            plot.series.append(.init(String(format: "robust, trained at ε = %g", row.epsilon), x: grid,
                                     y: grid.map { 100 * c.robustAccuracy(on: r.model, epsilon: $0) },
                                     color: .palette(i), showsMarkers: false, lineStyle: .dashed))
        }
        plot.referenceLines = [ReferenceLine(y: 50, label: "chance")]
        plot.legend = .outsideRight
        plot.width = 1000
        try plot.write(to: path)
    }

    /// log10 of the largest and smallest eigenvalue of Σ_r against ε, closed form (lines) and
    /// numerical minimiser of the robust objective (markers).
    static func robustCovariance(_ r: GaussianResults, to path: String) throws {
        let x = r.epsilons.map(\.epsilon)
        var plot = LinePlot(title: "Robust covariance Σ_r: extreme eigenvalues", xAxis: PlotAxis("ε"),
                            yAxis: PlotAxis("log10 eigenvalue"))
        plot.series.append(.init("largest, Theorem 2", x: x, y: r.epsilons.map { log10($0.robustEigenvalues.last!) }, color: .palette(0)))
        plot.series.append(.init("smallest, Theorem 2", x: x, y: r.epsilons.map { log10($0.robustEigenvalues.first!) }, color: .palette(1)))
        for (name, pick, color) in [("largest, numerical optimum", { (v: [Double]) in v.last! }, 0),
                                    ("smallest, numerical optimum", { (v: [Double]) in v.first! }, 1)] {
            var s = LinePlot.Series(name, x: x, y: r.epsilons.map { log10(pick($0.numericalEigenvalues)) },
                                    color: .palette(color), marker: .plus)
            s.showsLine = false
            s.markerSize = 14
            plot.series.append(s)
        }
        plot.legend = .lowerRight
        try plot.write(to: path)
    }

    /// cos(∇f_r, μ*) and its worst case over μ against ε.
    static func gradientAlignment(_ r: GaussianResults, to path: String) throws {
        let x = r.epsilons.map(\.epsilon)
        var plot = LinePlot(title: "Gradient alignment of the robust classifier", xAxis: PlotAxis("ε"),
                            yAxis: PlotAxis("cosine", range: 0...1))
        plot.series.append(.init("cos(∇f, μ*)", x: x, y: r.epsilons.map(\.gradientCosine)))
        plot.series.append(.init("worst case over μ: 2√κ/(1+κ)", x: x, y: r.epsilons.map(\.worstCaseGradientCosine), lineStyle: .dashed))
        plot.legend = .lowerRight
        try plot.write(to: path)
    }

    /// The 2-D model (one high- and one low-variance direction): per ε, 300 samples, the
    /// standard (Σ*) and robust (Σ_r) decision boundaries and 1-sd ellipses around ±μ*.
    static func twoDimensional(_ r: GaussianResults, to path: String) throws {
        let model = GaussianModel.standard(dimensions: 2)
        let sample = model.sample(count: 300, seed: r.config.seed &+ 11)
        let bound = 3.5
        var panels: [LinePlot] = []
        for (i, epsilon) in r.config.epsilons.enumerated() {
            let robust = RobustMLE.estimate(model, epsilon: epsilon)
            let eigen = robust.covariance.symmetricEigen.values
            var plot = LinePlot(title: String(format: "ε = %g: Σ_r eigenvalues %.3g, %.3g", epsilon, eigen[1], eigen[0]),
                                xAxis: PlotAxis("x₁ (high variance)", range: -bound...bound),
                                yAxis: PlotAxis("x₂ (low variance)", range: -bound...bound),
                                legend: i == 0 ? .lowerRight : .hidden, width: 460, height: 460)
            for (label, color) in [(1, 0), (-1, 1)] {
                let points = zip(sample.inputs, sample.labels).filter { $0.1 == label }.map { PlotPoint($0.0[0], $0.0[1]) }
                var s = LinePlot.Series(label > 0 ? "y = +1" : "y = −1", points: points, color: .palette(color), marker: .circle)
                s.showsLine = false
                s.markerSize = 4
                plot.series.append(s)
            }
            for (name, estimate, color, style) in [("standard", GaussianEstimate(mean: model.mean, covariance: model.covariance), FigureColor.ink, LineStyle.solid),
                                                   ("robust", robust, FigureColor.palette(2), LineStyle.dashed)] {
                plot.series.append(.init(name + " boundary", points: boundary(estimate.classifier.weights, bound: bound),
                                         color: color, showsMarkers: false, lineStyle: style))
                plot.series.append(.init(name + " Σ, 1 sd", points: ellipses(estimate, model: model),
                                         color: color, showsMarkers: false, lineStyle: style))
            }
            panels.append(plot)
        }
        try PlotGrid(panels: panels, columns: min(3, panels.count)).write(to: path)
    }

    /// The line wᵀx = 0 across the square [-bound, bound]².
    static func boundary(_ w: [Double], bound: Double) -> [PlotPoint] {
        let direction = [-w[1], w[0]]
        let scale = 2 * bound / vectorNorm(direction)
        return [PlotPoint(-scale * direction[0], -scale * direction[1]), PlotPoint(scale * direction[0], scale * direction[1])]
    }

    /// The 1-sd ellipses of Σ around +μ* and -μ*, separated by a break.
    static func ellipses(_ estimate: GaussianEstimate, model: GaussianModel) -> [PlotPoint] {
        let (values, V) = estimate.covariance.symmetricEigen
        var points: [PlotPoint] = []
        for sign in [1.0, -1.0] {
            if sign < 0 { points.append(PlotPoint(.nan, .nan)) }
            for k in 0...120 {
                let theta = 2 * Double.pi * Double(k) / 120
                let a = values[0].squareRoot() * cos(theta), b = values[1].squareRoot() * sin(theta)
                points.append(PlotPoint(sign * model.mean[0] + V[0, 0] * a + V[0, 1] * b,
                                        sign * model.mean[1] + V[1, 0] * a + V[1, 1] * b))
            }
        }
        return points
    }
}
