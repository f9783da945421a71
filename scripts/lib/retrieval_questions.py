"""The question set of `scripts/bench retrieval`: real user questions from FAQs in Debian packages.

Each FAQ entry becomes one page holding only its answer: the question is removed from the
indexed text and the page's title is only "<FAQ>, answer <number>", so the page has to be found
from the question's meaning, not from its words. The sources (all English, none of them the
Python documentation):
  debian-faq    the Debian GNU/Linux FAQ (HTML, /usr/share/doc/debian/FAQ), sections and
                subsections whose heading is the question
  sed           the sed FAQ (/usr/share/doc/sed/sedfaq.txt.gz), parts 2-6 ("How do I ...?",
                "Why isn't this working?", "Other issues")
  zlib1g-dev    the zlib FAQ (/usr/share/doc/zlib1g-dev/FAQ.gz)
  xz-utils      the XZ Utils FAQ (/usr/share/doc/xz-utils/faq.txt.gz)
Distractors: sections of the Debian Reference (`debian-reference-en`) with their real titles,
a fixed-seed sample sized so that the whole corpus embeds in minutes at tens of chunks/s.
"""
import gzip, html, os, re
from html.parser import HTMLParser

DEBIAN_FAQ = "/usr/share/doc/debian/FAQ"
DEBIAN_REFERENCE = "/usr/share/debian-reference"
SED_FAQ = "/usr/share/doc/sed/sedfaq.txt.gz"
ZLIB_FAQ = "/usr/share/doc/zlib1g-dev/FAQ.gz"
XZ_FAQ = "/usr/share/doc/xz-utils/faq.txt.gz"
PACKAGES = ("debian-faq", "debian-reference-en", "zlib1g-dev", "xz-utils", "sed")
QUESTION_START = re.compile(r"(I|I'm|My|How|Why|What|When|Where|Which|Who|Can|Could|Does|Do|Is|Are|Should|Must)\b")
MIN_ANSWER = 120       # characters: shorter answers ("Yes.") are not findable by any engine


class _Text(HTMLParser):
    """Block-structured text of an HTML fragment: one paragraph per block element."""
    BLOCKS = {"p", "pre", "li", "dt", "dd", "tr", "div", "br", "h1", "h2", "h3", "h4", "h5", "table", "blockquote"}

    def __init__(self):
        super().__init__()
        self.parts = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag):
        if tag == "pre":
            self.pre -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def _paragraphs(fragment):
    parser = _Text()
    parser.feed(fragment)
    text = "".join(parser.parts)
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _xhtml(paragraphs):
    return "\n".join("<p>%s</p>" % html.escape(re.sub(r"\s+", " ", p)) for p in paragraphs)


def _heading_sections(path, levels):
    """(heading text, body HTML) for each heading of the given levels, in document order."""
    text = open(path, encoding="utf-8", errors="replace").read()
    pattern = re.compile(r"<h(%s)[^>]*>(.*?)</h\1>" % "|".join(str(l) for l in levels), re.S)
    found = list(pattern.finditer(text))
    out = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        heading = html.unescape(re.sub(r"<[^>]+>", "", m.group(2)))
        out.append((re.sub(r"\s+", " ", heading).strip(), text[m.end():end]))
    return out


def debian_faq():
    entries = []
    for name in sorted(os.listdir(DEBIAN_FAQ)):
        if not name.endswith(".en.html") or name in ("index.en.html", "faqinfo.en.html"):
            continue
        for heading, body in _heading_sections(os.path.join(DEBIAN_FAQ, name), (2, 3)):
            m = re.match(r"(\d+(?:\.\d+)+)\.?\s+(.*)", heading)
            if m:
                entries.append(("debian-faq", "Debian FAQ", m.group(1), m.group(2), _paragraphs(body)))
    return entries


