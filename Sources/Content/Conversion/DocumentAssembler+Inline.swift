extension DocumentAssembler {
    /// `ac:link`: records the target and writes the visible text (URLs as Markdown links).
    func confluenceLink(_ node: Int, into flow: inout Flow) {
        let anchor = tree.attribute("ac:anchor", of: node).flatMap { $0.isEmpty ? nil : $0 }
        var target = LinkTarget.anchorInPage
        var defaultText = anchor ?? ""
        var bodyText = ""
        for child in tree.children(of: node) {
            switch tree.nodes[child].tag {
            case .plainTextLinkBody:
                var text = InlineText()
                text.append(collapsingString: tree.rawText(of: child))
                bodyText = text.take() ?? ""
            case .linkBody:
                bodyText = flattenedText(ofChildrenOf: child)
            default:
                if case .anchorInPage = target, let (found, text) = resource(child) {
                    target = found
                    defaultText = text
                }
            }
        }
        let text = bodyText.isEmpty ? defaultText : bodyText
        guard !text.isEmpty else { return }
        links.append(Link(text: text, target: target, anchor: anchor, sectionIndex: currentSectionIndex))
        writeLink(text: text, target: target, into: &flow)
    }

    /// HTML `a href`.
    func htmlLink(_ node: Int, into flow: inout Flow) {
        let href = (tree.attribute("href", of: node) ?? "").trimmingSpaces
        let text = flattenedText(ofChildrenOf: node)
        guard !href.isEmpty else {
            flow.inline.append(collapsingString: text)
            return
        }
        let visible = text.isEmpty ? href : text
        let target: LinkTarget = href.hasPrefix("#") ? .anchorInPage : .url(href)
        let anchor = href.hasPrefix("#") ? String(href.dropFirst()) : nil
        links.append(Link(text: visible, target: target, anchor: anchor, sectionIndex: currentSectionIndex))
        writeLink(text: visible, target: target, into: &flow)
    }

    private func writeLink(text: String, target: LinkTarget, into flow: inout Flow) {
        if case .url(let url) = target, url != text {
            flow.inline.append("[\(text)](\(url))")
        } else {
            flow.inline.append(collapsingString: text)
        }
    }

    /// The first resource identifier at or below `node` (bounded by tree depth).
    func firstResource(under node: Int) -> (LinkTarget, String)? {
        if let found = resource(node) { return found }
        for child in tree.children(of: node) {
            if let found = firstResource(under: child) { return found }
        }
        return nil
    }

    /// Interprets an `ri:*` element: its target and the text a reader would see for it.
    func resource(_ node: Int) -> (LinkTarget, String)? {
        let attribute = { (name: String) in self.tree.attribute(name, of: node) }
        switch tree.nodes[node].tag {
        case .riPage:
            let title = attribute("ri:content-title") ?? ""
            return (.page(title: title, spaceKey: attribute("ri:space-key")), title)
        case .riBlogPost:
            let title = attribute("ri:content-title") ?? ""
            return (.blogPost(title: title, spaceKey: attribute("ri:space-key")), title)
        case .riAttachment:
            let filename = attribute("ri:filename") ?? ""
            var pageTitle: String?
            var spaceKey: String?
            for child in tree.children(of: node) {
                if let (target, _) = resource(child) {
                    if case .page(let title, let key) = target { (pageTitle, spaceKey) = (title, key) }
                    if case .blogPost(let title, let key) = target { (pageTitle, spaceKey) = (title, key) }
                }
            }
            return (.attachment(filename: filename, pageTitle: pageTitle, spaceKey: spaceKey), filename)
        case .riUser:
            let candidates = ["ri:account-id", "ri:userkey", "ri:username", "ri:local-id"]
            let id: String = candidates.lazy.compactMap { attribute($0) }.first ?? ""
            return (.user(id: id), id.isEmpty ? "" : "@\(id)")
        case .riSpace:
            let key = attribute("ri:space-key") ?? ""
            return (.space(key: key), key)
        case .riURL:
            let value = attribute("ri:value") ?? ""
            return (.url(value), value)
        case .riContentEntity:
            let id = attribute("ri:content-id") ?? ""
            return (.contentEntity(id: id), id)
        default:
            return nil
        }
    }

    /// `ac:image`: `![alt](file)` followed by the caption.
    func confluenceImage(_ node: Int, into flow: inout Flow) {
        var source = ""
        var caption = ""
        for child in tree.children(of: node) {
            switch tree.nodes[child].tag {
            case .imageCaption: caption = flattenedText(ofChildrenOf: child)
            case .riAttachment: source = tree.attribute("ri:filename", of: child) ?? ""
            case .riURL: source = tree.attribute("ri:value", of: child) ?? ""
            default: continue
            }
        }
        let alt = tree.attribute("ac:alt", of: node) ?? tree.attribute("ac:title", of: node) ?? ""
        writeImage(alt: alt, source: source, caption: caption, into: &flow)
    }

    /// HTML `img`.
    func htmlImage(_ node: Int, into flow: inout Flow) {
        writeImage(alt: tree.attribute("alt", of: node) ?? tree.attribute("title", of: node) ?? "",
                   source: tree.attribute("src", of: node) ?? "", caption: "", into: &flow)
    }

    private func writeImage(alt: String, source: String, caption: String, into flow: inout Flow) {
        var label = InlineText()
        label.append(collapsingString: alt.isEmpty ? caption : alt)
        let labelText = label.take() ?? ""
        guard !labelText.isEmpty || !source.isEmpty else { return }
        flow.inline.appendSpace()
        flow.inline.append("![\(labelText)](\(source.trimmingSpaces))")
        if !caption.isEmpty, caption != labelText {
            flow.inline.appendSpace()
            flow.inline.append(collapsingString: caption)
        }
        flow.inline.appendSpace()
    }

    /// `ac:emoticon`: the emoji Confluence shows.
    func emoticon(_ node: Int, into flow: inout Flow) {
        let name = (tree.attribute("ac:name", of: node) ?? "").lowercased()
        let fallback: String? = nonEmpty(tree.attribute("ac:emoji-fallback", of: node))
        let shortName: String? = nonEmpty(tree.attribute("ac:emoji-shortname", of: node))
        let named: String? = EmoticonNames.fallback[name]
        let text: String = fallback ?? named ?? shortName ?? (name.isEmpty ? "" : ":\(name):")
        flow.inline.append(collapsingString: text)
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
