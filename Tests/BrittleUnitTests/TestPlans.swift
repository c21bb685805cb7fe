// The plan of a configuration as the planner builds it, with stand-in code identities (the
// brittle code "brittle-code", each plugin as `identity` names it) over Fashion-MNIST's 60,000
// training images: what the planning tests (StagePlanTests, SetSeedTests, PresetBudgetTests)
// read, without hashing the build or touching the data.
@testable import BrittleExperiments
import BrittlePlugins

/// `config`'s plan for `experiments` at 2 threads, each plugin's identity as `identity` gives it.
func testPlan(_ config: ReproductionConfig, experiments: [ReproductionExperiment] = ReproductionExperiment.allCases,
              identity: @escaping (String) -> String = { "\($0)@1" }) throws -> ReproductionPlan {
    let code: ([String]) throws -> StageCode = { ids in
        StageCode(brittle: "brittle-code", plugins: Dictionary(uniqueKeysWithValues: Set(ids).map { ($0, identity($0)) }))
    }
    var planner = ReproductionPlanner(registry: .shared, trainCount: { _ in 60000 }, code: code)
    try planner.add(config, experiments: experiments)
    return planner.plan(threads: 2)
}
