"""Command line entry point: ``scripts/fake-confluence [options]``."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from typing import List, Optional

from .faults import FAIL_STATUSES, FaultSettings, Faults
from .corpus import Corpus, CorpusError
from .generator import GENERATED_SPACE_KEY, generate_space, use_corpus
from .pagesdir import FormatError, export_space, load_space_dir
from .server import Config, FakeConfluence
from .store import Store

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples", "handbook")


def _statuses(text: str) -> List[int]:
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected a comma-separated list like 500,503")
    if not vals or any(v not in FAIL_STATUSES for v in vals):
        raise argparse.ArgumentTypeError("statuses must be a non-empty subset of 500,502,503")
    return vals


def _fraction(text: str) -> float:
    v = float(text)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError("must be within [0, 1]")
    return v


def _nonneg(kind):
    def parse(text: str):
        v = kind(text)
        if v < 0:
            raise argparse.ArgumentTypeError("must be >= 0")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fake-confluence",
        description="Fake Confluence (Cloud v2/v1 or Data Center v1) for tests, benches and demos. "
        "Binds 127.0.0.1 only. Admin API under /_fake/ (see scripts/fake_confluence/README.md).",
        epilog="On startup prints 'listening on http://127.0.0.1:PORT'. Admin (no auth): GET /_fake/health, "
        "GET /_fake/stats, POST /_fake/stats/reset, GET|POST /_fake/faults, GET|POST /_fake/spaces, "
        "POST|DELETE /_fake/spaces/{key}, POST /_fake/pages, GET|DELETE /_fake/pages/{id}, "
        "POST /_fake/pages/{id}/{edit|move|archive|status|labels|restrict|delete}, POST /_fake/shutdown.",
    )
    g = p.add_argument_group("content (at least one of --pages/--generate/--sample)")
    g.add_argument("--pages", metavar="DIR", action="append", default=[], help="serve a space directory (repeatable)")
    g.add_argument("--generate", metavar="N", type=_nonneg(int), help="build a deterministic synthetic space of N pages")
    g.add_argument("--seed", metavar="S", type=int, default=0, help="seed for --generate and for fault injection (default 0)")
    g.add_argument("--corpus", metavar="PATH|debian",
                   help="generated bodies: 4-5 KB of real documentation text from a directory of HTML pages, or "
                   "'debian' (the postgresql-doc-15 package's manual); default: a short built-in word list")
    g.add_argument("--attachment-share", metavar="F", type=_fraction,
                   help="generated space: this share of pages (0-1) carries one real PDF, DOCX or TXT file "
                   "(default: every 97th page a small text file)")
    g.add_argument("--space-key", metavar="KEY", default=GENERATED_SPACE_KEY, help="key of the generated space (default GEN)")
    g.add_argument("--sample", action="store_true", help="also serve the bundled sample handbook space (key HB)")
    g.add_argument("--hidden-space", metavar="KEY", action="append", default=[],
                   help="space exists but is invisible to the user (looks missing: 404); repeatable")
    g.add_argument("--export", metavar="DIR", help="write all spaces in the on-disk format to DIR/<KEY>/ and exit")

    g = p.add_argument_group("server")
    g.add_argument("--host", default="127.0.0.1", help="must be 127.0.0.1 (anything else is refused)")
    g.add_argument("--port", type=_nonneg(int), default=0, help="TCP port, 0 = pick a free one (default 0)")
    g.add_argument("--port-file", metavar="F", help="write the bound port number to F (atomically)")
    g.add_argument("--mode", choices=("cloud", "dc"), default="cloud", help="API flavour (default cloud)")
    g.add_argument("--context-path", default="", metavar="PATH", help="DC context path, e.g. /confluence (default none)")
    g.add_argument("--max-seconds", metavar="S", type=_nonneg(float), default=3600.0, help="exit after this many seconds (default 3600)")
    g.add_argument("--verbose", action="store_true", help="log every request to stderr")
    g.add_argument("--no-prewarm", action="store_true",
                   help="Cloud: skip pre-rendering v2 list JSON in the background after startup")

    g = p.add_argument_group("auth")
    g.add_argument("--email", help="Cloud: basic-auth email. DC: basic-auth username")
    g.add_argument("--token", help="Cloud: API token. DC: basic-auth password")
    g.add_argument("--pat", help="DC: personal access token accepted as 'Authorization: Bearer'")
    g.add_argument("--scoped-token-mismatch", action="store_true",
                   help="Cloud: valid credentials get 401 'scope does not match' + X-Failure-Category")

    g = p.add_argument_group("faults and throttling (all off by default; changeable via POST /_fake/faults)")
    g.add_argument("--rate-limit", metavar="R", type=_nonneg(float), default=0.0, help="token bucket: R requests/s, then 429")
    g.add_argument("--burst", metavar="B", type=_nonneg(int), default=0, help="bucket size (default max(1, ceil(R)))")
    g.add_argument("--no-retry-after", action="store_true",
                   help="gateway-style 429: X-Failure-Category: FAILURE CLIENT RATE LIMITED, no Retry-After")
    g.add_argument("--fail-rate", metavar="P", type=_fraction, default=0.0, help="probability of an injected 5xx per API request")
    g.add_argument("--fail-statuses", metavar="LIST", type=_statuses, default=list(FAIL_STATUSES),
                   help="statuses to inject, subset of 500,502,503 (default all)")
    g.add_argument("--fail-retry-after", metavar="S", type=_nonneg(int), default=1, help="Retry-After on injected 503s (default 1)")
    g.add_argument("--latency-ms", metavar="L", type=_nonneg(int), default=0, help="delay every API response by L ms")
    g.add_argument("--dc-limit-cap", metavar="M", type=_nonneg(int), default=0,
                   help="DC: silently cap limit at M; next link still advances start by the requested limit")
    g.add_argument("--dc-overshoot-bug", action="store_true", help="DC: start beyond the end returns the last record (CONFSERVER-95312)")
    return p


def build_store(args) -> Store:
    store = Store()
    if args.corpus:
        use_corpus(Corpus.load(args.corpus))
    for d in args.pages:
        load_space_dir(store, d)
    if args.sample:
        load_space_dir(store, SAMPLE_DIR)
    if args.generate is not None:
        generate_space(store, args.generate, args.seed, key=args.space_key, attachment_share=args.attachment_share)
    for key in args.hidden_space:
        space = store.spaces_by_key.get(key)
        if space is None:
            raise FormatError("--hidden-space %s: no such space" % key)
        store.update_space(space, visible=False)
    return store


def _write_port_file(path: str, port: int) -> None:
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as fh:
        fh.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.host != "127.0.0.1":
        parser.error("refusing to bind %r: fake-confluence only listens on 127.0.0.1" % args.host)
    if not (args.pages or args.generate is not None or args.sample):
        parser.error("give --pages DIR, --generate N or --sample")
    if args.context_path and (args.mode != "dc" or not args.context_path.startswith("/") or args.context_path.endswith("/")):
        parser.error("--context-path needs --mode dc and looks like /confluence")
    if args.mode == "cloud" and args.pat:
        parser.error("--pat is for --mode dc (Cloud uses --email/--token)")
    if (args.email is None) != (args.token is None):
        parser.error("--email and --token go together")

    started: List[FakeConfluence] = []

    def stop(*_):
        if not started:
            raise SystemExit(0)  # still loading: just leave
        started[0].shutdown()  # also fine before serve_forever: it then returns at once

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Test runners may start us with these signals blocked (the mask is inherited).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    try:
        store = build_store(args)
    except (FormatError, CorpusError, ValueError, OSError) as exc:
        print("fake-confluence: %s" % exc, file=sys.stderr)
        return 2
    if args.export:
        for space in store.spaces.values():
            n = export_space(store, space, os.path.join(args.export, space.key))
            print("exported %d pages of %s to %s" % (n, space.key, os.path.join(args.export, space.key)))
        return 0

    settings = FaultSettings(
        rate_limit=args.rate_limit, burst=args.burst, no_retry_after=args.no_retry_after,
        fail_rate=args.fail_rate, fail_statuses=args.fail_statuses, fail_retry_after=args.fail_retry_after,
        latency_ms=args.latency_ms, scoped_token_mismatch=args.scoped_token_mismatch,
        dc_limit_cap=args.dc_limit_cap, dc_overshoot_bug=args.dc_overshoot_bug,
    )
    config = Config(mode=args.mode, context_path=args.context_path, email=args.email, token=args.token,
                    pat=args.pat, verbose=args.verbose)
    app = FakeConfluence(store, config, Faults(settings, args.seed))
    try:
        port = app.start(args.port)
    except OSError as exc:
        print("fake-confluence: cannot bind 127.0.0.1:%d: %s" % (args.port, exc), file=sys.stderr)
        return 2
    started.append(app)
    # The store is long-lived: keep the cyclic GC from rescanning it on every collection.
    gc.collect()
    gc.freeze()
    if args.port_file:
        _write_port_file(args.port_file, port)
    timer = threading.Timer(args.max_seconds, lambda: (print("fake-confluence: --max-seconds reached, exiting", file=sys.stderr), app.shutdown()))
    timer.daemon = True
    timer.start()
    sys.stdout.write("listening on http://127.0.0.1:%d\n" % port)
    sys.stdout.flush()
    if args.mode == "cloud" and not args.no_prewarm:
        threading.Thread(target=app.prewarm, name="prewarm", daemon=True).start()
    app.serve_forever()
    timer.cancel()
    return 0
