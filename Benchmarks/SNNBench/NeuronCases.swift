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
    static let configuration = CommandConfiguration(commandName: "shd-step",
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
    @Option(help: "Input spike probability per channel and step.")
    var density = 0.02

    func run() throws {
        var rng = SeededRNG(seed: 5)
        let input = SpikeEvents(Tensor.bernoulli([steps, batch, 700], p: density, using: &rng))
        let labels = (0..<batch).map { $0 % 20 }
        let inputLayer = SparseSpikeLinear(inFeatures: 700, outFeatures: hidden, weightInit: .uniform(k: 8), rng: &rng)
        let neurons = try SpikingNeurons(neuron: neuron)
        // The readout's input is the hidden spikes (a few percent active), so it is a sparse
        // input layer too: the same affine map as the peer's Linear, computed from the spikes.
        let readout = SparseSpikeLinear(inFeatures: hidden, outFeatures: 20, rng: &rng)
        let readoutDecay = Tensor(shape: [1], values: [0.9], dtype: .float32)
        let optimizer = Adam(inputLayer.parameters() + neurons.parameters() + readout.parameters(), learningRate: 1e-3)
        let ours = Measurement.run(warmup: options.warmup, iterations: options.iterations) {
            optimizer.zeroGrad()
            let spikes = neurons(inputLayer(input))
            let logits = Tensor.leakyIntegrateMax(readout(spikes), decay: readoutDecay)
            crossEntropy(logits: logits, labels: labels).backward()
            optimizer.step()
        }
        let spikeRate = Tape.withoutGradient { neurons(inputLayer(input)).abs().mean().item }
        var result = BenchResult(name: "shd-step", medianMs: ours.medianMs, extra: [
            ("neuron", neuron), ("threads", options.threads), ("hidden_spike_rate", spikeRate),
            ("peak_rss_mb", peakResidentMegabytes() ?? -1),
        ])
        if let python = options.peer {
            let peer = try TorchPeer(python: python).run(
                "shd-step", arguments: ["--neuron", neuron, "--steps", "\(steps)", "--batch", "\(batch)",
                                        "--hidden", "\(hidden)", "--density", "\(density)"],
                threads: options.threads, iterations: options.iterations)
            result.peer = "torch"
            result.peerMedianMs = peer["median_ms"] as? Double
            result.extra.append(("peer_peak_rss_mb", peer["peak_rss_mb"] as? Double ?? -1))
        }
        result.emit(json: options.json)
    }
}
