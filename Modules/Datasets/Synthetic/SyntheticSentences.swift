import Foundation

/// Synthetic sentence classification in the SST-2 format, for tests and the `smoke` presets: a
/// `SST-2`-like folder with `train.tsv` and `dev.tsv`. Sentences of 4–12 words mix neutral
/// filler with words from a positive and a negative list; a sentence of class c draws its
/// sentiment words from list c with probability `signal` (else from the other list), so the
/// label is learnable from which words occur, and no single sentence is certain. Some
/// sentences end with punctuation, some words are capitalised, to exercise the tokenizer.
public enum SyntheticSentences {
    public static let positiveWords = [
        "good", "great", "fine", "lovely", "brilliant", "moving", "funny", "warm", "smart", "charming",
        "fresh", "superb",
    ]
    public static let negativeWords = [
        "bad", "dull", "awful", "boring", "weak", "messy", "flat", "tedious", "stale", "clumsy",
        "silly", "poor",
    ]
    public static let neutralWords = [
        "the", "film", "a", "movie", "story", "is", "and", "it", "'s", "of", "cast", "plot", "this",
        "with", "an", "its", "director", "scenes", "rather", "quite", "acting", "script", "ending", "score",
    ]

    /// Writes `<directory>/train.tsv` and `<directory>/dev.tsv`; the same seed gives the same files.
    public static func write(directory: URL, trainCount: Int, devCount: Int, signal: Double = 0.85, seed: UInt64) throws
    {
        var rng = SplitMix(seed: seed)
        try SST2Dataset.write(
            sentences(trainCount, signal: signal, rng: &rng), to: directory.appendingPathComponent("train.tsv"))
        try SST2Dataset.write(
            sentences(devCount, signal: signal, rng: &rng), to: directory.appendingPathComponent("dev.tsv"))
    }

    /// `count` sentences with alternating labels.
    static func sentences(_ count: Int, signal: Double, rng: inout SplitMix) -> [LabelledSentence] {
        (0..<count).map { index in
            let label = index % 2
            let length = 4 + Int(rng.next() % 9)
            var words: [String] = []
            for position in 0..<length {
                let word: String
                if rng.unit() < 0.6 && position > 0 {
                    word = neutralWords[Int(rng.next() % UInt64(neutralWords.count))]
                } else {
                    let own = rng.unit() < signal
                    let list = (label == 1) == own ? positiveWords : negativeWords
                    word = list[Int(rng.next() % UInt64(list.count))]
                }
                words.append(rng.unit() < 0.1 ? word.capitalized : word)
            }
            let ending = [" .", "!", "", " ,  really"][Int(rng.next() % 4)]
            return LabelledSentence(sentence: words.joined(separator: " ") + ending, label: label)
        }
    }
}
