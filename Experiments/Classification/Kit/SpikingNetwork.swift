import NN
import Neurons
import TensorRuntime

/// The networks of the two papers by name. Every one uses direct encoding (the image is the
/// input current of the first layer at every time step), tdBN before every spiking layer (but the
/// one after ResNet-19's FC-256, which the published code leaves without), and the neuron plugin
/// the config names.
public enum ImageArchitecture: String, CaseIterable, Sendable {
    /// ResNet-19 as in tdBN (Zheng et al., AAAI 2021, Table 1) and its code reused by TET (Deng
    /// et al., ICLR 2022): conv3×3-w stem, stages of 3/3/2 basic blocks with w/2w/4w channels
    /// (stride 2 at the second and third; conv1×1 + tdBN shortcut there), global average pool,
    /// FC-256 → spiking → FC-classes. The papers use w = 128: 12.70 M parameters on CIFAR-10
    /// (the literature quotes 12.63 M, e.g. Spikformer's Table 3; see `ModelTests`).
    case resnet19
    /// ImageNet-style ResNet-18/34: 7×7/2 stem and max pool, 2-2-2-2 / 3-4-6-3 blocks of
    /// w…8w channels, average pool, FC-classes. The papers use w = 64 (paper preset only).
    case resnet18, resnet34
    /// VGGSNN of TET (Deng et al., ICLR 2022, code `VGGSNN`): 64-128-AP-256-256-AP-512-512-AP-
    /// 512-512-AP (w = 64; 3×3 convs, tdBN, spiking; AP = 2×2 average pool), then the last
    /// feature map flattened into FC-classes: 512·3·3 inputs on 48×48 CIFAR10-DVS frames,
    /// 512·2·2 on 32×32 images. TET's convs carry a bias that the following batch norm cancels;
    /// ours have none (2 752 fewer parameters at w = 64).
    case vggsnn
    /// The CPU presets' ResNet, built like ResNet-19 with one block per stage: conv3×3-w stem,
    /// basic blocks of w, 2w (stride 2) and 4w (stride 2), global average pool, FC-256 →
    /// spiking → FC-classes.
    case smallResNet = "small-resnet"
    /// The CPU presets' VGG, built like VGGSNN and the usual CIFAR VGG SNNs: w-AP-2w-AP-4w-AP,
    /// the last feature map (4w·4·4 on 32×32 images) flattened into FC-classes.
    case smallVGG = "small-vgg"
    /// `small-vgg` with a global-average-pool head (4w → FC-classes): ours, the toolkit's
    /// earlier head; it learns markedly worse than the flatten head (issue 18: 52.6 % vs 61.0 %
    /// in PyTorch on a real CIFAR-10 subset).
    case smallVGGGlobalPool = "small-vgg-gap"
    /// A small Spikformer: a two-conv stem to 8×8 tokens of width w, two blocks of spiking
    /// self-attention (4 heads) and a spiking MLP, token mean, FC-classes.
    case spikformerTiny = "spikformer-tiny"
    /// The text Spikformer (TextTransformer.swift): embedding of width w, `text.blocks` blocks of
    /// spiking self-attention (`text.heads` heads) and a spiking MLP, token mean, FC-classes.
    /// Its input is token ids [B, L] and `inputChannels` is the vocabulary size.
    case spikformerText = "spikformer-text"
}

/// How the convolution weights of a network are drawn (`model.initialization`). Linear layers
/// always use PyTorch's default, U(±1/√fan_in) for weights and biases, as the published code does.
public enum ConvolutionInit: String, CaseIterable, Sendable {
    /// PyTorch's `Conv2d` default, kaiming-uniform with a = √5: U(±1/√fan_in). What a plain
    /// PyTorch network gets (the same-recipe check, `Benchmarks/peers/cifar_same_recipe.py`).
    case torch
    /// N(0, 2/fan_in) (He et al. 2015, fan-in mode).
    case kaimingNormal = "kaiming-normal"
    /// N(0, 2/fan_out): `kaiming_normal_(mode='fan_out', nonlinearity='relu')`, what the ResNet-19
    /// and VGGSNN code of tdBN and TET applies to every convolution.
    case kaimingNormalFanOut = "kaiming-normal-fan-out"

    var weightInit: WeightInit {
        switch self {
        case .torch: .uniform()
        case .kaimingNormal: .kaimingNormal()
        case .kaimingNormalFanOut: .kaimingNormalFanOut()
        }
    }
}

