import TensorRuntime

/// Per-channel mean and standard deviation used to standardise images.
public struct ChannelNormalization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(
            mean.count == 3 && std.count == 3 && std.allSatisfy { $0 > 0 }, "three means and three positive stds")
        self.mean = mean
        self.std = std
    }

    /// The CIFAR-10 training-set statistics (pixel values in [0, 1]).
    public static let cifar10 = ChannelNormalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// The CIFAR-100 training-set statistics (pixel values in [0, 1]).
    public static let cifar100 = ChannelNormalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])

    public static func standard(for variant: CIFARDataset.Variant) -> ChannelNormalization {
        variant == .cifar10 ? .cifar10 : .cifar100
    }
}

/// The standard CIFAR training augmentation: random crop from a zero-padded image, horizontal
/// flip, and optionally Cutout (DeVries & Taylor 2017).
///
/// Draws per image, in this order: crop row offset, crop column offset (each uniform in
/// `0...2·padding`), flip (probability ½), then the Cutout centre row and column (uniform over
/// the image; the square may stick out of it). Padding is black in pixel space, as
/// torchvision's `RandomCrop(32, padding: 4)` does before normalisation; Cutout zeroes the
/// normalised values, as the reference implementation does.
public struct CIFARAugmentation: Sendable, Equatable {
    public let padding: Int
    public let flip: Bool
    /// Side of the Cutout square (16 for CIFAR-10 in the paper), or nil for none.
    public let cutout: Int?

    public init(padding: Int = 4, flip: Bool = true, cutout: Int? = nil) {
        precondition(padding >= 0 && (cutout ?? 1) > 0, "padding ≥ 0 and a positive Cutout size")
        self.padding = padding
        self.flip = flip
        self.cutout = cutout
    }
}

extension CIFARDataset {
    /// Images `indices` as a normalised [N, 3, 32, 32] tensor plus their labels, augmented with
    /// draws from `rng` when `augmentation` is given.
    public func batch(
        _ indices: [Int], normalization: ChannelNormalization, augmentation: CIFARAugmentation? = nil,
        rng: inout SeededRNG
    ) -> (images: Tensor, labels: [Int]) {
        let side = 32
        let plane = side * side
        var values = [Float](repeating: 0, count: indices.count * Self.imageBytes)
        let scale = (0..<3).map { 1 / (255 * normalization.std[$0]) }
        let shift = (0..<3).map { -normalization.mean[$0] / normalization.std[$0] }
        for (position, index) in indices.enumerated() {
            var rowOffset = 0
            var columnOffset = 0
            var mirrored = false
            if let augmentation {
                rowOffset = rng.index(below: 2 * augmentation.padding + 1) - augmentation.padding
                columnOffset = rng.index(below: 2 * augmentation.padding + 1) - augmentation.padding
                mirrored = augmentation.flip && rng.index(below: 2) == 1
            }
            let source = index * Self.imageBytes
            let target = position * Self.imageBytes
            for channel in 0..<3 {
                for row in 0..<side {
                    for column in 0..<side {
                        // Crop first, then mirror the crop (torchvision's order).
                        let sourceRow = row + rowOffset
                        let sourceColumn = (mirrored ? side - 1 - column : column) + columnOffset
                        let inside = (0..<side).contains(sourceRow) && (0..<side).contains(sourceColumn)
                        let byte =
                            inside ? Float(pixels[source + channel * plane + sourceRow * side + sourceColumn]) : 0
                        values[target + channel * plane + row * side + column] = byte * scale[channel] + shift[channel]
                    }
                }
            }
            if let size = augmentation?.cutout {
                let centreRow = rng.index(below: side)
                let centreColumn = rng.index(below: side)
                let rows = max(0, centreRow - size / 2)..<min(side, centreRow + size - size / 2)
                let columns = max(0, centreColumn - size / 2)..<min(side, centreColumn + size - size / 2)
                for channel in 0..<3 {
                    for row in rows {
                        for column in columns { values[target + channel * plane + row * side + column] = 0 }
                    }
                }
            }
        }
        return (Tensor(shape: [indices.count, 3, side, side], scalars: values), indices.map { labels[$0] })
    }
}
