// One rule for tests that need an optional tool or dataset (GNU tar with zstd, numpy, gzip,
// Fashion-MNIST): on a developer machine a missing one skips the test; under CI (CI set) it
// fails it, because scripts/install-deps.sh must have installed it and a skip would hide that.
import Foundation
import XCTest

struct MissingPrerequisite: Error, CustomStringConvertible {
    let description: String
}

/// The error to throw when `what` is missing: XCTSkip locally, a failure in CI.
func missingPrerequisite(_ what: String) -> Error {
    if ProcessInfo.processInfo.environment["CI"] != nil {
        return MissingPrerequisite(description: "\(what) — CI must install it (scripts/install-deps.sh)")
    }
    return XCTSkip(what)
}
