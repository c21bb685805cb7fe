// The Slurm client against a REAL cluster (scripts/slurm-local.sh start; scripts/test.sh starts
// one): a job completes and logs, a non-zero exit is .failed with its code, an afterok dependent
// of a failed job never runs, cancel, requeue, the signal before the time limit, and the
// PreemptionSignal flag. No cluster: skipped locally, a failure under CI. No mocks.
import BrittleExperiments
import BrittleTestSupport
import Foundation
import XCTest

final class SlurmClusterTests: XCTestCase {
    private var scratch: TemporaryDirectory!

    override func setUpWithError() throws {
        scratch = try TemporaryDirectory("slurm")
    }

    override func tearDown() {
        scratch = nil
    }

    /// Whether a cluster answers, asked once per run: sinfo retries for up to a minute when the
    /// controller is down or the config missing, which must not cost each test that minute.
    private static let clusterAnswers: Bool = {
        let config = ProcessInfo.processInfo.environment["SLURM_CONF"] ?? "/etc/slurm/slurm.conf"
        guard FileManager.default.fileExists(atPath: config), let sinfo = ProcessRunner.which("sinfo"),
              let probe = try? ProcessRunner.start(sinfo, ["-h", "-o", "%T"], timeout: 20),
              let answer = try? probe.finish(reportingTimeout: false)
        else { return false }
        return answer.status == 0 && !answer.stdout.isEmpty
    }()

    /// The client, if a cluster answers; else the missing-prerequisite error (skip, or fail in CI).
    private func cluster() throws -> Slurm {
        guard Self.clusterAnswers else {
            throw missingPrerequisite("a running Slurm cluster: bash scripts/slurm-local.sh start")
        }
        return try Slurm()
    }

    private func request(_ name: String, _ command: [String]) -> SlurmJobRequest {
        SlurmJobRequest(name: name, command: command, workingDirectory: scratch.path,
                        logPath: scratch.path("logs/\(name)-%j.log"))
    }

    private func log(_ name: String, _ id: String) -> String {
        (try? String(contentsOfFile: scratch.path("logs/\(name)-\(id).log"), encoding: .utf8)) ?? "<no log>"
    }

    /// Polls job `id` until `done` holds (or `timeout` passes: a test failure) and returns the state.
    @discardableResult
    private func wait(
        _ slurm: Slurm, _ id: String, timeout: TimeInterval = 30, for what: String,
        file: StaticString = #filePath, line: UInt = #line, until done: (SlurmJobState) -> Bool
    ) throws -> SlurmJobState {
        let deadline = Date().addingTimeInterval(timeout)
        var state = try slurm.state(of: id)
        while !done(state) {
            guard Date() < deadline else {
                XCTFail("job \(id) not \(what) after \(Int(timeout)) s; last state \(state)", file: file, line: line)
                return state
            }
            Thread.sleep(forTimeInterval: 0.25)
            state = try slurm.state(of: id)
        }
        return state
    }

    func testTinyJobCompletesWithItsEnvironmentAndLog() throws {
        let slurm = try cluster()
        var tiny = request("tiny", ["/bin/sh", "-c", "echo \"job $SLURM_JOB_ID: $BRITTLE_PROBE\"; pwd"])
        tiny.environment = ["BRITTLE_PROBE": "it's \"quoted\" $HOME `x`"]
        let id = try slurm.submit(tiny)
        XCTAssertTrue(!id.isEmpty && id.allSatisfy(\.isNumber), "job id \(id)")
        let state = try wait(slurm, id, for: "final") { $0.isFinal }
        XCTAssertEqual(state, .completed, log("tiny", id))
        XCTAssertEqual(log("tiny", id), "job \(id): it's \"quoted\" $HOME `x`\n\(scratch.path)\n")
        let script = try String(contentsOfFile: scratch.path("logs/tiny.sbatch"), encoding: .utf8)
        XCTAssertTrue(script.contains("\nexec '/bin/sh' '-c' "), script)
        XCTAssertEqual(try slurm.states(of: [id, "999999999"]), [id: .completed, "999999999": .gone])
        XCTAssertEqual(try slurm.states(of: ["999999998"]), ["999999998": .gone])
    }

    func testNonZeroExitIsFailedWithItsExitCode() throws {
        let slurm = try cluster()
        let id = try slurm.submit(request("exit3", ["/bin/sh", "-c", "echo failing; exit 3"]))
        let state = try wait(slurm, id, for: "final") { $0.isFinal }
        XCTAssertEqual(state, .failed(exitCode: 3, reason: "NonZeroExitCode"), log("exit3", id))
    }

