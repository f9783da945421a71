import Content

/// A page as the index needs it besides its chunks.
public struct IndexedPage: Sendable, Equatable {
    /// The Confluence page id; at most 400 UTF-8 bytes.
    public var pageID: String
    /// The page title: indexed as its own, heavier field and shown with results.
    public var title: String
    /// Where the page can be opened (its web URL), stored with each chunk for citations.
    public var urlHint: String

    public init(pageID: String, title: String, urlHint: String = "") {
        self.pageID = pageID
        self.title = title
        self.urlHint = urlHint
    }
}

/// What a write changed.
public struct PageIndexChange: Sendable, Equatable {
    /// Chunks of the previous version that were removed.
    public var removedChunks: Int
    /// Chunks added.
    public var addedChunks: Int
}

/// A page's new content, for ``SearchIndex/replacePages(_:datastore:in:tokenizer:)``.
public struct PageUpdate: Sendable, Equatable {
    public var page: IndexedPage
    /// The page's chunks (from Content's ``Chunker``); empty removes the page from the index.
    public var chunks: [Chunk]
    /// The page's whole Markdown and outline, kept beside its chunks for reading the page;
    /// nil keeps no text (``SearchIndex/pageText(pageID:datastore:in:)`` then finds none).
    public var text: PageText?

    public init(page: IndexedPage, chunks: [Chunk], text: PageText? = nil) {
        self.page = page
        self.chunks = chunks
        self.text = text
    }
}
