#!/usr/bin/env python3
"""Drives Tributary's MCP server with the real PyPI client (`mcp`, pinned in scripts/lib/common.sh).

    python3 mcp_client_check.py --transport stdio --command PATH_TO_TRIBUTARYCTL --socket SOCKET \
        --mode handshake|discover --datastore NAME --query Q --expect-title TITLE [--bench N]
    python3 mcp_client_check.py --transport http --url URL --key KEY \
        --mode handshake|discover --datastore NAME --query Q --expect-title TITLE [--bench N]

Connects (mode handshake: `initialize`; mode discover: `server/discover` and the 2026-07-28
per-request envelope), lists the tools, searches (a result must have TITLE), fetches that
result's id whole and in small parts (the parts must reassemble to the whole text), lists the
datastores and asks. Prints one JSON object on stdout: {"ok", "mode", "protocol_version",
"checks": [{"name", "ok", "detail"}], "bench": {...}?, "transcript": [...]}; the transcript (the
JSON-RPC messages, abridged) is also written to stderr. Exits 1 when any check failed, 2 when it
could not run at all.
"""

import argparse
import json
import statistics
import sys
import time
from contextlib import asynccontextmanager

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

TOOLS = ("search", "fetch", "list_datastores", "ask")
FETCH_PART_CHARS = 200
MAX_PARTS = 2000


class Transcript:
    """The JSON-RPC messages both ways, abridged to a line each."""

    def __init__(self, width=240):
        self.lines = []
        self.width = width

    def record(self, direction, item):
        message = getattr(item, "message", item)
        try:
            text = json.dumps(message.model_dump(by_alias=True, mode="json", exclude_none=True), ensure_ascii=False)
        except AttributeError:
            text = repr(message)
        if len(text) > self.width:
            text = text[: self.width - 1] + "…"
        self.lines.append(f"{direction} {text}")


class RecordingRead:
    """A transport read stream that records what it yields."""

    def __init__(self, inner, transcript):
        self.inner = inner
        self.transcript = transcript

    async def receive(self):
        item = await self.inner.receive()
        self.transcript.record("<-", item)
        return item

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self.inner.__anext__()
        self.transcript.record("<-", item)
        return item

    async def aclose(self):
        await self.inner.aclose()

    async def __aenter__(self):
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self.inner.__aexit__(*exc)

    def __getattr__(self, name):
        return getattr(self.inner, name)


class RecordingWrite:
    """A transport write stream that records what it sends."""

    def __init__(self, inner, transcript):
        self.inner = inner
        self.transcript = transcript

    async def send(self, item):
        self.transcript.record("->", item)
        await self.inner.send(item)

    async def aclose(self):
        await self.inner.aclose()

    async def __aenter__(self):
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self.inner.__aexit__(*exc)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def recording(transport, transcript):
    @asynccontextmanager
    async def wrapped():
        async with transport as (read, write):
            yield RecordingRead(read, transcript), RecordingWrite(write, transcript)

    return wrapped()


def make_transport(args):
    if args.transport == "stdio":
        params = StdioServerParameters(command=args.command, args=["mcp", "--socket", args.socket])
        return stdio_client(params)
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    @asynccontextmanager
    async def http_transport():
        headers = {"Authorization": f"Bearer {args.key}"}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as http:
            async with streamable_http_client(args.url, http_client=http) as streams:
                yield streams

    return http_transport()


