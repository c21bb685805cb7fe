// `brittle reproduce --executor slurm` on the REAL single-node cluster (scripts/slurm-local.sh
// start): the same figures and byte-identical models as the local executor; a stage that fails
// for real reported with its job log, blocking only its dependents; submission without --wait
// (job ids, `status` while they run); a job cancelled mid-training and one warned with USR1
// (preemption) both resuming from their last epoch to byte-identical models. No cluster:
// skipped locally, a failure under CI. The Slurm client alone: SlurmClusterTests.
import BrittleExperiments
import BrittleTestSupport
import Foundation
import XCTest

final class SlurmExecutorTests: CLITestCase {
    /// Fails (or skips) the test unless a cluster answers.
    private func requireCluster() throws -> Slurm {
        let answer = ProcessRunner.which("sinfo").flatMap { try? ProcessRunner.run($0, ["-h", "-o", "%T"], timeout: 30) }
        guard let answer, answer.status == 0, !answer.stdout.isEmpty else {
            throw missingPrerequisite("a running Slurm cluster: bash scripts/slurm-local.sh start")
        }
        try fashionMNISTOrSkip()
        return try Slurm()
    }

    /// `brittle` with the executor polling Slurm every second.
    private func slurmBrittle(_ arguments: [String], timeout: TimeInterval = 300, file: StaticString = #filePath,
                              line: UInt = #line) throws -> CLIRun {
        try box.run(arguments, environment: ["BRITTLE_SLURM_POLL": "1"], timeout: timeout, file: file, line: line)
    }

    private func stageLines(_ run: CLIRun, _ tag: String) -> [String] {
        run.stderr.split(separator: "\n").compactMap { line in
            line.hasPrefix(tag + " ") ? String(line.dropFirst(tag.count + 1).split(separator: " ").first.map { $0.trimmingCharacters(in: [":"]) } ?? "") : nil
        }
    }

    private func models(_ out: String, plan: ReproductionPlan) -> [String: Data] {
        var m: [String: Data] = [:]
        for s in plan.stages {
            if let d = FileManager.default.contents(atPath: "\(out)/stages/\(s.directoryName)/\(Checkpoint.fileName)") { m[s.name] = d }
        }
        return m
    }

    private func isFinished(_ out: String, _ s: PlannedStage) -> Bool { exists("\(out)/stages/\(s.directoryName)/stage.json") }

