"""Real documentation text for generated spaces (``--corpus PATH|debian``).

A corpus is a directory of (X)HTML documentation pages, read once into blocks in
document order: headings, paragraphs (inline ``<code>``/``<em>``/``<strong>`` kept),
code listings, tables, admonitions (note/tip/warning/caution/important) and lists.
:func:`Corpus.body` assembles a storage-format body of a chosen size from a run of
consecutive blocks, so a generated page reads like a real documentation page with a
real vocabulary. ``debian`` is the PostgreSQL 15 manual shipped by Debian 12's
``postgresql-doc-15`` package (1,173 pages, 18 MB): stable across machines with the
same package version, and not Python's documentation.

Loading is deterministic (files sorted by name); assembly only draws from the
``random.Random`` it is given, so the same seed gives byte-identical bodies.
"""

from __future__ import annotations

import html
import os
import random
import re
from html.parser import HTMLParser
from typing import List, Optional, Tuple

DEBIAN_CORPUS = "/usr/share/doc/postgresql-doc-15/html"
DEBIAN_PACKAGE = "postgresql-doc-15"

# Block kinds: ("h", level, xhtml) ("p", xhtml) ("code", lang, text) ("table", rows)
# ("panel", macro, [xhtml paragraphs]) ("list", tag, [xhtml items]).
Block = tuple

_PANEL_MACRO = {"note": "note", "tip": "tip", "warning": "warning", "caution": "warning", "important": "info"}
_SKIP_CLASSES = {"navheader", "navfooter", "toc", "footnotes", "index"}
_INLINE = {"code": "code", "em": "em", "strong": "strong", "b": "strong", "i": "em"}
_WS = re.compile(r"\s+")
_MAX_CODE_LINES = 18
_MAX_TABLE_ROWS = 7
_MAX_TABLE_COLS = 4
_MAX_CELL = 160


class CorpusError(Exception):
    """The corpus cannot be read (missing package or directory, no usable text)."""


class _Capture:
    """A block being read: its kind and the text or rows collected so far."""

    def __init__(self, kind: str, depth: int, extra=None):
        self.kind, self.depth, self.extra = kind, depth, extra
        self.buf: List[str] = []  # escaped inline XHTML (or raw text for code)
        self.items: List[List[str]] = []  # list items / panel paragraphs / table rows