def describe(error):
    """The innermost cause, rather than anyio's "unhandled errors in a TaskGroup"."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append({"name": name, "ok": bool(ok), "detail": detail})
        return bool(ok)

    @property
    def ok(self):
        return all(result["ok"] for result in self.results)


def structured(result):
    """The structured content, after checking the text block carries the same JSON."""
    text = next((block.text for block in result.content if getattr(block, "type", "") == "text"), None)
    if result.structured_content is not None and text is not None:
        if json.loads(text) != result.structured_content:
            raise AssertionError("the text content is not the structured content's JSON")
    return result.structured_content


def error_text(result):
    return " ".join(getattr(block, "text", "") for block in result.content)


async def run(args, checks, transcript):
    mode = "legacy" if args.mode == "handshake" else "auto"
    summary = {}
    async with Client(recording(make_transport(args), transcript), mode=mode, read_timeout_seconds=60) as client:
        session = client.session
        summary["protocol_version"] = session.protocol_version
        info = session.server_info
        summary["server"] = info.model_dump(exclude_none=True) if info else None
        if args.mode == "handshake":
            checks.check("handshake", session.initialize_result is not None and session.protocol_version == "2025-11-25",
                         f"negotiated {session.protocol_version}")
        else:
            discovered = session.discover_result
            checks.check("discover", discovered is not None and session.protocol_version == "2026-07-28",
                         f"negotiated {session.protocol_version}; supported "
                         f"{discovered.supported_versions if discovered else None}")
        checks.check("server identity", info is not None and info.name == "tributary", f"{summary['server']}")
        checks.check("instructions", bool(client.instructions), (client.instructions or "")[:80])

        listed = await client.list_tools()
        by_name = {tool.name: tool for tool in listed.tools}
        missing = [name for name in TOOLS if name not in by_name]
        schemas = all(by_name[name].input_schema and by_name[name].output_schema for name in TOOLS if name in by_name)
        checks.check("tools/list", not missing and schemas, f"tools {sorted(by_name)}; missing {missing}")

        found = await client.call_tool("search", {"query": args.query, "datastore": args.datastore, "limit": 5})
        results = [] if found.is_error else (structured(found) or {}).get("results", [])
        hit = next((result for result in results if result.get("title") == args.expect_title), None)
        checks.check("search", hit is not None,
                     error_text(found) if found.is_error else f"{len(results)} results: {[r.get('title') for r in results]}")
        summary["search_results"] = [{key: r.get(key) for key in ("id", "title", "url", "score")} for r in results]

        if hit is not None:
            await check_fetch(client, checks, hit, args.datastore)

        datastores = await client.call_tool("list_datastores", {})
        listed_stores = [] if datastores.is_error else (structured(datastores) or {}).get("datastores", [])
        mine = next((store for store in listed_stores if store.get("name") == args.datastore), None)
        checks.check("list_datastores", mine is not None and mine.get("searchable") is True,
                     error_text(datastores) if datastores.is_error else json.dumps(mine))

        answer = await client.call_tool("ask", {"question": args.query, "datastore": args.datastore})
        shaped = {} if answer.is_error else structured(answer) or {}
        citations = shaped.get("citations", [])
        checks.check("ask", bool(shaped.get("answer")) and shaped.get("mode") in ("generated", "extractive")
                     and all(c.get("url") for c in citations),
                     error_text(answer) if answer.is_error
                     else f"mode {shaped.get('mode')}, {len(citations)} citations, reason {shaped.get('reason')}")

        failing = await client.call_tool("fetch", {"id": f"{args.datastore}/0000000"})
        checks.check("tool failure is isError", failing.is_error is True, error_text(failing)[:160])
        try:
            await client.call_tool("no_such_tool", {})
            checks.check("unknown tool is a protocol error", False, "the call succeeded")
        except MCPError as error:
            checks.check("unknown tool is a protocol error", error.error.code == -32602, f"{error.error.code} {error.error.message}")

        if args.bench:
            summary["bench"] = await bench(client, args)
    return summary


async def check_fetch(client, checks, hit, datastore):
    whole = await client.call_tool("fetch", {"id": hit["id"]})
    if whole.is_error:
        checks.check("fetch", False, error_text(whole))
        return
    page = structured(whole)
    text = page.get("text", "")
    metadata = page.get("metadata", {})
    checks.check("fetch", page.get("title") == hit["title"] and text and metadata.get("total_chars") == len(text)
                 and metadata.get("datastore") == datastore and metadata.get("next_offset") is None,
                 f"{len(text)} chars, {len(metadata.get('outline', []))} headings, id {page.get('id')}")
    parts, offset = [], 0
    while offset is not None and len(parts) < MAX_PARTS:
        part = await client.call_tool("fetch", {"id": hit["id"], "max_chars": FETCH_PART_CHARS, "offset": offset})
        if part.is_error:
            checks.check("fetch in parts", False, f"at offset {offset}: {error_text(part)}")
            return
        shaped = structured(part)
        parts.append(shaped.get("text", ""))
        following = shaped.get("metadata", {}).get("next_offset")
        if following is not None and following <= offset:
            checks.check("fetch in parts", False, f"next_offset {following} does not advance from {offset}")
            return
        offset = following
    checks.check("fetch in parts", "".join(parts) == text and (len(parts) > 1 or len(text) <= FETCH_PART_CHARS),
                 f"{len(parts)} parts of at most {FETCH_PART_CHARS} chars reassemble to {len(''.join(parts))} of {len(text)}")


async def bench(client, args):
    timings = []
    for _ in range(args.bench):
        start = time.perf_counter()
        result = await client.call_tool("search", {"query": args.query, "datastore": args.datastore, "limit": 10})
        timings.append((time.perf_counter() - start) * 1000)
        if result.is_error:
            return {"error": error_text(result)}
    timings.sort()
    return {
        "calls": len(timings),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 3),
        "max_ms": round(timings[-1], 3),
    }


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=("stdio", "http"), required=True)
    parser.add_argument("--command", help="tributaryctl (stdio)")
    parser.add_argument("--socket", help="tributaryd's control socket (stdio)")
    parser.add_argument("--url", help="the MCP endpoint, e.g. http://127.0.0.1:PORT/mcp (http)")
    parser.add_argument("--key", help="an MCP key (http)")
    parser.add_argument("--mode", choices=("handshake", "discover"), required=True)
    parser.add_argument("--datastore", required=True)
    parser.add_argument("--query", required=True)
    parser.add_argument("--expect-title", required=True)
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="also time N searches (p50/p99)")
    args = parser.parse_args(argv)
    if args.transport == "stdio" and not (args.command and args.socket):
        parser.error("--transport stdio needs --command and --socket")
    if args.transport == "http" and not (args.url and args.key):
        parser.error("--transport http needs --url and --key")
    return args


def main(argv):
    args = parse(argv)
    checks, transcript = Checks(), Transcript()
    report = {"transport": args.transport, "mode": args.mode}
    status = 0
    try:
        report.update(anyio.run(run, args, checks, transcript))
    except Exception as error:  # the session could not run at all: say why, still as JSON
        checks.check("session", False, describe(error))
        status = 2
    report["ok"] = checks.ok
    report["checks"] = checks.results
    report["transcript"] = transcript.lines
    for line in transcript.lines:
        print(line, file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False))
    return status or (0 if checks.ok else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
