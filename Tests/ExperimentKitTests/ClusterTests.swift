import Foundation
import Registry
import TestSupport
import XCTest

@testable import ExperimentKit

/// The job-array script, the study it is made from, and its submission through a fake `sbatch`.
final class SlurmArrayScriptTests: XCTestCase {
    /// Regenerate with `UPDATE_GOLDEN=1 swift test --filter SlurmArrayScriptTests` and review the diff.
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/slurm-array.golden.sh")

    static let study = "wenig-shd.cpu.qif-exact.search.9f86d081884c7d65-1a2b3c4d"
    /// Spaces, a single quote, `$`, double quotes, backticks and `!`, and an empty value after `=`.
    static let command = [
        "/opt/snn toolkit/bin/snn-shd", "worker", study, "--preset", "cpu", "--set",
        "data.trainFile=/data/it's/train.h5",
        "--set", #"model.note=$HOME costs "$5""#, "--set", "model.comment=`date` !x", "--set", "training.tag=",
        "--output-dir", "runs/cpu", "--registry", "postgres://snn@db.example.org/runs",
    ]
    static let resources = SlurmResources(
        partition: "compute", time: "04:00:00", cpusPerTask: 4, memory: "8G", account: "snn-lab",
        output: "logs/%x-%A_%a.out")

