"""`scripts/bench sync`: the real daemon against the fake Confluence, side by side with a peer pipeline.

For each size (20,000 pages; also 100,000 with --scale) one fake Confluence serves a generated
space of real documentation text (`--corpus debian`: 4-5 KB of storage XHTML a page with
headings, code, tables and panels). Against that same fake process and space, one after the
other (never concurrently; the stats are reset between runs):
  - tributaryd: create -> ready (requests, peak RSS, CPU; untraced), then an incremental
    resync with 1% of pages changed; a second daemon under strace syncs the space once more
    to count fdatasync/fsync calls (strace slows it: its time is not the one compared);
  - the peer pipeline (scripts/lib/peer_pipeline.py: atlassian-python-api v2 cursor listing
    with bodies -> lxml -> section chunks -> tantivy, committed): start -> committed;
and prints the ratio (issue #12's target: Tributary <= 0.5x the peer's time).
Then a burst-limit run: a fresh daemon with no configured rate against a token bucket of R
req/s (burst B) prints the 429 share and the achieved rate / R.

Usage: bench_sync.py BIN_DIR REPO PEER_PYTHON [--pages N] [--scale] [--peer-first] [--skip-burst] [--repeat N]
With --repeat N, N (tributaryd, peer) pairs are timed, each tributaryd a fresh daemon with an
empty state, and the ratio is of the medians (single runs here vary by about ±10 %).
Env: TRIBUTARY_BENCH_PAGES (default 20000), TRIBUTARY_BENCH_SCALE=1 (= --scale), TRIBUTARY_BENCH_REPEAT (1),
TRIBUTARY_BENCH_KEEP=1 (keep the work directory: state, logs),
TRIBUTARY_BENCH_BURST_PAGES (default 6000: at 2 req/s a sync of at least 10 s), TRIBUTARY_BENCH_BURST_RATE (2), TRIBUTARY_BENCH_BURST (2).
"""
import argparse, base64, json, math, os, random, re, shutil, signal, statistics, subprocess, sys, tempfile, time, urllib.request

EMAIL = "b@example.com"
SYNC_CALLS = ("fdatasync", "fsync", "msync", "sync_file_range", "syncfs")
SYNC_LINE = re.compile(r"\b(%s)\(" % "|".join(SYNC_CALLS))
RSS_TARGET_MB = {20000: 150, 100000: 200}
SURVEY_KINDS = ("v2.space_content_labels", "v1.search")  # the Cloud label survey's requests


def main():
    p = argparse.ArgumentParser(prog="scripts/bench sync")
    p.add_argument("bin_dir"); p.add_argument("repo"); p.add_argument("peer_python")
    p.add_argument("--pages", type=int, default=int(os.environ.get("TRIBUTARY_BENCH_PAGES", "20000")))
    p.add_argument("--scale", action="store_true", default=os.environ.get("TRIBUTARY_BENCH_SCALE") == "1",
                   help="also run 100,000 pages and print time(100k)/time(20k)")
    p.add_argument("--peer-first", action="store_true", help="run the peer pipeline before tributaryd")
    p.add_argument("--skip-burst", action="store_true", help="skip the burst-limit run")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("TRIBUTARY_BENCH_REPEAT", "1")),
                   help="time N pairs (a fresh daemon and peer index each) and compare the medians")
    args = p.parse_args()
    sizes = [args.pages] + ([100000] if args.scale and args.pages != 100000 else [])
    print("sync bench: %d cores, load average %.2f at start (other work on this machine competes for the cores)"
          % (os.cpu_count() or 0, os.getloadavg()[0]), flush=True)
    results = {}
    for n in sizes:
        results[n] = SizeRun(args, n).run()
    if len(sizes) == 2:
        a, b = (results[n] for n in sizes)
        print("scale %d -> %d pages: tributaryd time ratio %.2f (target ≤ 5.5), peer %.2f"
              % (sizes[0], sizes[1], b["tributary"] / a["tributary"], b["peer"] / a["peer"]))
    if not args.skip_burst:
        burst_run(args)