    func testAfterokDependentOfAFailedJobNeverRunsAndOfASuccessfulOneDoes() throws {
        let slurm = try cluster()
        let failing = try slurm.submit(request("parent-fails", ["/bin/sh", "-c", "sleep 1; exit 1"]))
        let succeeding = try slurm.submit(request("parent-succeeds", ["/bin/sh", "-c", "sleep 1"]))
        var orphan = request("orphan", ["/usr/bin/touch", scratch.path("orphan-ran")])
        orphan.dependencies = [failing]
        var child = request("child", ["/usr/bin/touch", scratch.path("child-ran")])
        child.dependencies = [succeeding]
        let orphanID = try slurm.submit(orphan), childID = try slurm.submit(child)
        XCTAssertEqual(try slurm.state(of: orphanID), .pending(reason: "Dependency"))

        XCTAssertEqual(try wait(slurm, failing, for: "final") { $0.isFinal }, .failed(exitCode: 1, reason: "NonZeroExitCode"))
        // The cluster cancels it (kill_invalid_depend / --kill-on-invalid-dep); without that it
        // would pend with DependencyNeverSatisfied, which isFinal also covers.
        let orphanState = try wait(slurm, orphanID, for: "final") { $0.isFinal }
        XCTAssertEqual(orphanState, .cancelled(reason: "DependencyNeverSatisfied"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("orphan-ran")), "the orphan ran")

        XCTAssertEqual(try wait(slurm, childID, for: "final") { $0.isFinal }, .completed, log("child", childID))
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path("child-ran")), "the child did not run")
    }

    func testCancelledRunningJobIsCancelledAndAJobWithoutRequeueRefusesIt() throws {
        let slurm = try cluster()
        let id = try slurm.submit(request("sleeper", ["/bin/sleep", "300"]))
        try wait(slurm, id, for: "running") { $0 == .running }
        XCTAssertThrowsError(try slurm.requeue(id), "requeue of a --no-requeue job") { error in
            XCTAssertTrue("\(error)".contains("scontrol requeue \(id)"), "\(error)")
        }
        let started = Date()
        try slurm.cancel([id])
        let state = try wait(slurm, id, for: "final") { $0.isFinal }
        guard case .cancelled = state else { return XCTFail("cancelled job is \(state)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "the cancel took its time")
        try slurm.cancel([id])  // an ended job: nothing to do, no error
    }

    func testRequeuedJobRunsItsScriptAgain() throws {
        let slurm = try cluster()
        let runs = scratch.path("runs.txt")
        var job = request("requeue", ["/bin/sh", "-c",
                                      "echo run ${SLURM_RESTART_COUNT:-0} >> \(runs); [ ${SLURM_RESTART_COUNT:-0} -ge 1 ] || exec sleep 300"])
        job.requeue = true
        let id = try slurm.submit(job)
        try wait(slurm, id, for: "running") { $0 == .running }
        let deadline = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: runs, encoding: .utf8)) == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        try slurm.requeue(id)
        // Pending again; squeue may show reason None for a moment before the scheduler sets the hold.
        let requeued = try wait(slurm, id, for: "pending with a reason") { if case .pending(let r) = $0 { return r != "None" } else { return false } }
        XCTAssertEqual(requeued, .pending(reason: "BeginTime"))
        // Slurm holds a requeued job back two minutes; the test lets it start now.
        try startRequeuedSlurmJob(id)
        XCTAssertEqual(try wait(slurm, id, for: "final") { $0.isFinal }, .completed, log("requeue", id))
        XCTAssertEqual(try String(contentsOfFile: runs, encoding: .utf8), "run 0\nrun 1\n")
        let show = try ProcessRunner.runTool("scontrol", ["show", "job", "-o", id], install: "apt-get install slurm-client")
        XCTAssertTrue(show.stdout.contains("Restarts=1"), show.stdout)
    }

    /// --signal=B:USR1@50 with a one-minute limit: the exec'd command itself gets USR1 (Slurm
    /// sends it up to a minute early, so typically within seconds) and ends cleanly.
    func testSignalBeforeTheTimeLimitReachesTheCommand() throws {
        let slurm = try cluster()
        var job = request("signal", ["/bin/bash", "-c", "trap 'echo got USR1; exit 0' USR1; echo started; while :; do sleep 0.2; done"])
        job.timeLimit = "1"
        job.signalBeforeEnd = ("USR1", 50)
        let id = try slurm.submit(job)
        let state = try wait(slurm, id, timeout: 75, for: "final") { $0.isFinal }
        XCTAssertEqual(state, .completed, log("signal", id))
        XCTAssertEqual(log("signal", id), "started\ngot USR1\n")
    }

    /// In this process, no cluster needed: SIGUSR1 sets the flag instead of killing the process,
    /// whichever thread the kernel delivers it to (sent 20 times, each must land).
    func testPreemptionSignalSetsTheFlagInsteadOfKilling() throws {
        PreemptionSignal.install()
        PreemptionSignal.install()  // idempotent
        for round in 0..<20 {
            PreemptionSignal.reset()
            XCTAssertFalse(PreemptionSignal.isRequested)
            let sent = Date()
            // Busy threads, so the signal may land on any of them.
            DispatchQueue.global().async { var x = 0; for i in 0..<2_000_000 { x &+= i }; _ = x }
            kill(getpid(), SIGUSR1)
            let deadline = Date().addingTimeInterval(2)
            while !PreemptionSignal.isRequested, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
            XCTAssertTrue(PreemptionSignal.isRequested, "round \(round): the signal was lost")
            let at = try XCTUnwrap(PreemptionSignal.requestedAt)
            XCTAssertEqual(at.timeIntervalSince(sent), 0, accuracy: 2, "round \(round)")
        }
        PreemptionSignal.reset()
        XCTAssertFalse(PreemptionSignal.isRequested)
        XCTAssertNil(PreemptionSignal.requestedAt)
    }

    /// No cluster needed: the errors a user meets name the fix.
    func testMissingToolsAndRequeueOutsideAJobNameTheFix() throws {
        XCTAssertThrowsError(try Slurm(binDirectory: scratch.path)) {
            XCTAssertTrue("\($0)".contains("sbatch is not installed") && "\($0)".contains("scripts/install-deps.sh"), "\($0)")
        }
        if ProcessInfo.processInfo.environment["SLURM_JOB_ID"] == nil {
            XCTAssertThrowsError(try Slurm.requeueCurrentJob()) { XCTAssertTrue("\($0)".contains("SLURM_JOB_ID"), "\($0)") }
        }
    }
}