/// Makes the spiking layers of one network, all alike, and remembers them (for the PNB loss,
/// the surrogate sharpness record and the potential histograms).
public final class NeuronFactory {
    /// The plugin's engine, configured once: the layers share it (it holds no state).
    public let dynamics: any SpikingDynamics
    public let options: EngineOptions
    public let sharpness: SurrogateSharpness
    /// Float32 for training; Float64 for gradient checks.
    public let dtype: DType
    public private(set) var made: [SpikingNeurons] = []

    public init(
        dynamics: any SpikingDynamics, options: EngineOptions, sharpness: SurrogateSharpness, dtype: DType = .float32
    ) {
        self.dynamics = dynamics
        self.options = options
        self.sharpness = sharpness
        self.dtype = dtype
    }

    /// Layers of the registered plugin `name` with `configuration`'s fields over its defaults; an
    /// unknown name or a bad field throws here, before any layer exists.
    public convenience init(
        name: String, configuration: [String: Any]? = nil, options: EngineOptions, sharpness: SurrogateSharpness,
        dtype: DType = .float32
    ) throws {
        self.init(
            dynamics: try NeuronRegistry.dynamics(named: name, configuration: configuration), options: options,
            sharpness: sharpness, dtype: dtype)
    }

    func make() -> SpikingNeurons {
        let layer = SpikingNeurons(dynamics, options: options, sharpness: sharpness, dtype: dtype)
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

    /// - Parameters:
    ///   - inputSize: the side of the square input (32 for CIFAR, `data.frameSize` for DVS frames);
    ///     the flatten heads' width depends on it.
    ///   - initialization: how convolution weights are drawn.
    public init(
        _ architecture: ImageArchitecture, inputChannels: Int = 3, inputSize: Int = 32, classes: Int, width: Int,
        timesteps: Int, tdbnAlpha: Double, initialization: ConvolutionInit = .kaimingNormal, neurons: NeuronFactory,
        textBlocks: Int = 2, textHeads: Int = 4, embedding: Tensor? = nil, rng: inout SeededRNG
    ) throws {
        self.architecture = architecture
        self.timesteps = timesteps
        let builder = LayerBuilder(alpha: tdbnAlpha, neurons: neurons, weightInit: initialization.weightInit)
        let c = inputChannels
        let w = width
        switch architecture {
        case .resnet19, .smallResNet:
            let blocks = architecture == .resnet19 ? [3, 3, 2] : [1, 1, 1]
            let parts = builder.resnet(blocks: blocks, inputChannels: c, width: w, classes: classes, rng: &rng)
            stem = parts.stem
            body = parts.body
        case .resnet18, .resnet34:
            let blocks = architecture == .resnet18 ? [2, 2, 2, 2] : [3, 4, 6, 3]
            stem = Conv2d(
                inChannels: c, outChannels: w, kernelSize: 7, stride: 2, padding: 3, bias: false,
                weightInit: builder.weightInit, rng: &rng)
            var layers: [any Module] = [
                builder.norm(w), neurons.make(), MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
            ]
            var channels = w
            for (index, count) in blocks.enumerated() {
                let out = w << index
                layers += builder.stage(channels, out, blocks: count, stride: index == 0 ? 1 : 2, rng: &rng)
                channels = out
            }
            layers += [
                AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2),
                Linear(inFeatures: channels, outFeatures: classes, rng: &rng),
            ]
            body = Sequential(layers)
        case .vggsnn, .smallVGG, .smallVGGGlobalPool:
            let plan: [Int?] =
                architecture == .vggsnn
                ? [w, 2 * w, nil, 4 * w, 4 * w, nil, 8 * w, 8 * w, nil, 8 * w, 8 * w, nil]
                : [w, nil, 2 * w, nil, 4 * w, nil]
            let parts = try builder.vgg(
                plan, inputChannels: c, inputSize: inputSize,
                flattenHead: architecture != .smallVGGGlobalPool, classes: classes, rng: &rng)
            stem = parts.stem
            body = parts.body
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
                layers.append(
                    Residual(
                        SpikingSelfAttention(
                            dimension: w, heads: SpikingSelfAttention.defaultHeads,
                            builder: builder, rng: &rng)))
                layers.append(Residual(SpikingMLP(dimension: w, hidden: 4 * w, builder: builder, rng: &rng)))
            }
            layers += [TokenMean(), Linear(inFeatures: w, outFeatures: classes, rng: &rng)]
            body = Sequential(layers)
        case .spikformerText:
            let parts = try Self.textTransformer(
                vocabulary: c, classes: classes, width: w, blocks: textBlocks, heads: textHeads,
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
            precondition(
                input.shape[0] == timesteps, "SpikingNetwork: \(input.shape[0]) frames for \(timesteps) time steps")
            return body(stem(input))
        }
        precondition(
            input.rank == 4 || (input.rank == 2 && architecture == .spikformerText),
            "SpikingNetwork: expected images [B, C, H, W] or frames [T, B, C, H, W], got \(input.shape)")
        let current = stem(input)
        return body(current.unsqueezed(0).expanded(to: [timesteps] + current.shape))
    }
}

