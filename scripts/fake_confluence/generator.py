"""Deterministic synthetic space generator (``--generate N [--seed S]``).

The same ``(n, seed)`` always yields byte-identical spaces: ids, titles, tree,
labels, statuses, timestamps and storage-format bodies. Bodies mix the
constructs a real space contains (headings, paragraphs with inline markup,
lists, code macros with CDATA, tables, info/note/warning panels, expand and
status macros, ``ac:link``/``ri:page`` links, external links, task lists,
images, emoticons and ``&nbsp;`` entities). 20,000 pages take about 1-2 s.

By default bodies draw on a short word list (fast; what the tests use). With a
:class:`~.corpus.Corpus` (``--corpus PATH|debian``, or :func:`use_corpus` for every
later generated space) bodies are 4-5 KB runs of real documentation text with
headings, paragraphs, code, tables and panels; titles, tree, labels, statuses and
versions stay the same for a given ``(n, seed)``.
"""

from __future__ import annotations

import json
import random
from typing import List, Optional

from .corpus import Corpus
from .store import Label, Page, Space, Store, VersionRec

# The corpus of every space generated without an explicit one (set once by the CLI).
_default_corpus: Optional[Corpus] = None


def use_corpus(corpus: Optional[Corpus]) -> None:
    """Bodies of spaces generated later without an explicit corpus come from ``corpus``
    (``None``: the built-in word list). Lets ``POST /_fake/spaces`` follow ``--corpus``."""
    global _default_corpus
    _default_corpus = corpus

_WORDS = (
    "service cluster deploy rollback index query cache token latency shard replica backup restore "
    "pipeline release branch review incident alert metric dashboard owner escalation policy runbook "
    "config secret rotation certificate network gateway proxy queue worker scheduler cron storage "
    "volume snapshot quota budget tenant region zone failover health probe timeout retry backoff "
    "throttle limit page space label search sync crawler parser schema migration version draft archive "
    "customer ticket support onboarding checklist laptop account access badge holiday payroll benefit "
    "travel expense invoice contract vendor security audit compliance privacy retention encryption "
    "the a an of to in for on with by from and or but not is are was be will can should must may "
    "quickly carefully always never often usually before after during while until unless because "
    "team engineer manager director lead oncall rotation handover standup retro planning roadmap "
    "quarter goal objective result milestone estimate risk dependency blocker decision proposal "
    "design document diagram architecture component interface contract endpoint request response "
    "error warning notice tip example sample template guide reference tutorial overview summary"
).split()

_ADJ = (
    "Quarterly Internal Legacy Core Shared Regional Nightly Primary Secondary Customer Platform "
    "Billing Search Mobile Payments Identity Storage Network Data Analytics Security Release"
).split()
_NOUN = (
    "Runbook Overview Guide Checklist Policy Playbook Architecture Design Retrospective Notes FAQ "
    "Handbook Roadmap Decision Proposal Postmortem Tutorial Reference Onboarding Migration"
).split()
_TOPIC = (
    "Deployments Alerts Backups Incidents Onboarding Access Releases Caching Indexing Quotas "
    "Rotations Certificates Databases Queues Dashboards Budgets Vendors Audits Holidays Laptops"
).split()
_LANGS = ("python", "bash", "swift", "json", "yaml", "sql", "java", "go")
_LABEL_POOL = ("runbook", "architecture", "onboarding", "how-to", "meeting-notes", "decision", "faq", "deprecated")
_PANELS = ("info", "note", "warning", "tip")

GENERATED_SPACE_KEY = "GEN"
GENERATED_SPACE_ID = 65538
FIRST_PAGE_ID = 100001
_START_MS = 1640995200000  # 2022-01-01T00:00:00Z
_SPAN_MS = 3 * 365 * 86400 * 1000  # creation dates spread over ~3 years


