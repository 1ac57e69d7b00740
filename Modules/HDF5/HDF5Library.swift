import CHDF5
import Foundation

/// The one lock every libhdf5 call in the toolkit runs under.
///
/// libhdf5 is thread-safe only when built with `--enable-threadsafe` (`H5_HAVE_THREADSAFE`;
/// the Debian 12 package on our machines is, many serial builds are not): in a build without it,
/// two threads inside the library at once (a checkpoint written while a loader thread reads a
/// dataset) corrupt its global state. One lock of our own makes the toolkit safe on either. It
/// is recursive so a caller may group several calls into one critical section (`withLock`)
/// while each call still takes it itself.
public enum HDF5Library {
    private static let lock: NSRecursiveLock = {
        let lock = NSRecursiveLock()
        lock.name = "HDF5Library"
        return lock
    }()

    /// HDF5 prints its error stack on every failed call unless told not to; we report our own.
    private static let silenced: Void = shim_silence_errors()

    /// Runs `body` holding the library lock.
    public static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = silenced
        return try body()
    }

    /// Whether `url` is an HDF5 file (false when it is missing or cannot be read).
    public static func isHDF5(_ url: URL) -> Bool {
        withLock { shim_is_hdf5(url.path) > 0 }
    }
}

/// One libhdf5 identifier, closed exactly once (with its own `H5?close`, under the lock) when
/// the last reference goes.
final class HDF5Handle {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    /// Wraps `id`, or returns nil when the call that produced it failed (negative id).
    init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        guard id >= 0 else { return nil }
        self.id = id
        self.close = close
    }

    deinit { HDF5Library.withLock { _ = close(id) } }
}
