#!/usr/bin/env python3
"""Profile the Glint server under one wrk workload with `perf record -g`.

    python3 bench/profile.py [--images N] [--seconds S] [--conns C] WORKLOAD...

WORKLOAD: get_id, get_name, list1000, create, validate, token_auth, password_auth.
Starts target/release/glint on a temp data dir (populated through a --no-quotas instance,
then restarted with the default configuration), runs wrk while perf samples the server,
and prints the top self-time symbols and the top inclusive (children) frames from glint's
own crates.  Writes perf data under bench/results/profile-<workload>.data.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workloads", nargs="+")
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="glint-prof-")
    port = bench.free_port()
    logf = open(os.path.join(tmp, "serve.log"), "wb")
    gs = bench.GlintServer(os.path.join(bench.REPO, "target/release/glint"), os.path.join(tmp, "d"), port, logf)
    gs.start()
    base = f"http://127.0.0.1:{port}"
    t = bench.Target("glint", base + "/identity", base + "/image", "admin", bench.GLINT_PW, "admin",
                     lambda: [gs.pid], None, None)
    t.login()
    wrk = bench.Wrk(tmp)
    if a.images:
        bench.populate_any(t, wrk, a.images, 600, gs)
        t.login()
    iid = t.create_image("gbench-probe-name")
    specs = {
        "get_id": ("GET", f"{t.image}/v2/images/{iid}", {"X-Auth-Token": t.token}, None),
        "get_name": ("GET", f"{t.image}/v2/images?name=gbench-probe-name", {"X-Auth-Token": t.token}, None),
        "list1000": ("GET", f"{t.image}/v2/images?limit=1000", {"X-Auth-Token": t.token}, None),
        "create": ("POST", f"{t.image}/v2/images", {"X-Auth-Token": t.token, "Content-Type": "application/json"},
                   '{"name": "gbench-c", "disk_format": "raw", "container_format": "bare"}'),
        "validate": ("GET", f"{t.identity}/v3/auth/tokens", {"X-Auth-Token": t.token, "X-Subject-Token": t.token},
                     None),
        "token_auth": ("POST", f"{t.identity}/v3/auth/tokens", {"Content-Type": "application/json"},
                       json.dumps(t.token_body(t.token))),
        "password_auth": ("POST", f"{t.identity}/v3/auth/tokens", {"Content-Type": "application/json"},
                          json.dumps(t.password_body())),
    }
    os.makedirs(os.path.join(bench.HERE, "results"), exist_ok=True)
    try:
        for w in a.workloads:
            method, url, hdr, body = specs[w]
            data = os.path.join(bench.HERE, "results", f"profile-{w}.data")
            perf = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-o", data, "-p", str(gs.pid), "--",
                                     "sleep", str(a.seconds + 1)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            r = wrk.fixed(url, method, hdr, body, a.conns, a.seconds)
            perf.wait()
            print(f"\n==== {w} @{a.conns}: {r['rps']:,.0f} req/s, p50 {r['lat_us']['50'] / 1000:.2f} ms, "
                  f"p99 {r['lat_us']['99'] / 1000:.2f} ms, errors {r['errors']}")
            rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio", "-g", "none",
                                  "--percent-limit", "0.7", "--sort", "symbol"], capture_output=True, text=True)
            lines = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
            print("-- self time (top symbols):")
            print("\n".join(lines[: a.top]))
            rep = subprocess.run(["perf", "report", "-i", data, "--children", "--stdio", "-g", "none",
                                  "--percent-limit", "3", "--sort", "symbol"], capture_output=True, text=True)
            lines = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")
                     and ("glint" in ln or "sqlx" in ln or "sqlite3" in ln or "serde" in ln or "argon" in ln)]
            print("-- inclusive time (glint / sqlx / sqlite / serde frames):")
            print("\n".join(lines[: a.top]))
    finally:
        gs.stop()
        logf.close()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
