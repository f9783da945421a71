"""On-disk space format (``--pages DIR``) and its writer (``--export DIR``).

Layout (only ``space.json`` and the ``.xhtml`` files are required)::

    DIR/
      space.json                      {"key": "HB", "name": "Handbook", ...}
      pages/
        welcome.xhtml                 storage-format body (XML fragment)
        welcome.json                  optional metadata for welcome.xhtml
        engineering.xhtml
        engineering/                  children of engineering.xhtml
          01-oncall.xhtml
          01-oncall.json
          01-oncall.attachments/      optional attachments of 01-oncall
            escalation.txt

A page's *slug* is its path below ``pages/`` without ``.xhtml``
(``engineering/01-oncall``). See README.md for every metadata field.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import zlib
from typing import Dict, List, Optional, Tuple

from .store import PAGE_STATUSES, Page, Space, Store, VersionRec, iso_ms, parse_iso

_DEFAULT_CREATED = "2024-01-01T00:00:00.000Z"
_PAGE_KEYS = {
    "id", "title", "parent", "parentId", "status", "version", "labels", "createdAt", "modifiedAt",
    "position", "authorId", "restricted", "versionMessage",
}
_SPACE_KEYS = {"key", "name", "id", "description", "public", "visible", "type", "createdAt", "homepage"}


class FormatError(Exception):
    """A pages directory does not follow the documented format."""


def _stable_id(text: str, lo: int, span: int) -> int:
    return lo + zlib.crc32(text.encode("utf-8")) % span


def _title_from_slug(slug: str) -> str:
    base = slug.rsplit("/", 1)[-1]
    base = re.sub(r"^\d+[-_ ]+", "", base).replace("-", " ").replace("_", " ").strip()
    return base[:1].upper() + base[1:] if base else slug


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise FormatError("%s: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise FormatError("%s: expected a JSON object" % path)
    return data


def load_space_dir(store: Store, root: str) -> Space:
    """Load one space directory into ``store`` and return the space."""
    meta = _read_json(os.path.join(root, "space.json"))
    unknown = set(meta) - _SPACE_KEYS
    if unknown:
        raise FormatError("%s/space.json: unknown keys %s" % (root, sorted(unknown)))
    key = meta.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9~]+", key):
        raise FormatError("%s/space.json: 'key' must be letters/digits" % root)
    space = store.add_space(
        Space(
            id=int(meta.get("id", _stable_id("space:" + key, 10_000_000, 90_000_000))),
            key=key,
            name=str(meta.get("name", key)),
            description=str(meta.get("description", "")),
            type=str(meta.get("type", "global")),
            created_ms=parse_iso(meta.get("createdAt", "2022-01-01T00:00:00.000Z")),
            public=bool(meta.get("public", False)),
            visible=bool(meta.get("visible", True)),
        )
    )
    pages_root = os.path.join(root, "pages")
    if not os.path.isdir(pages_root):
        raise FormatError("%s: missing pages/ directory" % root)

    entries: List[Tuple[str, dict, str, str]] = []  # slug, meta, body, xhtml path
    for dirpath, dirnames, filenames in os.walk(pages_root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith(".attachments"))
        for fn in sorted(filenames):
            path = os.path.join(dirpath, fn)
            rel = os.path.relpath(path, pages_root).replace(os.sep, "/")
            if fn.endswith(".json"):
                if not os.path.exists(path[: -len(".json")] + ".xhtml"):
                    raise FormatError("%s has no matching .xhtml body" % path)
                continue
            if not fn.endswith(".xhtml"):
                raise FormatError("%s: unexpected file (want .xhtml or .json)" % path)
            slug = rel[: -len(".xhtml")]
            jpath = path[: -len(".xhtml")] + ".json"
            pmeta = _read_json(jpath) if os.path.exists(jpath) else {}
            unknown = set(pmeta) - _PAGE_KEYS
            if unknown:
                raise FormatError("%s: unknown keys %s" % (jpath, sorted(unknown)))
            with open(path, encoding="utf-8") as fh:
                body = fh.read().strip()
            entries.append((slug, pmeta, body, path))

    by_slug: Dict[str, int] = {}
    for slug, pmeta, _body, path in entries:
        pid = int(pmeta.get("id", _stable_id(key + "/" + slug, 100_000, 899_900_000)))
        if pid in store.pages or pid in by_slug.values():
            raise FormatError("%s: page id %d is used twice (set an explicit \"id\")" % (path, pid))
        by_slug[slug] = pid

    order: Dict[Optional[int], int] = {}
    pages: List[Page] = []
    for slug, pmeta, body, path in entries:
        pid = by_slug[slug]
        parent_id: Optional[int]
        if "parentId" in pmeta:
            parent_id = None if pmeta["parentId"] in (None, "") else int(pmeta["parentId"])
        elif "parent" in pmeta:
            if pmeta["parent"] in (None, ""):
                parent_id = None
            elif pmeta["parent"] not in by_slug:
                raise FormatError("%s: parent slug %r not found" % (path, pmeta["parent"]))
            else:
                parent_id = by_slug[pmeta["parent"]]
        elif "/" in slug:
            parent_slug = slug.rsplit("/", 1)[0]
            if parent_slug not in by_slug:
                raise FormatError("%s: directory %s/ needs a sibling %s.xhtml" % (path, parent_slug, parent_slug))
            parent_id = by_slug[parent_slug]
        else:
            parent_id = None
        status = pmeta.get("status", "current")
        if status not in PAGE_STATUSES:
            raise FormatError("%s: status must be one of %s" % (path, ", ".join(PAGE_STATUSES)))
        created = parse_iso(pmeta.get("createdAt", _DEFAULT_CREATED))
        modified = parse_iso(pmeta["modifiedAt"]) if "modifiedAt" in pmeta else created
        nver = int(pmeta.get("version", 1))
        if nver < 1:
            raise FormatError("%s: version must be >= 1" % path)
        author = str(pmeta.get("authorId", "557058:f2a1c1e4-0000-4000-8000-000000000001"))
        versions = []
        for v in range(1, nver + 1):
            when = created if nver == 1 else created + (modified - created) * (v - 1) // (nver - 1)
            versions.append(VersionRec(v, when, "" if v < nver else str(pmeta.get("versionMessage", "")), False, author))
        labels = pmeta.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise FormatError("%s: labels must be a list of strings" % path)
        default_pos = order.get(parent_id, 0)
        order[parent_id] = default_pos + 1
        page = Page(
            id=pid,
            space_id=space.id,
            title=str(pmeta.get("title", _title_from_slug(slug))),
            body_json=json.dumps(body),
            parent_id=parent_id,
            position=int(pmeta.get("position", default_pos)),
            status=status,
            created_ms=created,
            author_id=author,
            owner_id=author,
            labels=[store.label(n) for n in labels],
            versions=versions,
            restricted=bool(pmeta.get("restricted", False)),
        )
        att_dir = path[: -len(".xhtml")] + ".attachments"
        if os.path.isdir(att_dir):
            for fn in sorted(os.listdir(att_dir)):
                with open(os.path.join(att_dir, fn), "rb") as fh:
                    data = fh.read()
                mt = mimetypes.guess_type(fn)[0] or "application/octet-stream"
                page.attachments.append(store.new_attachment(pid, fn, mt, data, created))
        pages.append(page)

    if "homepage" in meta:
        if meta["homepage"] not in by_slug:
            raise FormatError("%s/space.json: homepage slug %r not found" % (root, meta["homepage"]))
        space.homepage = by_slug[meta["homepage"]]
    known = set(by_slug.values()) | set(store.pages)
    for page in pages:
        if page.parent_id is not None and page.parent_id not in known:
            raise FormatError("page %d (%s): parentId %d does not exist" % (page.id, page.title, page.parent_id))
    for page in sorted(pages, key=lambda p: p.id):
        store.add_page(page)
    store.finish_loading()
    return space


def _slugify(title: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()
    return s[:60] or "page"


def export_space(store: Store, space: Space, root: str) -> int:
    """Write ``space`` in the on-disk format (flat, explicit ids). Returns the page count."""
    pages_root = os.path.join(root, "pages")
    os.makedirs(pages_root, exist_ok=True)
    slugs = {pid: "%d-%s" % (pid, _slugify(store.pages[pid].title)) for pid in space.page_ids}
    meta_space = {"key": space.key, "name": space.name, "id": str(space.id), "description": space.description,
                  "public": space.public, "createdAt": iso_ms(space.created_ms)}
    home = store.homepage_id(space)
    if home is not None:
        meta_space["homepage"] = slugs[home]
    with open(os.path.join(root, "space.json"), "w", encoding="utf-8") as fh:
        json.dump(meta_space, fh, indent=2)
        fh.write("\n")
    for pid in space.page_ids:
        page = store.pages[pid]
        slug = slugs[pid]
        meta = {
            "id": str(page.id),
            "title": page.title,
            "parentId": None if page.parent_id is None else str(page.parent_id),
            "position": page.position,
            "status": page.status,
            "version": page.version.number,
            "labels": [lab.name for lab in page.labels],
            "createdAt": iso_ms(page.created_ms),
            "modifiedAt": iso_ms(page.modified_ms),
        }
        if page.restricted:
            meta["restricted"] = True
        with open(os.path.join(pages_root, slug + ".json"), "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2)
            fh.write("\n")
        with open(os.path.join(pages_root, slug + ".xhtml"), "w", encoding="utf-8") as fh:
            fh.write(page.body)
            fh.write("\n")
        if page.attachments:
            adir = os.path.join(pages_root, slug + ".attachments")
            os.makedirs(adir, exist_ok=True)
            for att in page.attachments:
                with open(os.path.join(adir, att.filename), "wb") as fh:
                    fh.write(att.data)
    return len(space.page_ids)
