import CPNG
import Foundation

/// Errors of the Plot module, each naming the file or field at fault.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// libpng refused to write or read the file; `message` is libpng's own explanation.
    case png(path: String, message: String)
    /// Cairo could not create or write a surface; `message` is Cairo's own status text.
    case cairo(path: String, message: String)
    /// Two arrays that must be parallel have different lengths.
    case lengthMismatch(field: String, expected: Int, got: Int)
    /// A log axis received no positive value to show.
    case noPositiveValues(axis: String)
    /// The figure has nothing to draw.
    case empty(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .png(let path, let message): return "libpng on \(path): \(message)"
        case .cairo(let path, let message): return "Cairo on \(path): \(message)"
        case .lengthMismatch(let field, let expected, let got):
            return "\(field) has \(got) values, expected \(expected)"
        case .noPositiveValues(let axis): return "the \(axis) axis is logarithmic but no value on it is positive"
        case .empty(let what): return "nothing to plot: \(what)"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        }
    }
}

/// Writes images as 8-bit RGBA PNG files through libpng's simplified API.
public enum PNGWriter {
    public static func write(_ image: RGBAImage, to path: String) throws {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        let written = image.pixels.withUnsafeBytes { bytes in
            png_image_write_to_file(&png, path, 0, bytes.baseAddress, 0, nil)
        }
        guard written != 0 else {
            let message = RGBAImage.message(of: &png)
            png_image_free(&png)
            throw PlotError.png(path: path, message: message)
        }
    }
}

/// An image as straight-alpha RGBA bytes: a rendered figure, or a decoded PNG to check what a figure drew.
public struct RGBAImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major RGBA bytes, top row first.
    public let pixels: [UInt8]

    init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 4, "\(width)×\(height) RGBA needs \(width * height * 4) bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Decodes the PNG file at `path`.
    public init(contentsOf path: String) throws {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw PlotError.png(path: path, message: Self.message(of: &image))
        }
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        var buffer = [UInt8](repeating: 0, count: Int(shim_png_image_size(&image)))
        let finished = buffer.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&image, nil, bytes.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            throw PlotError.png(path: path, message: message)
        }
        width = Int(image.width)
        height = Int(image.height)
        pixels = buffer
    }

    public subscript(x: Int, y: Int) -> RGBA {
        let offset = (y * width + x) * 4
        return RGBA(pixels[offset], pixels[offset + 1], pixels[offset + 2], pixels[offset + 3])
    }

    /// libpng's error text, a NUL-terminated C string inside the struct.
    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
