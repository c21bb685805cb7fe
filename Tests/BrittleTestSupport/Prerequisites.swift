// One rule for tests that need an optional tool or dataset (GNU tar with zstd, numpy, gzip,
// Fashion-MNIST): on a developer machine a missing one skips the test; under CI (CI set) it
// fails it, because scripts/install-deps.sh must have installed it and a skip would hide that.
// A tool that is present but rejects what Brittle wrote is neither: that is a test failure.
import BrittleIO
import Foundation
import XCTest

/// A prerequisite that CI must have installed is missing.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    /// What is missing and how to install it.
    public let description: String
}

/// The error to throw when `what` is missing: XCTSkip locally, a failure in CI.
/// `underCI` defaults to whether CI is set in the environment (a parameter, so both sides are tested).
public func missingPrerequisite(_ what: String, underCI: Bool = ProcessInfo.processInfo.environment["CI"] != nil) -> Error {
    if underCI {
        return MissingPrerequisite(description: "\(what) — CI must install it (scripts/install-deps.sh)")
    }
    return XCTSkip(what)
}

/// Throws the missing-prerequisite error unless the Debian Fashion-MNIST package is installed.
public func requireFashionMNIST() throws {
    guard FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz") else {
        throw missingPrerequisite("Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist)")
    }
}