def _sentence(rng: random.Random, lo: int = 6, hi: int = 18) -> str:
    words = rng.choices(_WORDS, k=rng.randint(lo, hi))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def _para(rng: random.Random) -> str:
    parts = [_sentence(rng) for _ in range(rng.randint(1, 4))]
    roll = rng.random()
    if roll < 0.25:
        parts.insert(1, "<strong>%s</strong>" % rng.choice(_WORDS))
    elif roll < 0.4:
        parts.insert(1, "<em>%s</em> <code>%s_%s</code>" % (rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS)))
    elif roll < 0.45:
        parts.insert(1, "See&nbsp;below.")
    return "<p>%s</p>" % " ".join(parts)


def _code(rng: random.Random) -> str:
    lang = rng.choice(_LANGS)
    lines = "\n".join(
        "%s %s(%s) # %s" % (rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS))
        for _ in range(rng.randint(2, 8))
    )
    if rng.random() < 0.05:
        lines += "\nx = a[b[0]]]]><![CDATA[>c"  # a split CDATA section, as Confluence stores "]]>"
    return (
        '<ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="%08x-0000-4000-8000-%012x">'
        '<ac:parameter ac:name="language">%s</ac:parameter>'
        '<ac:parameter ac:name="linenumbers">true</ac:parameter>'
        "<ac:plain-text-body><![CDATA[%s]]></ac:plain-text-body></ac:structured-macro>"
    ) % (rng.getrandbits(32), rng.getrandbits(48), lang, lines)


def _table(rng: random.Random) -> str:
    cols = rng.randint(2, 4)
    head = "".join("<th><p>%s</p></th>" % rng.choice(_WORDS).capitalize() for _ in range(cols))
    rows = "".join(
        "<tr>%s</tr>" % "".join("<td><p>%s</p></td>" % " ".join(rng.choices(_WORDS, k=rng.randint(1, 4))) for _ in range(cols))
        for _ in range(rng.randint(2, 6))
    )
    return '<table data-layout="default"><tbody><tr>%s</tr>%s</tbody></table>' % (head, rows)


def _panel(rng: random.Random) -> str:
    return (
        '<ac:structured-macro ac:name="%s" ac:schema-version="1">'
        "<ac:rich-text-body>%s</ac:rich-text-body></ac:structured-macro>"
    ) % (rng.choice(_PANELS), _para(rng))


def _list(rng: random.Random) -> str:
    tag = "ul" if rng.random() < 0.6 else "ol"
    items = "".join("<li><p>%s</p></li>" % _sentence(rng, 3, 9) for _ in range(rng.randint(2, 6)))
    return "<%s>%s</%s>" % (tag, items, tag)


def _links(rng: random.Random, titles: List[str], space_key: str) -> str:
    bits = []
    if titles:
        t = rng.choice(titles)
        bits.append(
            '<ac:link><ri:page ri:content-title="%s" ri:space-key="%s" />'
            "<ac:plain-text-link-body><![CDATA[%s]]></ac:plain-text-link-body></ac:link>" % (t, space_key, t)
        )
    bits.append('<a href="https://example.com/%s/%s">%s docs</a>' % (rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS)))
    if rng.random() < 0.3:
        bits.append('<ac:emoticon ac:name="tick" />')
    return "<p>Related: %s</p>" % ", ".join(bits)


