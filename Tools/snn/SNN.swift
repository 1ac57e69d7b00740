import ArgumentParser

/// The researcher's command line: datasets, runs and studies.
@main
struct SNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snn",
        abstract:
            "Spiking-network toolkit: datasets, runs, studies, registries, cluster jobs and the neuron catalogue.",
        subcommands: [
            DataCommand.self, RunsCommand.self, StudiesCommand.self, RegistryCommand.self, ClusterCommand.self,
            NeuronsCommand.self, NIRCommand.self,
        ])
}
