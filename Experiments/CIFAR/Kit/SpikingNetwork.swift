import NN
import Neurons
import TensorRuntime

/// The networks of the two papers by name. Every one uses direct encoding (the image is the
/// input current of the first layer at every time step), tdBN before every spiking layer, and
/// the neuron plugin the config names.
public enum ImageArchitecture: String, CaseIterable, Sendable {
    /// ResNet-19 (CIFAR): stem 3×3-w, stages of 3/3/2 basic blocks with w/2w/4w channels,
    /// average pool, FC-256 → spiking → FC-classes. The papers use w = 128.
    case resnet19
    /// ImageNet-style ResNet-18/34: 7×7/2 stem and max pool, 2-2-2-2 / 3-4-6-3 blocks of
    /// w…8w channels, average pool, FC-classes. The papers use w = 64 (paper preset only).
    case resnet18, resnet34
    /// VGGSNN: 64-128-AP-256-256-AP-512-512-AP-512-512-AP (w = 64), FC-classes.
    case vggsnn
    /// The CPU preset's ResNet: stem w, one basic block of w and one of 2w (stride 2), average
    /// pool, FC-classes.
    case smallResNet = "small-resnet"
    /// The CPU preset's VGG: w-AP-2w-AP-4w-AP, average pool, FC-classes.
    case smallVGG = "small-vgg"
    /// A small Spikformer: a two-conv stem to 8×8 tokens of width w, two blocks of spiking
    /// self-attention (4 heads) and a spiking MLP, token mean, FC-classes.
    case spikformerTiny = "spikformer-tiny"
    /// The text Spikformer (TextTransformer.swift): embedding of width w, `text.blocks` blocks of
    /// spiking self-attention (`text.heads` heads) and a spiking MLP, token mean, FC-classes.
    /// Its input is token ids [B, L] and `inputChannels` is the vocabulary size.
    case spikformerText = "spikformer-text"
}

/// Makes the spiking layers of one network, all alike, and remembers them (for the PNB loss,
/// the surrogate sharpness record and the potential histograms).
public final class NeuronFactory {
    public let name: String
    public let configuration: [String: Any]?
    public let options: EngineOptions
    public let sharpness: SurrogateSharpness
    /// Float32 for training; Float64 for gradient checks.
    public let dtype: DType
    public private(set) var made: [SpikingNeurons] = []

    public init(name: String, configuration: [String: Any]?, options: EngineOptions, sharpness: SurrogateSharpness, dtype: DType = .float32) {
        self.dtype = dtype
        self.name = name
        self.configuration = configuration
        self.options = options
        self.sharpness = sharpness
    }

    func make() -> SpikingNeurons {
        // The config was validated (the name is registered), so only a bad plugin field can fail
        // here, and `ImageExperiment` builds one layer first to report that as an error.
        let layer = try! SpikingNeurons(neuron: name, configuration: configuration, options: options, sharpness: sharpness, dtype: dtype)
        made.append(layer)
        return layer
    }
}

/// A spiking image classifier: images [B, C, H, W] (repeated over the T steps) or frames
/// [T, B, C, H, W] (one per step) → logits [T, B, classes].
public final class SpikingNetwork: Module {
    public let architecture: ImageArchitecture
    public let timesteps: Int
    /// The first conv, applied once per image (its output is the same at every step) or to
    /// every frame.
    let stem: any Module
    /// Everything after the stem, on [T, B, …].
    let body: Sequential
    /// The spiking layers in order of depth.
    public let spikingLayers: [SpikingNeurons]
    public var isTraining = true

