// Scratch memory for layers that work a few images at a time (convolution): a pool of Float
// buffers that a part of a parallel loop takes and gives back, so each concurrently running
// part has its own, buffers stay warm in cache from one part to the next, and the hot loop
// never allocates (a fresh allocation above glibc's mmap threshold page-faults on every use).
// Not for results: a buffer's contents are undefined when taken.
import Foundation

final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    private var free: [(UnsafeMutablePointer<Float>, Int)] = []
    private let lock = NSLock()

    private func take(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        lock.lock()
        defer { lock.unlock() }
        // The largest free buffer: grows the pool's buffers to the largest request over time.
        if let i = free.indices.max(by: { free[$0].1 < free[$1].1 }) {
            let b = free.remove(at: i)
            if b.1 >= count { return b }
            b.0.deallocate()
        }
        return (.allocate(capacity: count), count)
    }

    private func give(_ b: (UnsafeMutablePointer<Float>, Int)) {
        lock.lock()
        defer { lock.unlock() }
        free.append(b)
    }

    /// Runs `body` with a buffer of at least `count` floats (contents undefined).
    func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let b = take(max(count, 1))
        defer { give(b) }
        return body(b.0)
    }
}