class Procs:
    """Processes started by one run; stopped in reverse order, each by its own pid."""

    def __init__(self):
        self.procs, self.work = [], tempfile.mkdtemp(prefix="tributary-bench-sync-")
        self.traced = []  # daemons under strace: signalled themselves (strace would only detach)

    def token(self):
        """A fresh API token and the file holding it (for --token-file), in this run's directory."""
        token = "bench-token-%d" % random.randrange(1 << 30)
        token_file = os.path.join(self.work, "token")
        with open(token_file, "w") as f:
            f.write(token)
        return token, token_file

    def start(self, cmd, **kw):
        proc = subprocess.Popen(cmd, **kw)
        self.procs.append(proc)
        return proc

    def close(self):
        for pid in self.traced:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if os.environ.get("TRIBUTARY_BENCH_KEEP") == "1":
            print("  kept the work directory: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def start_fake(procs, repo, pages, seed, token, extra=()):
    port_file = os.path.join(procs.work, "port-%d" % seed)
    t = time.time()
    procs.start([os.path.join(repo, "scripts/fake-confluence"), "--port", "0", "--port-file", port_file,
                 "--generate", str(pages), "--seed", str(seed), "--corpus", "debian", "--email", EMAIL,
                 "--token", token, "--max-seconds", "7200", *extra], stdout=subprocess.DEVNULL)
    origin = "http://127.0.0.1:%s" % wait_file(port_file, 600)
    return origin, time.time() - t


def start_daemon(procs, bin_dir, name, config_text, trace_file=None):
    """tributaryd with its own state dir and socket; under strace (syscall filter in the kernel,
    so the untraced syscalls run at full speed) when trace_file is given. Returns (pid, ctl)."""
    sock = os.path.join(procs.work, name + ".sock")
    conf = os.path.join(procs.work, name + ".conf")
    with open(conf, "w") as f:
        f.write(config_text)
    log = open(os.path.join(procs.work, name + ".log"), "w")
    cmd = [os.path.join(bin_dir, "tributaryd"), "--state-dir", os.path.join(procs.work, name + "-state"),
           "--socket", sock, "--config", conf]
    if trace_file:
        cmd = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "signal=none", "-e", "trace=" + ",".join(SYNC_CALLS),
               "-o", trace_file] + cmd
    # The same environment as systemd/tributaryd.service gives the daemon.
    proc = procs.start(cmd, stdout=log, stderr=log, env=dict(os.environ, MALLOC_ARENA_MAX="2"))
    ctl = [os.path.join(bin_dir, "tributaryctl"), "--socket", sock]
    deadline = time.time() + 60
    while subprocess.run(ctl + ["health", "--json"], capture_output=True).returncode != 0:
        if time.time() > deadline or proc.poll() is not None:
            raise SystemExit("tributaryd did not start (see %s.log)" % name)
        time.sleep(0.05)
    pid = proc.pid
    if trace_file:  # the daemon is strace's only child
        with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
            pid = int(f.read().split()[0])
        procs.traced.append(pid)
    return pid, ctl


