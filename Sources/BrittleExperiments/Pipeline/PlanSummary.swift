// The table `--plan-only` prints: every stage of a plan with its kind, key, what it reads, its
// estimated cost and whether the cache already holds it. A view of plan.json, nothing more.
import Foundation

/// A readable view of a plan.
public enum PlanSummary {
    public static func render(_ plan: ReproductionPlan, cache: StageCache) -> String {
        let total = max(plan.stages.map(\.estimatedPasses).reduce(0, +), 1)
        var lines = ["stage                                    kind               key               reads  cost    cached"]
        for s in plan.stages {
            lines.append(s.name.padding(toLength: 40, withPad: " ", startingAt: 0) + " "
                         + s.work.kind.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + String(s.key.prefix(16)) + "  "
                         + String(format: "%5d  %5.1f%%  ", s.upstream.count, 100 * s.estimatedPasses / total)
                         + (cache.isFinished(s) ? "yes" : ""))
        }
        let cached = plan.stages.filter(cache.isFinished).count
        lines.append("")
        lines.append("\(plan.stages.count) stages (\(cached) finished already), \(plan.runs.count) run(s); cost = share of the "
                     + String(format: "%.3g", total) + " forward-equivalent image passes of the whole plan")
        return lines.joined(separator: "\n")
    }
}
