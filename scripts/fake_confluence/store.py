"""In-memory page store shared by every API flavour of the fake server.

The store holds spaces, pages, labels, versions and attachments. Page bodies
are kept only as *JSON string literals* (``json.dumps(storage_xhtml)``) so a
listing can splice them into responses without re-encoding; ``Page.body``
decodes on demand.

Every mutation goes through a method of :class:`Store` that holds the store
lock, bumps ``Store.epoch`` (invalidates cached sorted listings) and clears
the per-page fragment cache. ``Store.tree_epoch`` additionally changes when a
title or a parent changes, because v1 ``ancestors`` expansions depend on it.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

#: Content types a page entry may have (a blog post is a page without a parent).
CONTENT_TYPES = ("page", "blogpost")
#: Where a comment sits on its page.
COMMENT_LOCATIONS = ("footer", "inline")

#: Statuses a page may have in the store.
PAGE_STATUSES = ("current", "archived", "draft", "trashed")
SPACE_STATUSES = ("current", "archived")
SPACE_TYPES = ("global", "collaboration", "knowledge_base", "personal")

DEFAULT_AUTHOR = "557058:f2a1c1e4-0000-4000-8000-000000000001"


def now_ms() -> int:
    """Current wall-clock time in epoch milliseconds."""
    return int(time.time() * 1000)


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as ``YYYY-MM-DDTHH:mm:ss.sssZ`` (UTC)."""
    secs, millis = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%03dZ" % millis


def parse_iso(text: str) -> int:
    """Parse ``YYYY-MM-DDTHH:MM[:SS[.sss]]Z`` or ``YYYY-MM-DD`` into epoch ms (UTC)."""
    import calendar

    t = text.strip().rstrip("Z")
    millis = 0
    if "." in t:
        t, frac = t.split(".", 1)
        millis = int((frac + "000")[:3])
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            st = time.strptime(t, fmt)
        except ValueError:
            continue
        return calendar.timegm(st) * 1000 + millis
    raise ValueError("bad timestamp %r (want YYYY-MM-DDTHH:MM:SS.sssZ)" % text)


@dataclass
class VersionRec:
    """One published version of a page."""

    number: int
    created_ms: int
    message: str = ""
    minor_edit: bool = False
    author_id: str = DEFAULT_AUTHOR
    #: JSON literal of the body at this version, when known (admin edits keep
    #: it); ``None`` means "not retained" and the current body is served.
    body_json: Optional[str] = None


@dataclass
class Label:
    id: int
    name: str
    prefix: str = "global"


@dataclass
class Attachment:
    id: int  # served as "att<id>"
    page_id: int
    filename: str
    media_type: str
    data: bytes
    created_ms: int
    comment: str = ""

    @property
    def att_id(self) -> str:
        return "att%d" % self.id


@dataclass
class Space:
    id: int
    key: str
    name: str
    description: str = ""
    type: str = "global"
    status: str = "current"
    created_ms: int = 1640995200000  # 2022-01-01
    author_id: str = DEFAULT_AUTHOR
    #: Visible to the configured (authenticated) user. ``False`` makes the
    #: space look exactly like a missing one.
    visible: bool = True
    #: Visible to anonymous callers (no credentials; a wrong PAT on DC).
    public: bool = False
    #: Explicit homepage (else the first current root page).
    homepage: Optional[int] = None
    #: Page ids in this space, kept sorted.
    page_ids: List[int] = field(default_factory=list)


@dataclass
class Page:
    id: int
    space_id: int
    title: str
    body_json: str
    parent_id: Optional[int] = None
    position: int = 0
    status: str = "current"
    created_ms: int = 1640995200000
    author_id: str = DEFAULT_AUTHOR
    owner_id: Optional[str] = DEFAULT_AUTHOR
    labels: List[Label] = field(default_factory=list)
    versions: List[VersionRec] = field(default_factory=list)
    #: Restricted pages are invisible through the API (404 / left out).
    restricted: bool = False
    attachments: List[Attachment] = field(default_factory=list)
    #: "page" or "blogpost": the same store serves both, listed apart.
    type: str = "page"
    #: Cached response fragments (JSON text) keyed by renderer; cleared on change.
    cache: Dict[object, str] = field(default_factory=dict, repr=False)

    @property
    def body(self) -> str:
        """The storage-format XHTML body."""
        return json.loads(self.body_json)

    @property
    def version(self) -> VersionRec:
        return self.versions[-1]

    @property
    def modified_ms(self) -> int:
        return self.versions[-1].created_ms