class SizeRun:
    """One fake with one N-page space; tributaryd and the peer against it, one after the other."""

    def __init__(self, args, pages):
        self.args, self.pages = args, pages

    def run(self):
        args, n = self.args, self.pages
        procs = Procs()
        try:
            token, token_file = procs.token()
            origin, gen_seconds = start_fake(procs, args.repo, n, 1, token)
            self.origin, self.token, self.token_file, self.work = origin, token, token_file, procs.work
            bodies = warm(origin, token)  # both runs then meet the same warm fake (cached page JSON)
            print("\n%d-page space (seed 1, PostgreSQL manual text): generated in %.1f s; %d pages listed, "
                  "storage XHTML %.0f bytes a page on average" % (n, gen_seconds, bodies[0], bodies[1] / max(1, bodies[0])),
                  flush=True)
            # The timed daemon runs untraced: under strace (even filtering in the kernel, it
            # follows every thread) create→ready took 20-30 % longer, and the peer runs bare.
            # Sync calls are counted on a second full sync of a traced daemon (traced_sync).
            daemon_pid, ctl = start_daemon(procs, args.bin_dir, "tributaryd", "default_rate_limit = 1000\nlog = stderr\n")
            order = ["peer", "tributary"] if args.peer_first else ["tributary", "peer"]
            out = {}
            for what in order:
                out[what] = self.tributary(daemon_pid, ctl, None) if what == "tributary" else self.peer()
            t, peer = out["tributary"], out["peer"]
            times = [(t["seconds"], peer["seconds"])]
            for number in range(1, max(1, args.repeat)):
                times.append(self.repetition(procs, number, order))
            if shutil.which("strace"):
                t["sync_calls"], traced_seconds = self.traced_sync(procs)
            print("  order: %s ran first, then %s (same fake process, stats reset between)" % tuple(order))
            print("  tributaryd create→ready  %7.2f s  %6.0f pages/s  %d indexed of %d listed; CPU %.1f s user + %.1f s system"
                  % (t["seconds"], t["indexed"] / t["seconds"], t["indexed"], t["discovered"], t["user"], t["system"]))
            print("  peer start→committed     %7.2f s  %6.0f pages/s  %d pages, %d chunks; peak RSS %.0f MB "
                  "(tantivy merges after commit: %.2f s more)"
                  % (peer["seconds"], peer["pages"] / peer["seconds"], peer["pages"], peer["chunks"],
                     peer["peak_rss_kb"] / 1024, peer["merge_seconds"]))
            ratio = t["seconds"] / peer["seconds"]
            if len(times) == 1:
                print("  ratio tributaryd / peer  %7.2f   (target ≤ 0.5: %s)" % (ratio, verdict(ratio <= 0.5)))
            else:
                mine, theirs = statistics.median(a for a, _ in times), statistics.median(b for _, b in times)
                ratio = mine / theirs
                print("  %d pairs (tributaryd s, peer s): %s" % (len(times), ", ".join("%.2f/%.2f" % pair for pair in times)))
                print("  ratio tributaryd / peer  %7.2f   of the medians, %.2f s / %.2f s (target ≤ 0.5: %s); pairs' ratios %.2f-%.2f"
                      % (ratio, mine, theirs, verdict(ratio <= 0.5), min(a / b for a, b in times), max(a / b for a, b in times)))
            bound = math.ceil(t["discovered"] / 250) + 5
            print("  full sync requests       %7d   (bound ⌈N/250⌉+5 = %d: %s; %d answered 429); peer: %d requests"
                  % (t["requests"], bound, verdict(t["requests"] <= bound), t["429"], peer["requests"]))
            if t["sync_calls"] is None:
                print("  fdatasync count          n/a (strace missing); write syscalls %d, %.0f MB written (/proc/PID/io syscw, wchar)"
                      % (t["syscw"], t["wchar"] / 1048576))
            else:
                print("  fdatasync count          %7d   during a full sync (%s; a second daemon under strace, create→ready "
                      "%.2f s traced); write syscalls %d, %.0f MB written"
                      % (sum(t["sync_calls"].values()), ", ".join("%s %d" % kv for kv in sorted(t["sync_calls"].items())) or "none",
                         traced_seconds, t["syscw"], t["wchar"] / 1048576))
            stages = listing_times(os.path.join(procs.work, "tributaryd.log"))
            if stages:
                print("  where the listing's time went: " + ", ".join("%s %s s" % (k.replace("_seconds", "").replace("_", " "), v)
                                                                      for k, v in stages))
            target = RSS_TARGET_MB.get(n, 150 if n <= 20000 else 200)
            print("  peak RSS (VmHWM)         %7.1f MB after full sync (target %d MB: %s)"
                  % (t["rss_kb"] / 1024, target, verdict(t["rss_kb"] / 1024 <= target)))
            inc = self.incremental(daemon_pid, ctl)
            bound_inc = math.ceil(t["discovered"] / 250) + math.ceil(inc["changed"] / 250) + 5
            print("  incremental 1%%           %7.2f s  %d changed; requests %d (bound ⌈N/250⌉+⌈c/250⌉+5 = %d: %s)"
                  % (inc["seconds"], inc["changed"], inc["requests"], bound_inc, verdict(inc["requests"] <= bound_inc)))
            now = proc_status(daemon_pid)
            print("  peak RSS after resync    %7.1f MB; now %.1f MB: %.1f MB anonymous (heap), %.1f MB file-backed (LMDB map)"
                  % (now.get("VmHWM", 0) / 1024, now.get("VmRSS", 0) / 1024, now.get("RssAnon", 0) / 1024,
                     now.get("RssFile", 0) / 1024))
            state_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(procs.work, "tributaryd-state")) for f in fs)
            peer_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(procs.work, "peer-index")) for f in fs)
            print("  on disk                  %7.1f MB tributaryd state, %.1f MB peer tantivy index" % (state_bytes / 1048576, peer_bytes / 1048576))
            bench_search = subprocess.run(ctl + ["bench-search", "bench", "vacuum autovacuum", "replication slot",
                                                 "create index concurrently", "--count", "500"], capture_output=True, text=True)
            if bench_search.returncode == 0:
                print("  search over the socket: " + bench_search.stdout.strip().replace("\n", "\n  "))
            sys.stdout.flush()
            return {"tributary": statistics.median(a for a, _ in times), "peer": statistics.median(b for _, b in times)}
        finally:
            procs.close()

    def repetition(self, procs, number, order):
        """One more timed pair: a fresh daemon (empty state) and a fresh peer index. Returns the
        two times; both state directories are removed after."""
        name = "tributaryd-%d" % number
        pid, ctl = start_daemon(procs, self.args.bin_dir, name, "default_rate_limit = 1000\nlog = stderr\n")
        seconds = {}
        for what in order:
            if what == "tributary":
                seconds[what] = self.tributary(pid, ctl, None, log_name=name, report=False)["seconds"]
            else:
                seconds[what] = self.peer(index_name="peer-index-%d" % number)["seconds"]
        os.kill(pid, signal.SIGTERM)
        for directory in (name + "-state", "peer-index-%d" % number):
            shutil.rmtree(os.path.join(procs.work, directory), ignore_errors=True)
        return seconds["tributary"], seconds["peer"]

    def tributary(self, pid, ctl, trace, log_name="tributaryd", report=True):
        reset(self.origin)
        calls_before = count_sync_calls(trace)
        cpu_before, io_before = cpu_seconds(pid), proc_io(pid)
        start = time.time()
        # Pages only: the bounds below are the page sync's (the generated space's attachments would add a download each).
        run(ctl + ["create", "bench", "--url", self.origin + "/wiki/spaces/GEN", "--email", EMAIL, "--token-file", self.token_file,
                   "--attachments", "none"])
        run(ctl + ["watch", "bench", "--until", "ready", "--timeout", "3600"])
        seconds = time.time() - start
        cpu = cpu_seconds(pid)
        calls = count_sync_calls(trace)
        st = stats(self.origin)
        status = json.loads(run(ctl + ["status", "bench", "--json"]))
        # With no excluded label, labels are surveyed after ready (on Cloud), by the same job right
        # after the cycle: counted apart, not hidden. The survey connects again as the cycle did
        # (one space: the same connection requests), so half the connection requests are its own.
        refresh = wait_label_refresh(os.path.join(self.work, log_name + ".log"), 300)
        after = stats(self.origin)
        kinds = after["byKind"]
        survey = sum(kinds.get(k, 0) for k in SURVEY_KINDS)
        connects = sum(v for k, v in kinds.items() if k in ("v2.spaces", "v2.space"))
        refresh_requests = survey + (connects // 2 if refresh else 0)
        if report:
            print("  label survey after ready %7d   requests (%s, connection %d), done %.1f s after ready%s; "
                  "%d requests had been made when ready was seen"
                  % (refresh_requests, ", ".join("%s %d" % (k, kinds.get(k, 0)) for k in SURVEY_KINDS),
                     connects // 2 if refresh else 0, refresh - (start + seconds) if refresh else float("nan"),
                     "" if refresh else " (NOT seen in the log)", st["requests"]))
        return {"seconds": seconds, "requests": after["requests"] - refresh_requests, "429": st["rateLimited"],
                "indexed": status["pages"]["indexed"], "discovered": status["pages"]["discovered"],
                "user": cpu[0] - cpu_before[0], "system": cpu[1] - cpu_before[1], "rss_kb": proc_status(pid).get("VmHWM", 0),
                "sync_calls": None if calls is None else {k: v - calls_before.get(k, 0) for k, v in calls.items() if v - calls_before.get(k, 0)},
                **{k: proc_io(pid).get(k, 0) - io_before.get(k, 0) for k in ("syscw", "wchar")}}

    def traced_sync(self, procs):
        """A full sync of the same space by a second daemon under strace: its sync calls, by name,
        and its create→ready seconds (slower than untraced; not the figure compared)."""
        trace = os.path.join(procs.work, "sync-calls.strace")
        pid, ctl = start_daemon(procs, self.args.bin_dir, "traced", "default_rate_limit = 1000\nlog = stderr\n", trace)
        t = self.tributary(pid, ctl, trace, log_name="traced", report=False)
        os.kill(pid, signal.SIGTERM)
        return t["sync_calls"], t["seconds"]

    def peer(self, index_name="peer-index"):
        reset(self.origin)
        index_dir = os.path.join(self.work, index_name)
        r = subprocess.run([self.args.peer_python, os.path.join(self.args.repo, "scripts/lib/peer_pipeline.py"), self.origin,
                            EMAIL, self.token_file, "GEN", index_dir], capture_output=True, text=True, timeout=7200)
        if r.returncode != 0:
            raise SystemExit("peer pipeline failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
        out = json.loads(r.stdout.strip().splitlines()[-1])
        out["requests"] = stats(self.origin)["requests"]
        return out

    def incremental(self, pid, ctl):
        ids = page_ids(self.origin, self.token)
        changed = random.Random(7).sample(ids, max(1, len(ids) // 100))
        for page_id in changed:
            admin(self.origin, "/_fake/pages/%s/edit" % page_id, {})
        reset(self.origin)
        start = time.time()
        run(ctl + ["resync", "bench"])
        time.sleep(0.2)
        run(ctl + ["watch", "bench", "--until", "ready", "--timeout", "3600"])
        return {"seconds": time.time() - start, "changed": len(changed), "requests": stats(self.origin)["requests"]}


def burst_run(args):
    """A fresh daemon (no rate configured, nothing learned) against a token bucket of R req/s, burst B."""
    n = int(os.environ.get("TRIBUTARY_BENCH_BURST_PAGES", "6000"))
    rate = float(os.environ.get("TRIBUTARY_BENCH_BURST_RATE", "2"))
    burst = int(os.environ.get("TRIBUTARY_BENCH_BURST", "2"))
    procs = Procs()
    try:
        token, token_file = procs.token()
        origin, _ = start_fake(procs, args.repo, n, 2, token)
        warm(origin, token)
        pid, ctl = start_daemon(procs, args.bin_dir, "burst", "log = stderr\n")
        admin(origin, "/_fake/faults", {"rateLimit": rate, "burst": burst})
        time.sleep(burst / rate + 0.1)  # a full bucket, as after a quiet spell
        reset(origin)
        start = time.time()
        run(ctl + ["create", "burst", "--url", origin + "/wiki/spaces/GEN", "--email", EMAIL, "--token-file", token_file,
                   "--attachments", "none"])
        run(ctl + ["watch", "burst", "--until", "ready", "--timeout", "3600"])
        seconds = time.time() - start
        st = stats(origin)
        ok = st["requests"] - st["rateLimited"]
        share = st["rateLimited"] / max(1, st["requests"])
        achieved = ok / seconds / rate
        print("\nburst limit: %d pages (seed 2), token bucket %g req/s burst %d, X-RateLimit-* headers and Retry-After; "
              "no rate configured in tributaryd" % (n, rate, burst))
        print("  sync %.1f s (%s 10 s), %d requests, %d answered 429: share %.1f %% (target ≤ 2 %%: %s)"
              % (seconds, "≥" if seconds >= 10 else "SHORTER THAN", st["requests"], st["rateLimited"], share * 100,
                 verdict(share <= 0.02)))
        print("  achieved %.2f req/s = %.2f of R (target ≥ 0.90: %s)" % (ok / seconds, achieved, verdict(achieved >= 0.9)))
    finally:
        procs.close()


def listing_times(log):
    """The stage times of the first listing with bodies, from the daemon's log line about it."""
    with open(log) as f:
        for line in f:
            if " with bodies;" in line:
                return re.findall(r"\b(\w+_seconds)=\"?([0-9.]+)", line)
    return []


def wait_label_refresh(log, seconds):
    """When the daemon logged that it refreshed the labels (None if not within `seconds`)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(log) as f:
            if "refreshed the labels of" in f.read():
                return time.time()
        time.sleep(0.1)
    return None


def verdict(ok):
    return "met" if ok else "NOT met"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed (%d): %s %s" % (" ".join(cmd[:3]), r.returncode, r.stderr, r.stdout[-500:]))
    return r.stdout


def wait_file(path, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if os.path.exists(path):
            text = open(path).read().strip()
            if text: return text
        time.sleep(0.05)
    raise SystemExit("fake-confluence did not start")


def admin(origin, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(origin + path, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def reset(origin): admin(origin, "/_fake/stats/reset", {})
def stats(origin): return admin(origin, "/_fake/stats")


def listing(origin, token, with_body):
    """The v2 listing of GEN as a client sees it: yields each page."""
    auth = "Basic " + base64.b64encode((EMAIL + ":" + token).encode()).decode()
    req = urllib.request.Request(origin + "/wiki/api/v2/spaces?keys=GEN", headers={"Authorization": auth})
    with urllib.request.urlopen(req) as r:
        space = json.loads(r.read())["results"][0]["id"]
    url = origin + "/wiki/api/v2/spaces/%s/pages?limit=250%s" % (space, "&body-format=storage" if with_body else "")
    while url:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
            body = json.loads(r.read())
        yield from body["results"]
        nxt = body.get("_links", {}).get("next")
        url = origin + nxt if nxt else None


def warm(origin, token):
    """Lists every page with its body once (the fake caches each page's JSON); returns (pages, body bytes)."""
    pages = size = 0
    for page in listing(origin, token, True):
        pages += 1
        size += len(page["body"]["storage"]["value"].encode())
    return pages, size


def page_ids(origin, token):
    return [p["id"] for p in listing(origin, token, False)]


def count_sync_calls(trace):
    """Sync syscalls strace has logged so far, by name (an unfinished call counts once)."""
    if trace is None:
        return None
    counts = {}
    with open(trace) as f:
        for line in f:
            m = SYNC_LINE.search(line)
            if m:
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def cpu_seconds(pid):
    """(user, system) CPU seconds of a process, its threads included."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def proc_io(pid):
    try:
        with open("/proc/%d/io" % pid) as f:
            return {k: int(v) for k, v in (line.split(":") for line in f)}
    except OSError:
        return {}


def proc_status(pid):
    """The KiB figures of /proc/PID/status."""
    result = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                result[parts[0].rstrip(":")] = int(parts[1])
    return result


if __name__ == "__main__":
    main()
