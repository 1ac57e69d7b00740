import Crypto
import Foundation

/// MD5 of a file, read in chunks so multi-gigabyte archives need no memory. MD5 because that
/// is what the dataset publishers print; it guards against corruption, not tampering.
enum FileChecksum {
    static func md5(of url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        defer { try? handle.close() }
        var hasher = Insecure.MD5()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
