"""`scripts/bench attachments`: the sync time attachments add (issue #16).

One fake Confluence serves one generated space (default 5,000 pages of the PostgreSQL manual's
text, seed 1) in which 10 % of pages carry one real file, PDF, DOCX and plain text in turn
(`fake-confluence --attachment-share 0.1`). Against that same fake process and space, one after
the other (the fake's stats reset between), two fresh daemons each create one datastore and sync
it to ready:
  - pages only: `--attachments none`;
  - with attachments: the default types, each file downloaded and extracted by the sandboxed
    tributary-extract helper, as the daemon runs it.
It prints both times, the ratio (with / without) and the added seconds per attachment, the
requests of each run by kind (listings, downloads) and the attachment counts from status
(indexed / skipped by reason / failed).

Usage: bench_attachments.py BIN_DIR REPO [--pages N] [--share F] [--attachments-first]
"""
import argparse, json, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_sync import EMAIL, Procs, proc_status, reset, run, start_daemon, start_fake, stats, warm  # noqa: E402


def main():
    p = argparse.ArgumentParser(prog="scripts/bench attachments")
    p.add_argument("bin_dir"); p.add_argument("repo")
    p.add_argument("--pages", type=int, default=5000)
    p.add_argument("--share", type=float, default=0.1, help="share of pages carrying one attachment (default 0.1)")
    p.add_argument("--attachments-first", action="store_true", help="sync with attachments before the pages-only run")
    args = p.parse_args()
    print("attachments bench: %d cores, load average %.2f at start (other work on this machine competes for the cores)"
          % (os.cpu_count() or 0, os.getloadavg()[0]), flush=True)
    procs = Procs()
    try:
        token, token_file = procs.token()
        origin, gen_seconds = start_fake(procs, args.repo, args.pages, 1, token, ("--attachment-share", str(args.share)))
        listed, body_bytes = warm(origin, token)
        print("\n%d-page space (seed 1, PostgreSQL manual text, %.0f %% of pages with one PDF/DOCX/TXT file): "
              "generated in %.1f s; %d pages listed, storage XHTML %.0f bytes a page on average"
              % (args.pages, args.share * 100, gen_seconds, listed, body_bytes / max(1, listed)), flush=True)
        modes = ["none", "default"]
        if args.attachments_first:
            modes.reverse()
        out = {mode: sync(procs, args.bin_dir, origin, token_file, mode) for mode in modes}
        plain, full = out["none"], out["default"]
        a = full["attachments"]
        print("  order: %s first (a fresh daemon each, same fake process, stats reset between)"
              % ("with attachments" if args.attachments_first else "pages only"))
        for label, r in (("pages only (--attachments none)", plain), ("with attachments", full)):
            print("  %-34s %7.2f s  %d pages indexed; %d requests (%s); peak RSS %.0f MB"
                  % (label, r["seconds"], r["pages"], r["requests"],
                     ", ".join("%s %d" % kv for kv in sorted(r["byKind"].items())), r["rss_kb"] / 1024))
        added = full["seconds"] - plain["seconds"]
        print("  ratio with / without               %7.2f   added %.2f s, %.1f ms per attachment"
              % (full["seconds"] / plain["seconds"], added, 1000 * added / max(1, a.get("discovered", 0))))
        downloads = sum(v for k, v in full["byKind"].items() if "download" in k)
        listings = sum(v for k, v in full["byKind"].items() if "attachments" in k)
        print("  attachment requests                %7d   (%d listings, %d downloads)" % (listings + downloads, listings, downloads))
        skipped = a.get("skippedByReason", {})
        print("  attachments                        %7d discovered, %d indexed, %d skipped%s, %d failed, %d pending"
              % (a.get("discovered", 0), a.get("indexed", 0), sum(skipped.values()),
                 (" (" + ", ".join("%s %d" % kv for kv in sorted(skipped.items())) + ")") if skipped else "",
                 a.get("failed", 0), a.get("pending", 0)))
    finally:
        procs.close()


def sync(procs, bin_dir, origin, token_file, attachments):
    """A fresh daemon creates one datastore and syncs it to ready; returns time, requests and status."""
    name = "pages" if attachments == "none" else "attachments"
    pid, ctl = start_daemon(procs, bin_dir, name, "default_rate_limit = 1000\nlog = stderr\n")
    reset(origin)
    start = time.time()
    create = ctl + ["create", "bench", "--url", origin + "/wiki/spaces/GEN", "--email", EMAIL, "--token-file", token_file]
    if attachments == "none":
        create += ["--attachments", "none"]
    run(create)
    run(ctl + ["watch", "bench", "--until", "ready", "--timeout", "3600"])
    seconds = time.time() - start
    st = stats(origin)
    status = json.loads(run(ctl + ["status", "bench", "--json"]))
    return {"seconds": seconds, "requests": st["requests"], "byKind": st["byKind"], "pages": status["pages"]["indexed"],
            "attachments": status.get("attachments") or {}, "rss_kb": proc_status(pid).get("VmHWM", 0)}


if __name__ == "__main__":
    main()
