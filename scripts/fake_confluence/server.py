"""HTTP server: routing, auth, throttling/faults and every API endpoint.

One :class:`FakeConfluence` owns a :class:`~.store.Store`, the fault settings
and the statistics, and runs a ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive,
always with ``Content-Length``) on 127.0.0.1. Endpoint handlers return a
:class:`Response`; nothing writes to the socket except :meth:`Handler._send`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional, Tuple

from . import render
from .cql import CQLError, compile_cql
from .faults import Faults, Stats
from .paging import BadCursor, decode_cursor, desc_value, encode_cursor, order_key, page_slice
from .generator import generate_space
from .store import PAGE_STATUSES, SPACE_STATUSES, SPACE_TYPES, NotFound, Page, Space, Store, iso_ms, now_ms, parse_iso

JSON = "application/json;charset=UTF-8"
BASIC_DEPRECATED = (
    "Basic authentication with passwords is deprecated.  For more information, see: "
    "https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"
)
DC_BASIC_401_HTML = (
    "<!doctype html><html lang=\"en\"><head><title>HTTP Status 401 \u2013 Unauthorized</title></head><body>"
    "<h1>HTTP Status 401 \u2013 Unauthorized</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>"
    "<p><b>Message</b> Basic Authentication Failure - Reason : AUTHENTICATED_FAILED</p>"
    "<p><b>Description</b> The request has not been applied to the target resource because it lacks valid "
    "authentication credentials for that resource.</p><hr class=\"line\" /><h3>Apache Tomcat</h3></body></html>"
)
BAD_GATEWAY_HTML = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    "<hr><center>AtlassianProxy</center></body></html>"
)
V2_MAX_LIMIT = 250
V1_SEARCH_MAX_LIMIT = 250
DEFAULT_STATUSES = ("current", "archived")
V2_PAGE_SORTS = {"id": "id", "created-date": "created", "modified-date": "modified", "title": "title"}


@dataclass
class Config:
    """Static server configuration (from the CLI)."""

    mode: str = "cloud"  # "cloud" or "dc"
    context_path: str = ""  # DC only, e.g. "/confluence"
    email: Optional[str] = None  # Cloud basic user; DC basic username
    token: Optional[str] = None  # Cloud API token; DC basic password
    pat: Optional[str] = None  # DC personal access token (Bearer)
    verbose: bool = False


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: List[Tuple[str, str]] = field(default_factory=list)


class ApiError(Exception):
    """Raised inside handlers; carries a finished response."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    pairs: List[Tuple[str, str]]
    headers: Dict[str, str]
    body: bytes
    authed: bool = True  # False = anonymous caller

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        val = default
        for k, v in self.pairs:
            if k == name:
                val = v
        return val

    def getlist(self, name: str) -> List[str]:
        """All values of ``name``, also splitting comma-separated values."""
        out: List[str] = []
        for k, v in self.pairs:
            if k == name:
                out.extend(x.strip() for x in v.split(",") if x.strip())
        return out

    def flag(self, name: str, default: bool = False) -> bool:
        v = self.get(name)
        if v is None:
            return default
        return v.lower() == "true"


