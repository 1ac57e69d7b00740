import ArgumentParser
import NN
import Neurons
import TensorRuntime

/// One training step of the CPU preset's spiking network of papers 2 and 3 (`small-resnet`,
/// width 16): stem conv3×3 → tdBN → neurons, a basic block of 16 and one of 32 channels at
/// stride 2 (tdBN after every conv, neurons as activations), average pool, linear → 10; direct
/// encoding over T steps, TET loss, Adam. Batch 32 of 3×32×32.
///
/// Built here from NN and Neurons layers (the benchmark does not link the experiment), the same
/// way `ImageExperiment`'s `SpikingNetwork` builds it.
struct CIFARStepCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cifar-step",
        abstract: "Training step of the papers 2/3 CPU-preset spiking ResNet (tdBN, neurons, TET, Adam).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Neuron plugin (lif, dqif, cf, …).")
    var neuron = "lif"
    @Option(help: "Time steps.")
    var steps = 4
    @Option(help: "Batch size.")
    var batch = 32
    @Option(help: "Channels of the first stage.")
    var width = 16

    func run() throws {
        var rng = SeededRNG(seed: 5)
        func neurons() -> any Module { try! SpikingNeurons(neuron: neuron) }
        _ = try SpikingNeurons(neuron: neuron)  // An unknown name fails here, with the known ones listed.
        let stem = Conv2d(
            inChannels: 3, outChannels: width, kernelSize: 3, padding: 1, bias: false,
            weightInit: .kaimingNormal(), rng: &rng)
        let body = Sequential(
            TDBatchNorm(channels: width), neurons(),
            BasicBlock(
                inChannels: width, outChannels: width, rng: &rng, makeNorm: { TDBatchNorm(channels: $0) },
                makeActivation: neurons),
            BasicBlock(
                inChannels: width, outChannels: 2 * width, stride: 2, rng: &rng,
                makeNorm: { TDBatchNorm(channels: $0) },
                makeActivation: neurons),
            AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2),
            Linear(inFeatures: 2 * width, outFeatures: 10, rng: &rng))
        let optimizer = Adam(stem.parameters() + body.parameters(), learningRate: 1e-3)
        let images = Tensor.normal([batch, 3, 32, 32], using: &rng)
        let labels = (0..<batch).map { $0 % 10 }
        let peerArguments = ["--neuron", neuron, "--steps", "\(steps)", "--batch", "\(batch)", "--width", "\(width)"]
        let (ours, peers) = try options.compare("cifar-step", peers: [peerArguments]) {
            optimizer.zeroGrad()
            let current = stem(images)
            let logits = body(current.unsqueezed(0).expanded(to: [steps] + current.shape))
            tetLoss(logits: logits, labels: labels).backward()
            optimizer.step()
        }
        var result = BenchResult(
            name: "cifar-step", medianMs: ours.medianMs,
            extra: [
                ("neuron", neuron), ("steps", steps), ("batch", batch), ("threads", options.threads),
            ])
        if let (session, measurement) = peers.first { result.setPeer(session, measurement) }
        result.emit(json: options.json)
    }
}
