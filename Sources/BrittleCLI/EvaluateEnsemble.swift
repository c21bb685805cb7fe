// `brittle evaluate --ensemble`: robust accuracy per epsilon under an AutoAttack-style ensemble
// (BrittleExperiments' EnsembleEvaluation) with its sanity flags, robustness.json and the curve.
// The options, their validation before any model or data is loaded, the table and the files;
// not the ensemble or the checks themselves, nor the single-attack path (Evaluate.swift).
import ArgumentParser
import BrittleExperiments
import BrittleIO
import BrittleNN
import BrittlePlugins
import Foundation

struct EnsembleOptions: ParsableArguments {
    @Option(help: "Run an ensemble instead of one attack: `standard` (\(EnsembleEvaluation.standardMembers.joined(separator: ","))) or comma-separated attack ids. Each attack runs on the examples every attack before it left classified correctly; an example is robust only if it survives all. Needs --norm and --eps; --attack-opt ID:KEY=VALUE sets one member's parameter, KEY=VALUE every member's that has KEY.")
    var ensemble: String?

    @Option(help: "With --ensemble: the threat model's norm, linf or l2 (given to every member that takes `norm`; the others must attack in it).")
    var norm: String?

    @Option(parsing: .unconditional, help: "With --ensemble: examples the sanity checks use, the first N of the test set (default \(SanityChecks.defaultSample); 0 turns off all but black-box-beats-white-box).")
    var sanitySample: Int?

    /// --sanity-sample or its default.
    var sample: Int { sanitySample ?? SanityChecks.defaultSample }

    /// --norm and --sanity-sample belong to --ensemble.
    func rejectWithoutEnsemble() throws {
        guard ensemble == nil else { return }
        if norm != nil || sanitySample != nil { throw OptionError("--norm and --sanity-sample need --ensemble (standard or ID,ID,...)") }
    }

    /// The member ids --ensemble names, or an error naming the fix.
    func memberIDs() throws -> [String] {
        guard let ensemble else { return [] }
        if ensemble == "standard" { return EnsembleEvaluation.standardMembers }
        let ids = ensemble.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if ids.contains("") {
            throw OptionError("--ensemble \(ensemble): empty attack id; give `standard` or attack ids separated by commas (e.g. --ensemble fgsm,pgd-linf)")
        }
        if let repeated = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
            throw OptionError("--ensemble \(ensemble): \(repeated) is given twice; give each attack once (configure it with --attack-opt \(repeated):KEY=VALUE)")
        }
        return ids
    }

    /// --norm as a Norm, or an error naming the fix.
    func threatNorm() throws -> Norm {
        guard let norm else {
            throw OptionError("--ensemble needs --norm linf or --norm l2: the threat model every member attacks in")
        }
        guard let n = Norm(rawValue: norm.lowercased()) else {
            throw OptionError("--norm \(norm): give linf or l2")
        }
        return n
    }
}

/// The validated ensemble: its members at each epsilon, made before any data is loaded.
struct EnsemblePlan {
    var name: String
    var norm: Norm
    var epsilons: [Double]
    var members: [[EnsembleMember]]
}

extension Evaluate {
    /// Option checks of the ensemble path that need no plugins (called by validate()).
    func validateEnsemble(pairs: [String: String], epsilons: [Double]?) throws {
        let ids = try ensembleOptions.memberIDs()
        if let attack {
            throw OptionError("--ensemble \(ensembleOptions.ensemble!) and --attack \(attack) are alternatives: give one (--attack runs one attack, --ensemble several in sequence)")
        }
        if steps != nil || restarts != nil {
            throw OptionError("with --ensemble give steps and restarts as --attack-opt steps=N (every member that takes it) or --attack-opt ID:steps=N (one member)")
        }
        _ = try ensembleOptions.threatNorm()
        guard epsilons != nil else {
            throw OptionError("--ensemble needs --eps LIST: the ensemble runs once per epsilon (e.g. --eps 0.03,0.06)")
        }
        for key in pairs.keys.sorted() {
            let name = key.split(separator: ":", maxSplits: 1).last.map(String.init) ?? key
            if name == "epsilon" || name == "norm" {
                throw OptionError("--attack-opt \(key)=\(pairs[key]!): with --ensemble the \(name) is set for every member by \(name == "norm" ? "--norm" : "--eps")")
            }
            if key.contains(":"), let id = key.split(separator: ":").first.map(String.init), !ids.contains(id) {
                throw OptionError("--attack-opt \(key)=\(pairs[key]!): \(id) is not in the ensemble (\(ids.joined(separator: ", "))); use one of its ids or KEY=VALUE for every member")
            }
        }
        if ensembleOptions.sample < 0 {
            throw OptionError("--sanity-sample must be at least 0 (0 turns the costly checks off), got \(ensembleOptions.sample)")
        }
    }

