// `brittle-fuzz`: the libFuzzer entry point when built with `-DFUZZING` and the fuzzer
// sanitizer (target chosen by BRITTLE_FUZZ_TARGET; libFuzzer supplies main), otherwise a replay
// driver, `brittle-fuzz TARGET FILE_OR_DIR...`, that runs a target on saved inputs without
// sanitizers. Both run under FuzzTargets.fuzzMemoryBudget. Use scripts/fuzz.sh to fuzz; the
// targets themselves are in BrittleFuzzTargets.
import BrittleFuzzTargets
import Foundation

#if FUZZING

/// The target named by BRITTLE_FUZZ_TARGET, resolved on the first input.
private let fuzzTarget: FuzzTargets.Target = {
    let name = ProcessInfo.processInfo.environment["BRITTLE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.named(name) else {
        FileHandle.standardError.write(Data("brittle-fuzz: set BRITTLE_FUZZ_TARGET to one of: \(FuzzTargets.names)\n".utf8))
        exit(2)
    }
    FuzzTargets.limitMemory()
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    fuzzTarget.run(bytes)
    return 0
}

#else

@main
struct BrittleFuzzReplay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.count >= 2, let target = FuzzTargets.named(args[0]) else {
            let usage = """
                usage: brittle-fuzz TARGET FILE_OR_DIR...
                Runs a fuzz target on every file (directories are walked) without sanitizers; exits 0
                unless an input crashes it. Targets: \(FuzzTargets.names)
                To fuzz, see scripts/fuzz.sh.

                """
            FileHandle.standardError.write(Data(usage.utf8))
            exit(2)
        }
        FuzzTargets.limitMemory()
        var count = 0
        for path in args.dropFirst() {
            for file in files(under: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("brittle-fuzz: cannot read \(file)\n".utf8))
                    exit(1)
                }
                print("\(target.name): \(file)")
                target.run(Array(data))
                count += 1
            }
        }
        print("\(target.name): \(count) inputs ran clean")
    }

    /// `path` itself if it is a file, else every regular file below it, sorted.
    static func files(under path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [path] }
        guard isDir.boolValue else { return [path] }
        let rel = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
        return rel.map { path + "/" + $0 }.filter {
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
        }
    }
}

#endif
