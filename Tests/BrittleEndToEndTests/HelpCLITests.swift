// `brittle --help` and `brittle train --help` through the real binary: the subcommands and the
// options a user looks for; the top-level help checked against Golden/help.txt as a whole.
import BrittleTestSupport
import Foundation
import XCTest

final class HelpCLITests: CLITestCase {
    func testHelpListsSubcommandsAndMentionsFashionMNIST() throws {
        let run = try brittle(["--help"])
        assertSuccess(run)
        let text = flattened(run.stdout)
        XCTAssertTrue(text.contains("SUBCOMMANDS:"), run.transcript)
        for sub in ["train", "evaluate"] {
            XCTAssertNotNil(text.range(of: "SUBCOMMANDS:.* \(sub) ", options: .regularExpression),
                            "subcommand \(sub) not listed:\n\(run.transcript)")
        }
        XCTAssertTrue(text.contains("Fashion-MNIST"), run.transcript)
        assertMatchesGolden(run.stdout, "help.txt")
    }

    func testTrainHelpDocumentsArchEpochsAndOut() throws {
        let run = try brittle(["train", "--help"])
        assertSuccess(run)
        let text = flattened(run.stdout)
        for option in ["--arch <arch>", "--epochs <epochs>", "--out <out>"] {
            XCTAssertTrue(text.contains(option), "train --help lacks \(option):\n\(run.transcript)")
        }
    }
}
