import ArgumentParser
import Neurons

/// `snn neurons`: every neuron of the catalogue with what configures it.
struct NeuronsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neurons",
        abstract:
            "List every neuron plugin: kind, state, parameters (default, domain, learns) and configuration fields.",
        discussion: """
            Discrete-time plugins are selected by name in CIFAR configs (neuron.name) and in SHD's \
            comparison row; event-driven ones by snn-shd's --neuron. Fields are set by name in a preset's \
            neuron parameters; `convention` selects a preset of fields where a plugin has them.
            """)

    @Option(help: "Only this neuron.") var name: String?

    func run() throws {
        if let name { try NeuronCatalogue.lookup(name) }
        for entry in NeuronCatalogue.entries where name == nil || entry.name == name {
            print("\(entry.name) (\(entry.kind.rawValue))")
            print("  state: \(entry.state.joined(separator: ", "))")
            if !entry.parameters.isEmpty {
                print("  parameters:")
                for p in entry.parameters {
                    print(
                        "    \(p.name) = \(p.initial)  domain \(p.domain.rawValue)\(p.learns ? "  learns" : "  fixed")")
                }
            }
            print("  fields: " + entry.fields.map { "\($0.name)=\($0.value)" }.joined(separator: ", "))
            if !entry.conventions.isEmpty { print("  conventions: \(entry.conventions.joined(separator: ", "))") }
        }
    }
}