def _json(status: int, text: str, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    return Response(status, text.encode("utf-8"), JSON, headers or [])


def _admin_json(status: int, obj) -> Response:
    return Response(status, (json.dumps(obj, indent=1) + "\n").encode(), "application/json")


class FakeConfluence:
    """The fake server. ``start()`` binds, ``serve_forever()`` runs, ``shutdown()`` stops."""

    def __init__(self, store: Store, config: Config, faults: Faults, stats: Optional[Stats] = None):
        self.store = store
        self.config = config
        self.faults = faults
        self.stats = stats or Stats()
        self.httpd: Optional[ThreadingHTTPServer] = None
        self.port = 0
        self._trace = itertools.count(1)
        self._stopping = threading.Event()
        self.routes: List[Tuple[str, "re.Pattern[str]", str, Callable[..., Response]]] = []

    # ------------------------------------------------------------- lifecycle
    def start(self, port: int = 0) -> int:
        """Bind 127.0.0.1:``port`` (0 = any free port) and return the port."""
        app = self

        class _Handler(Handler):
            server_app = app

        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.port = self.httpd.server_address[1]
        self.origin = "http://127.0.0.1:%d" % self.port
        if self.config.mode == "cloud":
            self.base = self.origin + "/wiki"
            self.v1 = render.V1Renderer(self.store, self.base, dc=False)
        else:
            self.base = self.origin + self.config.context_path
            self.v1 = render.V1Renderer(self.store, self.base, dc=True)
        self._build_routes()
        return self.port

    def serve_forever(self) -> None:
        assert self.httpd is not None
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.httpd.server_close()

    def prewarm(self) -> None:
        """Render the cached v2 list fragments of every page (run in a background thread).

        Makes the first full listing as fast as later ones. Pages changed
        meanwhile simply re-render on demand.
        """
        for n, pid in enumerate(list(self.store.all_page_ids)):
            if self._stopping.is_set():
                return
            with self.store.lock:
                page = self.store.pages.get(pid)
                if page is None:
                    continue
                space = self.store.spaces[page.space_id]
                render.v2_page_bulk(page, space, False)
            if n % 64 == 0:
                time.sleep(0)  # let request threads in

    def shutdown(self) -> None:
        """Stop ``serve_forever`` (safe to call from any thread, more than once)."""
        if self.httpd is not None and not self._stopping.is_set():
            self._stopping.set()
            threading.Thread(target=self.httpd.shutdown, daemon=True).start()

    # --------------------------------------------------------------- routing
    def _build_routes(self) -> None:
        def add(method: str, pattern: str, kind: str, fn: Callable[..., Response]) -> None:
            self.routes.append((method, re.compile("^" + pattern + "$"), kind, fn))

        num = r"([^/]+)"
        if self.config.mode == "cloud":
            v2 = "/wiki/api/v2"
            add("GET", v2 + "/spaces", "v2.spaces", self.v2_spaces)
            add("GET", v2 + "/spaces/" + num, "v2.space", self.v2_space)
            add("GET", v2 + "/spaces/" + num + "/pages", "v2.space_pages", self.v2_space_pages)
            add("GET", v2 + "/spaces/" + num + "/content/labels", "v2.space_content_labels", self.v2_space_content_labels)
            add("GET", v2 + "/pages", "v2.pages", self.v2_pages)
            add("GET", v2 + "/pages/" + num, "v2.page", self.v2_page)
            add("GET", v2 + "/pages/" + num + "/labels", "v2.page_labels", self.v2_page_labels)
            add("GET", v2 + "/pages/" + num + "/ancestors", "v2.page_ancestors", self.v2_page_ancestors)
            add("GET", v2 + "/pages/" + num + "/children", "v2.page_children", self.v2_page_children)
            add("GET", v2 + "/pages/" + num + "/versions", "v2.page_versions", self.v2_page_versions)
            add("GET", v2 + "/pages/" + num + "/versions/" + num, "v2.page_version", self.v2_page_version)
            add("GET", v2 + "/pages/" + num + "/attachments", "v2.page_attachments", self.v2_page_attachments)
            add("GET", v2 + "/pages/" + num + "/footer-comments", "v2.page_footer_comments", self.v2_page_footer_comments)
            add("GET", v2 + "/pages/" + num + "/inline-comments", "v2.page_inline_comments", self.v2_page_inline_comments)
            add("GET", v2 + "/spaces/" + num + "/blogposts", "v2.space_blogposts", self.v2_space_blogposts)
            add("GET", v2 + "/blogposts", "v2.blogposts", self.v2_blogposts)
            v1 = "/wiki/rest/api"
            add("GET", v1 + "/content/search", "v1.search", self.v1_search_cursor)
            add("GET", v1 + "/space/" + num, "v1.space", self.v1_space)
            add("GET", v1 + "/content/" + num, "v1.content", self.v1_content)
            add("GET", v1 + "/content/" + num + "/child/comment", "v1.child_comment", self.v1_child_comments)
            add("GET", v1 + "/content/" + num + "/child/attachment/" + num + "/download", "v1.attachment_download", self.v1_download)
            add("GET", "/wiki/download/attachments/" + num + "/" + num, "download", self.download)
        else:
            ctx = re.escape(self.config.context_path)
            v1 = ctx + "/rest/api"
            add("GET", v1 + "/content", "dc.content", self.dc_content_list)
            add("GET", v1 + "/content/search", "dc.search", self.dc_search)
            add("GET", v1 + "/content/" + num, "dc.content_by_id", self.v1_content)
            add("GET", v1 + "/content/" + num + "/child/comment", "dc.child_comment", self.v1_child_comments)
            add("GET", v1 + "/content/" + num + "/child/attachment/" + num + "/download", "dc.attachment_download", self.v1_download)
            add("GET", v1 + "/space", "dc.spaces", self.dc_spaces)
            add("GET", v1 + "/space/" + num, "dc.space", self.v1_space)
            add("GET", ctx + "/download/attachments/" + num + "/" + num, "download", self.download)

    def dispatch(self, method: str, target: str, headers: Dict[str, str], body: bytes) -> Response:
        """Handle one request end to end (admin, throttling, faults, auth, endpoint)."""
        split = urllib.parse.urlsplit(target)
        path = split.path
        pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        req = Request(method, path, split.query, pairs, headers, body)
        if path == "/_fake" or path.startswith("/_fake/"):
            return self.admin(req)
        resp = self._dispatch_api(req, method, path)
        self.stats.status(resp.status)
        return resp

    def _dispatch_api(self, req: Request, method: str, path: str) -> Response:
        for r_method, rx, kind, fn in self.routes:
            m = rx.match(path)
            if m:
                break
        else:
            self.stats.count("unknown")
            return self._not_found_for_path(path)
        self.stats.count(kind)
        if r_method != method:
            return Response(405, b"Method Not Allowed", "text/plain", [("Allow", r_method)])
        settings = self.faults.settings
        if settings.latency_ms:
            time.sleep(settings.latency_ms / 1000.0)
        throttle = self.faults.throttle()
        if throttle is not None and not throttle.allowed:
            self.stats.add("rate_limited")
            return self._too_many(kind, throttle)
        failure = self.faults.pick_failure()
        if failure is not None:
            self.stats.add("injected", status=failure)
            return self._injected(kind, failure)
        denied = self._authenticate(req)
        if denied is not None:
            self.stats.add("auth_failures")
            return denied
        if kind in settings.deny_kinds:
            resp = self._denied(kind)
            if throttle is not None:
                resp.headers.extend(self._rate_headers(throttle))
            return resp
        args = [urllib.parse.unquote(g) for g in m.groups()]
        try:
            resp = fn(req, *args)
        except ApiError as exc:
            resp = exc.response
        if throttle is not None:
            resp.headers.extend(self._rate_headers(throttle))
        return resp

    def _not_found_for_path(self, path: str) -> Response:
        if "/api/v2/" in path:
            return _json(404, render.v2_error(404, "NOT_FOUND", "Not Found"))
        if "/rest/api/" in path:
            return _json(404, render.v1_error(404, "null for uri: %s%s" % (self.origin, path)))
        return Response(404, b"Not Found\n", "text/plain")

    # ---------------------------------------------------- throttle / faults
    def _rate_headers(self, t) -> List[Tuple[str, str]]:
        s = self.faults.settings
        h = [("X-RateLimit-Limit", str(t.limit)), ("X-RateLimit-Remaining", str(t.remaining))]
        if self.config.mode == "dc":
            h += [("X-RateLimit-Interval-Seconds", "1"), ("X-RateLimit-FillRate", "%g" % s.rate_limit)]
            if t.allowed:
                h.append(("retry-after", "0"))
        elif t.remaining < 0.2 * t.limit:
            h.append(("X-RateLimit-NearLimit", "true"))
        return h

    def _too_many(self, kind: str, t) -> Response:
        s = self.faults.settings
        headers = self._rate_headers(t)
        reset = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(t.reset_epoch))
        if self.config.mode == "dc":
            headers.append(("Retry-After", str(t.retry_after)))
            return Response(429, b"Rate limit exceeded\n", "text/plain;charset=UTF-8", headers)
        headers.append(("X-RateLimit-Reset", reset))
        if s.no_retry_after:
            headers.append(("X-Failure-Category", "FAILURE CLIENT RATE LIMITED"))
        else:
            headers.append(("Retry-After", str(t.retry_after)))
            headers.append(("RateLimit-Reason", "confluence-quota-tenant-based"))
        if kind.startswith("v2."):
            body = render.v2_error(429, "TOO_MANY_REQUESTS", "Too Many Requests", "Rate limit exceeded")
        else:
            body = render.dumps({"statusCode": 429, "message": "Rate limit exceeded"})
        return _json(429, body, headers)

    def _denied(self, kind: str) -> Response:
        """403 for an endpoint the credentials may not use (``denyKinds``)."""
        if kind.startswith("v2."):
            return _json(403, render.v2_error(403, "FORBIDDEN", "Forbidden", "The token is not allowed to use this endpoint"))
        return _json(403, render.v1_error(403, "The token is not allowed to use this endpoint"))

    def _injected(self, kind: str, status: int) -> Response:
        if status == 502:
            return Response(502, BAD_GATEWAY_HTML.encode(), "text/html")
        headers = [("Retry-After", str(self.faults.settings.fail_retry_after))] if status == 503 else []
        title = "Internal Server Error" if status == 500 else "Service Unavailable"
        code = "INTERNAL_SERVER_ERROR" if status == 500 else "SERVICE_UNAVAILABLE"
        if kind.startswith("v2."):
            return _json(status, render.v2_error(status, code, title), headers)
        return _json(status, render.v1_error(status, title), headers)

    # ------------------------------------------------------------------ auth
    def _authenticate(self, req: Request) -> Optional[Response]:
        """Set ``req.authed``; return a 401 response or None."""
        cfg = self.config
        auth = req.headers.get("authorization", "")
        scheme, _, cred = auth.partition(" ")
        scheme = scheme.lower()
        if cfg.mode == "cloud":
            if cfg.email is None and cfg.token is None:
                req.authed = True
                return None
            if not auth:
                req.authed = False
                return None
            if scheme == "basic" and self._basic_ok(cred):
                if self.faults.settings.scoped_token_mismatch:
                    return _json(401, render.dumps({"code": 401, "message": "Unauthorized; scope does not match"}),
                                 [("X-Failure-Category", "FAILURE_CLIENT_SCOPE_CHECK")])
                req.authed = True
                return None
            if scheme == "basic":
                return Response(401, BASIC_DEPRECATED.encode(), "text/plain")
            return _json(401, render.dumps({"code": 401, "message": "Unauthorized"}))
        # Data Center
        if cfg.pat is None and cfg.email is None and cfg.token is None:
            req.authed = True
            return None
        if scheme == "bearer":
            req.authed = cfg.pat is not None and cred.strip() == cfg.pat
            return None
        if scheme == "basic":
            if cfg.email is not None and self._basic_ok(cred):
                req.authed = True
                return None
            return Response(401, DC_BASIC_401_HTML.encode(), "text/html;charset=utf-8",
                            [("WWW-Authenticate", 'Basic realm="Protected"')])
        req.authed = False
        return None

    def _basic_ok(self, cred: str) -> bool:
        try:
            user, _, pw = base64.b64decode(cred.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return user == (self.config.email or "") and pw == (self.config.token or "")

    # ------------------------------------------------------------ visibility
    def space_visible(self, space: Optional[Space], req: Request) -> bool:
        if space is None or not space.visible:
            return False
        return req.authed or space.public

    def page_visible(self, page: Optional[Page], req: Request) -> bool:
        return page is not None and not page.restricted and self.space_visible(self.store.spaces.get(page.space_id), req)

    # ----------------------------------------------------------- v2 helpers
    def _v2_bad(self, detail: str) -> ApiError:
        return ApiError(_json(400, render.v2_error(400, "INVALID_REQUEST_PARAMETER", "Invalid request parameter", detail)))

    def _v2_404(self) -> ApiError:
        return ApiError(_json(404, render.v2_error(404, "NOT_FOUND", "Not Found")))

    def _v2_id(self, raw: str) -> int:
        if not re.fullmatch(r"\d{1,18}", raw):
            raise self._v2_bad("Provided value {%s} for 'id' is not the correct type. Expected type is int64" % raw)
        return int(raw)

    def _v2_limit(self, req: Request, default: int = 25) -> int:
        raw = req.get("limit")
        if raw is None or raw == "":
            return default
        try:
            limit = int(raw)
        except ValueError:
            raise self._v2_bad("Provided value {%s} for 'limit' is not the correct type. Expected type is int32" % raw)
        if limit < 1 or limit > V2_MAX_LIMIT:
            raise self._v2_bad("'limit' must be between 1 and %d, got %d" % (V2_MAX_LIMIT, limit))
        return limit

    def _v2_enum(self, req: Request, name: str, allowed, default=None):
        val = req.get(name)
        if val is None or val == "":
            return default
        if val not in allowed:
            raise self._v2_bad("Provided value {%s} for '%s' is not valid. Allowed: %s" % (val, name, ", ".join(allowed)))
        return val

    def _v2_statuses(self, req: Request, allowed=("current", "archived", "deleted", "trashed")) -> Tuple[str, ...]:
        vals = req.getlist("status")
        for v in vals:
            if v not in allowed:
                raise self._v2_bad("Provided value {%s} for 'status' is not valid. Allowed: %s" % (v, ", ".join(allowed)))
        return tuple(sorted(set(vals))) if vals else DEFAULT_STATUSES

    def _v2_body_format(self, req: Request) -> bool:
        """True when the storage body is requested. Other representations are not emulated."""
        fmt = req.get("body-format")
        if fmt in (None, ""):
            return False
        if fmt.lower() == "storage":
            return True
        raise self._v2_bad("body-format %r is not supported by fake-confluence (only 'storage')" % fmt)

    def _v2_sort(self, req: Request, mapping: Dict[str, str], default: Optional[str]) -> List[Tuple[str, bool]]:
        raw = req.get("sort") or default
        if raw is None:
            return [("id", False)]
        desc = raw.startswith("-")
        name = raw[1:] if desc else raw
        if name not in mapping:
            raise self._v2_bad("Provided value {%s} for 'sort' is not valid" % raw)
        return [(mapping[name], desc)] if mapping[name] != "id" else [("id", desc)]

    def _v2_cursor(self, req: Request, sig: str):
        raw = req.get("cursor")
        if not raw:
            return None
        try:
            return decode_cursor(raw, sig)
        except BadCursor as exc:
            raise self._v2_bad("Invalid cursor: %s" % exc)

    def _next_url(self, req: Request, prefix_path: str, cursor: str, extra: Tuple[Tuple[str, str], ...] = ()) -> str:
        drop = {"cursor", "next", "prev", "start"}
        pairs = [(k, v) for k, v in req.pairs if k not in drop]
        pairs.extend(extra)
        pairs.append(("cursor", cursor))
        return prefix_path + "?" + urllib.parse.urlencode(pairs, safe=",")

    def _v2_list(self, req: Request, items_json: List[str], next_cursor: Optional[str]) -> Response:
        """Wrap result fragments in ``MultiEntityResult`` with ``Link`` + ``_links``."""
        links: Dict[str, str] = {}
        headers: List[Tuple[str, str]] = []
        if next_cursor is not None:
            nxt = self._next_url(req, req.path, next_cursor)
            links["next"] = nxt
            headers.append(("Link", '<%s>; rel="next", <%s>; rel="base"' % (nxt, self.base)))
        links["base"] = self.base
        text = '{"results":[' + ",".join(items_json) + '],"_links":' + render.dumps(links) + "}"
        return _json(200, text, headers)

    def _paged(self, req: Request, entries: List[tuple], limit: int, sig: str) -> Tuple[List[tuple], Optional[str]]:
        cur = self._v2_cursor(req, sig)
        try:
            start, chunk = page_slice(entries, limit, cur)
        except BadCursor as exc:
            raise self._v2_bad("Invalid cursor: %s" % exc)
        nxt = encode_cursor(sig, chunk[-1]) if chunk and start + len(chunk) < len(entries) else None
        return chunk, nxt

    def _page_or_404(self, raw_id: str, req: Request, statuses=DEFAULT_STATUSES, ctype: str = "page") -> Page:
        page = self.store.pages.get(self._v2_id(raw_id))
        if not self.page_visible(page, req) or page.status not in statuses or page.type != ctype:
            raise self._v2_404()
        return page

    # ------------------------------------------------------------ v2 spaces
    def v2_spaces(self, req: Request) -> Response:
        keys = req.getlist("keys")
        ids = req.getlist("ids")
        if len(keys) > 250 or len(ids) > 250:
            raise self._v2_bad("At most 250 keys/ids may be given")
        for i in ids:
            self._v2_id(i)
        stype = self._v2_enum(req, "type", ("global", "collaboration", "knowledge_base", "personal"))
        sstatus = self._v2_enum(req, "status", ("current", "archived"))
        sort = self._v2_enum(req, "sort", ("id", "-id", "key", "-key", "name", "-name"), "id")
        dfmt = self._v2_enum(req, "description-format", ("plain", "view"))
        icon = req.flag("include-icon")
        limit = self._v2_limit(req)
        with self.store.lock:
            spaces = [s for s in self.store.spaces.values() if self.space_visible(s, req)]
            if keys:
                spaces = [s for s in spaces if s.key in keys]
            if ids:
                spaces = [s for s in spaces if str(s.id) in ids]
            if stype:
                spaces = [s for s in spaces if s.type == stype]
            if sstatus:
                spaces = [s for s in spaces if s.status == sstatus]
            desc = sort.startswith("-")
            field_ = sort.lstrip("-")
            entries = []
            for sp in spaces:
                v = sp.id if field_ == "id" else (sp.key if field_ == "key" else sp.name.lower())
                entries.append((desc_value(v) if desc else v, sp.id))
            entries.sort()
            by_id = {sp.id: sp for sp in spaces}
            chunk, nxt = self._paged(req, entries, limit, "spaces:" + sort)
            items = [render.dumps(render.v2_space(by_id[e[-1]], self.store, description_format=dfmt, include_icon=icon)) for e in chunk]
        return self._v2_list(req, items, nxt)

    def v2_space(self, req: Request, raw_id: str) -> Response:
        sid = self._v2_id(raw_id)
        dfmt = self._v2_enum(req, "description-format", ("plain", "view"))
        with self.store.lock:
            space = self.store.spaces.get(sid)
            if not self.space_visible(space, req):
                raise self._v2_404()
            d = render.v2_space(space, self.store, description_format=dfmt, include_icon=req.flag("include-icon"))
            for inc in ("labels", "properties", "operations", "permissions", "role-assignments"):
                if req.flag("include-" + inc):
                    name = "roleAssignments" if inc == "role-assignments" else inc
                    d[name] = {"results": [], "meta": {"hasMore": False, "cursor": ""},
                               "_links": {"self": "/wiki/api/v2/spaces/%d/%s" % (space.id, inc)}}
            d["_links"]["base"] = self.base
        return _json(200, render.dumps(d))

    def v2_space_content_labels(self, req: Request, raw_id: str) -> Response:
        """Labels on the content of a space (not the space's own labels), each once.

        The spec's ``prefix`` enum is ``my``/``team``; without it every prefix is returned
        (global labels are the ones people add, and the v1 space-label doc says content
        labels are global ones). Only pages the user can see count: restricted, trashed,
        deleted and draft pages do not.
        """
        sid = self._v2_id(raw_id)
        prefix = self._v2_enum(req, "prefix", ("my", "team"))
        sort = self._v2_enum(req, "sort", ("created-date", "-created-date", "id", "-id", "name", "-name"), "id")
        limit = self._v2_limit(req)
        with self.store.lock:
            space = self.store.spaces.get(sid)
            if not self.space_visible(space, req):
                raise self._v2_404()
            by_id = {}
            for pid in space.page_ids:
                page = self.store.pages[pid]
                if page.restricted or page.status not in DEFAULT_STATUSES:
                    continue
                for lab in page.labels:
                    if prefix is None or lab.prefix == prefix:
                        by_id[lab.id] = lab
            desc = sort.startswith("-")
            by_name = sort.lstrip("-") == "name"
            entries = sorted(((desc_value(k) if desc else k), lab.id)
                             for lab in by_id.values() for k in [lab.name if by_name else lab.id])
            chunk, nxt = self._paged(req, entries, limit, "scl:%d:%s:%s" % (sid, sort, prefix))
            items = [render.dumps(render.v2_label(by_id[e[-1]])) for e in chunk]
        return self._v2_list(req, items, nxt)

    # ------------------------------------------------------------- v2 pages
    def _page_entries(self, req: Request, space_ids: Optional[Tuple[int, ...]], statuses, order, depth_root=False, title=None,
                      ctype="page"):
        """Sorted, filtered entries for a page listing (cached until the next mutation)."""
        store = self.store

        def compute():
            if space_ids is None:
                visible = {sid for sid, s in store.spaces.items() if self.space_visible(s, req)}
                ids = store.all_page_ids
            else:
                visible = {sid for sid in space_ids if self.space_visible(store.spaces.get(sid), req)}
                ids = [pid for sid in sorted(visible) for pid in store.spaces[sid].page_ids]
            out = []
            for pid in ids:
                p = store.pages[pid]
                if p.space_id not in visible or p.restricted or p.status not in statuses or p.type != ctype:
                    continue
                if depth_root and p.parent_id is not None:
                    continue
                if title is not None and p.title != title:
                    continue
                out.append(order_key(p, order))
            out.sort()  # already sorted in the common id-order case; timsort makes that O(n)
            return out

        key = ("pages", space_ids, statuses, tuple(order), depth_root, title, req.authed, ctype)
        return store.cached_listing(key, compute)

    def _emit_pages(self, req: Request, entries, limit, sig, with_body) -> Response:
        with self.store.lock:
            chunk, nxt = self._paged(req, entries, limit, sig)
            items = []
            for e in chunk:
                page = self.store.pages[e[-1]]
                items.append(render.v2_page_bulk(page, self.store.spaces[page.space_id], with_body))
        if with_body:
            self.stats.add("pages_with_body", len(items))
        return self._v2_list(req, items, nxt)

    def v2_space_pages(self, req: Request, raw_id: str) -> Response:
        sid = self._v2_id(raw_id)
        depth = self._v2_enum(req, "depth", ("all", "root"), "all")
        order = self._v2_sort(req, V2_PAGE_SORTS, None)
        statuses = self._v2_statuses(req)
        with_body = self._v2_body_format(req)
        limit = self._v2_limit(req)
        title = req.get("title")
        with self.store.lock:
            if not self.space_visible(self.store.spaces.get(sid), req):
                raise self._v2_404()
            entries = self._page_entries(req, (sid,), statuses, order, depth == "root", title)
        sig = "sp:%d:%s:%s:%s" % (sid, order, ",".join(statuses), depth)
        return self._emit_pages(req, entries, limit, sig, with_body)

    def v2_pages(self, req: Request, ctype: str = "page") -> Response:
        ids = req.getlist("id")
        space_ids = req.getlist("space-id")
        if len(ids) > 250:
            raise self._v2_bad("'id' accepts at most 250 values, got %d" % len(ids))
        if len(space_ids) > 100:
            raise self._v2_bad("'space-id' accepts at most 100 values, got %d" % len(space_ids))
        id_set = {self._v2_id(i) for i in ids}
        sids = tuple(sorted({self._v2_id(s) for s in space_ids})) or None
        order = self._v2_sort(req, V2_PAGE_SORTS, None)
        statuses = self._v2_statuses(req)
        with_body = self._v2_body_format(req)
        limit = self._v2_limit(req)
        title = req.get("title")
        with self.store.lock:
            if id_set:
                entries = []
                for pid in id_set:
                    p = self.store.pages.get(pid)
                    if not self.page_visible(p, req) or p.status not in statuses or p.type != ctype:
                        continue
                    if sids is not None and p.space_id not in sids:
                        continue
                    if title is not None and p.title != title:
                        continue
                    entries.append(order_key(p, order))
                entries.sort()
            else:
                entries = self._page_entries(req, sids, statuses, order, False, title, ctype)
        sig = "pg:%s:%s:%s:%s" % (ctype, order, ",".join(statuses), ",".join(map(str, sids or ())))
        return self._emit_pages(req, entries, limit, sig, with_body)

    def v2_page(self, req: Request, raw_id: str) -> Response:
        allowed = ("current", "archived", "trashed", "deleted", "historical", "draft")
        statuses = set(self._v2_statuses(req, allowed)) if req.getlist("status") else set(DEFAULT_STATUSES)
        if req.flag("get-draft"):
            statuses.add("draft")
        with_body = self._v2_body_format(req)
        include = {"version"} if req.flag("include-version", True) else set()
        for flag, name in (("include-labels", "labels"), ("include-versions", "versions"), ("include-properties", "properties"),
                           ("include-operations", "operations"), ("include-likes", "likes"),
                           ("include-favorited-by-current-user-status", "favorited")):
            if req.flag(flag):
                include.add(name)
        raw_version = req.get("version")
        with self.store.lock:
            page = self._page_or_404(raw_id, req, tuple(statuses))
            version = None
            if raw_version:
                if not raw_version.isdigit():
                    raise self._v2_bad("'version' must be an integer")
                matches = [v for v in page.versions if v.number == int(raw_version)]
                if not matches:
                    raise self._v2_404()
                version = matches[0]
            text = render.v2_page_single(page, self.store.spaces[page.space_id], self.store, base=self.base,
                                         with_body=with_body, include=include, version=version)
        if with_body:
            self.stats.add("pages_with_body")
        return _json(200, text)

    def v2_page_labels(self, req: Request, raw_id: str) -> Response:
        prefix = self._v2_enum(req, "prefix", ("my", "team", "global", "system"))
        sort = self._v2_enum(req, "sort", ("created-date", "-created-date", "id", "-id", "name", "-name"), "id")
        limit = self._v2_limit(req)
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            labs = [lab for lab in page.labels if prefix is None or lab.prefix == prefix]
            desc = sort.startswith("-")
            by_name = sort.lstrip("-") == "name"
            entries = []
            for lab in labs:
                k = lab.name if by_name else lab.id
                entries.append((desc_value(k) if desc else k, lab.id))
            entries.sort()
            by_id = {lab.id: lab for lab in labs}
            chunk, nxt = self._paged(req, entries, limit, "lb:%d:%s:%s" % (page.id, sort, prefix))
            items = [render.dumps(render.v2_label(by_id[e[-1]])) for e in chunk]
        return self._v2_list(req, items, nxt)

    def v2_page_ancestors(self, req: Request, raw_id: str) -> Response:
        limit = self._v2_limit(req)
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            ancestors = [a for a in self.store.ancestors(page)][-limit:]
            items = [render.dumps({"id": str(a.id), "type": "page"}) for a in ancestors]
        text = '{"results":[' + ",".join(items) + '],"_links":' + render.dumps({"base": self.base}) + "}"
        return _json(200, text)

    def v2_page_children(self, req: Request, raw_id: str) -> Response:
        mapping = {"created-date": "created", "id": "id", "child-position": "position", "modified-date": "modified"}
        order = self._v2_sort(req, mapping, "child-position")
        limit = self._v2_limit(req)
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            kids = [self.store.pages[c] for c in self.store.child_ids(page)]
            kids = [k for k in kids if not k.restricted and k.status in DEFAULT_STATUSES]
            entries = sorted(order_key(k, order) for k in kids)
            chunk, nxt = self._paged(req, entries, limit, "ch:%d:%s" % (page.id, order))
            items = [render.dumps(render.v2_child(self.store.pages[e[-1]])) for e in chunk]
        return self._v2_list(req, items, nxt)

    def v2_page_versions(self, req: Request, raw_id: str) -> Response:
        sort = self._v2_enum(req, "sort", ("modified-date", "-modified-date"), "-modified-date")
        with_body = self._v2_body_format(req)
        limit = self._v2_limit(req)
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            desc = sort.startswith("-")
            entries = sorted(((-v.number if desc else v.number), v.number) for v in page.versions)
            by_num = {v.number: v for v in page.versions}
            chunk, nxt = self._paged(req, entries, limit, "vs:%d:%s" % (page.id, sort))
            items = [render.v2_page_version(page, by_num[e[-1]], with_body) for e in chunk]
        return self._v2_list(req, items, nxt)

    def v2_page_version(self, req: Request, raw_id: str, raw_num: str) -> Response:
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            if not raw_num.isdigit():
                raise self._v2_bad("version-number must be an integer")
            for idx, v in enumerate(page.versions):
                if v.number == int(raw_num):
                    return _json(200, render.dumps(render.v2_detailed_version(page, idx)))
        raise self._v2_404()

    def v2_page_attachments(self, req: Request, raw_id: str) -> Response:
        limit = self._v2_limit(req, default=50)
        statuses = self._v2_statuses(req, ("current", "archived", "trashed"))
        filename = req.get("filename")
        media = req.get("mediaType")
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            atts = [a for a in page.attachments if "current" in statuses
                    and (filename is None or a.filename == filename) and (media is None or a.media_type == media)]
            by_id = {a.id: a for a in atts}
            entries = sorted((a.id, a.id) for a in atts)
            chunk, nxt = self._paged(req, entries, limit, "at:%d" % page.id)
            items = [render.dumps(render.v2_attachment(by_id[e[-1]], page)) for e in chunk]
        return self._v2_list(req, items, nxt)

    # ------------------------------------------------------------------- v1
    def _v1_404(self, message: str) -> ApiError:
        return ApiError(_json(404, render.v1_error(404, message)))

    def _v1_400(self, message: str) -> ApiError:
        return ApiError(_json(400, render.v1_error(400, message, valid=False)))

    def _v1_int(self, req: Request, name: str, default: int) -> int:
        raw = req.get(name)
        if raw in (None, ""):
            return default
        if not re.fullmatch(r"\d{1,9}", raw):
            raise self._v1_400("Invalid value for '%s': %s" % (name, raw))
        return int(raw)

    def _search_entries(self, req: Request, cql: str):
        try:
            query = compile_cql(cql)
        except CQLError as exc:
            raise self._v1_400(str(exc))
        store = self.store

        def compute():
            out = []
            for space in store.spaces.values():
                if not self.space_visible(space, req):
                    continue
                for pid in space.page_ids:
                    p = store.pages[pid]
                    if not p.restricted and query.matches(p, space, store):
                        out.append(order_key(p, query.order_spec))
            for c in store.comments.values():
                page = store.pages.get(c.page_id)
                space = store.spaces.get(page.space_id) if page is not None else None
                if space is None or page.restricted or not self.space_visible(space, req):
                    continue
                if query.matches(c, space, store):
                    out.append(order_key(c, query.order_spec))
            out.sort()
            return out

        with store.lock:
            entries = store.cached_listing(("cql", cql, req.authed, int(time.time() // 60) if "now(" in cql.lower() else 0), compute)
        return entries, query

    def v1_search_cursor(self, req: Request) -> Response:
        """Cloud ``/wiki/rest/api/content/search``: cursor paging, next/prev links without /wiki."""
        cql = req.get("cql")
        if not cql:
            raise self._v1_400("CQL query parameter 'cql' is required")
        limit = min(max(self._v1_int(req, "limit", 25), 1), V1_SEARCH_MAX_LIMIT)
        expand = render.normalize_expand(req.get("expand"))
        entries, query = self._search_entries(req, cql)
        sig = "cql:" + str(query.order_spec)
        raw = req.get("cursor")
        cur = None
        if raw:
            try:
                cur = decode_cursor(raw, sig)
            except BadCursor as exc:
                raise self._v1_400("Invalid cursor: %s" % exc)
        with self.store.lock:
            try:
                start, chunk = page_slice(entries, limit, cur)
            except BadCursor as exc:
                raise self._v1_400("Invalid cursor: %s" % exc)
            results = [text for text in (self._v1_entry(e[-1], expand) for e in chunk) if text is not None]
        if "body.storage" in expand:
            self.stats.add("pages_with_body", len(results))
        path = "/rest/api/content/search"
        links = {"base": self.base, "context": "/wiki", "self": self.base + path + ("?" + req.raw_query if req.raw_query else "")}
        if chunk and start + len(chunk) < len(entries):
            links["next"] = self._next_url(req, path, encode_cursor(sig, chunk[-1]), (("next", "true"),))
        if chunk and start > 0:
            links["prev"] = self._next_url(req, path, encode_cursor(sig, chunk[0], "p"), (("prev", "true"),))
        tail = render.dumps({"start": start, "limit": limit, "size": len(results), "_links": links})[1:-1]
        return _json(200, '{"results":[' + ",".join(results) + "]," + tail + "}")

    def _v1_entry(self, content_id: int, expand) -> Optional[str]:
        """v1 ``Content`` of a page, blog post or comment by id (None when gone)."""
        page = self.store.pages.get(content_id)
        if page is not None:
            return self.v1.content(page, self.store.spaces[page.space_id], expand)
        comment = self.store.comments.get(content_id)
        if comment is None or comment.page_id not in self.store.pages:
            return None
        page = self.store.pages[comment.page_id]
        return self.v1.comment(comment, page, self.store.spaces[page.space_id], expand)

    def v1_child_comments(self, req: Request, raw_id: str) -> Response:
        """``GET /rest/api/content/{id}/child/comment``: ``location`` (repeatable: footer, inline;
        default both), ``depth`` (``all`` includes replies, else root comments only), offsets."""
        if not raw_id.isdigit():
            raise self._v1_400("Invalid content id: %s" % raw_id)
        locations = req.getlist("location") or ["footer", "inline"]
        for loc in locations:
            if loc not in ("footer", "inline", "resolved", "unresolved"):
                raise self._v1_400("Invalid location: %s" % loc)
        depth_all = req.get("depth", "") == "all"
        expand = render.normalize_expand(req.get("expand"))
        start = self._v1_int(req, "start", 0)
        limit = min(max(self._v1_int(req, "limit", 25), 1), 250)
        with self.store.lock:
            page = self.store.pages.get(int(raw_id))
            if not self.page_visible(page, req):
                raise self._v1_404("No content found with id : ContentId{id=%s}" % raw_id)
            comments = [c for c in self.store.comments_of(page.id, [x for x in locations if x in ("footer", "inline")])
                        if depth_all or c.parent_id is None]
            space = self.store.spaces[page.space_id]
            chunk = [self.v1.comment(c, page, space, expand) for c in comments[start : start + limit]]
        path = "/rest/api/content/%s/child/comment" % raw_id
        links = {"base": self.base, "context": "/wiki" if self.config.mode == "cloud" else self.config.context_path}
        if start + len(chunk) < len(comments):
            pairs = [(k, v) for k, v in req.pairs if k not in ("start", "limit")] + [("limit", str(limit)), ("start", str(start + limit))]
            links["next"] = path + "?" + urllib.parse.urlencode(pairs, safe=",")
        head = render.dumps({"start": start, "limit": limit, "size": len(chunk), "_links": links})[1:-1]
        return _json(200, '{"results":[' + ",".join(chunk) + "]," + head + "}")

    def v2_page_footer_comments(self, req: Request, raw_id: str) -> Response:
        return self._v2_page_comments(req, raw_id, "footer")

    def v2_page_inline_comments(self, req: Request, raw_id: str) -> Response:
        return self._v2_page_comments(req, raw_id, "inline")

    def _v2_page_comments(self, req: Request, raw_id: str, location: str) -> Response:
        """v2 ``/pages/{id}/footer-comments`` and ``/inline-comments``: root comments only, cursor paging."""
        with_body = self._v2_body_format(req)
        limit = self._v2_limit(req)
        with self.store.lock:
            page = self._page_or_404(raw_id, req)
            entries = [(c.id,) for c in self.store.comments_of(page.id, [location]) if c.parent_id is None]
            chunk, nxt = self._paged(req, entries, limit, "cm:%d:%s" % (page.id, location))
            items = [render.dumps(render.v2_comment(self.store.comments[e[-1]], page, with_body)) for e in chunk]
        return self._v2_list(req, items, nxt)

    def v2_space_blogposts(self, req: Request, raw_id: str) -> Response:
        """v2 ``/spaces/{id}/blogposts``: like the space's page listing, for blog posts."""
        sid = self._v2_id(raw_id)
        order = self._v2_sort(req, V2_PAGE_SORTS, None)
        statuses = self._v2_statuses(req, ("current", "deleted", "trashed"))
        with_body = self._v2_body_format(req)
        limit = self._v2_limit(req)
        with self.store.lock:
            if not self.space_visible(self.store.spaces.get(sid), req):
                raise self._v2_404()
            entries = self._page_entries(req, (sid,), statuses, order, False, req.get("title"), "blogpost")
        sig = "sb:%d:%s:%s" % (sid, order, ",".join(statuses))
        return self._emit_pages(req, entries, limit, sig, with_body)

    def v2_blogposts(self, req: Request) -> Response:
        """v2 ``/blogposts`` (``id``, ``space-id`` filters), like ``/pages``."""
        return self.v2_pages(req, "blogpost")

    def v1_content(self, req: Request, raw_id: str) -> Response:
        if not raw_id.isdigit():
            raise self._v1_400("Invalid content id: %s" % raw_id)
        raw_status = req.getlist("status")
        statuses = set(raw_status) if raw_status else {"current", "archived"}
        if "any" in statuses:
            statuses = set(PAGE_STATUSES)
        expand = render.normalize_expand(req.get("expand")) if req.get("expand") is not None else ["space", "history", "version"]
        with self.store.lock:
            page = self.store.pages.get(int(raw_id))
            if not self.page_visible(page, req) or page.status not in statuses:
                raise self._v1_404("No content found with id : ContentId{id=%s}" % raw_id)
            text = self.v1.content(page, self.store.spaces[page.space_id], expand)
        if "body.storage" in expand:
            self.stats.add("pages_with_body")
        return _json(200, text)

    def v1_space(self, req: Request, key: str) -> Response:
        with self.store.lock:
            space = self.store.spaces_by_key.get(key)
            if not self.space_visible(space, req):
                raise self._v1_404("No space with key : %s" % key)
            return _json(200, render.dumps(self.v1.space(space)))

    def v1_download(self, req: Request, raw_id: str, att_id: str) -> Response:
        with self.store.lock:
            page = self.store.pages.get(int(raw_id)) if raw_id.isdigit() else None
            num = att_id[3:] if att_id.startswith("att") else att_id
            att = self.store.attachments.get(int(num)) if num.isdigit() else None
            if not self.page_visible(page, req) or att is None or att.page_id != page.id:
                raise self._v1_404("No attachment with id %s on content %s" % (att_id, raw_id))
            location = "%s/download/attachments/%d/%s?version=1&modificationDate=%d&api=v2" % (
                self.base, page.id, urllib.parse.quote(att.filename), att.created_ms)
        return Response(302, b"", "text/plain", [("Location", location)])

    def download(self, req: Request, raw_id: str, filename: str) -> Response:
        with self.store.lock:
            page = self.store.pages.get(int(raw_id)) if raw_id.isdigit() else None
            if self.page_visible(page, req):
                for att in page.attachments:
                    if att.filename == filename:
                        return Response(200, att.data, att.media_type,
                                        [("Content-Disposition", 'attachment; filename="%s"' % att.filename)])
        return Response(404, b"Not Found\n", "text/plain")

    # ------------------------------------------------------------------- DC
    def _dc_offsets(self, req: Request, entries: List[tuple], path: str, expand) -> Response:
        """Offset paging with the DC quirks (limit cap, next jumps by requested limit, overshoot)."""
        start = self._v1_int(req, "start", 0)
        requested = max(self._v1_int(req, "limit", 25), 1)
        s = self.faults.settings
        limit = min(requested, s.dc_limit_cap) if s.dc_limit_cap else requested
        total = len(entries)
        chunk = entries[start : start + limit]
        if not chunk and s.dc_overshoot_bug and total and start >= total:
            chunk = entries[-1:]  # CONFSERVER-95312: start beyond the end still returns a record
        with self.store.lock:
            results = [text for text in (self._v1_entry(e[-1], expand) for e in chunk) if text is not None]
        if "body.storage" in expand:
            self.stats.add("pages_with_body", len(results))
        links = {"base": self.base, "context": self.config.context_path,
                 "self": self.base + path + ("?" + req.raw_query if req.raw_query else "")}
        if start < total and start + len(chunk) < total:
            pairs = [(k, v) for k, v in req.pairs if k not in ("start", "limit")]
            pairs += [("limit", str(requested)), ("start", str(start + requested))]
            links["next"] = path + "?" + urllib.parse.urlencode(pairs, safe=",")
        head = render.dumps({"start": start, "limit": limit, "size": len(results), "_links": links})[1:-1]
        return _json(200, '{"results":[' + ",".join(results) + "]," + head + "}")

    def dc_content_list(self, req: Request) -> Response:
        ctype = req.get("type", "page")
        key = req.get("spaceKey")
        title = req.get("title")
        statuses = tuple(req.getlist("status")) or ("current",)
        if "any" in statuses:
            statuses = PAGE_STATUSES
        expand = render.normalize_expand(req.get("expand"))
        store = self.store
        with store.lock:
            space = store.spaces_by_key.get(key) if key else None
            if ctype not in ("page", "blogpost") or (key and not self.space_visible(space, req)):
                entries: List[tuple] = []
            else:
                entries = self._page_entries(req, (space.id,) if space else None, statuses, [("id", False)], False, title, ctype)
        return self._dc_offsets(req, entries, "/rest/api/content", expand)

    def dc_search(self, req: Request) -> Response:
        cql = req.get("cql")
        if not cql:
            raise self._v1_400("CQL query parameter 'cql' is required")
        entries, _query = self._search_entries(req, cql)
        return self._dc_offsets(req, entries, "/rest/api/content/search", render.normalize_expand(req.get("expand")))

    def dc_spaces(self, req: Request) -> Response:
        """``GET /rest/api/space``: ``spaceKey`` (repeatable), ``type`` (global, personal),
        ``status`` (current, archived; default both), offsets with the ``--dc-limit-cap`` quirk."""
        keys = req.getlist("spaceKey")
        stype = req.get("type")
        sstatus = req.get("status")
        if stype is not None and stype not in ("global", "personal"):
            raise self._v1_400("Invalid space type: %s" % stype)
        if sstatus is not None and sstatus not in SPACE_STATUSES:
            raise self._v1_400("Invalid space status: %s" % sstatus)
        start = self._v1_int(req, "start", 0)
        requested = max(self._v1_int(req, "limit", 25), 1)
        cap = self.faults.settings.dc_limit_cap
        limit = min(requested, cap) if cap else requested
        with self.store.lock:
            spaces = sorted((s for s in self.store.spaces.values()
                             if self.space_visible(s, req) and (not keys or s.key in keys)
                             and (stype is None or s.type == stype) and (sstatus is None or s.status == sstatus)),
                            key=lambda s: s.key)
            chunk = [self.v1.space(s) for s in spaces[start : start + limit]]
        links = {"base": self.base, "context": self.config.context_path}
        if start + len(chunk) < len(spaces):
            # Like content listings: next advances by the *requested* limit (skips under a cap).
            pairs = [(k, v) for k, v in req.pairs if k not in ("start", "limit")] + [("limit", str(requested)), ("start", str(start + requested))]
            links["next"] = "/rest/api/space?" + urllib.parse.urlencode(pairs)
        return _json(200, render.dumps({"results": chunk, "start": start, "limit": limit, "size": len(chunk), "_links": links}))

    # ---------------------------------------------------------------- admin
    def admin(self, req: Request) -> Response:
        """``/_fake/...`` test-control API (no auth, no faults). See README.md."""
        try:
            data = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("request body must be a JSON object")
            return self._admin(req, data)
        except NotFound as exc:
            return _admin_json(404, {"error": str(exc)})
        except (ValueError, TypeError, KeyError) as exc:
            return _admin_json(400, {"error": "%s: %s" % (type(exc).__name__, exc)})

    def _admin_page(self, page: Page) -> dict:
        space = self.store.spaces[page.space_id]
        return {
            "id": str(page.id), "spaceId": str(space.id), "spaceKey": space.key, "title": page.title,
            "parentId": None if page.parent_id is None else str(page.parent_id), "position": page.position,
            "status": page.status, "version": page.version.number, "createdAt": iso_ms(page.created_ms),
            "modifiedAt": iso_ms(page.modified_ms), "labels": [lab.name for lab in page.labels],
            "restricted": page.restricted, "body": page.body, "type": page.type,
        }

    def _admin_comment(self, comment) -> dict:
        return {"id": str(comment.id), "pageId": str(comment.page_id), "location": comment.location,
                "parentId": None if comment.parent_id is None else str(comment.parent_id),
                "version": comment.version_number, "body": comment.body}

    def _admin_space(self, space: Space) -> dict:
        return {"id": str(space.id), "key": space.key, "name": space.name, "type": space.type, "status": space.status,
                "visible": space.visible, "public": space.public, "pages": len(space.page_ids)}

    def _space_from(self, data: dict) -> Space:
        if "spaceKey" in data:
            space = self.store.spaces_by_key.get(data["spaceKey"])
        elif "spaceId" in data:
            space = self.store.spaces.get(int(data["spaceId"]))
        elif len(self.store.spaces) == 1:
            space = next(iter(self.store.spaces.values()))
        else:
            raise ValueError("give spaceKey or spaceId")
        if space is None:
            raise NotFound("no such space")
        return space

    def _admin(self, req: Request, data: dict) -> Response:
        m, path, store = req.method, req.path.rstrip("/"), self.store
        when = parse_iso(data["when"]) if isinstance(data.get("when"), str) else None
        if path == "/_fake/health" and m == "GET":
            return _admin_json(200, {"ok": True, "mode": self.config.mode, "pages": len(store.pages), "spaces": len(store.spaces)})
        if path == "/_fake/stats" and m == "GET":
            return _admin_json(200, self.stats.to_json())
        if path == "/_fake/stats/reset" and m == "POST":
            self.stats.reset()
            return _admin_json(200, self.stats.to_json())
        if path == "/_fake/faults":
            if m == "POST":
                self.faults.update(data)
            elif m != "GET":
                raise ValueError("use GET or POST")
            return _admin_json(200, self.faults.settings.to_json())
        if path == "/_fake/shutdown" and m == "POST":
            self.shutdown()
            return _admin_json(200, {"ok": True})
        if path == "/_fake/spaces":
            if m == "GET":
                with store.lock:
                    return _admin_json(200, [self._admin_space(s) for s in store.spaces.values()])
            if m == "POST":
                with store.lock:
                    key = data["key"]
                    sid = int(data.get("id", max(store.spaces, default=10000) + 1))
                    stype = str(data.get("type", "global"))
                    sstatus = str(data.get("status", "current"))
                    if stype not in SPACE_TYPES or sstatus not in SPACE_STATUSES:
                        raise ValueError("type must be one of %s, status one of %s" % (SPACE_TYPES, SPACE_STATUSES))
                    if key in store.spaces_by_key or sid in store.spaces:
                        raise ValueError("a space with key %s or id %d exists" % (key, sid))
                    if "generate" in data:
                        # Generated pages take ids after every existing one, from a round number.
                        first = (store.next_page_id() // 100000 + 1) * 100000 + 1
                        space = generate_space(store, int(data["generate"]), int(data.get("seed", 0)), key=key, space_id=sid,
                                               name=data.get("name"), public=bool(data.get("public", False)),
                                               first_page_id=first, space_type=stype)
                        store.update_space(space, visible=bool(data.get("visible", True)), status=sstatus)
                    else:
                        space = store.add_space(Space(id=sid, key=key, name=str(data.get("name", key)),
                                                      description=str(data.get("description", "")), type=stype, status=sstatus,
                                                      public=bool(data.get("public", False)), visible=bool(data.get("visible", True)),
                                                      created_ms=now_ms()))
                    return _admin_json(201, self._admin_space(space))
        m_space = re.fullmatch(r"/_fake/spaces/([^/]+)", path)
        if m_space and m in ("POST", "PUT", "PATCH", "DELETE"):
            space = store.spaces_by_key.get(urllib.parse.unquote(m_space.group(1)))
            if space is None:
                raise NotFound("no space with key %s" % m_space.group(1))
            if m == "DELETE":
                removed = store.delete_space(space)
                return _admin_json(200, {"deleted": space.key, "pages": removed})
            vis = data.get("visible")
            pub = data.get("public")
            status = data.get("status")
            store.update_space(space, visible=None if vis is None else bool(vis), public=None if pub is None else bool(pub),
                               status=None if status is None else str(status))
            return _admin_json(200, self._admin_space(space))
        if path == "/_fake/pages" and m == "POST":
            with store.lock:
                space = self._space_from(data)
                page = store.create_page(
                    space, str(data["title"]), str(data.get("body", "<p>%s</p>" % data["title"])),
                    page_id=int(data["id"]) if "id" in data else None,
                    parent_id=int(data["parentId"]) if data.get("parentId") not in (None, "") else None,
                    status=str(data.get("status", "current")), labels=data.get("labels", []),
                    created_ms=when, restricted=bool(data.get("restricted", False)),
                    ctype=str(data.get("type", "page")),
                )
                return _admin_json(201, self._admin_page(page))
        if path == "/_fake/comments" and m == "POST":
            with store.lock:
                comment = store.add_comment(
                    int(data["pageId"]), str(data.get("body", "<p>A comment.</p>")), location=str(data.get("location", "footer")),
                    parent_id=int(data["parentId"]) if data.get("parentId") not in (None, "") else None,
                    comment_id=int(data["id"]) if "id" in data else None, when_ms=when)
                return _admin_json(201, self._admin_comment(comment))
        m_comment = re.fullmatch(r"/_fake/comments/(\d+)(?:/([a-z]+))?", path)
        if m_comment:
            cid, action = int(m_comment.group(1)), m_comment.group(2)
            with store.lock:
                if (action is None and m == "DELETE") or (action == "delete" and m == "POST"):
                    store.delete_comment(cid)
                    return _admin_json(200, {"deleted": str(cid)})
                if action == "edit" and m in ("POST", "PUT"):
                    comment = store.edit_comment(cid, str(data["body"]), when_ms=when)
                    return _admin_json(200, self._admin_comment(comment))
                if action is None and m == "GET":
                    if cid not in store.comments:
                        raise NotFound("no comment %d" % cid)
                    return _admin_json(200, self._admin_comment(store.comments[cid]))
                raise NotFound("unknown admin action %r" % action)
        m_page = re.fullmatch(r"/_fake/pages/(\d+)(?:/([a-z]+))?", path)
        if m_page:
            pid, action = int(m_page.group(1)), m_page.group(2)
            with store.lock:
                if action is None and m == "GET":
                    if pid not in store.pages:
                        raise NotFound("no page %d" % pid)
                    return _admin_json(200, self._admin_page(store.pages[pid]))
                if (action is None and m == "DELETE") or (action == "delete" and m == "POST"):
                    store.delete_page(pid)
                    return _admin_json(200, {"deleted": str(pid)})
                if m not in ("POST", "PUT"):
                    raise ValueError("use POST")
                if action == "edit":
                    page = store.edit_page(pid, body=data.get("body"), title=data.get("title"),
                                           message=str(data.get("message", "")), minor_edit=bool(data.get("minorEdit", False)),
                                           when_ms=when)
                elif action == "move":
                    to_root = "parentId" in data and data["parentId"] in (None, "")
                    parent = int(data["parentId"]) if data.get("parentId") not in (None, "") else None
                    page = store.move_page(pid, parent_id=parent, to_root=to_root, title=data.get("title"),
                                           message=str(data.get("message", "")), when_ms=when)
                elif action == "archive":
                    page = store.set_status(pid, "archived", when_ms=when)
                elif action == "status":
                    page = store.set_status(pid, str(data["status"]), when_ms=when)
                elif action == "labels":
                    labels = data["labels"]
                    if not isinstance(labels, list):
                        raise ValueError("labels must be a list")
                    page = store.set_labels(pid, [str(x) for x in labels])
                elif action == "restrict":
                    page = store.set_restricted(pid, bool(data.get("restricted", True)))
                else:
                    raise NotFound("unknown admin action %r" % action)
                return _admin_json(200, self._admin_page(page))
        return _admin_json(404, {"error": "unknown admin endpoint %s %s (see README.md)" % (m, req.path)})


class _Server(ThreadingHTTPServer):
    """Thread per connection; daemon threads so shutdown never waits for idle keep-alives."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops bursts of concurrent connects


class Handler(BaseHTTPRequestHandler):
    """Thin socket adapter; all logic lives in :class:`FakeConfluence`."""

    protocol_version = "HTTP/1.1"
    server_app: FakeConfluence  # set by FakeConfluence.start on a subclass
    timeout = 120  # idle keep-alive connections are closed after this

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return "AtlassianProxy" if self.server_app.config.mode == "cloud" else "Apache-Coyote/1.1"

    def log_message(self, fmt: str, *args) -> None:
        if self.server_app.config.verbose:
            sys.stderr.write("fake-confluence: %s %s\n" % (self.address_string(), fmt % args))

    def _handle(self) -> None:
        app = self.server_app
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            resp = app.dispatch(self.command, self.path, headers, body)
        except Exception:  # a bug in the fake: report it loudly, keep serving
            traceback.print_exc(file=sys.stderr)
            resp = Response(500, b"fake-confluence internal error\n", "text/plain")
        self._send(resp)

    def _send(self, resp: Response) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        if self.server_app.config.mode == "cloud":
            self.send_header("Atl-Traceid", "%016x" % next(self.server_app._trace))
        for k, v in resp.headers:
            self.send_header(k, v)
        # One write for head + body: avoids Nagle/delayed-ACK stalls on keep-alive.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(resp.body)
        self.wfile.write(b"".join(self._headers_buffer))
        self._headers_buffer = []

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