def _extra(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return (
            '<ac:task-list><ac:task><ac:task-id>%d</ac:task-id><ac:task-status>%s</ac:task-status>'
            "<ac:task-body>%s</ac:task-body></ac:task></ac:task-list>"
        ) % (rng.randint(1, 99), rng.choice(("complete", "incomplete")), _sentence(rng, 3, 7))
    if roll < 0.5:
        return (
            '<ac:structured-macro ac:name="expand" ac:schema-version="1"><ac:parameter ac:name="title">Details'
            "</ac:parameter><ac:rich-text-body>%s</ac:rich-text-body></ac:structured-macro>"
        ) % _para(rng)
    if roll < 0.65:
        return (
            '<p>Status: <ac:structured-macro ac:name="status" ac:schema-version="1">'
            '<ac:parameter ac:name="colour">%s</ac:parameter><ac:parameter ac:name="title">%s</ac:parameter>'
            "</ac:structured-macro></p>"
        ) % (rng.choice(("Green", "Red", "Yellow", "Blue")), rng.choice(("DONE", "IN PROGRESS", "BLOCKED")))
    if roll < 0.75:
        return '<p><ac:image ac:width="400"><ri:attachment ri:filename="diagram-%d.png" /></ac:image></p>' % rng.randint(1, 9)
    return "<hr /><blockquote><p>%s</p></blockquote>" % _sentence(rng)


def generate_body(rng: random.Random, title: str, titles: List[str], space_key: str) -> str:
    """A realistic storage-format body (XML fragment, no root element)."""
    out = []
    if rng.random() < 0.3:
        out.append('<ac:structured-macro ac:name="toc" ac:schema-version="1" />')
    out.append("<h1>%s</h1>" % title)
    out.append(_para(rng))
    for _ in range(rng.randint(1, 4)):
        out.append("<h2>%s</h2>" % " ".join(rng.choices(_WORDS, k=rng.randint(2, 4))).capitalize())
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.4:
                out.append(_para(rng))
            elif roll < 0.55:
                out.append(_code(rng))
            elif roll < 0.68:
                out.append(_table(rng))
            elif roll < 0.8:
                out.append(_panel(rng))
            elif roll < 0.92:
                out.append(_list(rng))
            else:
                out.append("<h3>%s</h3>%s" % (rng.choice(_WORDS).capitalize(), _para(rng)))
        if rng.random() < 0.25:
            out.append(_extra(rng))
    out.append(_links(rng, titles, space_key))
    return "".join(out)


def generated_attachment(rng: random.Random, page_id: int, title: str, index: int):
    """One real file of 2-3 KB of text for a generated page: ``(filename, media type, bytes)``,
    a PDF (two pages), a DOCX and a plain-text file in turn."""
    from .samplefiles import docx, pdf  # only spaces with attachment_share need the file builders

    paragraphs = [" ".join(_sentence(rng) for _ in range(3)) for _ in range(8)]
    kind = index % 3
    if kind == 0:
        # PDF text lines stay short: the sample builder writes one line per Tj.
        lines = [title] + [s for p in paragraphs for s in _wrap(p, 80)]
        half = len(lines) // 2
        return "report-%d.pdf" % page_id, "application/pdf", pdf([lines[:half], lines[half:]])
    if kind == 1:
        return ("notes-%d.docx" % page_id,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                docx(title, paragraphs))
    return "notes-%d.txt" % page_id, "text/plain", ("\n\n".join([title] + paragraphs) + "\n").encode()


def _wrap(text: str, width: int) -> List[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = (line + " " + word) if line else word
    return lines + ([line] if line else [])


def generate_space(
    store: Store,
    n: int,
    seed: int = 0,
    *,
    key: str = GENERATED_SPACE_KEY,
    space_id: int = GENERATED_SPACE_ID,
    name: Optional[str] = None,
    public: bool = False,
    first_page_id: int = FIRST_PAGE_ID,
    space_type: str = "global",
    corpus: Optional[Corpus] = None,
    attachment_share: Optional[float] = None,
) -> Space:
    """Add a space of ``n`` synthetic pages to ``store`` and return it.

    Shape: page ``FIRST_PAGE_ID`` is the homepage; ~2% of pages are extra root
    pages; the rest hang below earlier current pages (depth <= 8). About 3% of
    pages are archived, 1% trashed and 0.5% drafts; ~10% carry the
    ``template`` label; most pages have 1-12 versions. ``first_page_id`` and
    ``space_id`` let several generated spaces live in one store.

    Attachments: by default every 97th page carries a small text file. With
    ``attachment_share`` (0..1) that share of pages instead carries one real file,
    PDF, DOCX and TXT in turn (:func:`generated_attachment`), drawn from a separate
    random stream so titles and bodies stay those of the same ``(n, seed)``.
    """
    corpus = corpus or _default_corpus
    rng = random.Random(seed)
    space = store.add_space(
        Space(
            id=space_id,
            key=key,
            name=name or "Generated Space (%d pages, seed %d)" % (n, seed),
            description="Synthetic space built by fake-confluence --generate",
            created_ms=_START_MS - 86400000,
            public=public,
            type=space_type,
        )
    )
    label_objs = {name_: store.label(name_) for name_ in _LABEL_POOL + ("template",)}
    titles: List[str] = []
    depth = {}
    current_ids: List[int] = []
    next_position = {}
    page_id = first_page_id
    step_ms = _SPAN_MS // max(n, 1)
    body_rng = random.Random(seed * 7919 + 1)
    attachment_rng = random.Random(seed * 104729 + 3)
    attached = 0
    for i in range(n):
        if i:
            page_id += rng.choice((1, 1, 1, 2, 3, 7))
        if i == 0:
            parent = None
            title = "%s Home" % key
        else:
            if rng.random() < 0.02 or not current_ids:
                parent = None
            else:
                cand = current_ids[rng.randrange(max(0, len(current_ids) - 200), len(current_ids))]
                if rng.random() < 0.15:
                    cand = current_ids[0]
                parent = cand if depth.get(cand, 0) < 8 else current_ids[0]
            title = "%s %s: %s %d" % (rng.choice(_ADJ), rng.choice(_NOUN), rng.choice(_TOPIC), i)
        roll = rng.random()
        status = "current"
        if i and roll < 0.03:
            status = "archived"
        elif i and roll < 0.04:
            status = "trashed"
        elif i and roll < 0.045:
            status = "draft"
        created = _START_MS + i * step_ms + rng.randrange(0, max(step_ms, 1))
        nver = 1 if status == "draft" else rng.choice((1, 1, 2, 2, 3, 4, 5, 7, 12))
        versions = []
        t = created
        for v in range(1, nver + 1):
            if v > 1:
                t += rng.randrange(60000, 40 * 86400000)
            versions.append(VersionRec(v, t, "" if v == 1 else "Update %d" % v, v % 3 == 0))
        labels: List[Label] = []
        if rng.random() < 0.10:
            labels.append(label_objs["template"])
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            lab = label_objs[rng.choice(_LABEL_POOL)]
            if lab not in labels:
                labels.append(lab)
        if corpus is None:
            body = generate_body(body_rng, title, titles[-50:], key)
        else:
            body = corpus.body(body_rng, title, _links(body_rng, titles[-50:], key))
        pos = next_position.get(parent, 0)
        next_position[parent] = pos + 1
        page = Page(
            id=page_id,
            space_id=space.id,
            title=title,
            body_json=json.dumps(body),
            parent_id=parent,
            position=pos,
            status=status,
            created_ms=created,
            labels=labels,
            versions=versions,
        )
        if attachment_share is not None:
            if attachment_rng.random() < attachment_share:
                filename, media_type, data = generated_attachment(attachment_rng, page_id, title, attached)
                page.attachments.append(store.new_attachment(page_id, filename, media_type, data, created))
                attached += 1
        elif i % 97 == 5:
            data = ("attachment of page %d\n" % page_id).encode() * 8
            page.attachments.append(store.new_attachment(page_id, "notes-%d.txt" % page_id, "text/plain", data, created))
        store.add_page(page, bulk=True)
        titles.append(title)
        depth[page_id] = 0 if parent is None else depth.get(parent, 0) + 1
        if status == "current":
            current_ids.append(page_id)
    store.finish_loading()
    return space