@dataclass
class Comment:
    """A footer or inline comment (or a reply, ``parent_id``) on a page or blog post.

    It quacks like a :class:`Page` where CQL and ordering look (``type``, ``status``,
    ``title``, ``labels``, ``parent_id``, ``created_ms``, ``modified_ms``), so
    ``type=comment`` searches run through the same code."""

    id: int
    page_id: int
    body_json: str
    location: str = "footer"
    parent_id: Optional[int] = None  # the comment replied to
    created_ms: int = 1640995200000
    modified_ms: int = 1640995200000
    version_number: int = 1
    author_id: str = DEFAULT_AUTHOR
    type: str = "comment"
    status: str = "current"
    labels: List[Label] = field(default_factory=list)
    restricted: bool = False
    position: int = 0

    @property
    def body(self) -> str:
        return json.loads(self.body_json)


class NotFound(Exception):
    """Raised by admin operations on unknown ids."""


class Store:
    """Thread-safe container of spaces and pages."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.spaces: Dict[int, Space] = {}
        self.spaces_by_key: Dict[str, Space] = {}
        self.pages: Dict[int, Page] = {}
        self.all_page_ids: List[int] = []
        self.children: Dict[Tuple[int, Optional[int]], List[int]] = {}
        self.labels_by_name: Dict[Tuple[str, str], Label] = {}
        self.attachments: Dict[int, Attachment] = {}
        self.epoch = 0
        self.tree_epoch = 0
        self._next_label_id = 1000
        self._next_att_id = 9000000
        #: Comments by id (ids from their own range, so CQL ``id`` finds either kind).
        self.comments: Dict[int, Comment] = {}
        self._next_comment_id = 800000000
        self._listing_cache: Dict[object, object] = {}
        self._listing_cache_epoch = -1

    # ------------------------------------------------------------------ build
    def add_space(self, space: Space) -> Space:
        with self.lock:
            if space.id in self.spaces or space.key in self.spaces_by_key:
                raise ValueError("duplicate space id/key: %s/%s" % (space.id, space.key))
            self.spaces[space.id] = space
            self.spaces_by_key[space.key] = space
            self._touch(tree=True)
            return space

    def label(self, name: str, prefix: str = "global") -> Label:
        """Return the shared label object for ``prefix:name`` (labels are global).

        A name written ``my:x`` or ``team:x`` (as Confluence shows such labels) is label
        ``x`` with that prefix.
        """
        head, sep, rest = name.partition(":")
        if sep and prefix == "global" and head in ("my", "team") and rest:
            prefix, name = head, rest
        with self.lock:
            key = (prefix, name)
            lab = self.labels_by_name.get(key)
            if lab is None:
                self._next_label_id += 1
                lab = Label(self._next_label_id, name, prefix)
                self.labels_by_name[key] = lab
            return lab

    def add_page(self, page: Page, *, bulk: bool = False) -> Page:
        """Insert a page. ``bulk=True`` appends ids assuming ascending order (fast path)."""
        with self.lock:
            if page.id in self.pages:
                raise ValueError("duplicate page id %d" % page.id)
            space = self.spaces[page.space_id]
            if not page.versions:
                page.versions = [VersionRec(1, page.created_ms)]
            self.pages[page.id] = page
            if bulk and (not space.page_ids or space.page_ids[-1] < page.id):
                space.page_ids.append(page.id)
            else:
                bisect.insort(space.page_ids, page.id)
            if bulk and (not self.all_page_ids or self.all_page_ids[-1] < page.id):
                self.all_page_ids.append(page.id)
            else:
                bisect.insort(self.all_page_ids, page.id)
            self.children.setdefault((page.space_id, page.parent_id), []).append(page.id)
            for att in page.attachments:
                self.attachments[att.id] = att
            self._touch(tree=True)
            return page

    def new_attachment(self, page_id: int, filename: str, media_type: str, data: bytes, created_ms: int) -> Attachment:
        with self.lock:
            self._next_att_id += 1
            return Attachment(self._next_att_id, page_id, filename, media_type, data, created_ms)

    def finish_loading(self) -> None:
        """Sort child lists by position after a bulk load."""
        with self.lock:
            for key, ids in self.children.items():
                ids.sort(key=lambda i: (self.pages[i].position, i))
            self._touch(tree=True)

    # ----------------------------------------------------------------- query
    def _touch(self, *, tree: bool = False) -> None:
        self.epoch += 1
        if tree:
            self.tree_epoch += 1

    def cached_listing(self, key: object, compute):
        """Memoise an expensive listing computation until the next mutation."""
        with self.lock:
            if self._listing_cache_epoch != self.epoch:
                self._listing_cache.clear()
                self._listing_cache_epoch = self.epoch
            hit = self._listing_cache.get(key)
            if hit is None:
                if len(self._listing_cache) > 256:
                    self._listing_cache.clear()
                hit = compute()
                self._listing_cache[key] = hit
            return hit

    def ancestors(self, page: Page) -> List[Page]:
        """Ancestors top-down (root first)."""
        out: List[Page] = []
        seen = set()
        pid = page.parent_id
        while pid is not None and pid in self.pages and pid not in seen:
            seen.add(pid)
            p = self.pages[pid]
            out.append(p)
            pid = p.parent_id
        out.reverse()
        return out

    def child_ids(self, page: Page) -> List[int]:
        return list(self.children.get((page.space_id, page.id), ()))

    def homepage_id(self, space: Space) -> Optional[int]:
        if space.homepage in self.pages:
            return space.homepage
        roots = self.children.get((space.id, None), ())
        for pid in roots:
            if self.pages[pid].status == "current":
                return pid
        return roots[0] if roots else None

    # -------------------------------------------------------------- mutation
    def _get(self, page_id: int) -> Page:
        page = self.pages.get(page_id)
        if page is None:
            raise NotFound("no page %s" % page_id)
        return page

    def _changed(self, page: Page, *, tree: bool = False) -> None:
        page.cache.clear()
        self._touch(tree=tree)

    def _bump(self, page: Page, message: str, when_ms: Optional[int], author_id: Optional[str], minor: bool) -> None:
        prev = page.versions[-1]
        if prev.body_json is None:
            prev.body_json = page.body_json
        when = when_ms if when_ms is not None else max(now_ms(), prev.created_ms + 1)
        page.versions.append(VersionRec(prev.number + 1, when, message, minor, author_id or prev.author_id))

    def next_page_id(self) -> int:
        with self.lock:
            return (self.all_page_ids[-1] + 1) if self.all_page_ids else 100001

    def create_page(
        self,
        space: Space,
        title: str,
        body: str,
        *,
        page_id: Optional[int] = None,
        parent_id: Optional[int] = None,
        status: str = "current",
        labels: Iterable[str] = (),
        created_ms: Optional[int] = None,
        restricted: bool = False,
        ctype: str = "page",
    ) -> Page:
        with self.lock:
            if ctype not in CONTENT_TYPES:
                raise ValueError("bad content type %r (want one of %s)" % (ctype, ", ".join(CONTENT_TYPES)))
            if ctype == "blogpost" and parent_id is not None:
                raise ValueError("a blog post has no parent")
            if parent_id is not None:
                parent = self._get(parent_id)
                if parent.space_id != space.id:
                    raise ValueError("parent %d is in another space" % parent_id)
            if status not in PAGE_STATUSES:
                raise ValueError("bad status %r" % status)
            siblings = self.children.get((space.id, parent_id), [])
            position = (max(self.pages[s].position for s in siblings) + 1) if siblings else 0
            created = created_ms if created_ms is not None else now_ms()
            page = Page(
                id=page_id if page_id is not None else self.next_page_id(),
                space_id=space.id,
                title=title,
                body_json=json.dumps(body),
                parent_id=parent_id,
                position=position,
                status=status,
                created_ms=created,
                labels=[self.label(n) for n in labels],
                versions=[VersionRec(1, created)],
                restricted=restricted,
                type=ctype,
            )
            return self.add_page(page)

    # --------------------------------------------------------------- comments
    def comments_of(self, page_id: int, locations: Iterable[str] = COMMENT_LOCATIONS) -> List[Comment]:
        """A page's comments in thread order: each root comment, then its replies, by id."""
        with self.lock:
            wanted = set(locations)
            mine = [c for c in self.comments.values() if c.page_id == page_id and c.location in wanted]
            by_parent: Dict[Optional[int], List[Comment]] = {}
            for c in sorted(mine, key=lambda c: c.id):
                by_parent.setdefault(c.parent_id, []).append(c)
            out: List[Comment] = []

            def walk(parent: Optional[int]) -> None:
                for c in by_parent.get(parent, []):
                    out.append(c)
                    walk(c.id)

            walk(None)
            return out

    def add_comment(self, page_id: int, body: str, *, location: str = "footer", parent_id: Optional[int] = None,
                    comment_id: Optional[int] = None, when_ms: Optional[int] = None) -> Comment:
        """Adds a comment; the page's version does not change (as in Confluence)."""
        with self.lock:
            self._get(page_id)
            if location not in COMMENT_LOCATIONS:
                raise ValueError("bad comment location %r (want footer or inline)" % location)
            if parent_id is not None:
                parent = self.comments.get(parent_id)
                if parent is None or parent.page_id != page_id:
                    raise ValueError("comment %s is not on page %d" % (parent_id, page_id))
                location = parent.location
            if comment_id is None:
                self._next_comment_id += 1
                comment_id = self._next_comment_id
            elif comment_id in self.comments:
                raise ValueError("duplicate comment id %d" % comment_id)
            when = when_ms if when_ms is not None else now_ms()
            comment = Comment(comment_id, page_id, json.dumps(body), location, parent_id, when, when)
            self.comments[comment_id] = comment
            self._touch()
            return comment

    def edit_comment(self, comment_id: int, body: str, *, when_ms: Optional[int] = None) -> Comment:
        with self.lock:
            comment = self.comments.get(comment_id)
            if comment is None:
                raise NotFound("no comment %d" % comment_id)
            comment.body_json = json.dumps(body)
            comment.version_number += 1
            comment.modified_ms = when_ms if when_ms is not None else now_ms()
            self._touch()
            return comment

    def delete_comment(self, comment_id: int) -> None:
        """Removes a comment and its replies."""
        with self.lock:
            if comment_id not in self.comments:
                raise NotFound("no comment %d" % comment_id)
            doomed = [comment_id]
            while doomed:
                cid = doomed.pop()
                self.comments.pop(cid, None)
                doomed += [c.id for c in self.comments.values() if c.parent_id == cid]
            self._touch()

    def edit_page(
        self,
        page_id: int,
        *,
        body: Optional[str] = None,
        title: Optional[str] = None,
        message: str = "",
        minor_edit: bool = False,
        when_ms: Optional[int] = None,
    ) -> Page:
        """Change body and/or title; always publishes a new version."""
        with self.lock:
            page = self._get(page_id)
            self._bump(page, message, when_ms, None, minor_edit)
            if body is None:
                body = page.body + "<p>Edited in version %d.</p>" % page.version.number
            page.body_json = json.dumps(body)
            page.versions[-1].body_json = page.body_json
            tree = title is not None and title != page.title
            if title is not None:
                page.title = title
            self._changed(page, tree=tree)
            return page

    def move_page(
        self,
        page_id: int,
        *,
        parent_id: Optional[int] = None,
        to_root: bool = False,
        title: Optional[str] = None,
        message: str = "",
        when_ms: Optional[int] = None,
    ) -> Page:
        """Reparent (``parent_id`` or ``to_root``) and/or rename; bumps the version."""
        with self.lock:
            page = self._get(page_id)
            if parent_id is not None or to_root:
                new_parent = None if to_root else parent_id
                if new_parent is not None:
                    parent = self._get(new_parent)
                    if parent.space_id != page.space_id:
                        raise ValueError("cannot move across spaces")
                    if parent.id == page.id or page in self.ancestors(parent):
                        raise ValueError("cannot move a page below itself")
                if new_parent != page.parent_id:
                    self.children[(page.space_id, page.parent_id)].remove(page.id)
                    sibs = self.children.setdefault((page.space_id, new_parent), [])
                    page.position = (max(self.pages[s].position for s in sibs) + 1) if sibs else 0
                    sibs.append(page.id)
                    page.parent_id = new_parent
            if title is not None:
                page.title = title
            self._bump(page, message, when_ms, None, False)
            page.versions[-1].body_json = page.body_json
            self._changed(page, tree=True)
            return page

    def set_status(self, page_id: int, status: str, *, when_ms: Optional[int] = None) -> Page:
        """Change status (archive, trash, restore...); bumps the version."""
        with self.lock:
            if status not in PAGE_STATUSES:
                raise ValueError("bad status %r (want one of %s)" % (status, ", ".join(PAGE_STATUSES)))
            page = self._get(page_id)
            if page.status != status:
                page.status = status
                self._bump(page, "status: %s" % status, when_ms, None, False)
                page.versions[-1].body_json = page.body_json
            self._changed(page, tree=True)
            return page

    def delete_page(self, page_id: int) -> None:
        """Remove a page entirely (purge). Its children move up to its parent."""
        with self.lock:
            page = self._get(page_id)
            space = self.spaces[page.space_id]
            self.children[(page.space_id, page.parent_id)].remove(page.id)
            for cid in self.children.pop((page.space_id, page.id), []):
                child = self.pages[cid]
                child.parent_id = page.parent_id
                self.children.setdefault((page.space_id, page.parent_id), []).append(cid)
                child.cache.clear()
            del self.pages[page_id]
            for cid in [c.id for c in self.comments.values() if c.page_id == page_id]:
                del self.comments[cid]
            space.page_ids.remove(page_id)
            self.all_page_ids.remove(page_id)
            for att in page.attachments:
                self.attachments.pop(att.id, None)
            self._touch(tree=True)

    def delete_space(self, space: Space) -> int:
        """Remove a space and every page in it (purge); returns the number of pages removed."""
        with self.lock:
            doomed = set(space.page_ids)
            for pid in space.page_ids:
                page = self.pages.pop(pid)
                for att in page.attachments:
                    self.attachments.pop(att.id, None)
            self.all_page_ids = [pid for pid in self.all_page_ids if pid not in doomed]
            for cid in [c.id for c in self.comments.values() if c.page_id in doomed]:
                del self.comments[cid]
            for key in [k for k in self.children if k[0] == space.id]:
                del self.children[key]
            del self.spaces[space.id]
            del self.spaces_by_key[space.key]
            self._touch(tree=True)
            return len(doomed)

    def set_labels(self, page_id: int, names: Iterable[str]) -> Page:
        """Replace the labels; labels are not versioned in Confluence."""
        with self.lock:
            page = self._get(page_id)
            page.labels = [self.label(n) for n in dict.fromkeys(names)]
            self._changed(page)
            return page

    def set_restricted(self, page_id: int, restricted: bool) -> Page:
        with self.lock:
            page = self._get(page_id)
            page.restricted = restricted
            self._changed(page, tree=True)
            return page

    def update_space(self, space: Space, *, visible: Optional[bool] = None, public: Optional[bool] = None,
                     status: Optional[str] = None) -> Space:
        with self.lock:
            if status is not None and status not in SPACE_STATUSES:
                raise ValueError("bad space status %r (want one of %s)" % (status, ", ".join(SPACE_STATUSES)))
            if visible is not None:
                space.visible = visible
            if public is not None:
                space.public = public
            if status is not None:
                space.status = status
            for pid in space.page_ids:
                self.pages[pid].cache.clear()
            self._touch(tree=True)
            return space
