import Testing
@testable import Search
import RandomTestSupport

@Suite("Tokenizer")
struct TokenizerTests {
    let tokenizer: Tokenizer

    init() throws {
        tokenizer = try Tokenizer()
    }

    @Test("Folds case and diacritics")
    func folding() {
        #expect(tokenizer.terms(in: "Café CAFÉ cafe\u{301}") == ["cafe", "cafe", "cafe"])
        #expect(tokenizer.terms(in: "Straße") == ["strass"])
        #expect(tokenizer.terms(in: "Ｔｒｉｂｕｔａｒｙ") == tokenizer.terms(in: "tributary"))
        #expect(tokenizer.terms(in: "Øresund Łódź") == ["oresund", "lodz"])
    }

    @Test("Stems English words with Snowball")
    func stemming() {
        #expect(tokenizer.terms(in: "running runs ran") == ["run", "run", "ran"])
        #expect(tokenizer.terms(in: "Connections connected connecting") == ["connect", "connect", "connect"])
        #expect(tokenizer.terms(in: "Debian's packages") == ["debian", "packag"])
        let unstemmed = try? Tokenizer(stemming: false)
        #expect(unstemmed?.terms(in: "Running") == ["running"])
    }

    @Test("Keeps identifiers whole and unstemmed")
    func identifiers() {
        #expect(tokenizer.terms(in: "snake_case x86_64 __init__") == ["snake_case", "x86_64", "init"])
        #expect(tokenizer.terms(in: "v2.1 and 192.168.0.1") == ["v2.1", "and", "192.168.0.1"])
        #expect(tokenizer.terms(in: "C++ g++ C# F#, a+b") == ["c++", "g++", "c#", "f#", "a", "b"])
        #expect(tokenizer.terms(in: "don’t") == ["don't"])
    }

