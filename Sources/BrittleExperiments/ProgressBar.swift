// A terminal progress bar for long loops (training epochs, evaluation): redraws one line on a
// TTY, prints a line every few seconds otherwise (logs, CI), always on standard error so
// standard output keeps only results. Not a logger: messages go through `note`.
import Foundation

/// Progress of one loop over `total` items, with throughput and ETA.
public final class ProgressBar {
    let title: String
    let total: Int
    let start = Date()
    var lastDraw = Date.distantPast
    let isTTY = isatty(STDERR_FILENO) != 0
    /// Set to false to silence (tests).
    public static nonisolated(unsafe) var enabled = true

    public init(_ title: String, total: Int) {
        self.title = title
        self.total = total
    }

    /// Reports `done` items finished, with extra fields such as "loss 0.31  acc 88.2%".
    public func update(_ done: Int, _ fields: String = "") {
        guard ProgressBar.enabled else { return }
        let now = Date()
        let final = done >= total
        guard final || now.timeIntervalSince(lastDraw) > (isTTY ? 0.2 : 10) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, done * width / total) : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\(title) [\(bar)] \(done)/\(total)  \(fields)  \(Int(rate)) img/s  "
            + (final ? "\(formatDuration(elapsed))" : "ETA \(formatDuration(eta))")
        if isTTY {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (final ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

/// "1m05s", "12.3s".
public func formatDuration(_ s: Double) -> String {
    if s >= 60 { return "\(Int(s) / 60)m\(String(format: "%02d", Int(s) % 60))s" }
    return String(format: "%.1fs", s)
}

/// Prints to standard error.
public func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
