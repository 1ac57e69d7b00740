import Foundation
import TensorRuntime

/// Writes CIFAR-10 or CIFAR-100 batch files in the exact binary layout, with images whose
/// class a small network can learn.
///
/// Class `c` of `K` has its own colour (a hue around the colour wheel) and its own stripe
/// orientation (`π·c/K`) and frequency (2–4 periods per image); each image gets a random stripe
/// phase and Gaussian pixel noise. Labels cycle through the classes (CIFAR-100's coarse label
/// is `fine / 5`). Files and names match the official archives' folders, including the
/// label-name text files.
public enum SyntheticCIFAR {
    /// Writes the train and test files of `variant` into `directory` (CIFAR-10's training
    /// images are spread over the five `data_batch_*.bin` files, so `trainCount ≥ 5`).
    public static func write(
        directory: URL, variant: CIFARDataset.Variant, trainCount: Int, testCount: Int, seed: UInt64
    ) throws {
        let batches = variant.fileNames(.train).count
        guard trainCount >= batches, testCount > 0 else {
            throw DatasetError.invalidArgument(
                "synthetic \(variant.rawValue) needs trainCount ≥ \(batches) and testCount > 0 (got \(trainCount), \(testCount))"
            )
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var rng = SeededRNG(seed: seed)
        var next = 0
        for (batch, name) in variant.fileNames(.train).enumerated() {
            let count = trainCount / batches + (batch < trainCount % batches ? 1 : 0)
            try records(variant: variant, labels: (next..<(next + count)).map { $0 % variant.classCount }, rng: &rng)
                .write(to: directory.appendingPathComponent(name))
            next += count
        }
        try records(variant: variant, labels: (0..<testCount).map { $0 % variant.classCount }, rng: &rng)
            .write(to: directory.appendingPathComponent(variant.fileNames(.test)[0]))
        let names = (0..<variant.classCount).map { "class-\($0)" }.joined(separator: "\n") + "\n"
        switch variant {
        case .cifar10:
            try Data(names.utf8).write(to: directory.appendingPathComponent("batches.meta.txt"))
        case .cifar100:
            try Data(names.utf8).write(to: directory.appendingPathComponent("fine_label_names.txt"))
            let coarse = (0..<20).map { "superclass-\($0)" }.joined(separator: "\n") + "\n"
            try Data(coarse.utf8).write(to: directory.appendingPathComponent("coarse_label_names.txt"))
        }
    }

    private static func records(variant: CIFARDataset.Variant, labels: [Int], rng: inout SeededRNG) -> Data {
        var data = Data(capacity: labels.count * variant.recordSize)
        for label in labels {
            if variant == .cifar100 { data.append(UInt8(label / 5)) }
            data.append(UInt8(label))
            data.append(contentsOf: image(label: label, classes: variant.classCount, rng: &rng))
        }
        return data
    }

    static func image(label: Int, classes: Int, rng: inout SeededRNG) -> [UInt8] {
        let fraction = Double(label) / Double(classes)
        let colour = (0..<3).map { 0.5 + 0.4 * Foundation.cos(2 * Double.pi * (fraction + Double($0) / 3)) }
        let angle = Double.pi * fraction
        let frequency = Double(2 + label % 3)
        let phase = 2 * Double.pi * rng.nextUnit()
        var pixels = [UInt8](repeating: 0, count: CIFARDataset.imageBytes)
        for channel in 0..<3 {
            for row in 0..<32 {
                for column in 0..<32 {
                    let along = (Double(column) * Foundation.cos(angle) + Double(row) * Foundation.sin(angle)) / 32
                    let stripe = Foundation.sin(2 * Double.pi * frequency * along + phase)
                    let value = 255 * colour[channel] * (0.6 + 0.4 * stripe) + 20 * rng.nextNormal()
                    pixels[channel * 1024 + row * 32 + column] = UInt8(min(max(value.rounded(), 0), 255))
                }
            }
        }
        return pixels
    }
}