    @Test("Splits at punctuation and symbols")
    func punctuation() {
        #expect(tokenizer.terms(in: "well-known /etc/tributary.conf: (see e.g. §3)") ==
                ["well", "known", "etc", "tributari", "conf", "see", "e", "g", "3"])
        #expect(tokenizer.terms(in: "end. Next—sentence…") == ["end", "next", "sentenc"])
        #expect(tokenizer.terms(in: "  \n\t!!! ") == [])
        #expect(tokenizer.terms(in: "") == [])
    }

    @Test("Gives byte ranges and consecutive positions")
    func positions() {
        let text = "Über die Brücke"
        let tokens = tokenizer.tokens(in: text)
        #expect(tokens.map(\.position) == [0, 1, 2])
        let bytes = Array(text.utf8)
        #expect(tokens.map { String(decoding: bytes[$0.byteRange], as: UTF8.self) } == ["Über", "die", "Brücke"])
    }

    @Test("CJK text yields one token per ideograph and mixed scripts do not crash")
    func cjk() {
        #expect(tokenizer.terms(in: "東京都に行く") == ["東", "京", "都", "に", "行", "く"])
        #expect(tokenizer.terms(in: "API文档v2") == ["api", "文", "档", "v2"])
        #expect(tokenizer.terms(in: "서울 날씨") == ["서울", "날씨"])
        let noisy = "😀 \u{0}\u{FFFD} \u{202E}مرحبا שלום Привет 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ǅ"
        #expect(!tokenizer.terms(in: noisy).isEmpty)
    }

    @Test("Cuts over-long words at a scalar boundary")
    func longWords() {
        let long = String(repeating: "é", count: 100)
        let terms = tokenizer.terms(in: long + " ok")
        #expect(terms.count == 2)
        #expect(terms[0].utf8.count <= Tokenizer.maxTermBytes)
        #expect(terms[0] == String(repeating: "e", count: 64))
        let wide = String(repeating: "ж", count: 50)
        #expect(tokenizer.terms(in: wide)[0].utf8.count == 64)
    }

    @Test("Words far longer than the scan buffer are cut like any other, on both paths")
    func veryLongWords() {
        let identifier = String(repeating: "x1", count: 150)  // 300 bytes, not stemmed
        let cyrillic = String(repeating: "ж", count: 200)  // 400 bytes of 2-byte scalars
        let straddling = String(repeating: "1", count: 63) + String(repeating: "क", count: 100)  // cut inside a scalar
        let text = "\(identifier) \(cyrillic) \(straddling) C++ tail"
        let expected = [String(identifier.prefix(64)), String(repeating: "ж", count: 32), String(repeating: "1", count: 63),
                        "c++", "tail"]
        #expect(tokenizer.terms(in: text) == expected)
        var ids: [Int32] = []
        tokenizer.scanTermIDs(text) { ids.append($0) }
        let terms = tokenizer.vocabularyTerms
        #expect(ids.map { terms[Int($0)] } == expected)
        #expect(tokenizer.tokens(in: text).map(\.byteRange.count) == [300, 400, 363, 3, 4])
    }

    @Test("Query parsing drops stop words only when other terms remain and keeps phrases")
    func queryParsing() {
        let query = SearchQuery(parsing: "how to configure \"the Proxy Settings\"", tokenizer: tokenizer)
        #expect(query.terms == ["configur", "proxi", "set"])
        #expect(query.phrases == [["the", "proxi", "set"]])
        #expect(SearchQuery(parsing: "the who", tokenizer: tokenizer).terms == ["the", "who"])
        #expect(SearchQuery(parsing: "\"unclosed phrase here", tokenizer: tokenizer).phrases == [["unclos", "phrase", "here"]])
        #expect(SearchQuery(parsing: "a a b b", tokenizer: tokenizer).terms == ["b"])
    }

    @Test("The interned indexing path yields exactly the terms of the public path")
    func internedPathAgrees() throws {
        var generator = SeededGenerator(seed: 99)
        let vocabulary = SyntheticWords.vocabulary(count: 12_000, using: &generator)
        let samples = [
            "Running runners ran; Café CAFÉ cafe\u{301} Straße x86_64 v2.1 C++ g++ C# don’t Debian's 東京都に行く",
            String(repeating: "é", count: 100) + " end",
            vocabulary.joined(separator: " "),  // grows the word table several times
            vocabulary.shuffled(using: &generator).prefix(3_000).joined(separator: ", ").uppercased(),
        ]
        for text in samples {
            var ids: [Int32] = []
            tokenizer.scanTermIDs(text) { ids.append($0) }
            let terms = tokenizer.vocabularyTerms
            #expect(ids.map { terms[Int($0)] } == tokenizer.terms(in: text))
            #expect(tokenizer.occurrences(in: text).map(\.byteRange) == tokenizer.tokens(in: text).map(\.byteRange))
        }
        // The ASCII fast path decides connectors, suffixes and cuts as the general rules do.
        let pieces = ["a", "Z", "q", "7", "0", "_", ".", "'", "+", "#", " ", "-", "/", "é", "É", "’", "ß", "\u{301}",
                      "東", "—", "ж", "\n", "run", "NING", "ed", "x86", "v2", "C", "don", String(repeating: "k", count: 70)]
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 1...40, using: &generator))
                .map { _ in pieces.randomElement(using: &generator)! }.joined()
            var ids: [Int32] = []
            tokenizer.scanTermIDs(text) { ids.append($0) }
            let terms = tokenizer.vocabularyTerms
            #expect(ids.map { terms[Int($0)] } == tokenizer.terms(in: text), "\(text.debugDescription)")
            #expect(tokenizer.occurrences(in: text).map(\.byteRange) == tokenizer.tokens(in: text).map(\.byteRange),
                    "\(text.debugDescription)")
        }
        // Words with one stem share one id.
        var ids: [Int32] = []
        tokenizer.scanTermIDs("connect connected connecting") { ids.append($0) }
        #expect(Set(ids).count == 1)
    }
}
