// SourceIdentity: a build tool plugin that gives a target a constant identity of its source
// code (the SHA-256 of its files' relative paths and contents), so that reproduction cache keys
// change exactly when the code that computes a stage changes. The hashing is the shell script
// beside this file (source-identity.sh, run by /bin/sh); this plugin only picks the files and
// what to declare. Not a cache itself: the pipeline puts the identities into its keys.
//
// What it generates depends on the target it is applied to:
// - in the BrittleKit package (applied to BrittlePlugins): ONE identity of the whole kit, every
//   Swift and C source file and header of every kit target (system libraries' shim headers too),
//   as `KitSourceIdentity.sha256`;
// - BrittleExperiments: `ExperimentsSourceIdentity.sha256`, of its sources EXCEPT files under any
//   directory named Pipeline, Report or Sweep: that code plans, schedules and renders stages and
//   never changes what a stage computes, so editing it must not invalidate cached stages (the
//   script applies this rule, so the tests can check it);
// - any other target (the in-tree plugin libraries; external plugin packages may use it too): a C
//   entry point `const char *brittle_library_source_identity(void)` returning the hash, an
//   OPTIONAL symbol of the plugin ABI that the host's loader reads with dlsym.
// The script's inputs are the hashed files, its output the generated file: it re-runs when a
// source changes and rewrites the output only when the hash changes.
import Foundation
import PackagePlugin

@main
struct SourceIdentity: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let script = try locateScript(context.package)

        let kind: String
        let base: URL
        let files: [URL]
        if context.package.displayName == "BrittleKit" {
            kind = "kit"
            base = context.package.directoryURL
            files = context.package.targets.flatMap { target -> [URL] in
                if let module = target as? SourceModuleTarget { return module.kind == .test ? [] : sources(of: module) }
                // A system library's shim header says what the kit compiles against.
                if target is SystemLibraryTarget { return headers(under: target.directoryURL) }
                return []
            }
        } else {
            kind = target.name == "BrittleExperiments" ? "experiments" : "library"
            base = target.directoryURL
            files = sources(of: target)
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("\(target.name)SourceIdentity.swift")
        return [
            .buildCommand(
                displayName: "Hashing the sources of \(target.name) (\(kind) identity)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, output.path, kind, base.path] + files.map(\.path),
                inputFiles: [script] + files,
                outputFiles: [output]),
        ]
    }

    /// The script beside this file: where the plugin was compiled from (#filePath), else (a
    /// checkout moved after the plugin was compiled) the kit among the package and its
    /// dependencies, which works for the root package and for external packages alike.
    private func locateScript(_ package: Package) throws -> URL {
        let relative = "BuildPlugins/SourceIdentity/source-identity.sh"
        var candidates = [URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("source-identity.sh")]
        var queue = [package], seen = Set<String>()
        while let next = queue.popLast() {
            guard seen.insert(next.directoryURL.path).inserted else { continue }
            candidates.append(next.directoryURL.appendingPathComponent(relative))
            queue += next.dependencies.map(\.package)
        }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw PluginError("SourceIdentity: cannot find source-identity.sh (looked at \(candidates.map(\.path).joined(separator: ", "))); "
            + "the script must stay beside the plugin in BrittleKit's \(relative)")
    }

    /// A target's Swift and C sources and headers, sorted (the script sorts again; this keeps
    /// the command line stable so the build system does not see a changed command). SwiftPM
    /// does not list a C target's headers as its source files, so they are found here.
    private func sources(of target: SourceModuleTarget) -> [URL] {
        var files = Set(target.sourceFiles.filter { $0.type == .source || $0.type == .header }.map(\.url))
        if target is ClangSourceModuleTarget { files.formUnion(headers(under: target.directoryURL)) }
        return files.sorted { $0.path < $1.path }
    }

    /// The C headers (`*.h`) anywhere under `directory`, sorted.
    private func headers(under directory: URL) -> [URL] {
        let walk = FileManager.default.enumerator(atPath: directory.path)
        return (walk?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".h") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }
}

/// A plugin failure with a message saying what to fix.
struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
