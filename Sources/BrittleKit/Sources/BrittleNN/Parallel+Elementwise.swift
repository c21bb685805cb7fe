// Batch- and element-parallel loops for the layers. Splits are fixed by the thread count and
// the sizes only, so results do not depend on timing. Small work runs on the calling thread:
// waking a worker costs more than a few thousand flops.
import BrittleGEMM

let elementwiseGrain = 1 << 16

/// Runs `body` over chunks of `0..<count` elements, in parallel when there are enough of them.

func parallelElements(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forRange(count, grain: elementwiseGrain, align: 16, body)
}

/// Runs `body` over chunks of `0..<items` (images, channels, rows), each item of size `itemSize`.

func parallelItems(_ items: Int, itemSize: Int, _ body: (Range<Int>) -> Void) {
    let grain = max(1, elementwiseGrain / max(1, itemSize))
    Parallel.forRange(items, grain: grain, body)
}
