import ArgumentParser
import Neurons
import TensorRuntime

/// The spike-driven convolution against the dense one on the convolutions of `cifar-step` that
/// read spikes (T·B = 128 images of 16 or 32 channels), at input densities from 1 % to 50 %:
/// forward + backward (input and weight gradients) of each, interleaved. The crossover density
/// of each layer is where `ratio` (spike / dense) passes 1; `SpikeDensity.crossover` records it.
struct SpikeConvCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spike-conv", abstract: "Spike-driven vs dense conv2d over input densities (cifar-step layers).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Images per call (time steps × batch).")
    var images = 128

    func run() throws {
        let layers: [(name: String, c: Int, o: Int, size: Int, kernel: Int, stride: Int, padding: Int)] = [
            ("16-16 3x3 32x32", 16, 16, 32, 3, 1, 1), ("16-32 3x3/2 32x32", 16, 32, 32, 3, 2, 1),
            ("32-32 3x3 16x16", 32, 32, 16, 3, 1, 1), ("16-32 1x1/2 32x32", 16, 32, 32, 1, 2, 0),
        ]
        for layer in layers {
            var rng = SeededRNG(seed: 9)
            let w = (Tensor.normal([layer.o, layer.c, layer.kernel, layer.kernel], using: &rng) * 0.1).requiringGrad()
            for density in [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5] {
                let shape = [images, layer.c, layer.size, layer.size]
                let values = (0..<Shape.count(shape)).map { _ in rng.nextUnit() < density ? 1.0 : 0.0 }
                let x = Tensor(shape: shape, values: values, dtype: .float32).requiringGrad()
                func step(_ spikeDensity: Double) -> () -> Void {
                    {
                        let y = Tensor.conv2d(
                            x, weight: w, stride: (layer.stride, layer.stride),
                            padding: (layer.padding, layer.padding), spikeDensity: spikeDensity)
                        y.sum().backward()
                        x.zeroGrad()
                        w.zeroGrad()
                    }
                }
                let (spike, dense) = Measurement.interleaved(
                    warmup: options.warmup, iterations: options.iterations,
                    step(1), step(0))
                BenchResult(
                    name: "spike-conv", medianMs: spike.medianMs,
                    extra: [
                        ("layer", layer.name), ("density", density), ("dense_median_ms", dense.medianMs),
                        ("ratio", (spike.medianMs / dense.medianMs * 100).rounded() / 100),
                        ("threads", options.threads),
                    ]
                ).emit(json: options.json)
            }
        }
    }
}

/// The sparse spike layer against the dense GEMM on the layers of `shd-step` and paper 1's
/// networks (T·B = 6 400 rows): input layers 700 → 256 and 700 → 128 fed by events (forward +
/// weight gradient), readouts 256 → 20 and 128 → 20 and a hidden 256 → 256 fed by spikes
/// (forward + weight and input gradients), at input densities from 1 % to 50 %. The crossover is where `ratio` (sparse / dense) passes 1; `SparseSpikeLinear`'s
/// default `denseThreshold` records it.
struct SpikeLinearCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spike-linear",
        abstract: "Sparse spike layer vs dense GEMM over input densities (shd-step layers).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Rows per call (time steps × batch).")
    var rows = 6400

    func run() throws {
        let layers = [(700, 256, true), (700, 128, true), (256, 20, false), (128, 20, false), (256, 256, false)]
        for (inFeatures, outFeatures, fromEvents) in layers {
            var rng = SeededRNG(seed: 10)
            let layer = SparseSpikeLinear(inFeatures: inFeatures, outFeatures: outFeatures, rng: &rng)
            for density in [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5] {
                let frame = Tensor.bernoulli([rows, 1, inFeatures], p: density, using: &rng)
                let events = SpikeEvents(frame)
                let x = frame.reshaped([rows, inFeatures]).requiringGrad()
                func step(_ threshold: Double) -> () -> Void {
                    {
                        layer.denseThreshold = threshold
                        let y = fromEvents ? layer(events) : layer(x)
                        y.sum().backward()
                        layer.zeroGrad()
                        x.zeroGrad()
                    }
                }
                let (sparse, dense) = Measurement.interleaved(
                    warmup: options.warmup, iterations: options.iterations, step(1), step(0))
                BenchResult(
                    name: "spike-linear", medianMs: sparse.medianMs,
                    extra: [
                        ("layer", "\(inFeatures)-\(outFeatures)\(fromEvents ? " events" : "")"),
                        ("density", density), ("dense_median_ms", dense.medianMs),
                        ("ratio", (sparse.medianMs / dense.medianMs * 100).rounded() / 100),
                        ("threads", options.threads),
                    ]
                ).emit(json: options.json)
            }
        }
    }
}
