"""Shared helpers: an in-process server fixture, an HTTP client and schema checks."""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import threading
import unittest
import urllib.parse
from typing import Dict, List, Optional, Tuple

SCRIPTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

from fake_confluence.cli import SAMPLE_DIR  # noqa: E402
from fake_confluence.faults import FaultSettings, Faults  # noqa: E402
from fake_confluence.generator import generate_space  # noqa: E402
from fake_confluence.pagesdir import load_space_dir  # noqa: E402
from fake_confluence.server import Config, FakeConfluence  # noqa: E402
from fake_confluence.store import Store  # noqa: E402

REPO = os.path.dirname(SCRIPTS)
LAUNCHER = os.path.join(SCRIPTS, "fake-confluence")
REFERENCE = os.environ.get("FAKE_CONFLUENCE_REFERENCE", "/work/shared/reference")
V2_SPEC = os.path.join(REFERENCE, "confluence-cloud-openapi-v2.json")
V1_SPEC = os.path.join(REFERENCE, "confluence-cloud-v1-openapi-2021.json")

EMAIL, TOKEN, PAT = "dev@example.com", "tok-123", "pat-xyz"


def basic(user: str = EMAIL, password: str = TOKEN) -> Dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


class Resp:
    def __init__(self, status: int, headers: List[Tuple[str, str]], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Client:
    """Minimal keep-alive HTTP client (one connection per thread)."""

    def __init__(self, port: int, headers: Optional[Dict[str, str]] = None):
        self.port = port
        self.headers = headers or {}
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self._local.conn = conn
        return conn

    def request(self, method: str, path: str, body=None, headers: Optional[Dict[str, str]] = None) -> Resp:
        hdrs = dict(self.headers)
        hdrs.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                r = conn.getresponse()
                payload = r.read()
                return Resp(r.status, r.getheaders(), payload)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str, headers: Optional[Dict[str, str]] = None) -> Resp:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body=None) -> Resp:
        return self.request("POST", path, body if body is not None else {})

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


class RunningServer:
    """An in-process FakeConfluence on 127.0.0.1:0 served from a thread."""

    def __init__(self, *, generate: int = 0, seed: int = 7, sample: bool = True, mode: str = "cloud",
                 context_path: str = "", email: Optional[str] = EMAIL, token: Optional[str] = TOKEN,
                 pat: Optional[str] = None, **faults):
        self.store = Store()
        if sample:
            load_space_dir(self.store, SAMPLE_DIR)
        if generate:
            generate_space(self.store, generate, seed)
        self.config = Config(mode=mode, context_path=context_path, email=email, token=token, pat=pat)
        self.app = FakeConfluence(self.store, self.config, Faults(FaultSettings(**faults), seed))
        self.port = self.app.start(0)
        self.thread = threading.Thread(target=self.app.serve_forever, daemon=True)
        self.thread.start()
        auth = basic() if email else {}
        self.client = Client(self.port, auth)
        self.anon = Client(self.port)
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self) -> None:
        self.client.close()
        self.anon.close()
        self.app.shutdown()
        self.thread.join(10)


class ServerTestCase(unittest.TestCase):
    """Starts one server per class; override ``server_args``."""

    server_args: dict = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = RunningServer(**cls.server_args)
        cls.c = cls.srv.client

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()


# ----------------------------------------------------------------- v2 follow
def follow_v2(client: Client, first_path: str, check=None) -> List[dict]:
    """Follow a v2 listing via ``_links.next`` (checking it matches the Link header)."""
    out, path, seen_paths = [], first_path, 0
    while path:
        r = client.get(path)
        assert r.status == 200, (path, r.status, r.body[:300])
        doc = r.json
        if check:
            check(doc, r)
        out.extend(doc["results"])
        nxt = doc["_links"].get("next")
        link = r.header("Link")
        if nxt:
            assert nxt.startswith("/wiki/api/v2/"), nxt
            assert link is not None and link.startswith("<%s>; rel=\"next\"" % nxt), link
        path = nxt
        seen_paths += 1
        assert seen_paths < 10000, "pagination does not terminate"
    return out


