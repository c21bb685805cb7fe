// Conformance checks for transform plugins: shapes, counts and labels preserved when the plugin
// says so, determinism under a seed, inputs not mutated.
import BrittleIO
import BrittleNN
import BrittlePlugins

public enum TransformConformance {
    public static func check(_ plugin: any TransformPlugin, parameters: [String: String] = [:],
                             context: TransformContext = TransformContext(seed: 5)) -> [String] {
        var r = ConformanceReport(plugin.id)
        let config: Configuration
        do { config = try plugin.configuration(parameters) } catch {
            r.expect(false, "configuration rejected: \(error)")
            return r.failures
        }
        let data = LabeledDataset(images: randomImages(12, [1, 8, 8], seed: 1), labels: (0..<12).map { $0 % 3 },
                                  classNames: ["a", "b", "c"], name: "conformance")
        let before = data
        do {
            let a = try plugin.apply(data, configuration: config, context: context)
            let b = try plugin.apply(data, configuration: config, context: context)
            r.expect(data.images == before.images && data.labels == before.labels, "the input dataset was modified")
            r.expect(a.images == b.images && a.labels == b.labels, "not deterministic under a fixed seed")
            r.expect(a.images.scalars.allSatisfy { $0.isFinite }, "non-finite values")
            if plugin.preservesLabels {
                r.expect(a.count == data.count, "count changed (\(data.count) -> \(a.count)) though preservesLabels")
                r.expect(a.labels == data.labels, "labels changed though preservesLabels")
                r.expect(a.images.shape == data.images.shape, "image shape changed \(data.images.shape) -> \(a.images.shape)")
            }
        } catch { r.expect(false, "apply failed: \(error)") }
        return r.failures
    }
}
