import ArgumentParser
import ClassificationExperiment
import NN
import Neurons
import TensorRuntime

/// One training step of paper 3's `cpu`-preset text Spikformer (`sst2-*` variants of
/// papers/zhou2026-circulate-firing/configs/protocol.cpu.json over cifar.cpu.json): width 64, one
/// block of 4-head spiking self-attention and a spiking MLP (hidden 256), sentences of 32 tokens,
/// T = 4 (direct encoding), tdBN, TET loss, Adam (learning rate 10⁻³), batch 32, sigmoid surrogate
/// of fixed sharpness 4.
///
/// This measures the experiment's own model: `SpikingNetwork(.spikformerText, …)` from
/// `ImageExperiment`, built as `ImageExperiment` builds it, so an optimisation of the model shows
/// here and a change of its semantics would have to change the peer too. The vocabulary (the
/// embedding's rows) depends on the data the run tokenizes; `--vocabulary` is an estimate of the
/// preset's (8000 training sentences, words seen at least twice).
struct SST2StepCase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sst2-step",
        abstract:
            "Training step of the paper 3 CPU-preset text Spikformer (embedding, SSA + MLP block, tdBN, neurons, TET, Adam)."
    )
    @OptionGroup var options: CommonOptions
    @Option(help: "Neuron plugin (cf, lif, dqif, …).")
    var neuron = "cf"
    @Option(help: "Time steps.")
    var steps = 4
    @Option(help: "Batch size (sentences).")
    var batch = 32
    @Option(help: "Tokens per sentence.")
    var tokens = 32
    @Option(help: "Model width (embedding dimension).")
    var width = 64
    @Option(help: "Encoder blocks.")
    var blocks = 1
    @Option(help: "Attention heads.")
    var heads = 4
    @Option(help: "Vocabulary size (embedding rows).")
    var vocabulary = 4000

    func run() throws {
        var rng = SeededRNG(seed: 5)
        let factory = try NeuronFactory(
            name: neuron, configuration: nil, options: EngineOptions(surrogate: .sigmoid), sharpness: .fixed(4))
        let network = try SpikingNetwork(
            .spikformerText, inputChannels: vocabulary, classes: 2, width: width, timesteps: steps, tdbnAlpha: 1,
            neurons: factory,
            textBlocks: blocks, textHeads: heads, rng: &rng)
        let optimizer = Adam(network.parameters(), learningRate: 1e-3)
        let ids = Tensor(
            shape: [batch, tokens],
            values: SentenceBatch.ids(batch: batch, tokens: tokens, vocabulary: vocabulary).map(Double.init),
            dtype: .float32)
        let labels = (0..<batch).map { $0 % 2 }
        let peerArguments = [
            "--neuron", neuron, "--steps", "\(steps)", "--batch", "\(batch)", "--tokens", "\(tokens)",
            "--width", "\(width)", "--blocks", "\(blocks)", "--heads", "\(heads)",
            "--vocabulary", "\(vocabulary)",
        ]
        let (ours, peers) = try options.compare("sst2-step", peers: [peerArguments]) {
            optimizer.zeroGrad()
            tetLoss(logits: network(ids), labels: labels).backward()
            optimizer.step()
        }
        var result = BenchResult(
            name: "sst2-step", medianMs: ours.medianMs,
            extra: [
                ("neuron", neuron), ("steps", steps), ("batch", batch), ("tokens", tokens), ("width", width),
                ("blocks", blocks),
                ("heads", heads), ("vocabulary", vocabulary), ("threads", options.threads),
            ])
        if let (session, measurement) = peers.first { result.setPeer(session, measurement) }
        result.emit(json: options.json)
    }
}

/// The token ids both sides use, so that padding (id 0) falls in the same places: sentence b has
/// 8 + (7b mod (L − 7)) words, the rest of its L positions are padding (as `WordTokenizer` pads at
/// the end). The peer computes the same formula.
enum SentenceBatch {
    static func ids(batch: Int, tokens: Int, vocabulary: Int) -> [Int] {
        (0..<batch).flatMap { b in
            let length = min(tokens, 8 + (7 * b) % max(1, tokens - 7))
            return (0..<tokens).map { l in l < length ? 2 + (131 * b + 17 * l) % (vocabulary - 2) : 0 }
        }
    }
}