# --------------------------------------------------------------- schemas
def _load_validator_module():
    try:
        import openapi_schema_validator  # noqa: F401

        return "openapi"
    except ImportError:
        pass
    try:
        import jsonschema  # noqa: F401

        return "jsonschema"
    except ImportError:
        raise AssertionError(
            "Neither openapi-schema-validator nor jsonschema is importable: "
            "run `pip install openapi-schema-validator` to validate responses against the OpenAPI spec."
        )


_SPECS: Dict[str, dict] = {}


def spec(path: str = V2_SPEC) -> dict:
    if path not in _SPECS:
        if not os.path.exists(path):
            raise AssertionError("OpenAPI spec not found at %s (set FAKE_CONFLUENCE_REFERENCE)" % path)
        with open(path) as fh:
            _SPECS[path] = json.load(fh)
    return _SPECS[path]


def response_schema(api_path: str, status: str = "200", spec_path: str = V2_SPEC) -> dict:
    """The JSON response schema of ``GET api_path`` with ``components`` attached for $ref resolution."""
    doc = spec(spec_path)
    schema = doc["paths"][api_path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return dict(schema, components=doc["components"])


def _nullable_to_jsonschema(node):
    if isinstance(node, dict):
        out = {k: _nullable_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable_to_jsonschema(x) for x in node]
    return node


def validate(instance, schema: dict) -> None:
    """Validate with openapi-schema-validator (OAS 3.0 rules incl. formats), else jsonschema."""
    kind = _load_validator_module()
    if kind == "openapi":
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        OAS30Validator(schema, format_checker=oas30_format_checker).validate(instance)
    else:
        import jsonschema

        jsonschema.Draft4Validator(_nullable_to_jsonschema(schema), format_checker=jsonschema.FormatChecker()).validate(instance)


def _resolve(schema: dict, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def undeclared_fields(instance, schema: dict, root: dict, where: str = "$") -> List[str]:
    """Object keys present in ``instance`` but declared nowhere in ``schema`` (allOf merged)."""
    schema = _resolve(schema, root)
    problems: List[str] = []
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:  # fine if some alternative declares everything
        found = [undeclared_fields(instance, alt, root, where) for alt in alternatives]
        return min(found, key=len)
    if isinstance(instance, dict):
        parts = [schema] + [_resolve(s, root) for s in schema.get("allOf", [])]
        open_ended = any(p.get("additionalProperties") not in (None, False) for p in parts) or not any(
            "properties" in p for p in parts)
        subprops: Dict[str, List[dict]] = {}
        for part in parts:
            for k, v in part.get("properties", {}).items():
                subprops.setdefault(k, []).append(v)
        for k, v in instance.items():
            if k not in subprops:
                if not open_ended:
                    problems.append("%s.%s" % (where, k))
                continue
            merged = {"allOf": subprops[k]} if len(subprops[k]) > 1 else subprops[k][0]
            problems.extend(undeclared_fields(v, merged, root, "%s.%s" % (where, k)))
    elif isinstance(instance, list):
        items = schema.get("items")
        if items:
            for i, v in enumerate(instance):
                problems.extend(undeclared_fields(v, items, root, "%s[%d]" % (where, i)))
    return problems


def assert_matches_spec(test: unittest.TestCase, instance, api_path: str, status: str = "200", spec_path: str = V2_SPEC) -> None:
    """Schema-valid and free of fields the spec does not declare."""
    schema = response_schema(api_path, status, spec_path)
    validate(instance, schema)
    extra = undeclared_fields(instance, schema, schema)
    test.assertEqual(extra, [], "fields not declared in the spec for %s" % api_path)


def parse_qs(path: str) -> Dict[str, List[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
