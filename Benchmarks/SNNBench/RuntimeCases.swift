import ArgumentParser
import CBLAS
import Foundation
import TensorRuntime

/// 1024³ Float32 matrix product through the runtime vs a raw `cblas_sgemm` call on the same
/// buffers with OpenBLAS's own threading on all cores: the runtime's overhead over OpenBLAS.
struct GEMMCase: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "Runtime matmul vs raw cblas_sgemm.")
    @OptionGroup var options: CommonOptions
    @Option(help: "Matrix size n (n × n times n × n).")
    var size = 1024

    func run() throws {
        var rng = SeededRNG(seed: 1)
        let n = size
        let a = Tensor.normal([n, n], using: &rng)
        let b = Tensor.normal([n, n], using: &rng)
        var c = [Float](repeating: 0, count: n * n)
        let (ours, raw) = Measurement.interleaved(
            warmup: options.warmup, iterations: options.iterations,
            {
                _ = Tensor.matmul(a, b)
            },
            {
                // The runtime keeps OpenBLAS single-threaded and splits products itself; the peer
                // gets OpenBLAS's own threads.
                openblas_set_num_threads(Int32(options.threads))
                defer { openblas_set_num_threads(1) }
                a.withUnsafeBuffer(as: Float.self) { pa in
                    b.withUnsafeBuffer(as: Float.self) { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            cblas_sgemm(
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                        }
                    }
                }
            })
        let gflops = 2 * pow(Double(n), 3) / (ours.medianMs / 1000) / 1e9
        BenchResult(
            name: "gemm", medianMs: ours.medianMs, extra: [("gflops", gflops), ("threads", options.threads)],
            peer: "cblas_sgemm", peerMedianMs: raw.medianMs
        ).emit(json: options.json)
    }
}

/// Forward + backward of a 64→64 3×3 convolution (padding 1) on 32×32 maps, batch 32.
struct Conv2dCase: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conv2d", abstract: "Conv2d forward + backward.")
    @OptionGroup var options: CommonOptions

    func run() throws {
        var rng = SeededRNG(seed: 2)
        let x = Tensor.normal([32, 64, 32, 32], using: &rng).requiringGrad()
        let w = (Tensor.normal([64, 64, 3, 3], using: &rng) * 0.05).requiringGrad()
        let (ours, peers) = try options.compare("conv2d") {
            let y = Tensor.conv2d(x, weight: w, padding: (1, 1))
            y.sum().backward()
            x.zeroGrad()
            w.zeroGrad()
        }
        // Forward 2·N·O·C·9·H·W FLOPs; backward twice that.
        let flops = Double(3 * 2 * 32 * 64 * 64 * 9 * 32 * 32)
        var result = BenchResult(
            name: "conv2d", medianMs: ours.medianMs,
            extra: [("gflops", flops / (ours.medianMs / 1000) / 1e9), ("threads", options.threads)])
        if let (session, measurement) = peers.first { result.setPeer(session, measurement) }
        result.emit(json: options.json)
    }
}

/// A chain of five separate (unfused) elementwise ops over 16 M Float32 elements; reports the
/// memory bandwidth achieved (each op reads and writes the whole tensor).
struct ElementwiseCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elementwise", abstract: "Five unfused elementwise ops, GB/s.")
    @OptionGroup var options: CommonOptions
    @Option(help: "Element count.")
    var count = 16 * 1024 * 1024

    func run() throws {
        var rng = SeededRNG(seed: 3)
        let x = Tensor.uniform([count], low: -1, high: 1, using: &rng)
        let (ours, peers) = try options.compare("elementwise", peers: [["--count", "\(count)"]]) {
            _ = ((x * 1.5 + 0.5).tanh() * x).relu()
        }
        let bytes = Double((5 * 2 + 1) * count * 4)  // five reads and writes, plus the second operand of the product
        var result = BenchResult(
            name: "elementwise", medianMs: ours.medianMs,
            extra: [("gb_per_s", bytes / (ours.medianMs / 1000) / 1e9), ("threads", options.threads)])
        if let (session, measurement) = peers.first { result.setPeer(session, measurement) }
        result.emit(json: options.json)
    }
}
