// Tests of the kit's one file layer (BrittleIO's AtomicFile and POSIXFile): a failed atomic write
// or directory publish leaves the old content and no temporary; the read loop returns every byte
// of a pipe fed in small, slow pieces. Not the formats built on them (IOTests, BundleTests).
import BrittleIO
import Foundation
import XCTest

final class FilePlumbingTests: XCTestCase {
    private var directory = ""
    private struct Boom: Error {}

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("brittle-plumbing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    func testAFailedAtomicWriteKeepsTheOldFileAndLeavesNoTemporary() throws {
        let target = directory + "/weights.bin"
        try AtomicFile.write(target, bytes: Array("old".utf8))
        XCTAssertThrowsError(
            try AtomicFile.write(target) { fd in
                try Array("half of the new".utf8).withUnsafeBytes { try POSIXFile.write(fd, $0, path: target) }
                throw Boom()
            }
        ) { XCTAssertTrue($0 is Boom, "\($0)") }
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
        XCTAssertEqual(try listing(), ["weights.bin"], "a temporary survived the failure")

        try AtomicFile.write(target, data: Data("new".utf8))
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new")
        XCTAssertEqual(try listing(), ["weights.bin"])

        let missing = directory + "/no/such/dir/x.bin"
        XCTAssertThrowsError(try AtomicFile.write(missing, bytes: [1])) {
            XCTAssertEqual(($0 as? DataError)?.kind, .missing, "\($0)")
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    func testAFailedDirectoryPublishLeavesNothingAndAnEmptyTargetIsReplaced() throws {
        let target = directory + "/starter"
        XCTAssertThrowsError(
            try AtomicFile.publishDirectory(target) { tmp in
                try AtomicFile.write(tmp + "/Package.swift", bytes: Array("// half".utf8))
                throw Boom()
            })
        XCTAssertEqual(try listing(), [], "a temporary directory survived the failure")

        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try AtomicFile.publishDirectory(target) { tmp in try AtomicFile.write(tmp + "/a.txt", bytes: [65]) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["a.txt"])
        XCTAssertThrowsError(try AtomicFile.publishDirectory(target) { _ in }) {
            XCTAssertTrue("\($0)".contains("not an empty directory"), "\($0)")
        }
        try AtomicFile.publishDirectory(target, replacing: true) { tmp in try AtomicFile.write(tmp + "/b.txt", bytes: [66]) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["b.txt"])
        XCTAssertEqual(try listing(), ["starter"])
    }

    func testTheReadLoopReadsEveryByteOfAPipeFedInSmallPieces() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let expected = (0..<4_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let writer = Thread {
            // 100 writes of 40 bytes, each after a pause: every read(2) returns a short count.
            for start in stride(from: 0, to: expected.count, by: 40) {
                expected[start..<(start + 40)].withUnsafeBytes { _ = write(writeEnd, $0.baseAddress, $0.count) }
                usleep(1_000)
            }
            close(writeEnd)
        }
        writer.start()
        var buffer = [UInt8](repeating: 0, count: expected.count + 100)
        let n = try buffer.withUnsafeMutableBytes { try POSIXFile.read(readEnd, into: $0, path: "pipe") }
        XCTAssertEqual(n, expected.count, "stopped at a short read")
        XCTAssertEqual(Array(buffer[0..<n]), expected)
    }
}
