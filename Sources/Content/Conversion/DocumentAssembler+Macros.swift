extension DocumentAssembler {
    /// Converts `ac:structured-macro` (or the older `ac:macro`) according to ``MacroKind``.
    func macro(_ node: Int, into flow: inout Flow) {
        let name = (tree.attribute("ac:name", of: node) ?? "").trimmingSpaces.lowercased()
        let richBody = tree.firstChild(of: node, tag: .richTextBody)
        let plainBody = tree.firstChild(of: node, tag: .plainTextBody)
        let kind = MacroKind.of(name)
        switch kind {
        case .code, .noFormat:
            let text = plainBody.map { Self.trimmedCode(tree.rawText(of: $0)) }
                ?? richBody.map { BlockFlattener.flatten(blocks(ofChildrenOf: $0), separator: "\n") } ?? ""
            let language = kind == .code ? parameter("language", of: node)?.lowercased() : nil
            flow.append(.code(CodeBlock(language: language, title: parameter("title", of: node), text: text)))
        case .callout(let kind):
            let blocks = body(rich: richBody, plain: plainBody)
            let title = parameter("title", of: node)
            if !blocks.isEmpty || title != nil {
                flow.append(.callout(Callout(kind: kind, title: title, blocks: blocks)))
            }
        case .expand:
            let blocks = body(rich: richBody, plain: plainBody)
            let title = parameter("title", of: node) ?? "Expand"
            if !blocks.isEmpty { flow.append(.expand(title: title, blocks: blocks)) }
        case .quote:
            let blocks = body(rich: richBody, plain: plainBody)
            if !blocks.isEmpty { flow.append(.quote(blocks)) }
        case .status:
            if let title = parameter("title", of: node) { flow.inline.append("[\(title)]") }
        case .attachmentView:
            attachmentView(node, into: &flow)
        case .navigation:
            break
        case .transparent:
            walkBody(rich: richBody, plain: plainBody, into: &flow)
        case .flagged:
            flag(name)
            flaggedMacroSummary(node, name: name, into: &flow)
            walkBody(rich: richBody, plain: plainBody, into: &flow)
        }
    }

    /// The flattened text of the parameter called `name`, or nil when absent or blank.
    func parameter(_ name: String, of macro: Int) -> String? {
        for child in tree.children(of: macro) where tree.nodes[child].tag == .parameter {
            guard (tree.attribute("ac:name", of: child) ?? "").lowercased() == name else { continue }
            let value = flattenedText(ofChildrenOf: child)
            return value.isEmpty ? nil : value
        }
        return nil
    }

    private func body(rich: Int?, plain: Int?) -> [Block] {
        if let rich { return blocks(ofChildrenOf: rich) }
        if let plain {
            let text = tree.rawText(of: plain).trimmingSpaces
            return text.isEmpty ? [] : [.paragraph(text)]
        }
        return []
    }

    /// Renders a macro body in place: rich bodies flow into the page (headings stay sections),
    /// plain bodies become verbatim blocks.
    private func walkBody(rich: Int?, plain: Int?, into flow: inout Flow) {
        if let rich {
            flow.flush()
            walkChildren(of: rich, into: &flow)
            flow.flush()
        } else if let plain {
            let text = Self.trimmedCode(tree.rawText(of: plain))
            if !text.isEmpty { flow.append(.code(CodeBlock(language: nil, title: nil, text: text))) }
        }
    }

    /// Keeps what a flagged macro says about itself: a Jira key, a diagram name, the page an
    /// include points at (as a link, not as text: its content is not here).
    private func flaggedMacroSummary(_ node: Int, name: String, into flow: inout Flow) {
        switch name {
        case "jira", "jiraissues":
            if let key = parameter("key", of: node) { flow.inline.append(collapsingString: key) }
        case "gliffy", "drawio", "drawio-sketch", "inc-drawio", "lucidchart":
            let diagram = parameter("diagramdisplayname", of: node) ?? parameter("diagramname", of: node)
                ?? parameter("name", of: node)
            if let diagram {
                flow.inline.appendSpace()
                flow.inline.append("[Diagram: \(diagram)]")
                flow.inline.appendSpace()
            }
        default:
            for child in tree.children(of: node) where tree.nodes[child].tag == .parameter {
                if let (target, text) = firstResource(under: child) {
                    links.append(Link(text: text, target: target, sectionIndex: currentSectionIndex))
                }
            }
        }
    }

    private func attachmentView(_ node: Int, into flow: inout Flow) {
        for child in tree.children(of: node) where tree.nodes[child].tag == .parameter {
            guard let (target, text) = firstResource(under: child) else { continue }
            links.append(Link(text: text, target: target, sectionIndex: currentSectionIndex))
            flow.inline.append(collapsingString: text)
            return
        }
        if let name = parameter("name", of: node) { flow.inline.append(collapsingString: name) }
    }

    /// Cloud editor extensions: the ADF content when present (panels keep their type), else the
    /// fallback markup.
    func adfExtension(_ node: Int, into flow: inout Flow) {
        if let adfNode = tree.firstChild(of: node, tag: .adfNode),
           let content = tree.firstChild(of: adfNode, tag: .adfContent) {
            if (tree.attribute("type", of: adfNode) ?? "").lowercased() == "panel" {
                let blocks = blocks(ofChildrenOf: content)
                if !blocks.isEmpty {
                    flow.append(.callout(Callout(kind: panelKind(of: adfNode), title: nil, blocks: blocks)))
                }
            } else {
                flow.flush()
                walkChildren(of: content, into: &flow)
                flow.flush()
            }
            return
        }
        if let fallback = tree.firstChild(of: node, tag: .adfFallback) {
            flow.flush()
            walkChildren(of: fallback, into: &flow)
            flow.flush()
        }
    }

    private func panelKind(of adfNode: Int) -> CalloutKind {
        for child in tree.children(of: adfNode) where tree.nodes[child].tag == .adfAttribute {
            guard tree.attribute("key", of: child) == "panel-type" else { continue }
            switch tree.rawText(of: child).trimmingSpaces.lowercased() {
            case "info": return .info
            case "note": return .note
            case "warning": return .warning
            case "error": return .error
            case "success", "tip": return .tip
            default: return .panel
            }
        }
        return .panel
    }
}
