// HashPipeline: the bundle reader's second thread, which hashes decompressed chunks and feeds
// the entry sinks while the next chunk decompresses; at most `BundleReader.chunksInFlight`
// chunks exist. Not the reading loop or its checks: see BundleReader.swift.

import BrittleIO
import Foundation

/// Hands decompressed chunks to a second thread that hashes them and feeds the sinks, so
/// decompression and hashing (+ writing) overlap; at most `chunksInFlight` chunks exist.
final class HashPipeline: @unchecked Sendable {
    private enum Item {
        case begin(BundleEntry)
        case data(UnsafeMutableRawBufferPointer, Int)
        case end
        case stop
    }

    private let path: String
    private let makeSink: (BundleEntry) throws -> BundleEntrySink?
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var head = 0
    private var free: [UnsafeMutableRawBufferPointer] = []
    private var all: [UnsafeMutableRawBufferPointer] = []
    private var error: Error?
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(path: String, sink: @escaping (BundleEntry) throws -> BundleEntrySink?) {
        self.path = path
        self.makeSink = sink
        for _ in 0..<BundleReader.chunksInFlight {
            all.append(.allocate(byteCount: BundleReader.chunkSize, alignment: 64))
        }
        free = all
        let thread = Thread { [self] in consume() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { for b in all { b.deallocate() } }

    /// The worker's error, if it failed.
    var failure: Error? {
        condition.lock()
        defer { condition.unlock() }
        return error
    }

    func takeBuffer() -> UnsafeMutableRawBufferPointer {
        condition.lock()
        while free.isEmpty { condition.wait() }
        let b = free.removeLast()
        condition.unlock()
        return b
    }

    func giveBack(_ buffer: UnsafeMutableRawBufferPointer) {
        condition.lock()
        free.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    func begin(_ entry: BundleEntry) { push(.begin(entry)) }
    func data(_ buffer: UnsafeMutableRawBufferPointer, _ count: Int) { push(.data(buffer, count)) }
    func end() { push(.end) }

    /// Waits for the worker to drain the queue; throws its error.
    func finish() throws {
        stop()
        if let error = failure { throw error }
    }

    /// Ends the worker (idempotent) and waits for it.
    func stop() {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.unlock()
        guard first else { return }
        push(.stop)
        done.wait()
    }

    private func push(_ item: Item) {
        condition.lock()
        queue.append(item)
        condition.broadcast()
        condition.unlock()
    }

    private func pop() -> Item {
        condition.lock()
        while head == queue.count { condition.wait() }
        let item = queue[head]
        head += 1
        if head > 64 {
            queue.removeFirst(head)
            head = 0
        }
        condition.unlock()
        return item
    }

    private func consume() {
        var entry: BundleEntry?
        var hasher: SHA256?
        var sink: BundleEntrySink?
        var failed = false
        func fail(_ e: Error) {
            failed = true
            condition.lock()
            if error == nil { error = e }
            condition.unlock()
        }
        loop: while true {
            let item = pop()
            switch item {
            case .stop: break loop
            case .begin(let e):
                guard !failed else { continue }
                entry = e
                hasher = SHA256()
                do { sink = try makeSink(e) } catch { fail(error) }
            case .data(let buffer, let n):
                if !failed {
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                    hasher?.update(chunk)
                    do { try sink?.write(chunk) } catch { fail(error) }
                }
                giveBack(buffer)
            case .end:
                guard !failed, let e = entry, let h = hasher else { continue }
                let digest = h.finalize()
                if digest != e.sha256 {
                    fail(
                        DataError(
                            .mismatch, path: path,
                            problem: "entry '\(e.path)' is damaged: its SHA-256 is \(digest), the manifest says \(e.sha256)",
                            fix: "The bundle is corrupt or was modified: copy or download it again"))
                } else {
                    do { try sink?.finish() } catch { fail(error) }
                }
                entry = nil
                hasher = nil
                sink = nil
            }
        }
        done.signal()
    }
}
