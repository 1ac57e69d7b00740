import ArgumentParser
import Foundation
import Registry

/// `snn registry …`: operations on a registry as a whole.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Copy a registry between SQLite and PostgreSQL.",
        subcommands: [Migrate.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every run, metric, artifact, study and trial from one registry to another.",
            discussion: """
                LOCATION is a file path, sqlite:PATH or postgres://user@host[:port]/db. The copy is one \
                transaction in the target: it happens entirely or not at all. By default the target must \
                be empty (no runs, no studies) and every row keeps its id, so run ids quoted elsewhere stay \
                valid. With --append the target may hold rows already: copied runs and studies get new ids \
                (references follow), and a study whose name the target already uses is refused.
                The source is only read; workers may keep running on it, but rows they write during \
                the copy may or may not be included.
                """)

        @Option(help: ArgumentHelp("The registry to copy from.", valueName: "location")) var from: String
        @Option(
            help: ArgumentHelp("The registry to copy into (created when it is a missing file).", valueName: "location"))
        var to: String
        @Flag(help: "Add to a non-empty target under new ids instead of refusing.") var append = false

        func run() throws {
            var readOnly = RegistryOptions()
            readOnly.createIfMissing = false
            let source = try RunRegistry.open(location: from, options: readOnly)
            let target = try RunRegistry.open(location: to)
            guard source.location != target.location else {
                throw ValidationError("--from and --to name the same registry")
            }
            let snapshot = try source.snapshot()
            try target.restore(snapshot, append: append)
            let counts = snapshot.rowCounts.map { "\($0.rows) \($0.table)" }.joined(separator: ", ")
            print(
                "copied \(counts) from \(source.location) to \(target.location)\(append ? " (appended, new ids)" : "")")
        }
    }
}
