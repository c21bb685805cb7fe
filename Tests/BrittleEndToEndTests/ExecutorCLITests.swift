// The stage graph through the real binary, without a cluster: `--plan-only` (keys, edges, a
// changed setting re-keying exactly its dependents), the processes executor against the local
// one (same figures, byte-identical models, `reproduce compare` agreeing and catching a planted
// change), a stage that fails for real (a truncated model file) blocking only its dependents,
// `reproduce status` and `report` on the partial run, the rerun after the fix, and a sweep
// computing shared stages once. Slurm: SlurmExecutorTests.
import BrittleExperiments
import BrittleTestSupport
import Foundation
import XCTest

final class ExecutorCLITests: CLITestCase {
    /// The first word after `tag` on each stderr line that starts with it (a stage name).
    func stageLines(_ run: CLIRun, _ tag: String) -> [String] {
        run.stderr.split(separator: "\n").compactMap { line in
            line.hasPrefix(tag + " ") ? (line.dropFirst(tag.count + 1).split(separator: " ").first?.trimmingCharacters(in: [":"]) ?? "") : nil
        }
    }

    func readPlan(_ out: String) throws -> ReproductionPlan { try ReproductionPlan.read(out + "/plan.json") }

    /// model.safetensors of every finished training stage of `out`, by stage name.
    func models(_ out: String, plan: ReproductionPlan) -> [String: Data] {
        var m: [String: Data] = [:]
        for s in plan.stages {
            if let d = FileManager.default.contents(atPath: "\(out)/stages/\(s.directoryName)/\(Checkpoint.fileName)") { m[s.name] = d }
        }
        return m
    }

    func isFinished(_ out: String, _ s: PlannedStage) -> Bool { exists("\(out)/stages/\(s.directoryName)/stage.json") }