class _DocParser(HTMLParser):
    """Splits one documentation page into blocks (see ``Block``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: List[Block] = []
        self.depth = 0
        self.skip_until: Optional[int] = None  # inside navigation: ignore until this depth closes
        self.cap: Optional[_Capture] = None
        self.cell: Optional[List[str]] = None
        self.inline: List[str] = []

    # The docs are XHTML but void elements may appear unclosed; track depth on containers only.
    _VOID = {"br", "img", "hr", "meta", "link", "col", "input", "area", "base", "wbr"}

    def handle_starttag(self, tag, attrs):
        if tag in self._VOID:
            if tag == "br" and self.cap is not None and self.cap.kind == "code":
                self.cap.buf.append("\n")
            return
        self.depth += 1
        if self.skip_until is not None:
            return
        cls = set((dict(attrs).get("class") or "").split())
        if cls & _SKIP_CLASSES or tag in ("script", "style", "head"):
            self.skip_until = self.depth
            return
        cap = self.cap
        if cap is None:
            if tag in ("h1", "h2", "h3", "h4"):
                self.cap = _Capture("h", self.depth, int(tag[1]))
            elif tag == "p":
                self.cap = _Capture("p", self.depth)
            elif tag == "dt":  # a definition list's term: a bold line before its description
                self.cap = _Capture("dt", self.depth)
            elif tag == "pre":
                self.cap = _Capture("code", self.depth, "sql" if "programlisting" in cls else "bash")
            elif tag == "table":
                self.cap = _Capture("table", self.depth)
            elif tag == "div" and cls & set(_PANEL_MACRO):
                self.cap = _Capture("panel", self.depth, _PANEL_MACRO[sorted(cls & set(_PANEL_MACRO))[0]])
            elif tag in ("ul", "ol"):
                self.cap = _Capture("list", self.depth, tag)
            return
        if cap.kind == "code":
            return
        if cap.kind == "table":
            if tag == "tr":
                cap.items.append([])
            elif tag in ("td", "th") and cap.items:
                self.cell = []
                cap.items[-1].append(self.cell)  # type: ignore[arg-type]
            return
        if cap.kind == "panel" and tag == "p" or cap.kind == "list" and tag == "li":
            cap.buf = []
            cap.items.append(cap.buf)  # type: ignore[arg-type]
            return
        if tag in _INLINE and cap.kind in ("p", "dt", "panel", "list"):
            self.inline.append(tag)
            self._target().append("<%s>" % _INLINE[tag])

    def handle_endtag(self, tag):
        if tag in self._VOID:
            return
        depth = self.depth
        self.depth -= 1
        if self.skip_until is not None:
            if depth <= self.skip_until:
                self.skip_until = None
            return
        cap = self.cap
        if cap is None:
            return
        if depth <= cap.depth:
            self._finish(cap)
            self.cap, self.cell, self.inline = None, None, []
            return
        if cap.kind == "table" and tag in ("td", "th"):
            self.cell = None
        elif tag in _INLINE and self.inline and self.inline[-1] == tag:
            self.inline.pop()
            self._target().append("</%s>" % _INLINE[tag])

    def handle_data(self, data):
        if self.skip_until is not None or self.cap is None:
            return
        if self.cap.kind == "code":
            self.cap.buf.append(data)
        else:
            self._target().append(html.escape(data, quote=False))

    def _target(self) -> List[str]:
        if self.cap is not None and self.cap.kind == "table":
            return self.cell if self.cell is not None else []
        return self.cap.buf if self.cap is not None else []

    def _finish(self, cap: _Capture) -> None:
        def norm(parts: List[str]) -> str:
            text = _WS.sub(" ", "".join(parts)).strip()
            return re.sub(r"<(\w+)>\s*</\1>", "", text)  # drop empty inline elements

        if cap.kind == "h":
            text = _WS.sub(" ", re.sub(r"<[^>]+>", "", "".join(cap.buf))).strip()
            if text:
                self.blocks.append(("h", cap.extra, text))
        elif cap.kind == "p":
            text = norm(cap.buf)
            if len(text) > 30:
                self.blocks.append(("p", text))
        elif cap.kind == "dt":
            text = norm(cap.buf)
            if text:
                self.blocks.append(("p", "<strong>%s</strong>" % re.sub(r"</?strong>", "", text)))
        elif cap.kind == "code":
            lines = "".join(cap.buf).strip("\n").split("\n")
            text = "\n".join(lines[:_MAX_CODE_LINES])
            if text.strip():
                self.blocks.append(("code", cap.extra, text))
        elif cap.kind == "table":
            rows = []
            for row in cap.items[: _MAX_TABLE_ROWS]:
                cells = [_clip(norm(c)) for c in row[: _MAX_TABLE_COLS]]  # type: ignore[arg-type]
                if any(cells):
                    rows.append(cells)
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                self.blocks.append(("table", rows))
        elif cap.kind == "panel":
            paras = [t for t in (norm(p) for p in cap.items) if t]  # type: ignore[arg-type]
            if paras:
                self.blocks.append(("panel", cap.extra, paras[:3]))
        elif cap.kind == "list":
            items = [t for t in (norm(i) for i in cap.items) if t]  # type: ignore[arg-type]
            if len(items) >= 2:
                self.blocks.append(("list", cap.extra, [_clip(i, 300) for i in items[:8]]))


def _clip(text: str, limit: int = _MAX_CELL) -> str:
    """Shortens plain-ish text at a word boundary, dropping inline tags it would cut."""
    if len(text) <= limit:
        return text
    plain = _WS.sub(" ", html.unescape(re.sub(r"<[^>]+>", "", text)))
    cut = plain[:limit].rsplit(" ", 1)[0]
    return html.escape(cut, quote=False) + " …"


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def render(block: Block, rng: random.Random) -> str:
    """Storage-format XHTML of one block."""
    kind = block[0]
    if kind == "h":
        level = 2 if block[1] <= 2 else 3  # the page title is the only h1
        return "<h%d>%s</h%d>" % (level, html.escape(block[2], quote=False), level)
    if kind == "p":
        return "<p>%s</p>" % block[1]
    if kind == "code":
        return (
            '<ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="%08x-0000-4000-8000-%012x">'
            '<ac:parameter ac:name="language">%s</ac:parameter>'
            "<ac:plain-text-body><![CDATA[%s]]></ac:plain-text-body></ac:structured-macro>"
        ) % (rng.getrandbits(32), rng.getrandbits(48), block[1], _cdata(block[2]))
    if kind == "table":
        head, *rows = block[1]
        out = "<tr>%s</tr>" % "".join("<th><p>%s</p></th>" % c for c in head)
        out += "".join("<tr>%s</tr>" % "".join("<td><p>%s</p></td>" % c for c in row) for row in rows)
        return '<table data-layout="default"><tbody>%s</tbody></table>' % out
    if kind == "panel":
        return (
            '<ac:structured-macro ac:name="%s" ac:schema-version="1"><ac:rich-text-body>%s</ac:rich-text-body>'
            "</ac:structured-macro>"
        ) % (block[1], "".join("<p>%s</p>" % p for p in block[2]))
    tag = block[1]
    return "<%s>%s</%s>" % (tag, "".join("<li><p>%s</p></li>" % i for i in block[2]), tag)


class Corpus:
    """Blocks of real documentation, in document order, plus pools of the rarer kinds."""

    def __init__(self, blocks: List[Block], source: str):
        self.blocks = blocks
        self.source = source
        self.pools = {k: [b for b in blocks if b[0] == k] for k in ("code", "table", "panel")}
        self.paragraphs = [b for b in blocks if b[0] == "p"]
        if not self.paragraphs or not all(self.pools.values()):
            missing = [k for k, v in self.pools.items() if not v] + ([] if self.paragraphs else ["p"])
            raise CorpusError("corpus %s has no %s blocks: give a directory of HTML documentation" % (source, "/".join(missing)))

    @classmethod
    def load(cls, spec: str) -> "Corpus":
        """``debian`` (the ``postgresql-doc-15`` manual) or a directory / file of (X)HTML pages."""
        path = DEBIAN_CORPUS if spec == "debian" else spec
        if not os.path.exists(path):
            if spec == "debian":
                raise CorpusError("--corpus debian needs the Debian package %s (%s is missing): "
                                  "apt-get install %s" % (DEBIAN_PACKAGE, DEBIAN_CORPUS, DEBIAN_PACKAGE))
            raise CorpusError("--corpus %s: no such file or directory" % spec)
        if os.path.isdir(path):
            files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".html", ".htm", ".xhtml")))
        else:
            files = [path]
        blocks: List[Block] = []
        for f in files:
            parser = _DocParser()
            with open(f, encoding="utf-8", errors="replace") as fh:
                parser.feed(fh.read())
            parser.close()
            blocks.extend(parser.blocks)
        return cls(blocks, path)

    def body(self, rng: random.Random, title: str, tail: str, lo: int = 4000, hi: int = 5000) -> str:
        """A storage body of ``lo``..``hi`` bytes: ``<h1>title</h1>``, a run of consecutive blocks
        from a random place (with at least one code block, table and panel), then ``tail``."""
        target = rng.randint(lo, hi)
        parts = ["<h1>%s</h1>" % html.escape(title, quote=False)]
        size = len(parts[0].encode()) + len(tail.encode())
        if rng.random() < 0.3:
            parts.insert(0, '<ac:structured-macro ac:name="toc" ac:schema-version="1" />')
            size += len(parts[0])
        # Each page must show the rarer constructs: pick them now, place them among the run.
        extras = [render(rng.choice(self.pools[k]), rng) for k in ("code", "table", "panel")]
        extras = [e for e in extras if len(e.encode()) < (hi - lo)] or extras[:1]
        size += sum(len(e.encode()) for e in extras)
        i = rng.randrange(len(self.blocks))
        run: List[str] = []
        skipped = 0
        while size < target and skipped < 200:
            frag = render(self.blocks[i % len(self.blocks)], rng)
            i += 1
            n = len(frag.encode())
            if size + n > hi:
                skipped += 1
                continue
            run.append(frag)
            size += n
        if size < lo:  # the run kept overshooting: top up with a clipped paragraph
            text = _clip(rng.choice(self.paragraphs)[1], max(40, lo - size))
            run.append("<p>%s</p>" % text)
        for e in extras:
            run.insert(rng.randrange(len(run) + 1), e)
        return "".join(parts + run) + tail
