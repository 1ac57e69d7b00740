/// Turns arguments into words a POSIX shell reads back unchanged, for the scripts this toolkit
/// writes (a Slurm job array runs a recorded argv through `srun` in a bash script).
public enum ShellQuoting {
    /// `word` as one shell word: unchanged when it holds only characters no shell treats
    /// specially, else in single quotes, inside which nothing is special; a single quote itself
    /// is written as `'\''` (close, escaped quote, reopen). The empty word is `''`.
    public static func quote(_ word: String) -> String {
        if !word.isEmpty && word.unicodeScalars.allSatisfy(isPlain) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// The words quoted and joined by spaces: a command line.
    public static func commandLine(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    /// ASCII letters, digits and `_ - . / , : = + @ %`: none of them expands, splits, globs,
    /// redirects or starts a comment anywhere in a word.
    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "_", "-", ".", "/", ",", ":", "=", "+", "@", "%": return true
        default: return false
        }
    }
}
