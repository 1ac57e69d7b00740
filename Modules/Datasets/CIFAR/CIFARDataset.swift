import Foundation

/// CIFAR-10 or CIFAR-100 images from the official binary archives, kept as bytes.
///
/// A record is the label byte (CIFAR-100: coarse label, then fine label) followed by 3072 pixel
/// bytes: the 32×32 red plane, then green, then blue, rows top to bottom. The archives unpack to
/// `cifar-10-batches-bin/` (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`) and
/// `cifar-100-binary/` (`train.bin`, `test.bin`). Bytes are four times smaller than floats;
/// batches are normalised to Float tensors on demand.
public struct CIFARDataset: Sendable {
    public enum Variant: String, Sendable, CaseIterable {
        case cifar10, cifar100

        /// Label bytes per record.
        public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        public var recordSize: Int { labelBytes + CIFARDataset.imageBytes }
        public var classCount: Int { self == .cifar10 ? 10 : 100 }
        /// The folder the official archive unpacks to.
        public var folderName: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }

        public func fileNames(_ split: Split) -> [String] {
            switch (self, split) {
            case (.cifar10, .train): (1...5).map { "data_batch_\($0).bin" }
            case (.cifar10, .test): ["test_batch.bin"]
            case (.cifar100, .train): ["train.bin"]
            case (.cifar100, .test): ["test.bin"]
            }
        }
    }

    public enum Split: String, Sendable { case train, test }

    public static let imageBytes = 3 * 32 * 32

    public let variant: Variant
    /// Pixel bytes, `imageBytes` per image, in the file's plane order.
    public let pixels: [UInt8]
    /// Class labels (CIFAR-100: the fine labels).
    public let labels: [Int]
    /// CIFAR-100's 20 superclass labels.
    public let coarseLabels: [Int]?

    public var count: Int { labels.count }
    public var classCount: Int { variant.classCount }

    /// Reads the official files of `split` from `directory` (the folder holding the `.bin` files).
    public init(directory: URL, variant: Variant, split: Split) throws {
        try self.init(files: variant.fileNames(split).map { directory.appendingPathComponent($0) }, variant: variant)
    }

    /// Reads and concatenates the given batch files.
    public init(files: [URL], variant: Variant) throws {
        var pixels: [UInt8] = []
        var labels: [Int] = []
        var coarse: [Int] = []
        for url in files {
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.fileNotFound(path: url.path)
            }
            let data = try Data(contentsOf: url)
            guard !data.isEmpty, data.count % variant.recordSize == 0 else {
                throw DatasetError.truncatedRecords(
                    file: url.displayName, size: data.count, recordSize: variant.recordSize)
            }
            pixels.reserveCapacity(pixels.count + data.count / variant.recordSize * Self.imageBytes)
            try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                for record in 0..<(bytes.count / variant.recordSize) {
                    let start = record * variant.recordSize
                    let fine = Int(bytes[start + variant.labelBytes - 1])
                    guard fine < variant.classCount else {
                        throw DatasetError.labelOutOfRange(
                            file: url.displayName, field: "record", sample: record, label: fine,
                            classes: variant.classCount)
                    }
                    if variant == .cifar100 {
                        let superclass = Int(bytes[start])
                        guard superclass < 20 else {
                            throw DatasetError.labelOutOfRange(
                                file: url.displayName, field: "coarse label of record", sample: record,
                                label: superclass, classes: 20)
                        }
                        coarse.append(superclass)
                    }
                    labels.append(fine)
                    pixels.append(contentsOf: bytes[(start + variant.labelBytes)..<(start + variant.recordSize)])
                }
            }
        }
        self.variant = variant
        self.pixels = pixels
        self.labels = labels
        self.coarseLabels = variant == .cifar100 ? coarse : nil
    }

    /// Number of images per class.
    public func classHistogram() -> [Int] {
        labels.reduce(into: [Int](repeating: 0, count: classCount)) { $0[$1] += 1 }
    }
}