    func testScriptMatchesGoldenFile() throws {
        let script = try SlurmArrayScript(
            study: Self.study, tasks: 100, resources: Self.resources, command: Self.command)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try script.text.write(to: Self.golden, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(
            Data(script.text.utf8), try Data(contentsOf: Self.golden), "script differs from \(Self.golden.path)")
    }

    func testUnsetResourcesLeaveNoDirective() throws {
        let script = try SlurmArrayScript(study: "s", tasks: 1, resources: SlurmResources(), command: ["/bin/true"])
        XCTAssertEqual(
            script.text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") },
            ["#SBATCH --job-name=s", "#SBATCH --array=0-0"])
    }

    /// bash reads the `srun` line back into exactly the recorded argv, and the thread count follows the allocation.
    func testBashRunsTheRecordedArgvUnchanged() throws {
        let directory = try temporaryDirectory(self)
        let bin = try fakeTool(
            "srun", in: directory,
            body: #"""
                printf '%s\0' "$@" > "$RECORD/argv"
                printf '%s' "$SNN_NUM_THREADS" > "$RECORD/threads"
                """#)
        let command = Self.command + ["", "tab\there", "new\nline", #"back\slash"#, "*", "~", "a;b|c&d>e"]
        let script = try SlurmArrayScript(study: "quoting", tasks: 2, resources: SlurmResources(), command: command)
        let file = directory.appendingPathComponent("job.sh")
        try script.text.write(to: file, atomically: true, encoding: .utf8)

        let allocations: [(cpus: String?, threads: String)] = [("4", "4"), (nil, "1")]
        for (cpus, threads) in allocations {
            var environment = ["PATH": "\(bin.path):/usr/bin:/bin", "RECORD": directory.path, "HOME": "/home/nobody"]
            environment["SLURM_CPUS_PER_TASK"] = cpus
            XCTAssertEqual(try run("/bin/bash", [file.path], environment: environment), 0)
            let argv = try Data(contentsOf: directory.appendingPathComponent("argv")).split(
                separator: 0, omittingEmptySubsequences: false
            )
            .dropLast().map { String(decoding: $0, as: UTF8.self) }
            XCTAssertEqual(argv, command)
            XCTAssertEqual(
                try String(contentsOf: directory.appendingPathComponent("threads"), encoding: .utf8), threads)
        }
    }

    func testJobNameAndResourcesSbatchWouldMisread() throws {
        let script = try SlurmArrayScript(
            study: "my study #2 \"x\"", tasks: 3, resources: SlurmResources(), command: ["/bin/true"])
        XCTAssertEqual(script.jobName, "my_study__2__x_")
        XCTAssertThrowsError(
            try SlurmArrayScript(study: "s", tasks: 0, resources: SlurmResources(), command: ["/bin/true"])
        ) {
            XCTAssertEqual($0 as? ClusterError, .invalidOption("--workers", "0", "must be at least 1"))
        }
        XCTAssertThrowsError(
            try SlurmArrayScript(
                study: "s", tasks: 1, resources: SlurmResources(cpusPerTask: 0), command: ["/bin/true"]))
        for resources in [
            SlurmResources(partition: "gpu nodes"), SlurmResources(output: "logs/%a.out\n#SBATCH --x"),
            SlurmResources(account: ""),
        ] {
            XCTAssertThrowsError(
                try SlurmArrayScript(study: "s", tasks: 1, resources: resources, command: ["/bin/true"])
            ) {
                guard case .invalidOption = $0 as? ClusterError else { return XCTFail("\($0)") }
            }
        }
    }

    func testShellQuoting() {
        XCTAssertEqual(ShellQuoting.quote("runs/cpu/registry.sqlite"), "runs/cpu/registry.sqlite")
        XCTAssertEqual(ShellQuoting.quote(""), "''")
        XCTAssertEqual(ShellQuoting.quote("it's"), #"'it'\''s'"#)
        XCTAssertEqual(ShellQuoting.quote("$HOME"), "'$HOME'")
        XCTAssertEqual(ShellQuoting.commandLine(["a b", "c"]), "'a b' c")
    }

    // MARK: The study's command

    func testStudyCommandRunsAgainstTheGivenRegistry() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        let recorded = [
            "/bin/snn-shd", "worker", "s", "--preset", "cpu", "--registry", "runs/cpu/registry.sqlite", "--quiet",
        ]
        _ = try registry.createStudy(
            StudySpec(
                name: "s", experiment: "shd", objective: "val/accuracy", direction: .maximize, workerCommand: recorded))
        let script = try SlurmArrayScript.working(
            through: "s", in: registry, registry: "postgres://snn@db/runs", tasks: 8, resources: SlurmResources())
        XCTAssertEqual(
            script.command,
            ["/bin/snn-shd", "worker", "s", "--preset", "cpu", "--registry", "postgres://snn@db/runs", "--quiet"])
        XCTAssertEqual(script.tasks, 8)
        XCTAssertEqual(script.jobName, "s")

        XCTAssertEqual(
            SlurmArrayScript.settingRegistry(of: ["x", "worker", "s", "--registry=a", "--set", "k=v"], to: "b"),
            ["x", "worker", "s", "--registry", "b", "--set", "k=v"])
        XCTAssertEqual(
            SlurmArrayScript.settingRegistry(of: ["x", "worker", "s"], to: "b"),
            ["x", "worker", "s", "--registry", "b"])
    }

    func testUnknownStudyAndMissingCommandNameStudyAndRegistry() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        _ = try registry.createStudy(
            StudySpec(name: "old", experiment: "shd", objective: "val/accuracy", direction: .maximize))
        for (study, expected) in [
            ("nope", ClusterError.unknownStudy(study: "nope", registry: "sqlite:r.sqlite")),
            ("old", ClusterError.noWorkerCommand(study: "old", registry: "sqlite:r.sqlite")),
        ] {
            XCTAssertThrowsError(
                try SlurmArrayScript.working(
                    through: study, in: registry, registry: "sqlite:r.sqlite", tasks: 2, resources: SlurmResources())
            ) { error in
                XCTAssertEqual(error as? ClusterError, expected)
                XCTAssertTrue("\(error)".contains("'\(study)'") && "\(error)".contains("sqlite:r.sqlite"), "\(error)")
            }
        }
    }

    func testWarnsWhenTheRegistryIsAnSQLiteFile() {
        XCTAssertNotNil(SlurmArrayScript.sharedRegistryWarning(for: "runs/cpu/registry.sqlite"))
        XCTAssertNotNil(SlurmArrayScript.sharedRegistryWarning(for: "sqlite:/shared/registry.sqlite"))
        XCTAssertNil(SlurmArrayScript.sharedRegistryWarning(for: "postgres://snn@db.example.org/runs"))
    }

    // MARK: Submission

    func testSubmitsTheScriptAndReadsTheJobID() throws {
        let directory = try temporaryDirectory(self)
        let bin = try fakeTool(
            "sbatch", in: directory,
            body: #"""
                printf '%s\n' "$@" > "$RECORD/arguments"
                cp "$1" "$RECORD/submitted.sh"
                printf '%s' "$SNN_DATA_DIR" > "$RECORD/data-dir"
                echo "sbatch: warning: no --time given, the partition's default applies" >&2
                echo "Submitted batch job 4242"
                """#)
        let script = directory.appendingPathComponent("job.sh")
        let text = try SlurmArrayScript(study: Self.study, tasks: 100, resources: Self.resources, command: Self.command)
            .text
        try text.write(to: script, atomically: true, encoding: .utf8)
        let submitter = SlurmSubmitter(environment: [
            "PATH": "\(directory.appendingPathComponent("empty").path):\(bin.path):/usr/bin:/bin",
            "RECORD": directory.path,
            "SNN_DATA_DIR": "/shared/data",
        ])
        XCTAssertEqual(submitter.sbatch?.path, bin.appendingPathComponent("sbatch").path)

        var warnings: [String] = []
        XCTAssertEqual(try submitter.submit(script: script) { warnings.append($0) }, "4242")
        XCTAssertEqual(
            try String(contentsOf: directory.appendingPathComponent("arguments"), encoding: .utf8), script.path + "\n")
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("submitted.sh"), encoding: .utf8), text)
        XCTAssertEqual(
            try String(contentsOf: directory.appendingPathComponent("data-dir"), encoding: .utf8), "/shared/data")
        XCTAssertEqual(warnings, ["sbatch: warning: no --time given, the partition's default applies"])
    }

    func testSbatchFailureCarriesItsErrorOutput() throws {
        let directory = try temporaryDirectory(self)
        let bin = try fakeTool(
            "sbatch", in: directory,
            body: """
                echo "sbatch: error: invalid partition specified: gpu" >&2
                exit 1
                """)
        let script = directory.appendingPathComponent("job.sh")
        XCTAssertThrowsError(
            try SlurmSubmitter(environment: ["PATH": "\(bin.path):/usr/bin:/bin"]).submit(script: script)
        ) { error in
            XCTAssertEqual(
                error as? ClusterError,
                .sbatchFailed(
                    status: 1, errorOutput: "sbatch: error: invalid partition specified: gpu", script: script.path))
            XCTAssertTrue("\(error)".contains("invalid partition specified: gpu"), "\(error)")
        }
    }

    func testSbatchWithoutAJobIDIsAnError() throws {
        let directory = try temporaryDirectory(self)
        let bin = try fakeTool("sbatch", in: directory, body: "echo 'queued, maybe'")
        let script = directory.appendingPathComponent("job.sh")
        XCTAssertThrowsError(try SlurmSubmitter(environment: ["PATH": bin.path]).submit(script: script)) {
            XCTAssertEqual($0 as? ClusterError, .noJobID(output: "queued, maybe", script: script.path))
        }
        XCTAssertEqual(SlurmSubmitter.jobID(in: "Submitted batch job 77 on cluster alpha\n"), "77")
    }

    func testNoSbatchOnPathSaysWhereTheScriptIs() throws {
        let directory = try temporaryDirectory(self)
        let submitter = SlurmSubmitter(environment: ["PATH": directory.path])
        XCTAssertNil(submitter.sbatch)
        XCTAssertThrowsError(try submitter.submit(script: URL(fileURLWithPath: "/tmp/job.sh"))) { error in
            XCTAssertEqual(error as? ClusterError, .sbatchNotFound(script: "/tmp/job.sh"))
            XCTAssertTrue("\(error)".hasPrefix("sbatch not found on PATH"), "\(error)")
            XCTAssertTrue("\(error)".contains("/tmp/job.sh"), "\(error)")
        }
    }

    // MARK: Enqueue only

    func testTrialsEnqueuedCountsOpenTrialsOnly() throws {
        let registry = try RunRegistry.open(path: temporaryDirectory(self).appendingPathComponent("r.sqlite").path)
        let spec = StudySpec(name: "sweep", experiment: "toy", objective: "val/loss", direction: .minimize)
        let study = try StudyPlan.prepare(spec, trials: StudyPlan.seeds([1, 2, 3]), in: registry)
        let left = try XCTUnwrap(try TrialsEnqueued(study: "sweep", in: registry, registry: "postgres://db/runs"))
        XCTAssertEqual(left.open, 3)
        XCTAssertTrue(
            left.description.contains("snn cluster submit sweep --workers 3 --registry postgres://db/runs"),
            left.description)

        let worker = Worker(host: "node1", pid: 1)
        for _ in 0..<3 {
            let trial = try XCTUnwrap(try registry.claim(from: study.id, worker: worker))
            try registry.complete(trial.id, worker: worker, result: 1, run: nil)
        }
        XCTAssertNil(try TrialsEnqueued(study: "sweep", in: registry, registry: "postgres://db/runs"))
    }

    // MARK: Helpers

    /// An executable shell script `name` in `directory/bin`; returns the bin directory.
    private func fakeTool(_ name: String, in directory: URL, body: String) throws -> URL {
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let file = bin.appendingPathComponent(name)
        try "#!/bin/sh\n\(body)\n".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return bin
    }

    /// Runs `executable` with exactly `environment` and returns its exit status.
    private func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