    /// The members at every epsilon, each configured and made: unknown ids get the registry's
    /// error, unknown keys and bad values the plugins'. Before any model or data is loaded.
    func ensemblePlan(registry: Registry) throws -> EnsemblePlan {
        let ids = try ensembleOptions.memberIDs()
        let norm = try ensembleOptions.threatNorm()
        let plugins = try ids.map { try registry.attack($0) }
        var shared: [String: String] = [:]
        var own: [String: [String: String]] = [:]
        for (key, value) in try attackParameters.values() {
            let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 { own[parts[0], default: [:]][parts[1]] = value } else { shared[key] = value }
        }
        for key in shared.keys.sorted() where !plugins.contains(where: { $0.parameters.contains { $0.name == key } }) {
            let takes = plugins.map { p in "\(p.id) takes \(p.parameters.map(\.name).joined(separator: ", "))" }
            throw OptionError("--attack-opt \(key)=\(shared[key]!): no member of the ensemble takes \(key) (\(takes.joined(separator: "; ")))")
        }
        let epsilons = try self.epsilons() ?? []
        let members = try epsilons.map { epsilon in
            try plugins.map { p -> EnsembleMember in
                let keys = Set(p.parameters.map(\.name))
                var text = shared.filter { keys.contains($0.key) }.merging(own[p.id] ?? [:]) { $1 }
                text["epsilon"] = String(epsilon)
                if keys.contains("norm") { text["norm"] = norm.rawValue }
                let member = try EnsembleMember(plugin: p, configuration: try p.configuration(text))
                let actual = member.attack.threatModel.norm
                guard actual == norm else {
                    throw OptionError("\(p.id) attacks in the \(actual.rawValue) norm, not --norm \(norm.rawValue): drop it from --ensemble or pick its \(norm.rawValue) counterpart")
                }
                return member
            }
        }
        return EnsemblePlan(name: ensembleOptions.ensemble!, norm: norm, epsilons: epsilons, members: members)
    }

    /// The ensemble path of run(): the plan, the model and data, one ensemble per epsilon with
    /// its table and flags, then robustness.json and robustness.png.
    func runEnsemble(registry: Registry) throws {
        let plan = try ensemblePlan(registry: registry)
        let m = try modelOption.load(registry: registry)
        let testSet = try data.source.test()
        try ModelMismatchError.checkInputs(of: m, fit: testSet, role: "test set")
        let seed = seedOption.seed, sample = ensembleOptions.sample
        let clean = Double(Agreement.count(m.predict(testSet.images), testSet.labels)) / Double(max(testSet.count, 1))
        print(String(format: "model: %@ (%@)\nclean test accuracy: %.2f%% (%d images)", modelOption.model, m.architecture, 100 * clean, testSet.count))
        var evaluations: [EnsembleEpsilonRecord] = []
        for (epsilon, members) in zip(plan.epsilons, plan.members) {
            print("\nensemble \(plan.name), \(plan.norm.rawValue) epsilon \(epsilon)")
            print("attack           version    attacked   broken   robust acc   seconds")
            var bar: (member: Int, bar: ProgressBar)?
            let result = EnsembleEvaluation.run(model: m, members: members, images: testSet.images, labels: testSet.labels, seed: seed) { k, done, total in
                if bar?.member != k { bar = (k, ProgressBar("\(members[k].id) eps \(epsilon)", total: total)) }
                bar?.bar.update(done)
            }
            for r in result.members {
                print(r.attack.padding(toLength: max(16, r.attack.count), withPad: " ", startingAt: 0) + " "
                      + r.attackVersion.padding(toLength: max(10, r.attackVersion.count), withPad: " ", startingAt: 0)
                      + String(format: " %8d %8d %11.2f%% %9.1f", r.attacked, r.broken, 100 * r.robustAccuracy, r.seconds))
            }
            print(String(format: "final robust accuracy: %.2f%% (epsilon %@)", 100 * result.robustAccuracy, "\(epsilon)" as NSString))
            let flags = SanityChecks.all(model: m, members: members, result: result, images: testSet.images, labels: testSet.labels,
                                         sample: sample, seed: seed)
            for f in flags { print("FLAG \(f.id): \(f.message)") }
            if flags.isEmpty { print("sanity checks: no flags" + (sample == 0 ? " (--sanity-sample 0: only black-box-beats-white-box ran)" : "")) }
            evaluations.append(EnsembleEpsilonRecord(epsilon: epsilon, result: result, flags: flags))
        }
        let record = EnsembleRecord(model: modelOption.model, architecture: m.architecture, dataset: testSet.name, examples: testSet.count,
                                    cleanAccuracy: clean, ensemble: plan.name, norm: plan.norm, seed: seed, sanitySample: min(sample, testSet.count),
                                    members: plan.members[0].map(EnsembleMemberRecord.init), evaluations: evaluations)
        let dirName = "evaluation-ensemble-" + (plan.name == "standard" ? "standard" : (try ensembleOptions.memberIDs()).joined(separator: "-"))
        try writeRobustness(json: try prettyJSON(record), directoryName: dirName,
                            points: evaluations.map { ($0.epsilon, $0.result.robustAccuracy) },
                            title: "Robust accuracy under the \(plan.name) ensemble", norm: plan.norm, cleanAccuracy: clean,
                            architecture: m.architecture, examples: testSet.count, classCount: m.classCount)
    }
}
