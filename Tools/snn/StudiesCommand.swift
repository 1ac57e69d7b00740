import ArgumentParser
import Foundation
import Registry
import Reporting

/// `snn studies …`: the hyperparameter searches in the registry and their trials.
struct StudiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studies",
        abstract: "List hyperparameter-search studies and show their trials.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List studies with trial counts and the best result.")

        @OptionGroup var registry: RegistryOption

        func run() throws {
            let registry = try registry.open()
            let studies = try registry.studies()
            guard !studies.isEmpty else { return print("no studies") }
            var table = TextTable(
                headers: ["ID", "Name", "Experiment", "Objective", "Queued", "Running", "Completed", "Failed", "Best"],
                alignments: [.right, .left, .left, .left, .right, .right, .right, .right, .right])
            for study in studies {
                let trials = try registry.trials(in: study.id)
                let count = { (state: TrialState) in String(trials.filter { $0.state == state }.count) }
                table.append([
                    study.id.description, study.spec.name, study.spec.experiment,
                    "\(study.spec.direction.rawValue) \(study.spec.objective)", count(.queued), count(.running),
                    count(.completed), count(.failed), best(trials, study).flatMap(\.result).map(Format.number) ?? "—",
                ])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a study's trials, best first marked with *.")

        @OptionGroup var registry: RegistryOption
        @Argument(help: "The study's name or id.") var study: String

        func run() throws {
            let registry = try registry.open()
            let found =
                try registry.study(named: study)
                ?? Int64(study).flatMap { id in try? registry.studies().first { $0.id == StudyID(id) } }
            guard let found else { throw RegistryError.unknownStudy(study) }
            let trials = try registry.trials(in: found.id)
            let winner = best(trials, found)?.id
            print(
                "Study \(found.id) '\(found.spec.name)': \(found.spec.direction.rawValue) \(found.spec.objective) "
                    + "of \(found.spec.experiment); a trial is retried up to \(found.spec.maxAttempts) times.\n")
            var table = TextTable(
                headers: [
                    "#", "State", "Result", "Run", "Tries", "Worker", "Last heartbeat", "Parameters", "Last error",
                ],
                alignments: [.right, .left, .right, .right, .right, .left, .left, .left, .left])
            for trial in trials {
                let parameters = trial.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " ")
                table.append([
                    String(trial.number) + (trial.id == winner ? "*" : ""), trial.state.rawValue,
                    trial.result.map(Format.number) ?? "", trial.runID?.description ?? "", String(trial.attempts),
                    trial.worker ?? "", trial.heartbeatAt.map(Format.date) ?? "", parameters, trial.lastError ?? "",
                ])
            }
            print(trials.isEmpty ? "no trials" : table.render(), terminator: trials.isEmpty ? "\n" : "")
        }
    }
}

/// The completed trial with the best result in the study's direction.
private func best(_ trials: [Trial], _ study: Study) -> Trial? {
    let done = trials.filter { $0.state == .completed && $0.result != nil }
    return study.spec.direction == .minimize
        ? done.min { $0.result! < $1.result! } : done.max { $0.result! < $1.result! }
}
