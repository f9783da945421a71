"""`scripts/bench crash`: kill -9 at random moments during a large sync, then compare with an uninterrupted run.

Issue #12's crash test at full size: one fake Confluence serves a generated N-page space (default
20,000, `--corpus debian` as in `scripts/bench sync`). Against it, one after the other:
  - reference: a fresh tributaryd syncs the space create -> ready, uninterrupted;
  - crashed: a fresh tributaryd on its own state directory syncs the same space and is killed
    with SIGKILL K times (default 10) at random moments, each time started again on the same
    state, then runs to ready.
Both daemons start with the same credits (`initial_credits`), so the balance is enforced and a
page version charged twice would show. Each state directory is then read by `TributaryBench
fingerprint` (Engine's StateFingerprint: manifest, chunks per page, index statistics, ranked
results of fixed queries, index audit, charges and balance), and the two are compared section by
section. Exits 1 when anything differs.

Usage: bench_crash.py BIN_DIR REPO [--pages N] [--kills K] [--seed S]
"""
import argparse, hashlib, json, os, random, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_sync import EMAIL, Procs, run, start_daemon, start_fake, warm  # noqa: E402

QUERIES = ["vacuum autovacuum", "replication slot", "create index concurrently", "\"write ahead log\"",
           "foreign key constraint", "pg_dump restore"]
INITIAL_CREDITS = 1_000_000
SECTIONS = [("manifest", "manifest entries"), ("chunks", "chunks per page"), ("statistics", "index statistics"),
            ("search", "ranked results"), ("audit", "index audit problems"), ("charge", "charges"),
            ("duplicate_charges", "duplicate charges"), ("balance", "balance")]


def main():
    p = argparse.ArgumentParser(prog="scripts/bench crash")
    p.add_argument("bin_dir"); p.add_argument("repo")
    p.add_argument("--pages", type=int, default=20000)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=None, help="seed of the kill moments (default: random, printed)")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    config = "default_rate_limit = 1000\nlog = stderr\ninitial_credits = %d\n" % INITIAL_CREDITS
    procs = Procs()
    try:
        token, token_file = procs.token()
        origin, gen_seconds = start_fake(procs, args.repo, args.pages, 1, token)
        listed, _ = warm(origin, token)
        print("crash bench: %d-page space (seed 1, PostgreSQL manual text, %d listed), generated in %.1f s; "
              "%d kills, kill seed %d; load average %.2f" % (args.pages, listed, gen_seconds, args.kills, seed,
                                                            os.getloadavg()[0]), flush=True)
        create = ["create", "gen", "--url", origin + "/wiki/spaces/GEN", "--email", EMAIL, "--token-file", token_file]

        # The uninterrupted run.
        proc, ctl = start(procs, args.bin_dir, "reference", config)
        start_time = time.time()
        run(ctl + create)
        run(ctl + ["watch", "gen", "--until", "ready", "--timeout", "3600"])
        reference_seconds = time.time() - start_time
        stop(proc)
        print("  reference: create → ready in %.2f s, uninterrupted" % reference_seconds, flush=True)

        # The same sync, killed with SIGKILL at random moments spread over the whole of it: each
        # kill waits for a random share of the pages to be indexed (the shares sorted), then a
        # random fraction of a second more, so a kill falls before a commit, inside one or after it.
        proc, ctl = start(procs, args.bin_dir, "crashed", config)
        start_time = time.time()
        run(ctl + create)
        at_kill = []
        targets = sorted(rng.uniform(0.02, 0.95) * listed for _ in range(args.kills))
        for target in targets:
            state, indexed = status(ctl)
            while state != "ready" and indexed < target:
                time.sleep(0.1)
                state, indexed = status(ctl)
            time.sleep(rng.uniform(0, 0.5))
            state, indexed = status(ctl)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            at_kill.append((state, indexed))
            proc, ctl = start(procs, args.bin_dir, "crashed", config)
        run(ctl + ["watch", "gen", "--until", "ready", "--timeout", "3600"])
        crashed_seconds = time.time() - start_time
        stop(proc)
        mid_sync = sum(1 for state, _ in at_kill if state != "ready")
        print("  crashed:   create → ready in %.2f s with %d kills, %d of them mid-sync; at each kill (state, pages indexed): %s"
              % (crashed_seconds, len(at_kill), mid_sync, ", ".join("%s %d" % kill for kill in at_kill)), flush=True)

        reference = fingerprint(args.bin_dir, procs.work, "reference")
        crashed = fingerprint(args.bin_dir, procs.work, "crashed")
        same = True
        for section, label in SECTIONS:
            a, b = reference["sections"].get(section, []), crashed["sections"].get(section, [])
            equal = a == b
            same = same and equal
            print("  %-22s %s   reference %s (%d lines), crashed %s (%d lines)"
                  % (label, "identical" if equal else "DIFFERENT", digest(a), len(a), digest(b), len(b)))
            if not equal:
                only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
                for line in only_a[:3]: print("      only in reference: " + line[:200])
                for line in only_b[:3]: print("      only in crashed:   " + line[:200])
        print("  page counts            reference %s; crashed %s" % (counts(reference), counts(crashed)))
        print("  credits                reference %d charges, balance %s; crashed %d charges, balance %s (of %d initial)"
              % (len(reference["sections"].get("charge", [])), credits(reference), len(crashed["sections"].get("charge", [])),
                 credits(crashed), INITIAL_CREDITS))
        audit_clean = not reference["sections"].get("audit") and not crashed["sections"].get("audit")
        no_duplicates = value(crashed, "duplicate_charges") == "0"
        enough = mid_sync >= (len(at_kill) + 1) // 2
        print("  verdict                %s (identical: %s; audit clean: %s; no duplicate charge: %s; %d of %d kills mid-sync)"
              % ("met" if same and audit_clean and no_duplicates and enough else "NOT met", same, audit_clean,
                 no_duplicates, mid_sync, len(at_kill)))
        sys.exit(0 if same and audit_clean and no_duplicates and enough else 1)
    finally:
        procs.close()


