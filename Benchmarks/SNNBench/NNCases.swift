import ArgumentParser
import NN
import TensorRuntime

/// One training step (forward, cross-entropy, backward, SGD with momentum and weight decay) of a
/// small CIFAR-shaped conv net: 3 × [conv3×3 → BatchNorm → ReLU → max-pool 2] with 64/128/256
/// channels, global average pool, linear 256 → 10; batch 32 of 3×32×32.
struct CNNStepCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn-step", abstract: "Training step of a small CIFAR-shaped conv net (NN layers + SGD).")
    @OptionGroup var options: CommonOptions

    func run() throws {
        var rng = SeededRNG(seed: 5)
        var layers: [any Module] = []
        var channels = 3
        for width in [64, 128, 256] {
            layers += [
                Conv2d(
                    inChannels: channels, outChannels: width, kernelSize: 3, padding: 1, bias: false,
                    weightInit: .kaimingNormal(), rng: &rng),
                BatchNorm2d(channels: width), ReLU(), MaxPool2d(kernelSize: 2),
            ]
            channels = width
        }
        layers += [
            AdaptiveAvgPool2d(outputSize: 1), Flatten(), Linear(inFeatures: channels, outFeatures: 10, rng: &rng),
        ]
        let model = Sequential(layers)
        let optimizer = SGD(model.parameters(), learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
        let images = Tensor.normal([32, 3, 32, 32], using: &rng)
        let labels = (0..<32).map { $0 % 10 }
        let (ours, peers) = try options.compare("cnn-step") {
            optimizer.zeroGrad()
            crossEntropy(logits: model(images), labels: labels).backward()
            optimizer.step()
        }
        var result = BenchResult(name: "cnn-step", medianMs: ours.medianMs, extra: [("threads", options.threads)])
        if let (session, measurement) = peers.first { result.setPeer(session, measurement) }
        result.emit(json: options.json)
    }
}