/// Builds the pieces the architectures share, with tdBN's α, the neuron factory and the
/// convolutions' initialisation fixed.
struct LayerBuilder {
    let alpha: Double
    let neurons: NeuronFactory
    var weightInit: WeightInit = .kaimingNormal()

    func conv(_ inChannels: Int, _ outChannels: Int, rng: inout SeededRNG) -> Conv2d {
        Conv2d(
            inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1, bias: false,
            weightInit: weightInit, rng: &rng)
    }

    func norm(_ channels: Int) -> TDBatchNorm { TDBatchNorm(channels: channels, alpha: alpha) }

    /// `blocks` basic blocks, the first with `stride`; tdBN after every conv, spiking neurons as activations.
    func stage(_ inChannels: Int, _ outChannels: Int, blocks: Int, stride: Int, rng: inout SeededRNG) -> [any Module] {
        (0..<blocks).map { index in
            BasicBlock(
                inChannels: index == 0 ? inChannels : outChannels, outChannels: outChannels,
                stride: index == 0 ? stride : 1, weightInit: weightInit, rng: &rng,
                makeNorm: { norm($0) }, makeActivation: { neurons.make() })
        }
    }

    /// ResNet-19's layout (`ImageArchitecture.resnet19`) with `blocks[s]` basic blocks in stage s
    /// of width w·2^s (stride 2 from the second stage on): conv3×3-w stem → tdBN → spiking,
    /// the stages, global average pool, FC-256 → spiking → FC-classes. As in the tdBN/TET code,
    /// no batch norm before the spiking layer of the FC-256.
    func resnet(
        blocks: [Int], inputChannels: Int, width w: Int, classes: Int, rng: inout SeededRNG
    ) -> (stem: any Module, body: Sequential) {
        let stem = conv(inputChannels, w, rng: &rng)
        var layers: [any Module] = [norm(w), neurons.make()]
        var channels = w
        for (index, count) in blocks.enumerated() {
            let out = w << index
            layers += stage(channels, out, blocks: count, stride: index == 0 ? 1 : 2, rng: &rng)
            channels = out
        }
        layers += [
            AdaptiveAvgPool2d(outputSize: 1), Flatten(startAxis: 2),
            Linear(inFeatures: channels, outFeatures: 256, rng: &rng), neurons.make(),
            Linear(inFeatures: 256, outFeatures: classes, rng: &rng),
        ]
        return (stem, Sequential(layers))
    }

    /// A VGG stack: a width is conv → tdBN → spiking, nil is a 2×2 average pool; then the
    /// classifier on the last feature map flattened (`flattenHead`) or on its global average.
    /// The first conv is the stem. `inputSize` is the input's side (the flattened width follows).
    func vgg(
        _ plan: [Int?], inputChannels: Int, inputSize: Int, flattenHead: Bool, classes: Int, rng: inout SeededRNG
    ) throws -> (stem: any Module, body: Sequential) {
        var layers: [any Module] = []
        var channels = inputChannels
        var size = inputSize
        var stem: (any Module)?
        for entry in plan {
            guard let width = entry else {
                layers.append(AvgPool2d(kernelSize: 2))
                size /= 2
                continue
            }
            let convolution = conv(channels, width, rng: &rng)
            if stem == nil { stem = convolution } else { layers.append(convolution) }
            layers += [norm(width), neurons.make()]
            channels = width
        }
        guard size >= 1 else {
            let pools = plan.filter { $0 == nil }.count
            throw ImageExperimentError.invalidModel(
                "the input side \(inputSize) is too small for \(pools) 2×2 poolings")
        }
        let features = flattenHead ? channels * size * size : channels
        layers += (flattenHead ? [] : [AdaptiveAvgPool2d(outputSize: 1)]) as [any Module]
        layers += [Flatten(startAxis: 2), Linear(inFeatures: features, outFeatures: classes, rng: &rng)]
        return (stem!, Sequential(layers))
    }
}
