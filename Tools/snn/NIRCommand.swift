import ArgumentParser
import Checkpoint
import Datasets
import ExperimentKit
import Foundation
import HDF5
import NIR
import NN
import Neurons
import Registry
import SHDExperiment
import TensorRuntime

/// `snn nir …`: networks in and out of the toolkit in NIR, the field's exchange format.
struct NIRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nir",
        abstract: "Export a trained network as a NIR graph, print a NIR file, or evaluate one on a dataset.",
        discussion: "The layout, node mapping and parameter conversions are in docs/nir.md.",
        subcommands: [Export.self, Inspect.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a run's trained network (its last checkpoint) as a NIR file.",
            discussion: """
                Covers the SHD experiment's discrete-time networks (linear → lif or cuba-lif per hidden layer, \
                linear readout into a leaky integrator). Other plugins are an error naming them.
                """)

        @Option(name: .customLong("run"), help: "The run to export (its id).")
        var runID: Int64
        @OptionGroup var registry: RegistryOption
        @Option(help: "The NIR file to write.")
        var out: String
        @Option(
            help: "The time step in seconds the discrete decays are converted with (snnTorch's NIR import uses 1e-4).")
        var dt = 1e-4

        func run() throws {
            let registry = try registry.open()
            let id = RunID(runID)
            let config = try ResumePoint.storedConfig(SHDConfig.self, of: id, in: registry).value
            guard !config.isEventDriven else {
                throw ValidationError(
                    "run \(runID) trained the event-driven \(config.neuron) network; "
                        + "NIR export covers the discrete-time SHD networks")
            }
            let checkpoint = try ResumePoint.lastCheckpoint(of: id, in: registry)
            let network = try SHDLayers(config: config, checkpoint: checkpoint)
            try NIRFile.write(
                try NIRExport.graph(network.nirLayers, inputShape: [network.inputs], dt: dt),
                to: URL(fileURLWithPath: out))
            print("wrote \(out): \(config.neuron) network \(network.sizes) from \(checkpoint.path), dt \(dt) s")
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a NIR file's nodes, shapes, parameters and edges.")

        @Argument(help: "A NIR (HDF5) file.")
        var file: String

        func run() throws {
            print(try NIRFile.read(URL(fileURLWithPath: file)))
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a network from a NIR file and report its accuracy on a dataset's test split.",
            discussion: """
                Samples are binned into --timesteps frames over --duration seconds; the class is the argmax over \
                outputs of the maximum over time (a leaky readout's potential) or of the spike count (spiking outputs).
                """)

        @Argument(help: "A NIR (HDF5) file.")
        var file: String
        @Option(help: "The dataset to evaluate on (shd).")
        var dataset = "shd"
        @Option(help: "The folder holding shd_test.h5.")
        var dataDir: String
        @Option(help: "Evaluate only the first N test samples.")
        var limit: Int?
        @Option(help: "The time step in seconds the graph's time constants are discretised with.")
        var dt = 1e-4
        @Option(help: "Time bins per sample.")
        var timesteps = 100
        @Option(help: "Seconds of recording the bins cover.")
        var duration = 1.0
        @Option(help: "Neighbouring channels merged into one (700 → 140 with 5).")
        var channelPooling = 1
        @Option(help: "Frames hold spike counts or 0/1 (counts, binary).")
        var frames = "counts"
        @Option(help: "Samples per batch.")
        var batchSize = 64

        func run() throws {
            guard dataset == "shd" else { throw ValidationError("--dataset: only shd is supported, got \(dataset)") }
            guard ["counts", "binary"].contains(frames) else {
                throw ValidationError("--frames: counts or binary, got \(frames)")
            }
            let graph = try NIRFile.read(URL(fileURLWithPath: file))
            let network = try NIRNetwork(graph, dt: dt)
            var data = try SpikeDataset(contentsOf: URL(fileURLWithPath: dataDir).appendingPathComponent("shd_test.h5"))
            if channelPooling > 1 { data = try data.poolingChannels(by: channelPooling) }
            guard network.inputShape.reduce(1, *) == data.channelCount else {
                throw ValidationError(
                    "the graph takes \(network.inputShape) inputs, the data has \(data.channelCount) channels")
            }
            let count = min(limit ?? data.count, data.count)
            let binning = try SpikeBinning(
                binCount: timesteps, maxTime: Float(duration), mode: frames == "binary" ? .binary : .counts)
            let spiking = !graph.nodes.contains { if case .leakyIntegrator = $0.node { true } else { false } }
            var correct = 0
            for start in stride(from: 0, to: count, by: batchSize) {
                let indices = Array(start..<min(start + batchSize, count))
                let output = network(binning.batch(data, indices: indices))
                let flat = output.reshaped([timesteps, indices.count, output.count / (timesteps * indices.count)])
                let scores = spiking ? flat.sum(axes: [0]) : flat.max(axes: [0])
                for (index, predicted) in zip(indices, scores.argmax(axis: 1)) where predicted == data.labels[index] {
                    correct += 1
                }
            }
            let accuracy = Double(correct) / Double(max(count, 1))
            print("\(file): \(correct)/\(count) correct, accuracy \(String(format: "%.4f", accuracy))")
        }
    }
}

/// The SHD experiment's discrete-time network rebuilt from a run's stored config and filled
/// from its checkpoint, under the names `DiscreteSHDNetwork` gives its children (`linear1`,
/// `neurons1`, …, `readout`), so the checkpoint loads unchanged.
private final class SHDLayers: ParameterTree {
    let layers: [(linear: Linear, neurons: SpikingNeurons)]
    let readout: Linear
    let readoutDecay: Double
    let sizes: [Int]
    var isTraining = false

    var inputs: Int { sizes[0] }

    init(config: SHDConfig, checkpoint: URL) throws {
        // Sizes from the checkpoint itself: the input channels and classes depend on the data.
        let shapes = try Self.weightShapes(in: checkpoint, hiddenLayers: config.discrete.hiddenLayers)
        let sizes = [shapes[0][1]] + shapes.map { $0[0] }
        self.sizes = sizes
        let fields = config.discrete.neurons[config.neuron] ?? [:]
        let configuration =
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(fields)) as? [String: Any] ?? [:]
        var rng = SeededRNG(seed: 0)
        layers = try (1..<(sizes.count - 1)).map { l in
            (
                Linear(inFeatures: sizes[l - 1], outFeatures: sizes[l], rng: &rng),
                try SpikingNeurons(neuron: config.neuron, configuration: configuration)
            )
        }
        readout = Linear(inFeatures: sizes[sizes.count - 2], outFeatures: sizes.last!, rng: &rng)
        readoutDecay = config.discrete.readoutDecay
        try Checkpoint.load(into: self, from: checkpoint)
    }

    private static func weightShapes(in checkpoint: URL, hiddenLayers: Int) throws -> [[Int]] {
        let file = try HDF5File.open(checkpoint)
        return try (1...hiddenLayers).map { try file.shape(of: "parameters/linear\($0).weight") }
            + [try file.shape(of: "parameters/readout.weight")]
    }

    var children: [(name: String, module: any Module)] {
        layers.enumerated().flatMap { index, layer -> [(name: String, module: any Module)] in
            [("linear\(index + 1)", layer.linear), ("neurons\(index + 1)", layer.neurons)]
        } + [("readout", readout)]
    }

    var nirLayers: [NIRExport.Layer] {
        layers.flatMap { [NIRExport.Layer.linear($0.linear), .neurons($0.neurons)] }
            + [.linear(readout), .leakyIntegrator(decay: readoutDecay, features: sizes.last!)]
    }
}