def _text_entries(lines, heading, source, name, keep):
    """Entries of a plain-text FAQ: a heading line matched by `heading` (number, question start),
    continued up to the first blank line, then the answer up to the next heading."""
    entries, current = [], None
    for line in lines:
        m = heading.match(line)
        if m:
            current = [m.group(1), [m.group(2).strip()], [], True]
            entries.append(current)
        elif current is not None:
            if current[3] and line.strip():
                current[1].append(line.strip())
            else:
                current[3] = False
                current[2].append(line)
    out = []
    for number, question, answer, _ in entries:
        q = " ".join(question)
        if keep(number, q):
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(answer)) if p.strip()]
            out.append((source, name, number, q, paragraphs))
    return out


def sed_faq():
    lines = gzip.open(SED_FAQ, "rt", encoding="utf-8", errors="replace").read().split("\n")
    # Past the table of contents: the body starts at the second "1.1." heading.
    starts = [i for i, l in enumerate(lines) if l.startswith("1.1. ")]
    body = lines[starts[1]:] if len(starts) > 1 else lines
    return _text_entries(body, re.compile(r"^(\d\.\d+(?:\.\d+)?)\.\s+(\S.*)$"), "sed", "sed FAQ",
                         lambda n, q: n.split(".")[0] in "23456")


def zlib_faq():
    lines = gzip.open(ZLIB_FAQ, "rt", encoding="utf-8", errors="replace").read().split("\n")
    return _text_entries(lines, re.compile(r"^\s{0,2}(\d+)\.\s+(\S.*)$"), "zlib1g-dev", "zlib FAQ", lambda n, q: True)


def xz_faq():
    text = gzip.open(XZ_FAQ, "rt", encoding="utf-8", errors="replace").read()
    out = []
    for number, block in enumerate(re.split(r"\n(?=Q:)", text)[1:], 1):
        m = re.match(r"Q:\s*(.*?)\n\s*\nA:\s*(.*)", block, re.S)
        if m:
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", m.group(2)) if p.strip()]
            out.append(("xz-utils", "XZ Utils FAQ", str(number), re.sub(r"\s+", " ", m.group(1)).strip(), paragraphs))
    return out


def reference_sections():
    """(id, title, body XHTML) of the Debian Reference's sections."""
    out = []
    for name in sorted(os.listdir(DEBIAN_REFERENCE)):
        if not re.match(r"(ch\d+|ap[a-z])\.en\.html$", name):
            continue
        for number, (heading, body) in enumerate(_heading_sections(os.path.join(DEBIAN_REFERENCE, name), (2, 3, 4))):
            paragraphs = _paragraphs(body)
            if sum(len(p) for p in paragraphs) >= 300:
                out.append(("ref:%s:%d" % (name.split(".")[0], number), heading, _xhtml(paragraphs)))
    return out


def build(rng, distractor_pages):
    """(pages [(id, title, body)], queries [{"q", "relevant"}]) of the question set."""
    pages, queries, seen = [], [], set()
    for source, name, number, question, paragraphs in debian_faq() + sed_faq() + zlib_faq() + xz_faq():
        # The answer must not open by restating the question (some FAQs repeat it as a lead-in).
        while paragraphs and paragraphs[0].rstrip("?").strip().lower() == question.rstrip("?").strip().lower():
            paragraphs = paragraphs[1:]
        answer = _xhtml(paragraphs)
        if len(" ".join(paragraphs)) < MIN_ANSWER or len(re.findall(r"\w+", question)) < 3:
            continue
        # Headings that are topics rather than questions ("Known limitations among sed versions")
        # are left out; zlib's headings are symptoms ("compress() returns Z_BUF_ERROR.") and stay.
        if "?" not in question and source != "zlib1g-dev" and not QUESTION_START.match(question):
            continue
        if question.lower() in seen:
            continue
        seen.add(question.lower())
        pid = "faq:%s:%s" % (source, number)
        pages.append((pid, "%s, answer %s" % (name, number), answer))
        queries.append({"q": question, "relevant": [pid]})
    reference = reference_sections()
    rng.shuffle(reference)
    pages += sorted(reference[:distractor_pages])
    return pages, queries
