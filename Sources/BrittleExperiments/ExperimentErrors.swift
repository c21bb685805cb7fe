// The errors of the experiments layer that are not about a file's bytes: a model that does not
// fit the data it is given, and a run configured so that it cannot work (a missing test split,
// a test set unlike the training set). Each names the problem and the fix, so a CLI prints it as
// is ("Error: ..." and exit status 1). Not DataError: that one is for damaged or unreadable files.
import BrittleIO
import BrittleNN
import Foundation

/// An error that names what is wrong and how to fix it, printed as `"<problem>. <fix>"`.
public protocol ProblemAndFix: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What is wrong, in words (both sides named where two things disagree).
    var problem: String { get }
    /// How to make it work.
    var fix: String { get }
}

extension ProblemAndFix {
    /// `"<problem>. <fix>"`.
    public var description: String { "\(problem). \(fix)" }
    /// Same as `description`, so `localizedDescription` is useful too.
    public var errorDescription: String? { description }
}

/// A model that does not fit the data it is given: another input shape or class count.
public struct ModelMismatchError: ProblemAndFix {
    /// What does not agree, in words (both sides named).
    public var problem: String
    /// How to make them agree.
    public var fix: String

    /// A mismatch described by `problem`, repaired by `fix`.
    public init(problem: String, fix: String) {
        self.problem = problem
        self.fix = fix
    }

    /// Throws when `model` does not take the images of `data` (named `role`, e.g. "test set").
    public static func checkInputs(of model: Classifier, fit data: LabeledDataset, role: String = "dataset") throws {
        guard data.imageShape != model.inputShape else { return }
        throw ModelMismatchError(
            problem: "the model takes inputs \(model.inputShape), the \(role) \(data.name) has images \(data.imageShape)",
            fix: "Use data of the model's input shape (--dataset / --test-dataset), or a model trained on this dataset")
    }
}

/// A run set up so that it cannot work, e.g. a training set without a test split and no other
/// test set named, or a test set whose images or classes differ from the training set's. (A
/// plugin parameter that does not fit its schema is BrittlePlugins' ConfigurationError.)
public struct SetupError: ProblemAndFix {
    /// What is wrong with the configuration, in words.
    public var problem: String
    /// How to fix it.
    public var fix: String

    /// A configuration problem `problem`, repaired by `fix`.
    public init(problem: String, fix: String) {
        self.problem = problem
        self.fix = fix
    }
}
