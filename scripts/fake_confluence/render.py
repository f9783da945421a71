"""JSON shapes of the v2 (Cloud) and v1 (Cloud and Data Center) APIs.

Page renderings are returned as JSON *text* and cached on the page (see
``Page.cache``) so a 250-item listing is a string join. Bodies are stored as
JSON literals and spliced in through :data:`_BODY` placeholders, which
avoids re-escaping large XHTML strings.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from typing import Dict, Iterable, List, Optional

from .store import Attachment, Comment, Label, Page, Space, Store, VersionRec, iso_ms

_BODY = "\u0000BODY\u0000"
_BODY_JSON = json.dumps(_BODY)  # how the placeholder looks once encoded

DC_USER = {"type": "known", "username": "fake.user", "userKey": "8a7f808a6e8a1f3b016e8a2f0a0b0001", "displayName": "Fake User"}
CLOUD_USER_NAME = "Fake User"

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(obj) -> str:
    """Compact JSON encoding used for every response."""
    return _dumps(obj)


def splice_body(obj: dict, body_json: str) -> str:
    """Encode ``obj`` whose body value is the placeholder, then insert ``body_json``."""
    return dumps(obj).replace(_BODY_JSON, body_json, 1)


def tinyui(page_id: int) -> str:
    """Confluence-style tiny link: base64 of the little-endian id, trimmed."""
    raw = page_id.to_bytes(8, "little").rstrip(b"\0") or b"\0"
    s = base64.b64encode(raw).decode().rstrip("=").replace("/", "_").replace("+", "-")
    return "/x/" + (s.rstrip("A") or "A")


def _blog_date(page: Page) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(page.created_ms // 1000))


def webui_cloud(space: Space, page: Page) -> str:
    if page.type == "blogpost":
        return "/spaces/%s/blog/%s/%d/%s" % (space.key, _blog_date(page), page.id, urllib.parse.quote_plus(page.title))
    return "/spaces/%s/pages/%d/%s" % (space.key, page.id, urllib.parse.quote_plus(page.title))


def webui_dc(space: Space, page: Page) -> str:
    if page.type == "blogpost":
        return "/display/%s/%s/%s" % (space.key, _blog_date(page), urllib.parse.quote_plus(page.title))
    return "/display/%s/%s" % (space.key, urllib.parse.quote_plus(page.title))


def v2_comment(comment: Comment, page: Page, with_body: bool) -> dict:
    """v2 ``PageCommentModel`` (footer) or ``InlineCommentModel``."""
    d: Dict[str, object] = {
        "id": str(comment.id),
        "status": comment.status,
        "title": "Re: " + page.title,
        ("blogPostId" if page.type == "blogpost" else "pageId"): str(page.id),
        "version": {"number": comment.version_number, "message": "", "minorEdit": False, "authorId": comment.author_id,
                    "createdAt": iso_ms(comment.modified_ms)},
        "body": {"storage": {"representation": "storage", "value": comment.body}} if with_body else {},
        "_links": {"webui": webui_cloud_comment(page, comment)},
    }
    if comment.location == "inline":
        d["resolutionStatus"] = "open"
        d["properties"] = {"inlineMarkerRef": "marker-%d" % comment.id, "inlineOriginalSelection": ""}
    if comment.parent_id is not None:
        d["parentCommentId"] = str(comment.parent_id)
    return d


def webui_cloud_comment(page: Page, comment: Comment) -> str:
    return "/pages/viewpage.action?pageId=%d&focusedCommentId=%d" % (page.id, comment.id)


# ---------------------------------------------------------------------- v2
def v2_version(v: VersionRec) -> dict:
    return {"number": v.number, "message": v.message, "minorEdit": v.minor_edit, "authorId": v.author_id, "createdAt": iso_ms(v.created_ms)}


def v2_label(lab: Label) -> dict:
    return {"id": str(lab.id), "name": lab.name, "prefix": lab.prefix}


def _v2_page_dict(page: Page, space: Space, with_body: bool, version: Optional[VersionRec] = None) -> dict:
    d: Dict[str, object] = {
        "id": str(page.id),
        "status": page.status,
        "title": page.title,
        "spaceId": str(page.space_id),
    }
    # The spec types parentId/parentType as non-nullable strings, so root
    # pages leave both out instead of sending null.
    if page.parent_id is not None:
        d["parentId"] = str(page.parent_id)
        d["parentType"] = "page"
    if page.type == "page":  # BlogPostBulk has no position or owners
        d["position"] = page.position
    d["authorId"] = page.author_id
    if page.type == "page":
        d["ownerId"] = page.owner_id
        d["lastOwnerId"] = None
    d["createdAt"] = iso_ms(page.created_ms)
    d["version"] = v2_version(version or page.version)
    d["body"] = {"storage": {"representation": "storage", "value": _BODY}} if with_body else {}
    d["_links"] = {
        "webui": webui_cloud(space, page),
        "editui": "/pages/resumedraft.action?draftId=%d" % page.id,
        "tinyui": tinyui(page.id),
    }
    return d


def v2_page_bulk(page: Page, space: Space, with_body: bool) -> str:
    """``PageBulk`` JSON text.

    The page is encoded once (cached) as the text before and after the body
    value; the storage body is spliced in per request, so bodies are never
    held twice in memory.
    """
    parts = page.cache.get("v2bulk")
    if parts is None:
        d = _v2_page_dict(page, space, False)
        d["body"] = _BODY
        prefix, suffix = dumps(d).split(_BODY_JSON, 1)
        parts = page.cache["v2bulk"] = (prefix, suffix)
    if with_body:
        return parts[0] + '{"storage":{"representation":"storage","value":' + page.body_json + "}}" + parts[1]
    return parts[0] + "{}" + parts[1]


def v2_page_single(
    page: Page,
    space: Space,
    store: Store,
    *,
    base: str,
    with_body: bool,
    include: Iterable[str],
    version: Optional[VersionRec] = None,
) -> str:
    """``PageSingle`` + ``_links.base`` JSON text (not cached: include flags vary)."""
    d = _v2_page_dict(page, space, with_body, version)
    include = set(include)
    if "version" not in include:
        del d["version"]
    self_base = "/wiki/api/v2/pages/%d" % page.id
    if "labels" in include:
        labs = sorted(page.labels, key=lambda lab: lab.id)
        d["labels"] = {
            "results": [v2_label(x) for x in labs[:50]],
            "meta": {"hasMore": len(labs) > 50, "cursor": ""},
            "_links": {"self": self_base + "/labels"},
        }
    if "versions" in include:
        vers = list(reversed(page.versions))[:50]
        d["versions"] = {
            "results": [v2_version(v) for v in vers],
            "meta": {"hasMore": len(page.versions) > 50, "cursor": ""},
            "_links": {"self": self_base + "/versions"},
        }
    for empty in ("properties", "operations", "likes"):
        if empty in include:
            d[empty] = {"results": [], "meta": {"hasMore": False, "cursor": ""}, "_links": {"self": self_base + "/" + empty}}
    if "favorited" in include:
        d["isFavoritedByCurrentUser"] = False
    d["_links"]["base"] = base  # type: ignore[index]
    body_json = (version.body_json if version is not None and version.body_json else page.body_json)
    return splice_body(d, body_json) if with_body else dumps(d)


def v2_space(space: Space, store: Store, *, description_format: Optional[str], include_icon: bool) -> dict:
    d: Dict[str, object] = {
        "id": str(space.id),
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "authorId": space.author_id,
        "createdAt": iso_ms(space.created_ms),
    }
    home = store.homepage_id(space)
    if home is not None:
        d["homepageId"] = str(home)
    if description_format in ("plain", "view"):
        value = space.description if description_format == "plain" else "<p>%s</p>" % space.description
        d["description"] = {description_format: {"representation": description_format, "value": value}}
    if include_icon:
        d["icon"] = {"path": "/wiki/download/attachments/%d/%s-icon.png" % (space.id, space.key.lower()), "apiDownloadLink": "/wiki/download/attachments/%d/%s-icon.png" % (space.id, space.key.lower())}
    d["_links"] = {"webui": "/spaces/%s" % space.key}
    return d


def v2_child(page: Page) -> dict:
    return {"id": str(page.id), "status": page.status, "title": page.title, "spaceId": str(page.space_id), "childPosition": page.position}


def v2_page_version(page: Page, v: VersionRec, with_body: bool) -> str:
    d = v2_version(v)
    d["page"] = {"id": str(page.id), "title": page.title}
    if with_body:
        d["page"]["body"] = {"storage": {"representation": "storage", "value": _BODY}}
        return splice_body(d, v.body_json or page.body_json)
    return dumps(d)


def v2_detailed_version(page: Page, idx: int) -> dict:
    v = page.versions[idx]
    d = {
        "number": v.number,
        "authorId": v.author_id,
        "message": v.message,
        "createdAt": iso_ms(v.created_ms),
        "minorEdit": v.minor_edit,
        "contentTypeModified": False,
        "collaborators": [v.author_id],
    }
    if idx > 0:
        d["prevVersion"] = page.versions[idx - 1].number
    if idx + 1 < len(page.versions):
        d["nextVersion"] = page.versions[idx + 1].number
    return d


def v2_attachment(att: Attachment, page: Page) -> dict:
    download = "/download/attachments/%d/%s?version=1&modificationDate=%d&cacheVersion=1&api=v2" % (
        page.id, urllib.parse.quote(att.filename), att.created_ms)
    return {
        "id": att.att_id,
        "status": "current",
        "title": att.filename,
        "createdAt": iso_ms(att.created_ms),
        "pageId": str(page.id),
        "mediaType": att.media_type,
        "mediaTypeDescription": att.media_type,
        "comment": att.comment,
        "fileId": "%08x-0000-4000-8000-%012x" % (att.id, page.id),
        "fileSize": len(att.data),
        "webuiLink": "/pages/viewpageattachments.action?pageId=%d&preview=%s" % (page.id, urllib.parse.quote(att.filename)),
        "downloadLink": download,
        "version": {"number": 1, "message": "", "minorEdit": False, "authorId": page.author_id, "createdAt": iso_ms(att.created_ms)},
        "_links": {"webui": "/pages/viewpageattachments.action?pageId=%d" % page.id, "download": download},
    }


def v2_error(status: int, code: str, title: str, detail: Optional[str] = None) -> str:
    return dumps({"errors": [{"status": status, "code": code, "title": title, "detail": detail}]})


# ---------------------------------------------------------------------- v1
#: Expansions understood by :func:`v1_content` (after normalisation).
V1_EXPANSIONS = {
    "body.storage", "version", "space", "history", "history.lastUpdated", "ancestors",
    "metadata.labels", "restrictions.read.restrictions.user", "restrictions.read.restrictions.group",
    "children.page", "container",
}


def normalize_expand(raw: Optional[str]) -> List[str]:
    """Split an ``expand`` parameter and map sub-paths onto supported expansions."""
    out: List[str] = []
    if not raw:
        return out
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("body.storage"):
            item = "body.storage"
        elif item.startswith("history.lastUpdated"):
            item = "history.lastUpdated"
        elif item.startswith("metadata.labels"):
            item = "metadata.labels"
        elif item.startswith("restrictions.read.restrictions.user"):
            item = "restrictions.read.restrictions.user"
        elif item.startswith("restrictions.read.restrictions.group"):
            item = "restrictions.read.restrictions.group"
        else:
            for prefix in ("version", "space", "history", "ancestors", "container", "children.page"):
                if item == prefix or item.startswith(prefix + "."):
                    item = prefix
                    break
        out.append(item)
    return out


class V1Renderer:
    """Renders v1 ``Content``/``Space`` objects for Cloud (``dc=False``) or DC."""

    def __init__(self, store: Store, base: str, *, dc: bool):
        self.store = store
        self.base = base  # e.g. http://127.0.0.1:8090/wiki or .../confluence
        self.dc = dc

    def user(self, account_id: str) -> dict:
        if self.dc:
            d = dict(DC_USER)
            d["_links"] = {"self": self.base + "/rest/api/user?key=" + DC_USER["userKey"]}
            return d
        return {
            "type": "known", "accountId": account_id, "accountType": "atlassian", "email": "",
            "publicName": CLOUD_USER_NAME, "displayName": CLOUD_USER_NAME, "isExternalCollaborator": False,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": self.base + "/rest/api/user?accountId=" + account_id},
        }

    def space(self, space: Space) -> dict:
        d = {
            "id": space.id,
            "key": space.key,
            "name": space.name,
            "type": space.type,
            "status": space.status,
            "_expandable": {
                "settings": "/rest/api/space/%s/settings" % space.key, "metadata": "", "operations": "",
                "lookAndFeel": "/rest/api/settings/lookandfeel?spaceKey=%s" % space.key, "permissions": "",
                "icon": "", "description": "", "theme": "/rest/api/space/%s/theme" % space.key, "history": "",
                "homepage": "/rest/api/content/%s" % (self.store.homepage_id(space) or ""),
            },
            "_links": {"webui": ("/display/%s" if self.dc else "/spaces/%s") % space.key, "self": self.base + "/rest/api/space/" + space.key},
        }
        return d

    def version(self, page: Page, v: VersionRec) -> dict:
        d = {
            "by": self.user(v.author_id),
            "when": iso_ms(v.created_ms),
            "friendlyWhen": iso_ms(v.created_ms)[:10],
            "message": v.message,
            "number": v.number,
            "minorEdit": v.minor_edit,
            "_expandable": {"collaborators": "", "content": "/rest/api/content/%d" % page.id},
            "_links": {"self": self.base + "/rest/api/content/%d/version/%d" % (page.id, v.number)},
        }
        if not self.dc:
            d["contentTypeModified"] = False
        return d

    def comment(self, comment: Comment, page: Page, space: Space, expand: Iterable[str]) -> str:
        """v1 ``Content`` of type comment: ``container`` is its page (replies too), ``ancestors``
        its parent comments, ``extensions.location`` footer or inline."""
        exp = set(expand)
        d: Dict[str, object] = {"id": str(comment.id), "type": "comment", "status": comment.status,
                                "title": "Re: " + page.title}
        if "space" in exp:
            d["space"] = self.space(space)
        if "version" in exp:
            d["version"] = {"by": self.user(comment.author_id), "when": iso_ms(comment.modified_ms), "message": "",
                            "number": comment.version_number, "minorEdit": False}
        if "container" in exp:
            d["container"] = self._brief(page, space)
        if "ancestors" in exp:
            chain = []
            parent = self.store.comments.get(comment.parent_id) if comment.parent_id is not None else None
            while parent is not None:
                chain.insert(0, {"id": str(parent.id), "type": "comment", "status": parent.status, "title": "Re: " + page.title})
                parent = self.store.comments.get(parent.parent_id) if parent.parent_id is not None else None
            d["ancestors"] = chain
        if "body.storage" in exp:
            d["body"] = {"storage": {"value": comment.body, "representation": "storage"}}
        extensions: Dict[str, object] = {"location": comment.location}
        if comment.location == "inline":
            extensions["inlineProperties"] = {"markerRef": "marker-%d" % comment.id, "originalSelection": ""}
            extensions["resolution"] = {"status": "open"}
        d["extensions"] = extensions
        d["_links"] = {"webui": "/pages/viewpage.action?pageId=%d&focusedCommentId=%d" % (page.id, comment.id),
                       "self": self.base + "/rest/api/content/%d" % comment.id}
        return dumps(d)

    def _brief(self, page: Page, space: Space) -> dict:
        return {
            "id": str(page.id),
            "type": page.type,
            "status": page.status,
            "title": page.title,
            "_links": self._links(page, space),
            "_expandable": {"container": "/rest/api/space/" + space.key, "body": "", "version": "", "space": "/rest/api/space/" + space.key},
        }

    def _links(self, page: Page, space: Space) -> dict:
        links = {
            "webui": webui_dc(space, page) if self.dc else webui_cloud(space, page),
            "edit": "/pages/resumedraft.action?draftId=%d" % page.id,
            "tinyui": tinyui(page.id),
            "self": self.base + "/rest/api/content/%d" % page.id,
        }
        if not self.dc:
            links["editui"] = links["edit"]
        return links

    def content(self, page: Page, space: Space, expand: Iterable[str]) -> str:
        """``Content`` JSON text for ``page`` with the given (normalised) expansions."""
        exp = frozenset(e for e in expand if e in V1_EXPANSIONS)
        key = ("v1", self.dc, exp, self.store.tree_epoch if ("ancestors" in exp or "children.page" in exp) else 0)
        hit = page.cache.get(key)
        if hit is not None:
            return hit
        if len(page.cache) > 16:
            page.cache.clear()
        d: Dict[str, object] = {"id": str(page.id), "type": page.type, "status": page.status, "title": page.title}
        expandable: Dict[str, str] = {}
        if "space" in exp:
            d["space"] = self.space(space)
        else:
            expandable["space"] = "/rest/api/space/" + space.key
        if "history" in exp or "history.lastUpdated" in exp:
            hist: Dict[str, object] = {
                "latest": page.status == "current",
                "createdBy": self.user(page.author_id),
                "createdDate": iso_ms(page.created_ms),
            }
            if "history.lastUpdated" in exp:
                hist["lastUpdated"] = self.version(page, page.version)
            hist["_expandable"] = {"lastUpdated": "", "previousVersion": "", "contributors": "", "nextVersion": ""}
            hist["_links"] = {"self": self.base + "/rest/api/content/%d/history" % page.id}
            d["history"] = hist
        else:
            expandable["history"] = "/rest/api/content/%d/history" % page.id
        if "version" in exp:
            d["version"] = self.version(page, page.version)
        else:
            expandable["version"] = ""
        if "ancestors" in exp:
            d["ancestors"] = [self._brief(a, space) for a in self.store.ancestors(page)]
        else:
            expandable["ancestors"] = ""
        if "children.page" in exp:
            kids = [self.store.pages[c] for c in self.store.child_ids(page)]
            kids = [k for k in kids if k.status == "current" and not k.restricted]
            d["children"] = {"page": {"results": [self._brief(k, space) for k in kids], "start": 0, "limit": 25, "size": len(kids),
                                      "_links": {"self": self.base + "/rest/api/content/%d/child/page" % page.id}}}
        else:
            expandable["children"] = "/rest/api/content/%d/child" % page.id
        if "container" in exp:
            d["container"] = self.space(space)
        else:
            expandable["container"] = "/rest/api/space/" + space.key
        if "body.storage" in exp:
            d["body"] = {
                "storage": {"value": _BODY, "representation": "storage", "embeddedContent": [],
                            "_expandable": {"content": "/rest/api/content/%d" % page.id}},
                "_expandable": {k: "" for k in ("editor", "view", "export_view", "styled_view", "dynamic", "editor2", "anonymous_export_view", "atlas_doc_format")},
            }
        else:
            expandable["body"] = ""
        if "metadata.labels" in exp:
            labs = sorted(page.labels, key=lambda lab: lab.id)
            d["metadata"] = {
                "labels": {
                    "results": [{"prefix": x.prefix, "name": x.name, "id": str(x.id), "label": x.name} for x in labs],
                    "start": 0, "limit": 200, "size": len(labs),
                    "_links": {"self": self.base + "/rest/api/content/%d/label" % page.id},
                },
                "_expandable": {"currentuser": "", "comments": "", "sourceTemplateEntityId": "", "simple": "", "properties": "", "frontend": "", "likes": ""},
            }
        else:
            expandable["metadata"] = ""
        if "restrictions.read.restrictions.user" in exp or "restrictions.read.restrictions.group" in exp:
            empty = {"results": [], "start": 0, "limit": 200, "size": 0}
            d["restrictions"] = {"read": {"operation": "read", "restrictions": {"user": dict(empty), "group": dict(empty)},
                                          "_expandable": {"content": "/rest/api/content/%d" % page.id},
                                          "_links": {"self": self.base + "/rest/api/content/%d/restriction/byOperation/read" % page.id}}}
        else:
            expandable["restrictions"] = "/rest/api/content/%d/restriction/byOperation" % page.id
        d["extensions"] = {"position": page.position}
        expandable.update({"childTypes": "", "operations": "", "descendants": "/rest/api/content/%d/descendant" % page.id})
        d["_expandable"] = expandable
        d["_links"] = self._links(page, space)
        text = splice_body(d, page.body_json) if "body.storage" in exp else dumps(d)
        page.cache[key] = text
        return text


def v1_error(status: int, message: str, *, valid: bool = True) -> str:
    """The v1 error envelope (``statusCode``/``data``/``message``)."""
    return dumps({"statusCode": status, "data": {"authorized": False, "valid": valid, "errors": [], "successful": False}, "message": message})
