// Replays the fuzz seed corpus and every minimised crash input (Tests/Fuzz/{corpus,regressions}/
// TARGET/) through the fuzz targets, without sanitizers: a parser that traps again fails the
// suite. The inputs are not fuzzed here (scripts/fuzz.sh does that) and their errors are not
// checked; only that each one is refused or accepted without crashing.
import BrittleExperiments
import BrittleFuzzTargets
import BrittleTestSupport
import Foundation
import XCTest

final class FuzzRegressionTests: XCTestCase {
    private static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz").path

    private var savedBudget: (Int64, MemoryBudget)?

    /// The inputs run under the fuzzer's memory budget, as they did when they were found.
    override func setUp() {
        savedBudget = FuzzTargets.limitMemory()
    }

    override func tearDown() {
        savedBudget.map(FuzzTargets.restoreMemoryBudget)
        FuzzTargets.removeScratch()
    }

    /// Every target has a seed corpus (fuzz-all.sh runs what the corpus lists) and every
    /// corpus or regression directory names a target.
    func testCorpusDirectoriesMatchTheTargets() throws {
        let names = Set(FuzzTargets.all.map(\.name))
        XCTAssertEqual(names.count, FuzzTargets.all.count, "duplicate fuzz target names")
        let corpus = Set(try FileManager.default.contentsOfDirectory(atPath: Self.fuzzDirectory + "/corpus"))
        XCTAssertEqual(corpus, names, "Tests/Fuzz/corpus/ must hold one directory per fuzz target")
        let regressions = (try? FileManager.default.contentsOfDirectory(atPath: Self.fuzzDirectory + "/regressions")) ?? []
        for dir in regressions where !dir.hasPrefix(".") {
            XCTAssertTrue(names.contains(dir), "Tests/Fuzz/regressions/\(dir) names no fuzz target (known: \(FuzzTargets.names))")
        }
    }

    func testSeedCorpusRunsClean() throws {
        let count = try replay("corpus")
        XCTAssertGreaterThanOrEqual(count, FuzzTargets.all.count, "every target has at least one seed")
    }

    func testMinimisedCrashesStayFixed() throws {
        _ = try replay("regressions")
    }

    /// Scratch files live in one per-process directory that removeScratch clears.
    func testScratchDirectoryIsRemoved() throws {
        FuzzTargets.run("idx-gz", [0x1f, 0x8b])
        XCTAssertTrue(FileManager.default.fileExists(atPath: FuzzTargets.scratchDirectory))
        XCTAssertTrue(FuzzTargets.scratchDirectory.hasSuffix("/brittle-fuzz-\(getpid())"))
        FuzzTargets.removeScratch()
        XCTAssertFalse(FileManager.default.fileExists(atPath: FuzzTargets.scratchDirectory))
    }

    /// The custom mutation rewrites whole numbers (with their sign) to boundary values.
    func testNumberMutatorReplacesWholeNumbers() {
        var bytes = Array(#"{"size": 852, "shape": [-2, 3]}"#.utf8)
        var state: UInt64 = 0
        let original = bytes
        XCTAssertTrue(NumberMutator.mutate(&bytes, maxSize: 1000) { state += 1; return state })
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertNotEqual(bytes, original)
        XCTAssertTrue(NumberMutator.boundaries.contains { text.contains($0) }, text)
        var none = Array("no digits".utf8)
        XCTAssertFalse(NumberMutator.mutate(&none, maxSize: 1000) { 0 })
        var tight = Array("7".utf8)
        XCTAssertFalse(NumberMutator.mutate(&tight, maxSize: 1) { 12 }, "a longer value must respect maxSize")
    }

    /// Runs every file under `kind`/TARGET/ through TARGET; returns how many ran.
    private func replay(_ kind: String) throws -> Int {
        _ = TestPlugins.report  // the in-tree plugins, for the schema-driven targets
        var count = 0
        for target in FuzzTargets.all {
            let dir = "\(Self.fuzzDirectory)/\(kind)/\(target.name)"
            guard let files = FileManager.default.subpaths(atPath: dir) else { continue }
            for file in files.sorted() where !file.hasPrefix(".") {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir + "/" + file, isDirectory: &isDir), !isDir.boolValue
                else { continue }
                let bytes = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/" + file), "\(dir)/\(file)")
                target.run(Array(bytes))
                count += 1
            }
        }
        return count
    }
}