    public init(
        _ architecture: ImageArchitecture, inputChannels: Int = 3, classes: Int, width: Int, timesteps: Int, tdbnAlpha: Double,
        neurons: NeuronFactory, textBlocks: Int = 2, textHeads: Int = 4, embedding: Tensor? = nil,
        rng: inout SeededRNG
    ) throws {
        self.architecture = architecture
        self.timesteps = timesteps
        let builder = LayerBuilder(alpha: tdbnAlpha, neurons: neurons)
        let c = inputChannels
        let w = width
        switch architecture {
        case .resnet19:
            stem = builder.conv(c, w, rng: &rng)
            var layers: [any Module] = [builder.norm(w), neurons.make()]
            layers += builder.stage(w, w, blocks: 3, stride: 1, rng: &rng)
            layers += builder.stage(w, 2 * w, blocks: 3, stride: 2, rng: &rng)
            layers += builder.stage(2 * w, 4 * w, blocks: 2, stride: 2, rng: &rng)
            layers += [AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2), Linear(inFeatures: 4 * w, outFeatures: 256, rng: &rng)]
            layers += [builder.norm(256), neurons.make(), Linear(inFeatures: 256, outFeatures: classes, rng: &rng)]
            body = Sequential(layers)
        case .resnet18, .resnet34:
            let blocks = architecture == .resnet18 ? [2, 2, 2, 2] : [3, 4, 6, 3]
            stem = Conv2d(inChannels: c, outChannels: w, kernelSize: 7, stride: 2, padding: 3, bias: false,
                          weightInit: .kaimingNormal(), rng: &rng)
            var layers: [any Module] = [builder.norm(w), neurons.make(), MaxPool2d(kernelSize: 3, stride: 2, padding: 1)]
            var channels = w
            for (index, count) in blocks.enumerated() {
                let out = w << index
                layers += builder.stage(channels, out, blocks: count, stride: index == 0 ? 1 : 2, rng: &rng)
                channels = out
            }
            layers += [AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2), Linear(inFeatures: channels, outFeatures: classes, rng: &rng)]
            body = Sequential(layers)
        case .vggsnn, .smallVGG:
            let plan: [Int?] = architecture == .vggsnn
                ? [w, 2 * w, nil, 4 * w, 4 * w, nil, 8 * w, 8 * w, nil, 8 * w, 8 * w, nil] : [w, nil, 2 * w, nil, 4 * w, nil]
            let parts = builder.vgg(plan, inputChannels: c, classes: classes, rng: &rng)
            stem = parts.stem
            body = parts.body
        case .smallResNet:
            stem = builder.conv(c, w, rng: &rng)
            var layers: [any Module] = [builder.norm(w), neurons.make()]
            layers += builder.stage(w, w, blocks: 1, stride: 1, rng: &rng)
            layers += builder.stage(w, 2 * w, blocks: 1, stride: 2, rng: &rng)
            layers += [AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2), Linear(inFeatures: 2 * w, outFeatures: classes, rng: &rng)]
            body = Sequential(layers)
        case .spikformerTiny:
            guard w % (2 * SpikingSelfAttention.defaultHeads) == 0 else {
                throw ImageExperimentError.invalidModel(
                    "model.width must be a multiple of \(2 * SpikingSelfAttention.defaultHeads) for spikformer-tiny "
                        + "(\(SpikingSelfAttention.defaultHeads) heads, stem of width/2), got \(w)")
            }
            stem = builder.conv(c, w / 2, rng: &rng)
            var layers: [any Module] = [
                builder.norm(w / 2), neurons.make(), MaxPool2d(kernelSize: 2),
                builder.conv(w / 2, w, rng: &rng), builder.norm(w), neurons.make(), MaxPool2d(kernelSize: 2),
                builder.conv(w, w, rng: &rng), builder.norm(w), Tokens(),
            ]
            for _ in 0..<2 {
                layers.append(Residual(SpikingSelfAttention(dimension: w, heads: SpikingSelfAttention.defaultHeads,
                                                            builder: builder, rng: &rng)))
                layers.append(Residual(SpikingMLP(dimension: w, hidden: 4 * w, builder: builder, rng: &rng)))
            }
            layers += [TokenMean(), Linear(inFeatures: w, outFeatures: classes, rng: &rng)]
            body = Sequential(layers)
        case .spikformerText:
            let parts = try Self.textTransformer(vocabulary: c, classes: classes, width: w, blocks: textBlocks, heads: textHeads,
                                                 embedding: embedding, builder: builder, rng: &rng)
            stem = parts.stem
            body = parts.body
        }
        spikingLayers = neurons.made
    }

    public var children: [(name: String, module: any Module)] { [("stem", stem), ("body", body)] }

    /// Logits [T, B, classes] for images [B, C, H, W], frames [T, B, C, H, W] or token ids [B, L]
    /// (`spikformer-text`; the stem's [B, D, L] is repeated over the steps like an image's).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        if input.rank == 5 {
            precondition(input.shape[0] == timesteps, "SpikingNetwork: \(input.shape[0]) frames for \(timesteps) time steps")
            return body(stem(input))
        }
        precondition(input.rank == 4 || (input.rank == 2 && architecture == .spikformerText),
                     "SpikingNetwork: expected images [B, C, H, W] or frames [T, B, C, H, W], got \(input.shape)")
        let current = stem(input)
        return body(current.unsqueezed(0).expanded(to: [timesteps] + current.shape))
    }
}

/// Builds the pieces the architectures share, with tdBN's α and the neuron factory fixed.
struct LayerBuilder {
    let alpha: Double
    let neurons: NeuronFactory

    func conv(_ inChannels: Int, _ outChannels: Int, rng: inout SeededRNG) -> Conv2d {
        Conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1, bias: false,
               weightInit: .kaimingNormal(), rng: &rng)
    }

    func norm(_ channels: Int) -> TDBatchNorm { TDBatchNorm(channels: channels, alpha: alpha) }

    /// `blocks` basic blocks, the first with `stride`; tdBN after every conv, spiking neurons as activations.
    func stage(_ inChannels: Int, _ outChannels: Int, blocks: Int, stride: Int, rng: inout SeededRNG) -> [any Module] {
        (0..<blocks).map { index in
            BasicBlock(inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                       stride: index == 0 ? stride : 1, rng: &rng,
                       makeNorm: { norm($0) }, makeActivation: { neurons.make() })
        }
    }

    /// A VGG stack: a width is conv → tdBN → spiking, nil is a 2×2 average pool; then global
    /// average pool and the classifier. The first conv is the stem.
    func vgg(_ plan: [Int?], inputChannels: Int, classes: Int, rng: inout SeededRNG) -> (stem: any Module, body: Sequential) {
        var layers: [any Module] = []
        var channels = inputChannels
        var stem: (any Module)?
        for entry in plan {
            guard let width = entry else {
                layers.append(AvgPool2d(kernelSize: 2))
                continue
            }
            let convolution = conv(channels, width, rng: &rng)
            if stem == nil { stem = convolution } else { layers.append(convolution) }
            layers += [norm(width), neurons.make()]
            channels = width
        }
        layers += [AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2), Linear(inFeatures: channels, outFeatures: classes, rng: &rng)]
        return (stem!, Sequential(layers))
    }
}