def start(procs, bin_dir, name, config):
    """tributaryd on `name`'s state directory (kept across restarts); returns (process, ctl)."""
    start_daemon(procs, bin_dir, name, config)
    return procs.procs[-1], [os.path.join(bin_dir, "tributaryctl"), "--socket", os.path.join(procs.work, name + ".sock")]


def status(ctl):
    """(state, pages indexed) of the datastore, or ("?", -1) while the daemon cannot answer."""
    r = subprocess.run(ctl + ["status", "gen", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        return "?", -1
    body = json.loads(r.stdout)
    return body.get("state", "?"), body.get("pages", {}).get("indexed", -1)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit("tributaryd did not stop within 60 s of SIGTERM")


def fingerprint(bin_dir, work, name):
    out = os.path.join(work, name + ".fingerprint")
    r = subprocess.run([os.path.join(bin_dir, "TributaryBench"), "fingerprint", os.path.join(work, name + "-state"), "gen", out]
                       + QUERIES, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("fingerprint of %s failed: %s" % (name, r.stderr[-2000:]))
    sections = {}
    with open(out) as f:
        for line in f:
            section, _, rest = line.rstrip("\n").partition(" ")
            sections.setdefault(section, []).append(rest)
    return {"sections": sections, "dispositions": json.loads(r.stdout.strip().splitlines()[-1])}


def digest(lines):
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def counts(fp):
    return ", ".join("%s %d" % kv for kv in sorted(fp["dispositions"].items()))


def credits(fp):
    """The balance in credits (the fingerprint holds millicredits)."""
    balance = value(fp, "balance")
    return "%.3f" % (int(balance) / 1000) if balance.lstrip("-").isdigit() else balance


def value(fp, section):
    lines = fp["sections"].get(section, [])
    return lines[0] if lines else "?"


if __name__ == "__main__":
    main()
