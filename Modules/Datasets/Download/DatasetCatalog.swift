import Foundation

/// One published archive: where to get it, how to check it, and what it unpacks to.
public struct RemoteFile: Sendable {
    /// How the archive's integrity is checked.
    public enum Checksum: Sendable, Equatable {
        /// A pinned MD5.
        case md5(String)
        /// The MD5 listed for this file in the publisher's `md5sums.txt` at this URL (used where
        /// no value could be pinned from a source we trust, e.g. the SSC archives).
        case md5Manifest(URL)
        /// No checksum could be pinned from a source we trust (and none was verifiable offline):
        /// the fetcher accepts the archive but says so, printing its MD5 as "not verified" so
        /// that it can be compared and pinned.
        case unpinned
    }

    /// What to do with the verified archive.
    public enum Extraction: Sendable, Equatable {
        /// `.gz` → this file name.
        case gunzip(to: String)
        /// `.tar.gz` → unpacks to this entry (file or folder).
        case untar(producing: String)
        /// `.zip` → unpacks to this entry.
        case unzip(producing: String)

        /// The path, relative to the dataset folder, whose presence means "already unpacked".
        public var product: String {
            switch self {
            case .gunzip(let name), .untar(let name), .unzip(let name): name
            }
        }
    }

    /// The archive's file name in the dataset folder.
    public let name: String
    /// The official URL first, then mirrors.
    public let urls: [URL]
    public let checksum: Checksum
    public let extraction: Extraction

    public init(name: String, urls: [URL], checksum: Checksum, extraction: Extraction) {
        self.name = name
        self.urls = urls
        self.checksum = checksum
        self.extraction = extraction
    }
}

/// A dataset the toolkit can fetch: its folder in the data directory and its archives.
public struct DatasetDescriptor: Sendable {
    public let name: String
    public let folder: String
    public let files: [RemoteFile]

    public init(name: String, folder: String, files: [RemoteFile]) {
        self.name = name
        self.folder = folder
        self.files = files
    }
}

/// The official sources and checksums of every dataset `snn data fetch` knows.
public enum DatasetCatalog {
    static let zenke = URL(string: "https://zenkelab.org/datasets/")!
    static let compneuro = URL(string: "https://compneuro.net/datasets/")!
    static let toronto = URL(string: "https://www.cs.toronto.edu/~kriz/")!

    private static func heidelberg(_ file: String, _ checksum: RemoteFile.Checksum) -> RemoteFile {
        RemoteFile(
            name: "\(file).gz", urls: [zenke, compneuro].map { $0.appendingPathComponent("\(file).gz") },
            checksum: checksum, extraction: .gunzip(to: file))
    }

    /// Spiking Heidelberg Digits (Cramer et al. 2022), MD5s as published in `md5sums.txt`.
    public static let shd = DatasetDescriptor(
        name: "shd", folder: "shd",
        files: [
            heidelberg("shd_train.h5", .md5("d47c9825dee33347913e8ce0f2be08b0")),
            heidelberg("shd_test.h5", .md5("3062a80ec0c5719404d5b02e166543b1")),
        ])

    /// Spiking Speech Commands: same layout, three splits, checked against the publisher's
    /// `md5sums.txt`.
    public static let ssc = DatasetDescriptor(
        name: "ssc", folder: "ssc",
        files: ["ssc_train.h5", "ssc_valid.h5", "ssc_test.h5"].map {
            heidelberg($0, .md5Manifest(zenke.appendingPathComponent("md5sums.txt")))
        })

    public static let cifar10 = DatasetDescriptor(
        name: "cifar10", folder: "cifar10",
        files: [
            RemoteFile(
                name: "cifar-10-binary.tar.gz", urls: [toronto.appendingPathComponent("cifar-10-binary.tar.gz")],
                checksum: .md5("c32a1d4ab5d03f1284b67883e8d87530"),
                extraction: .untar(producing: "cifar-10-batches-bin"))
        ])

    public static let cifar100 = DatasetDescriptor(
        name: "cifar100", folder: "cifar100",
        files: [
            RemoteFile(
                name: "cifar-100-binary.tar.gz", urls: [toronto.appendingPathComponent("cifar-100-binary.tar.gz")],
                checksum: .md5("03b5dce01913d631647c71ecec9e9cb8"), extraction: .untar(producing: "cifar-100-binary"))
        ])

    /// CIFAR10-DVS (Li et al. 2017), the per-class archives of the figshare release (article
    /// 4724671), with the MD5s SpikingJelly pins for them.
    public static let cifar10DVS = DatasetDescriptor(
        name: "cifar10-dvs", folder: "cifar10-dvs",
        files: zip(
            CIFAR10DVS.classNames,
            [
                ("7712788", "0afd5c4bf9ae06af762a77b180354fdd"), ("7712791", "8438dfeba3bc970c94962d995b1b9bdd"),
                ("7712794", "a9c207c91c55b9dc2002dc21c684d785"), ("7712812", "52c63c677c2b15fa5146a8daf4d56687"),
                ("7712815", "b6bf21f6c04d21ba4e23fc3e36c8a4a3"), ("7712818", "f379ebdf6703d16e0a690782e62639c3"),
                ("7712842", "cad6ed91214b1c7388a5f6ee56d08803"), ("7712851", "e7cbbf77bec584ffbf913f00e682782a"),
                ("7712836", "41c7bd7d6b251be82557c6cce9a7d5c9"), ("7712839", "89f3922fd147d9aeff89e76a2b0b70a7"),
            ]
        ).map { name, source in
            RemoteFile(
                name: "\(name).zip", urls: [URL(string: "https://ndownloader.figshare.com/files/\(source.0)")!],
                checksum: .md5(source.1), extraction: .unzip(producing: name))
        })

    /// SST-2 as released with GLUE (Wang et al. 2019): `SST-2/train.tsv`, `dev.tsv`, `test.tsv`.
    /// No MD5 is published for this zip and none could be verified when this entry was written
    /// (no network), so the checksum is `.unpinned`: the fetcher reports the archive as not
    /// verified and prints its MD5.
    public static let sst2 = DatasetDescriptor(
        name: "sst2", folder: "sst2",
        files: [
            RemoteFile(
                name: "SST-2.zip", urls: [URL(string: "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip")!],
                checksum: .unpinned, extraction: .unzip(producing: "SST-2"))
        ])

    public static let all = [shd, ssc, cifar10, cifar100, cifar10DVS, sst2]

    public static func named(_ name: String) throws -> DatasetDescriptor {
        guard let descriptor = all.first(where: { $0.name == name }) else {
            throw DatasetError.invalidArgument(
                "unknown dataset \"\(name)\" (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return descriptor
    }
}
