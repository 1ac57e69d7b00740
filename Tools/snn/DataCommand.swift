import ArgumentParser
import Datasets
import Foundation

/// `snn data`: fetch the datasets the reproductions use, and inspect data files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch and inspect datasets.",
        subcommands: [Fetch.self, Inspect.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, verify (MD5) and unpack a dataset into the data directory.",
            discussion: """
                The data directory is --data-dir if given, else $SNN_DATA_DIR, else \
                $XDG_CACHE_HOME/snn-toolkit, else ~/.cache/snn-toolkit. Interrupted downloads \
                resume; archives are unpacked with the system's gzip, tar and unzip.
                """)

        @Argument(help: "One of: \(DatasetCatalog.all.map(\.name).joined(separator: ", ")).")
        var name: String

        @Option(help: "Data directory (overrides $SNN_DATA_DIR).")
        var dataDir: String?

        func run() throws {
            let dataset = try DatasetCatalog.named(name)
            let progress = ProgressLine()
            let fetcher = DatasetFetcher(
                dataDirectory: DataDirectory.resolve(explicit: dataDir),
                downloader: Downloader(progress: { progress.update(bytes: $0, total: $1) }),
                log: {
                    progress.finishLine()
                    print($0)
                })
            let folder = try fetcher.fetch(dataset)
            progress.finishLine()
            print("\(dataset.name) is ready in \(folder.path)")
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Summarise a data file: format, samples, classes, channels or image shape, spikes per sample, duration.",
            discussion: "Recognises SHD-layout HDF5 files, CIFAR binary batches (file or folder) and AEDAT event files."
        )

        @Argument(help: "A data file or folder.")
        var path: String

        func run() throws {
            print(try DatasetInspector.inspect(URL(fileURLWithPath: path)))
        }
    }
}

/// A download progress line on standard error, redrawn in place at most once per percent.
private final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var lastShown = -1
    private var open = false

    func update(bytes: Int64, total: Int64?) {
        lock.withLock {
            let megabytes = Double(bytes) / 1_048_576
            let text: String
            if let total, total > 0 {
                let percent = Int(100 * bytes / total)
                guard percent != lastShown else { return }
                lastShown = percent
                text = String(format: "  %3d %%  %.1f / %.1f MB", percent, megabytes, Double(total) / 1_048_576)
            } else {
                let tenths = Int(megabytes * 10)
                guard tenths != lastShown else { return }
                lastShown = tenths
                text = String(format: "  %.1f MB", megabytes)
            }
            FileHandle.standardError.write(Data("\r\(text)".utf8))
            open = true
        }
    }

    func finishLine() {
        lock.withLock {
            if open { FileHandle.standardError.write(Data("\n".utf8)) }
            open = false
            lastShown = -1
        }
    }
}
