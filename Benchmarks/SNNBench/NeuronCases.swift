import ArgumentParser
import Foundation
import NN
import Neurons
import TensorRuntime

/// One training step of the SHD-shaped network of issue 5: 700 input channels with Bernoulli(p)
/// spikes → sparse linear → 256 spiking neurons → linear → 20 leaky readout neurons, T steps,
/// batch 64, BPTT through all steps, cross-entropy on the maximum over time of the readout
/// membrane, Adam.
///
/// The input arrives as spike events (time step, sample, channel), as a spike data loader
/// delivers them; they are drawn once as a Bernoulli(p) frame and listed sample by sample. The
/// timed step starts from those events: it includes sorting them into the sparse layer's rows,
/// the forward over all steps, the backward and the Adam update (the peer starts from the dense
/// frame, its natural input).
struct SHDStepCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shd-step",
        abstract: "SHD-shaped spiking network: forward + backward + Adam.")
    @OptionGroup var options: CommonOptions
    @Option(help: "Neuron plugin (lif, dqif, cf, …).")
    var neuron = "lif"
    @Option(help: "Time steps.")
    var steps = 100
    @Option(help: "Batch size.")
    var batch = 64
    @Option(help: "Hidden neurons.")
    var hidden = 256
    @Option(help: "Input spike probability per channel and step (make bench runs 0.02, 0.05 and 0.1).")
    var density = 0.02
    @Option(
        help:
            "The plugin's configuration as a JSON object (e.g. '{\"convention\": \"snntorch\"}'); the peer runs the default."
    )
    var configuration: String?

    func run() throws {
        var rng = SeededRNG(seed: 5)
        let input = SpikeEvents(Tensor.bernoulli([steps, batch, 700], p: density, using: &rng))
        let labels = (0..<batch).map { $0 % 20 }
        let inputLayer = SparseSpikeLinear(inFeatures: 700, outFeatures: hidden, weightInit: .uniform(k: 8), rng: &rng)
        let neurons = try SpikingNeurons(neuron: neuron, configuration: try parsedConfiguration())
        // The readout's input is the hidden spikes (a few percent active), so it is a sparse
        // input layer too: the same affine map as the peer's Linear, computed from the spikes.
        let readout = SparseSpikeLinear(inFeatures: hidden, outFeatures: 20, rng: &rng)
        let readoutDecay = Tensor(shape: [1], values: [0.9], dtype: .float32)
        let optimizer = Adam(inputLayer.parameters() + neurons.parameters() + readout.parameters(), learningRate: 1e-3)
        let peerArguments = [
            "--neuron", neuron, "--steps", "\(steps)", "--batch", "\(batch)", "--hidden", "\(hidden)",
            "--density", "\(density)",
        ]
        // Two peers: PyTorch's dense Linear on the spike frame (what a PyTorch user writes) and
        // its own sparse path on the events (embedding_bag).
        let (ours, peers) = try options.compare("shd-step", peers: [peerArguments, peerArguments + ["--sparse"]]) {
            optimizer.zeroGrad()
            let spikes = neurons(inputLayer(input))
            let logits = Tensor.leakyIntegrateMax(readout(spikes), decay: readoutDecay)
            crossEntropy(logits: logits, labels: labels).backward()
            optimizer.step()
        }
        let spikeRate = Tape.withoutGradient { neurons(inputLayer(input)).abs().mean().item }
        var result = BenchResult(
            name: "shd-step", medianMs: ours.medianMs,
            extra: [
                ("neuron", neuron), ("density", density), ("threads", options.threads),
                ("hidden_spike_rate", spikeRate),
            ])
        if let configuration {
            result.extra.append(("configuration", configuration.replacingOccurrences(of: "\"", with: "'")))
        }
        if peers.count == 2 {
            result.setPeer(peers[0].0, peers[0].1)
            let (session, sparse) = peers[1]
            result.extra += [
                ("peer_sparse_median_ms", sparse.medianMs), ("ratio_sparse", ours.medianMs / sparse.medianMs),
                ("peer_sparse_peak_rss_mb", session.peakResidentMegabytes),
            ]
        }
        result.emit(json: options.json)
    }

    private func parsedConfiguration() throws -> [String: Any]? {
        guard let configuration else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(configuration.utf8)) as? [String: Any] else {
            throw ValidationError("--configuration must be a JSON object, got \(configuration)")
        }
        return object
    }
}
