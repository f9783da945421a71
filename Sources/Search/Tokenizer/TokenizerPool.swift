import Synchronization

/// Tokenizers kept warm between searches. A fresh ``Tokenizer`` starts with an empty
/// vocabulary, so every word of every candidate passage is folded, stemmed and interned again
/// on each query; a lent one has seen the corpus's words before and recognises them with one
/// hash probe. Each tokenizer is lent to one caller at a time (tokenizers are not `Sendable`);
/// concurrent callers get their own, and at most `capacity` idle ones are kept, each with at
/// most `maxVocabularyWords` words remembered (a larger one is dropped rather than kept, which
/// bounds the memory the pool holds whatever the corpus).
public final class TokenizerPool: Sendable {
    /// One pooled tokenizer. Only the pool and the one caller it is lent to touch it, never
    /// two threads at once: the mutex hands it over, which is what makes this sound.
    private final class Lent: @unchecked Sendable {
        let tokenizer: Tokenizer
        init(_ tokenizer: Tokenizer) { self.tokenizer = tokenizer }
    }

    private let idle = Mutex<[Lent]>([])
    /// The most idle tokenizers kept.
    public let capacity: Int
    /// A tokenizer that remembers more words than this is not kept.
    public let maxVocabularyWords: Int

    /// A pool keeping up to `capacity` idle tokenizers (stemming, as the index expects) of at
    /// most `maxVocabularyWords` remembered words each (about 100 bytes a word).
    public init(capacity: Int = 4, maxVocabularyWords: Int = 50_000) {
        self.capacity = max(capacity, 1)
        self.maxVocabularyWords = maxVocabularyWords
    }

    /// Calls `body` with a tokenizer no one else uses meanwhile, and keeps it for the next call.
    /// Throws what `body` throws, or ``SearchError`` when no tokenizer can be made (like
    /// `Store.read`, it wraps untyped work: a search's storage and engine errors pass through).
    public func withTokenizer<R>(_ body: (Tokenizer) throws -> R) throws -> R {
        let lent = try idle.withLock({ $0.popLast() }) ?? Lent(Tokenizer())
        defer {
            if lent.tokenizer.vocabularyWords <= maxVocabularyWords {
                idle.withLock { tokenizers in
                    if tokenizers.count < capacity { tokenizers.append(lent) }
                }
            }
        }
        return try body(lent.tokenizer)
    }

    /// Idle tokenizers held now (for tests).
    public var idleCount: Int { idle.withLock { $0.count } }
}
