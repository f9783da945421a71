import Testing
@testable import Search
import Storage

@Suite("TokenizerPool: warm tokenizers lent one caller at a time")
struct TokenizerPoolTests {
    @Test("A tokenizer comes back to the pool and is lent again; nested callers get their own")
    func lending() throws {
        let pool = TokenizerPool(capacity: 2)
        let first = try pool.withTokenizer { ObjectIdentifier($0) }
        let again = try pool.withTokenizer { ObjectIdentifier($0) }
        #expect(first == again)
        #expect(pool.idleCount == 1)
        let (outer, inner, innerInner) = try pool.withTokenizer { outer in
            try pool.withTokenizer { inner in
                try pool.withTokenizer { innerInner in
                    (ObjectIdentifier(outer), ObjectIdentifier(inner), ObjectIdentifier(innerInner))
                }
            }
        }
        #expect(Set([outer, inner, innerInner]).count == 3)
        // Three were out at once; the pool keeps only `capacity` of them.
        #expect(pool.idleCount == 2)
    }

    @Test("A tokenizer that has learnt more words than the pool's bound is dropped, not kept")
    func vocabularyBound() throws {
        let pool = TokenizerPool(capacity: 2, maxVocabularyWords: 5)
        let small = try pool.withTokenizer { tokenizer in
            _ = tokenizer.occurrences(in: "rotate the keys")
            return ObjectIdentifier(tokenizer)
        }
        #expect(pool.idleCount == 1)
        try pool.withTokenizer { tokenizer in
            #expect(ObjectIdentifier(tokenizer) == small)
            _ = tokenizer.occurrences(in: "rotate the database credentials every second week without fail")
        }
        #expect(pool.idleCount == 0)
    }

    @Test("A body's error passes through and the tokenizer still returns")
    func errorsPassThrough() throws {
        struct Failure: Error, Equatable {}
        let pool = TokenizerPool()
        #expect(throws: Failure()) {
            try pool.withTokenizer { _ in throw Failure() }
        }
        #expect(pool.idleCount == 1)
    }

    @Test("Searches with a warm pooled tokenizer rank and cite as with a fresh one")
    func warmTokenizerSameResults() throws {
        let fixture = try IndexFixture()
        for index in 0..<12 {
            try fixture.add(TestPage(id: "p\(index)", title: "Runbook \(index): rotating credentials", sections: [
                ("Rotation", "Rotate the database credentials every \(index + 2) weeks; the pager escalation policy applies."),
                ("Feature flags", "Clean up feature flags after rollout \(index). Running runners ran quickly."),
            ]))
        }
        let pool = TokenizerPool()
        let queries = ["rotate the database credentials", "pager escalation policy", "feature flag cleanup",
                       "\"escalation policy\"", "runners running"]
        var options = SearchOptions()
        options.maxResultsPerPage = 2
        for _ in 0..<2 {
            for query in queries {
                let pooled = try pool.withTokenizer { tokenizer in
                    try fixture.store.read { txn in
                        try fixture.index.search(query, datastore: 1, options: options, in: txn, tokenizer: tokenizer)
                    }
                }
                let fresh = try fixture.store.read { txn in
                    try fixture.index.search(query, datastore: 1, options: options, in: txn, tokenizer: try Tokenizer())
                }
                #expect(pooled == fresh, "\(query)")
                #expect(!pooled.isEmpty)
            }
        }
    }
}
