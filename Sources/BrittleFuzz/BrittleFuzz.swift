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

/// libFuzzer's own mutations (byte flips, splices, dictionary words).
@_silgen_name("LLVMFuzzerMutate")
private func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// One mutation in four rewrites whole numbers to boundary values (NumberMutator): JSON sizes
/// near Int64.max are out of reach of byte flips. The rest are libFuzzer's own.
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzCustomMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt) -> Int {
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    func next() -> UInt64 {  // xorshift64*
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    if next() % 4 == 0 {
        var bytes = Array(UnsafeBufferPointer(start: data, count: size))
        if NumberMutator.mutate(&bytes, maxSize: maxSize, random: next) {
            bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
            return bytes.count
        }
    }
    return libFuzzerMutate(data, size, maxSize)
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
