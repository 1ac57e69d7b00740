import ArgumentParser
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