    private func json<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return try e.encode(value)
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    @discardableResult
    private func waitFor(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    /// The transfer experiment (every stage kind) through `--executor slurm --wait` against the
    /// local executor, one thread per stage in both: the same figures, byte-identical models.
    /// Then the cached D_rand damaged and its models retrained (set_epochs=1): those jobs fail,
    /// reported with their job logs, and only their dependents are blocked (not failed).
    func testSlurmMatchesLocalAndAFailedStageBlocksOnlyItsDependents() throws {
        _ = try requireCluster()
        let local = path("local"), cluster = path("slurm")
        let base = ["reproduce", "transfer", "--preset", "smoke", "--set", "transfer_architectures=mlp", "--threads", "1", "--no-bundle"]
        let slurmArgs = base + ["--executor", "slurm", "--wait", "--out", cluster]
        assertSuccess(try brittle(base + ["--out", local], timeout: 300))
        let run = try slurmBrittle(slurmArgs)
        assertSuccess(run)
        let plan = try ReproductionPlan.read(cluster + "/plan.json")
        XCTAssertEqual(Set(plan.stages.map(\.work.kind)).count, 6, "not every stage kind: \(plan.stages.map(\.name))")
        let jobs = try RunDirectory(cluster).jobs()
        XCTAssertEqual(Set(jobs.keys), Set(plan.stages.map(\.key)), "jobs.json")
        for s in plan.stages {
            let job = try XCTUnwrap(jobs[s.key])
            XCTAssertEqual(job.log, "\(cluster)/logs/\(s.directoryName)-\(job.jobID).log")
            XCTAssertTrue(exists(job.log), "no log for \(s.name)")
        }
        XCTAssertEqual(Set(stageLines(run, "[submitted]")), Set(plan.stages.map(\.name)), run.stderr)
        let l = try ReproductionReport.readResults(local + "/results.json")
        let c = try ReproductionReport.readResults(cluster + "/results.json")
        XCTAssertEqual(c.models.map(\.name), l.models.map(\.name))
        XCTAssertEqual(c.models.map(\.evaluation), l.models.map(\.evaluation), "Slurm and local figures differ")
        XCTAssertEqual(c.models.map(\.transferredAccuracy), l.models.map(\.transferredAccuracy))
        XCTAssertEqual(c.models.map { $0.ensemble?.members.map(\.broken) }, l.models.map { $0.ensemble?.members.map(\.broken) },
                       "the ensemble broke different examples on Slurm")
        XCTAssertEqual(c.models.map { $0.ensemble?.robustAccuracy }, l.models.map { $0.ensemble?.robustAccuracy })
        XCTAssertEqual(try json(c.transfer), try json(l.transfer), "Figure 3 differs")
        XCTAssertFalse(c.transfer.isEmpty)
        let lm = models(local, plan: plan), cm = models(cluster, plan: plan)
        XCTAssertEqual(lm.count, plan.stages.filter { $0.work.kind == "train" }.count)
        XCTAssertEqual(Set(cm.keys), Set(lm.keys))
        for (name, bytes) in lm { XCTAssertTrue(cm[name] == bytes, "\(name): model.safetensors differs") }

        // D_rand damaged in the cache; the models trained on it are retrained and fail.
        let dRand = try XCTUnwrap(plan.stages.first { $0.name == "d_rand-s0" })
        try Data("not a dataset".utf8).write(to: URL(fileURLWithPath: "\(cluster)/stages/\(dRand.directoryName)/dataset.tar.zst"))
        let failing = try slurmBrittle(slurmArgs + ["--set", "set_epochs=1"])
        XCTAssertEqual(failing.status, 1, failing.transcript)
        let changed = try ReproductionPlan.read(cluster + "/plan.json")
        let newJobs = try RunDirectory(cluster).jobs()
        let bad = changed.stages.filter { $0.upstream.contains(dRand.key) && !isFinished(cluster, $0) }
        XCTAssertEqual(Set(bad.map(\.name)), ["train-d_rand-cnn-small-s0", "train-d_rand-mlp-s0"])
        var blocked = Set<String>()
        for s in bad { blocked.formUnion(changed.dependents(of: s.key)) }
        let blockedNames = Set(blocked.compactMap { changed.stage($0)?.name })
        XCTAssertEqual(blockedNames, ["eval-train-d_rand-cnn-small-s0", "ensemble-train-d_rand-cnn-small-s0", "transfer-s0"])
        XCTAssertEqual(Set(stageLines(failing, "[FAILED]")), Set(bad.map(\.name)), failing.stderr)
        XCTAssertEqual(Set(stageLines(failing, "[blocked]")), blockedNames, failing.stderr)
        XCTAssertTrue(failing.stderr.contains("2 stage(s) failed, blocking 3"), failing.transcript)
        for s in bad {
            let log = try XCTUnwrap(newJobs[s.key]).log
            XCTAssertTrue(failing.stderr.contains("\(s.name): exit status 1, log \(log)"), "\(s.name) not reported with \(log):\n\(failing.stderr)")
            XCTAssertTrue(try String(contentsOfFile: log, encoding: .utf8).contains("Error"), "the job log has no error")
        }
        for s in changed.stages where !blocked.contains(s.key) && !bad.contains(where: { $0.key == s.key }) {
            XCTAssertTrue(isFinished(cluster, s), "\(s.name) did not finish although it reads no failed stage")
        }
        for key in blocked { XCTAssertFalse(exists("\(cluster)/stages/\(changed.stage(key)!.directoryName).failed.json"), "a blocked stage recorded as failed") }
        let status = try brittle(["reproduce", "status", cluster])
        assertSuccess(status)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        for s in bad {
            let log = try XCTUnwrap(newJobs[s.key]).log
            XCTAssertTrue(lines.contains { $0.hasPrefix("failed") && $0.contains(s.name) && $0.contains(log) }, status.stdout)
        }
        for name in blockedNames { XCTAssertTrue(lines.contains { $0.hasPrefix("blocked") && $0.contains(name) }, status.stdout) }
    }

    /// robust-features with longer training of the two source models, submitted without
    /// --wait: job ids printed at once, `status` shows them queued or running. The robust
    /// model's job is cancelled (scancel) and the standard model's job warned with USR1 once each
    /// has finished an epoch: the warned job requeues itself (it does not fail); the next
    /// invocation resubmits the cancelled stage and its dependents; both resume from their last
    /// epoch, and the models are byte-identical to uninterrupted runs of the same stages.
    func testSubmitWithoutWaitCancelAndPreemptionResumeToIdenticalModels() throws {
        let slurm = try requireCluster()
        let out = path("slurm"), reference = path("reference")
        // PGD only: one job fewer per model (testSlurmMatchesLocal... covers the ensemble on Slurm).
        let settings = ["--preset", "smoke", "--set", "robust_epochs=5", "--set", "robust_train_limit=400", "--set", "standard_epochs=5",
                        "--set", "standard_train_limit=4000", "--set", "robust_evaluation=pgd", "--threads", "1", "--no-bundle"]
        let started = Date()
        let submit = try slurmBrittle(["reproduce", "robust-features", "--executor", "slurm", "--out", out] + settings, timeout: 60)
        assertSuccess(submit)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "submission did not return at once")
        let plan = try ReproductionPlan.read(out + "/plan.json")
        var jobs = try RunDirectory(out).jobs()
        XCTAssertEqual(Set(jobs.keys), Set(plan.stages.map(\.key)))
        let ids = jobs.values.map(\.jobID)
        XCTAssertTrue(submit.stdout.contains("submitted \(plan.stages.count) stage jobs: "), submit.stdout)
        for id in ids { XCTAssertTrue(submit.stdout.contains(id), "job \(id) not printed:\n\(submit.stdout)") }
        XCTAssertFalse(exists(out + "/results.json"), "results before the jobs ran")

        let status = try brittle(["reproduce", "status", out])
        assertSuccess(status)
        let rows = status.stdout.split(separator: "\n").filter { l in plan.stages.contains { l.contains(" \($0.name) ") } }
        XCTAssertEqual(rows.count, plan.stages.count, status.stdout)
        XCTAssertTrue(rows.contains { $0.hasPrefix("queued") || $0.hasPrefix("running") }, status.stdout)
        for row in rows where row.hasPrefix("queued") || row.hasPrefix("running") {
            XCTAssertTrue(ids.contains { row.contains("job \($0)") }, "no job id: \(row)")
        }
        XCTAssertTrue(rows.allSatisfy { $0.hasPrefix("queued") || $0.hasPrefix("running") || $0.hasPrefix("done") }, status.stdout)

        // Cancel the robust model's job and warn the standard model's, each after an epoch.
        let robust = try XCTUnwrap(plan.stages.first { $0.name == "robust-cnn-small-s0" })
        let standard = try XCTUnwrap(plan.stages.first { $0.name == "standard-cnn-small-s0" })
        let robustJob = jobs[robust.key]!.jobID, standardJob = jobs[standard.key]!.jobID
        let resume = { (s: PlannedStage) in "\(out)/stages/\(s.directoryName).resume.safetensors" }
        var cancelled = false, warned = false
        waitFor(240) {
            if !cancelled, exists(resume(robust)) {
                _ = try? ProcessRunner.runTool("scancel", [robustJob], install: "apt-get install slurm-client")
                cancelled = true
            }
            if !warned, exists(resume(standard)) {
                _ = try? ProcessRunner.runTool("scancel", ["--signal=USR1", "--batch", standardJob], install: "apt-get install slurm-client")
                warned = true
            }
            return cancelled && warned
        }
        XCTAssertTrue(cancelled && warned, "no epoch checkpoint: robust \(exists(resume(robust))), standard \(exists(resume(standard)))")
        // The warned job requeues itself: pending again (Slurm holds it back; let it start now).
        // squeue may show reason None for a moment before the scheduler sets the hold.
        var state = try slurm.state(of: standardJob)
        waitFor(60) { state = (try? slurm.state(of: standardJob)) ?? state; return (state.reason != nil && state.reason != "None") || state.isFinal }
        XCTAssertEqual(state.reason, "BeginTime", "the warned job is \(state), not requeued")
        try? startRequeuedSlurmJob(standardJob)
        XCTAssertFalse(exists("\(out)/stages/\(standard.directoryName).failed.json"), "the warned stage recorded a failure")
        var robustState = try slurm.state(of: robustJob)
        waitFor(60) { robustState = (try? slurm.state(of: robustJob)) ?? robustState; return robustState.isFinal }
        guard case .cancelled = robustState else { return XCTFail("the cancelled job is \(robustState)") }
        XCTAssertFalse(isFinished(out, robust))
        // Its dependents leave the queue (afterok can no longer be met).
        let orphans = plan.dependents(of: robust.key).compactMap { jobs[$0]?.jobID }
        waitFor(60) { ((try? slurm.states(of: orphans)) ?? [:]).values.allSatisfy(\.isFinal) }

        // The next invocation resubmits the cancelled stage and its dependents; the rest stays queued.
        let again = try slurmBrittle(["reproduce", "robust-features", "--executor", "slurm", "--out", out] + settings, timeout: 60)
        assertSuccess(again)
        let resubmitted = Set(stageLines(again, "[submitted]"))
        XCTAssertTrue(resubmitted.contains(robust.name) && !resubmitted.contains(standard.name), again.stderr)
        XCTAssertTrue(resubmitted.isSubset(of: Set(plan.dependents(of: robust.key).compactMap { plan.stage($0)?.name } + [robust.name])),
                      "resubmitted stages that were not cancelled: \(resubmitted)")
        jobs = try RunDirectory(out).jobs()
        XCTAssertNotEqual(jobs[robust.key]?.jobID, robustJob)
        XCTAssertEqual(jobs[standard.key]?.jobID, standardJob)

        // Poll `status` until every stage is done.
        var last = ""
        let done = try waitFor(300) {
            let s = try brittle(["reproduce", "status", out])
            last = s.stdout
            XCTAssertFalse(s.stdout.split(separator: "\n").contains { $0.hasPrefix("failed") || $0.hasPrefix("blocked") }, s.stdout)
            usleep(500_000)
            return s.stdout.contains("\(plan.stages.count) stages: \(plan.stages.count) done")
        }
        XCTAssertTrue(done, "not done:\n\(last)")
        let robustLog = try String(contentsOfFile: jobs[robust.key]!.log, encoding: .utf8)
        XCTAssertTrue(robustLog.contains("resuming after epoch"), "the resubmitted robust job did not resume:\n\(robustLog)")
        let standardLogs = try FileManager.default.contentsOfDirectory(atPath: out + "/logs").filter { $0.hasPrefix(standard.directoryName) && $0.hasSuffix(".log") }
        let standardLog = try standardLogs.map { try String(contentsOfFile: "\(out)/logs/\($0)", encoding: .utf8) }.joined()
        XCTAssertTrue(standardLog.contains("resuming after epoch"), "the requeued standard job did not resume:\n\(standardLog)")
        let show = try ProcessRunner.runTool("scontrol", ["show", "job", "-o", standardJob], install: "apt-get install slurm-client")
        XCTAssertTrue(show.stdout.contains("Restarts=1") && show.stdout.contains("JobState=COMPLETED"), show.stdout)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out + "/stages").filter { $0.hasSuffix(".resume.safetensors") || $0.hasSuffix(".failed.json") }
        XCTAssertEqual(leftovers, [])

        let report = try brittle(["reproduce", "report", "--no-bundle", out])
        assertSuccess(report)
        XCTAssertEqual(try ReproductionReport.readResults(out + "/results.json").missingStages ?? [], [])

        // The same two stages uninterrupted, from a plan of the same settings.
        assertSuccess(try brittle(["reproduce", "robust-features", "--plan-only", "--out", reference] + settings))
        let refPlan = try ReproductionPlan.read(reference + "/plan.json")
        for s in [standard, robust] {
            XCTAssertNotNil(refPlan.stage(s.key), "the reference plan lacks \(s.name)")
            assertSuccess(try brittle(["stage", "run", "--plan", reference + "/plan.json", "--stage", s.key, "--threads", "1"], timeout: 300))
            let a = FileManager.default.contents(atPath: "\(reference)/stages/\(s.directoryName)/\(Checkpoint.fileName)")
            let b = FileManager.default.contents(atPath: "\(out)/stages/\(s.directoryName)/\(Checkpoint.fileName)")
            XCTAssertNotNil(a)
            XCTAssertTrue(a == b, "\(s.name): the resumed model differs from the uninterrupted one")
        }
    }
}