    /// --plan-only: plan.json with 64-hex keys and upstream-first edges, nothing run; one
    /// changed setting changes exactly the keys of the stages whose work it changes and of
    /// everything downstream of them (from the plan's own edges).
    func testPlanOnlyWritesTheGraphAndAChangedSettingRekeysExactlyItsDependents() throws {
        try fashionMNISTOrSkip()
        let a = path("plan-a"), b = path("plan-b")
        let first = try brittle(["reproduce", "all", "--preset", "smoke", "--plan-only", "--out", a])
        assertSuccess(first)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: a + "/stages")) ?? [], [], "--plan-only ran a stage")
        XCTAssertFalse(exists(a + "/results.json"))
        let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + "/plan.json"))) as! [String: Any]
        let rawStages = try XCTUnwrap(raw["stages"] as? [[String: Any]])
        for s in rawStages {
            for field in ["key", "name", "work", "data", "upstream", "code", "estimatedPasses"] {
                XCTAssertNotNil(s[field], "plan.json stage lacks \(field): \(s)")
            }
        }
        let plan = try readPlan(a)
        XCTAssertGreaterThan(plan.stages.count, 20)
        XCTAssertEqual(Set(plan.stages.map(\.key)).count, plan.stages.count, "duplicate keys")
        var seen = Set<String>()
        for s in plan.stages {
            XCTAssertTrue(s.key.count == 64 && s.key.allSatisfy { "0123456789abcdef".contains($0) }, "key \(s.key)")
            for u in s.upstream { XCTAssertTrue(seen.contains(u), "\(s.name) reads \(u), which is not an earlier stage") }
            seen.insert(s.key)
        }
        XCTAssertEqual(Set(plan.stages.map(\.work.kind)).count, 6, "every stage kind: \(Set(plan.stages.map(\.work.kind)))")
        for key in plan.runs[0].stageKeys { XCTAssertNotNil(plan.stage(key), "a run names a stage not in the plan") }

        assertSuccess(try brittle(["reproduce", "all", "--preset", "smoke", "--plan-only", "--set", "set_epochs=1", "--out", b]))
        let changed = try readPlan(b)
        XCTAssertEqual(changed.stages.map(\.name), plan.stages.map(\.name))
        let old = Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.name, $0) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // The stages whose own work changed: training on the constructed sets and D_sub.
        let direct = try changed.stages.filter { try encoder.encode($0.work) != encoder.encode(old[$0.name]!.work) }
        XCTAssertFalse(direct.isEmpty)
        XCTAssertTrue(direct.allSatisfy { $0.name.hasPrefix("train-") }, "\(direct.map(\.name))")
        var expected = Set(direct.map(\.name))
        for s in direct { expected.formUnion(changed.dependents(of: s.key).compactMap { changed.stage($0)?.name }) }
        let rekeyed = Set(changed.stages.filter { $0.key != old[$0.name]!.key }.map(\.name))
        XCTAssertEqual(rekeyed, expected)
        XCTAssertTrue(rekeyed.contains("transfer-s0") && !rekeyed.contains("robust-cnn-small-s0") && !rekeyed.contains("d_r-s0"), "\(rekeyed)")
    }

    /// processes (--jobs 2 --threads 2: one thread per stage) against local --threads 1: the
    /// same figures and byte-identical models. Then a stage that fails for real (the cached
    /// robust model's file truncated, D_R rebuilt from it with a new setting): exit 1 naming
    /// the stage and its log, only its dependents blocked, `status` and `report` on the partial
    /// run, and the rerun after the fix computes only what was missing.
    func testProcessesMatchLocalAndAFailedStageBlocksOnlyItsDependents() throws {
        try fashionMNISTOrSkip()
        let local = path("local"), procs = path("procs")
        let base = ["reproduce", "robust-features", "--preset", "smoke", "--no-bundle"]
        assertSuccess(try brittle(base + ["--threads", "1", "--out", local], timeout: 300))
        let run = try brittle(base + ["--executor", "processes", "--jobs", "2", "--threads", "2", "--out", procs], timeout: 300)
        assertSuccess(run)
        let plan = try readPlan(procs)
        XCTAssertEqual(plan.threads, 1)
        XCTAssertEqual(try readPlan(local).stages.map(\.key), plan.stages.map(\.key))
        XCTAssertEqual(Set(stageLines(run, "[stage]")), Set(plan.stages.map(\.name)))
        for s in plan.stages { XCTAssertTrue(exists("\(procs)/logs/\(s.directoryName).log"), "no log for \(s.name)") }
        let l = try ReproductionReport.readResults(local + "/results.json"), p = try ReproductionReport.readResults(procs + "/results.json")
        XCTAssertEqual(p.models.map(\.name), l.models.map(\.name))
        XCTAssertEqual(p.models.map(\.evaluation), l.models.map(\.evaluation), "processes and local figures differ")
        let lm = models(local, plan: plan), pm = models(procs, plan: plan)
        XCTAssertEqual(lm.count, plan.stages.filter { $0.work.kind == "train" }.count)
        XCTAssertEqual(Set(pm.keys), Set(lm.keys))
        for (name, bytes) in lm { XCTAssertTrue(pm[name] == bytes, "\(name): model.safetensors differs") }

        // `reproduce compare` says so for every stage (timings and the two runs' paths differ,
        // nothing else), then catches a changed figure in one stage's JSON.
        let same = try brittle(["reproduce", "compare", local, procs])
        assertSuccess(same)
        XCTAssertTrue(same.stdout.contains("\(plan.stages.count) of \(plan.stages.count) stages finished in both runs are identical"), same.stdout)
        XCTAssertTrue(same.stdout.contains("results.json: the same figures"), same.stdout)
        let planned = path("planned")
        assertSuccess(try brittle(base + ["--plan-only", "--out", planned]))
        let nothing = try brittle(["reproduce", "compare", local, planned])
        XCTAssertEqual(nothing.status, 1, nothing.transcript)
        XCTAssertTrue(nothing.stderr.contains("no stage finished in both") && nothing.stdout.isEmpty, nothing.transcript)
        let evaluation = try XCTUnwrap(plan.stages.first { $0.name == "eval-train-d_r-cnn-small-s0" })
        let evaluationFile = "\(procs)/stages/\(evaluation.directoryName)/evaluation.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: evaluationFile))
        var figures = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
        figures["cleanAccuracy"] = (figures["cleanAccuracy"] as! Double) + 0.001
        try JSONSerialization.data(withJSONObject: figures).write(to: URL(fileURLWithPath: evaluationFile))
        let changedFigure = try brittle(["reproduce", "compare", local, procs])
        XCTAssertEqual(changedFigure.status, 1, changedFigure.transcript)
        XCTAssertTrue(changedFigure.stdout.contains("DIFFERS    eval-train-d_r-cnn-small-s0: evaluation.json"), changedFigure.stdout)
        try original.write(to: URL(fileURLWithPath: evaluationFile))

        // The cached robust model's file truncated (a copy cut short); the sets built from the
        // models are rebuilt with a new setting, so D_R's construction reads the damaged file.
        let robust = try XCTUnwrap(plan.stages.first { $0.name == "robust-cnn-small-s0" })
        let modelFile = "\(procs)/stages/\(robust.directoryName)/\(Checkpoint.fileName)"
        let whole = try Data(contentsOf: URL(fileURLWithPath: modelFile))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: modelFile))
        let damaged = try brittle(["reproduce", "compare", local, procs])
        XCTAssertEqual(damaged.status, 1, damaged.transcript)
        XCTAssertTrue(damaged.stdout.contains("DIFFERS    robust-cnn-small-s0: \(Checkpoint.fileName)")
                      && damaged.stdout.contains("\(plan.stages.count - 1) of \(plan.stages.count) stages"), damaged.stdout)
        let changedArgs = base + ["--executor", "processes", "--jobs", "2", "--threads", "2", "--out", procs, "--set", "inversion_iterations=5"]
        let failing = try brittle(changedArgs, timeout: 300)
        let changed = try readPlan(procs)
        let bad = try XCTUnwrap(changed.stages.first { $0.name == "d_r-s0" })
        let badLog = "\(procs)/logs/\(bad.directoryName).log"
        XCTAssertEqual(failing.status, 1, failing.transcript)
        XCTAssertTrue(failing.stderr.contains("1 stage(s) failed, blocking 3") && failing.stderr.contains("  \(bad.name): exit status 1, log \(badLog)"),
                      failing.transcript)
        XCTAssertTrue(try String(contentsOfFile: badLog, encoding: .utf8).contains(Checkpoint.fileName), "the log does not name the damaged file")
        let dependents = changed.dependents(of: bad.key)
        let blockedNames = Set(dependents.compactMap { changed.stage($0)?.name })
        XCTAssertEqual(blockedNames, ["train-d_r-cnn-small-s0", "eval-train-d_r-cnn-small-s0", "ensemble-train-d_r-cnn-small-s0"])
        XCTAssertEqual(Set(stageLines(failing, "[blocked]")), blockedNames, failing.stderr)
        XCTAssertEqual(stageLines(failing, "[FAILED]"), [bad.name], failing.stderr)
        for s in changed.stages where s.key != bad.key && !dependents.contains(s.key) {
            XCTAssertTrue(isFinished(procs, s), "\(s.name) did not finish although it does not read the failed stage")
        }
        XCTAssertTrue(exists("\(procs)/stages/\(bad.directoryName).failed.json"))

        let status = try brittle(["reproduce", "status", procs])
        assertSuccess(status)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("failed") && $0.contains(bad.name) && $0.contains(badLog) }, status.stdout)
        for name in blockedNames { XCTAssertTrue(lines.contains { $0.hasPrefix("blocked") && $0.contains(name) }, status.stdout) }
        XCTAssertEqual(lines.filter { $0.hasPrefix("done") }.count, changed.stages.count - 4, status.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("work done: ") && $0.contains("of work left") }, status.stdout)

        // The partial run's report, re-rendered: the missing stages listed, no bundle.
        for f in ["report.md", "results.json"] { try? FileManager.default.removeItem(atPath: procs + "/" + f) }
        let report = try brittle(["reproduce", "report", procs])
        assertSuccess(report)
        XCTAssertTrue(report.stdout.contains("partial: 4 stages not finished"), report.transcript)
        XCTAssertTrue(exists(procs + "/report.md"))
        XCTAssertFalse(exists(procs + "/experiment.tar.zst"), "a partial run was bundled")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: procs + "/results.json"))) as! [String: Any]
        XCTAssertEqual(Set(json["missing_stages"] as? [String] ?? []), blockedNames.union([bad.name]))
        let partial = try ReproductionReport.readResults(procs + "/results.json")
        XCTAssertFalse(partial.models.contains { $0.name == "d_r" } || partial.sets.contains { $0.name == "d_r" })
        XCTAssertTrue(partial.models.contains { $0.name == "d_nr" })

        // The fix: the damaged model's stage directory removed. The rerun computes only it and
        // what was missing (the robust model's evaluation stays cached).
        try FileManager.default.removeItem(atPath: "\(procs)/stages/\(robust.directoryName)")
        let fixed = try brittle(changedArgs, timeout: 300)
        assertSuccess(fixed)
        XCTAssertEqual(Set(stageLines(fixed, "[stage]")), blockedNames.union([bad.name, robust.name]), fixed.stderr)
        XCTAssertTrue(models(procs, plan: changed)[robust.name] == lm[robust.name], "the recomputed robust model differs")
        XCTAssertFalse(exists("\(procs)/stages/\(bad.directoryName).failed.json"), "the failure marker outlived the fix")
        XCTAssertNil(try ReproductionReport.readResults(procs + "/results.json").missingStages?.first)
    }

    /// A 2-point grid x 1 seed: sweep.json and sweep.md, and every distinct stage of the graph
    /// computed exactly once (the points share their source models and sets).
    func testSweepComputesSharedStagesOnce() throws {
        try fashionMNISTOrSkip()
        let out = path("sweep")
        let run = try brittle(["sweep", "robust-features", "--preset", "smoke", "--grid", "set_epochs=1,2", "--seeds", "0",
                               "--set", "robust_evaluation=pgd", "--threads", "2", "--out", out], timeout: 300)
        assertSuccess(run)
        XCTAssertTrue(exists(out + "/sweep.json") && exists(out + "/sweep.md"), run.transcript)
        let plan = try readPlan(out)
        XCTAssertEqual(plan.runs.count, 2)
        let perRun = plan.runs.map { Set($0.stageKeys) }
        XCTAssertFalse(perRun[0].intersection(perRun[1]).isEmpty, "the points share no stage")
        XCTAssertLessThan(plan.stages.count, perRun[0].count + perRun[1].count + 2)
        let computed = stageLines(run, "[stage]")
        XCTAssertEqual(computed.count, plan.stages.count, run.stderr)
        XCTAssertEqual(Set(computed), Set(plan.stages.map(\.name)))
        XCTAssertEqual(computed.filter { $0 == "robust-cnn-small-s0" }.count, 1)

        // `sweep report` re-renders the page but keeps the sweep's command and how it ran.
        let command = "sweep robust-features --preset smoke --grid set_epochs=1,2 --seeds 0 --set robust_evaluation=pgd --threads 2 --out \(out)"
        let ran = try String(contentsOfFile: out + "/sweep.md", encoding: .utf8)
        XCTAssertTrue(ran.contains("on the `local` executor: \(plan.stages.count) distinct stages"), ran)
        XCTAssertTrue(ran.contains("Command: `brittle \(command)`\n"), ran)
        assertSuccess(try brittle(["sweep", "report", out]))
        let again = try String(contentsOfFile: out + "/sweep.md", encoding: .utf8)
        XCTAssertTrue(again.contains("on the `local` executor: \(plan.stages.count) distinct stages"), again)
        XCTAssertTrue(again.contains("Command: `brittle \(command)` (this page re-rendered from its finished stages by `brittle sweep report \(out)`)"), again)
    }
}
