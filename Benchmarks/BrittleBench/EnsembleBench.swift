// `brittle-bench ensemble`: what the strong evaluation costs on a trained model. Seconds per
// 1,000 test images for PGD-20 and for each attack of the ensemble alone (apgd-ce, apgd-dlr,
// apgd-t, square), for the standard ensemble (each attack on what the ones before left robust),
// and for the ensemble with `stop-on-success` off (every APGD run to its last step), each beside
// PGD-20 as a ratio, with the robust accuracy each reached. No PyTorch reference: the figure the
// issue names is the cost relative to PGD-20 in the same run.
import ArgumentParser
import BrittleExperiments
import BrittleGEMM
import BrittleNN
import BrittlePlugins
import Foundation

struct EnsembleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ensemble",
        abstract: "Seconds per 1,000 images of PGD-20, each ensemble attack and the ensemble, on a trained model.")

    @Option(help: "A trained model (a run directory or model.safetensors).") var model: String
    @Option(help: "Norm: linf or l2.") var norm: String = "linf"
    @Option(help: "Epsilon, in pixel units.") var epsilon: Double = 0.02
    @Option(help: "Test images (the first ones).") var examples: Int = 200
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Dataset directory (default: Debian's dataset-fashion-mnist).") var dataDir: String?

    func validate() throws {
        guard ["linf", "l2"].contains(norm) else { throw ValidationError("--norm must be linf or l2, got '\(norm)'") }
        guard epsilon > 0, examples >= 1, threads >= 1 else { throw ValidationError("--epsilon must be positive; --examples and --threads at least 1") }
    }

    func run() throws {
        Parallel.threads = threads
        print(machineSummary())
        _ = PluginLoader.load(PluginLoader.searchPath(explicit: []))
        let path = model.hasSuffix(".safetensors") ? model : (model as NSString).appendingPathComponent(Checkpoint.fileName)
        let m = try Checkpoint.load(path, registry: .shared)
        let test = try DataSource(dataset: "fashion-mnist", dataDirectory: dataDir, testLimit: examples).test()
        let eps = "\(epsilon)"
        func member(_ id: String, _ extra: [String: String] = [:]) throws -> EnsembleMember {
            let p = try Registry.shared.attack(id)
            var text = ["epsilon": eps].merging(extra) { $1 }
            if p.parameters.contains(where: { $0.name == "norm" }) { text["norm"] = norm }
            return try EnsembleMember(plugin: p, configuration: try p.configuration(text))
        }
        let pgd = try member(norm == "linf" ? "pgd-linf" : "pgd-l2", ["steps": "20"])
        let standard = try EnsembleEvaluation.standardMembers.map { try member($0) }
        let exhaustive = try EnsembleEvaluation.standardMembers.map { id in
            try member(id, (try Registry.shared.attack(id)).parameters.contains { $0.name == "stop-on-success" } ? ["stop-on-success": "false"] : [:])
        }
        let runs: [(String, [EnsembleMember])] = [
            ("pgd-20", [pgd]), ("apgd-ce", [try member("apgd-ce")]), ("apgd-dlr", [try member("apgd-dlr")]),
            ("apgd-t", [try member("apgd-t")]), ("square", [try member("square")]),
            ("ensemble (standard)", standard), ("ensemble, stop-on-success off", exhaustive),
        ]
        print("\(m.architecture) \(model), \(test.count) test images, \(norm) epsilon \(eps), \(threads) threads")
        print("attack                            robust acc   s per 1000 images   x PGD-20")
        var pgdSeconds = Double.nan
        for (name, members) in runs {
            let start = Date()
            let r = EnsembleEvaluation.run(model: m, members: members, images: test.images, labels: test.labels, seed: 0)
            let perThousand = Date().timeIntervalSince(start) * 1000 / Double(test.count)
            if name == "pgd-20" { pgdSeconds = perThousand }
            // Padded by hand: %-32@ does not pad on Linux's Foundation.
            print(name.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: " %9.1f%%   %17.1f   %8.1f", 100 * r.robustAccuracy, perThousand, perThousand / pgdSeconds))
        }
    }
}
