"""`scripts/bench sync`: a 20,000-page space from the fake through the real daemon.

Prints, for a full sync and for an incremental resync with 1% of pages changed: time to
ready, requests made against the issue's bound, pages/s, and the daemon's peak RSS against
the 150 MB target. Also search latency through the socket when tributaryctl has bench-search.
"""
import json, math, os, random, shutil, signal, subprocess, sys, tempfile, time, urllib.request

def main():
    bin_dir, repo = sys.argv[1], sys.argv[2]
    pages = int(os.environ.get("TRIBUTARY_BENCH_PAGES", "20000"))
    work = tempfile.mkdtemp(prefix="tributary-bench-sync-")
    procs = []
    try:
        token = "bench-token-%d" % random.randrange(1 << 30)
        port_file = os.path.join(work, "port")
        fake = subprocess.Popen([os.path.join(repo, "scripts/fake-confluence"), "--port", "0", "--port-file", port_file,
                                 "--generate", str(pages), "--seed", "1", "--email", "b@example.com", "--token", token,
                                 "--max-seconds", "3600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(fake)
        port = wait_file(port_file)
        origin = "http://127.0.0.1:%s" % port
        with open(os.path.join(work, "token"), "w") as f:
            f.write(token)
        sock = os.path.join(work, "control.sock")
        log = open(os.path.join(work, "tributaryd.log"), "w")
        conf = os.path.join(work, "tributaryd.conf")
        with open(conf, "w") as f:
            f.write("default_rate_limit = 1000\nlog = stderr\n")
        # The same environment as systemd/tributaryd.service gives the daemon.
        env = dict(os.environ, MALLOC_ARENA_MAX="2")
        daemon = subprocess.Popen([os.path.join(bin_dir, "tributaryd"), "--state-dir", os.path.join(work, "state"),
                                   "--socket", sock, "--config", conf], stdout=log, stderr=log, env=env)
        procs.append(daemon)
        ctl = [os.path.join(bin_dir, "tributaryctl"), "--socket", sock]
        deadline = time.time() + 30
        while subprocess.run(ctl + ["health", "--json"], capture_output=True).returncode != 0:
            if time.time() > deadline: raise SystemExit("tributaryd did not start")
            time.sleep(0.05)
        reset(origin)
        start = time.time()
        run(ctl + ["create", "bench", "--url", origin + "/wiki/spaces/GEN", "--email", "b@example.com",
                   "--token-file", os.path.join(work, "token")])
        run(ctl + ["watch", "bench", "--until", "ready", "--timeout", "1800"], quiet=True)
        full_seconds = time.time() - start
        status = json.loads(run(ctl + ["status", "bench", "--json"]))
        full_requests = stats(origin)["requests"]
        indexed = status["pages"]["indexed"]
        discovered = status["pages"]["discovered"]
        rss_full = peak_rss(daemon.pid)
        full_bound = 2 * math.ceil(discovered / 250) + 5

        # Incremental: 1% of the indexed pages get a new version.
        ids = page_ids(origin, token)
        changed = random.Random(7).sample(ids, max(1, len(ids) // 100))
        for page_id in changed:
            admin(origin, "/_fake/pages/%s/edit" % page_id, {})
        reset(origin)
        start = time.time()
        run(ctl + ["resync", "bench"])
        time.sleep(0.2)
        run(ctl + ["watch", "bench", "--until", "ready", "--timeout", "1800"], quiet=True)
        incr_seconds = time.time() - start
        incr_requests = stats(origin)["requests"]
        incr_bound = math.ceil(discovered / 250) + math.ceil(len(changed) / 250) + 5
        rss_incr = peak_rss(daemon.pid)

        print("sync bench: %d pages listed, %d indexed (fake: %d generated, all statuses)" % (discovered, indexed, pages))
        print("  full sync        %7.2f s  %6.0f pages/s  requests %4d (bound 2⌈N/250⌉+5 = %d, ratio %.2f)"
              % (full_seconds, indexed / full_seconds, full_requests, full_bound, full_requests / full_bound))
        print("  incremental 1%%   %7.2f s  %6d changed   requests %4d (bound ⌈N/250⌉+⌈c/250⌉+5 = %d, ratio %.2f)"
              % (incr_seconds, len(changed), incr_requests, incr_bound, incr_requests / incr_bound))
        now = proc_status(daemon.pid)
        print("  peak RSS         %7.1f MB after full sync, %.1f MB after resync (target 150 MB, ratio %.2f)"
              % (rss_full / 1024, rss_incr / 1024, rss_incr / 1024 / 150))
        print("  RSS now          %7.1f MB: %.1f MB anonymous (heap), %.1f MB file-backed (the LMDB map, reclaimable page cache)"
              % (now.get("VmRSS", 0) / 1024, now.get("RssAnon", 0) / 1024, now.get("RssFile", 0) / 1024))
        state_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.join(work, "state")) for f in fs)
        print("  state on disk    %7.1f MB" % (state_bytes / 1048576))
        bench_search = subprocess.run(ctl + ["bench-search", "bench", "deploy rollback", "rotation certificate",
                                             "incident escalation", "--count", "500"], capture_output=True, text=True)
        if bench_search.returncode == 0:
            print("  search over the socket: " + bench_search.stdout.strip().replace("\n", "\n  "))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)

def run(cmd, quiet=False):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("%s failed (%d): %s %s" % (" ".join(cmd[:3]), r.returncode, r.stderr, r.stdout[-500:]))
    return r.stdout

def wait_file(path):
    deadline = time.time() + 60
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

def page_ids(origin, token):
    """Current page ids of GEN through the v2 listing, as a client sees them."""
    import base64
    auth = "Basic " + base64.b64encode(("b@example.com:" + token).encode()).decode()
    space = None
    req = urllib.request.Request(origin + "/wiki/api/v2/spaces?keys=GEN", headers={"Authorization": auth})
    with urllib.request.urlopen(req) as r:
        space = json.loads(r.read())["results"][0]["id"]
    ids, url = [], origin + "/wiki/api/v2/spaces/%s/pages?limit=250" % space
    while url:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
            body = json.loads(r.read())
        ids += [p["id"] for p in body["results"]]
        nxt = body.get("_links", {}).get("next")
        url = origin + nxt if nxt else None
    return ids

def peak_rss(pid):
    """VmHWM in KiB."""
    return proc_status(pid).get("VmHWM", 0)

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
