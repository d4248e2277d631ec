#!/usr/bin/env python3
"""Glint benchmark harness (issue 7): Glint vs genuine Keystone + Glance, side by side.

Run through bench/run.sh.  Stdlib only; the load generator is wrk (one thread, LuaJIT
scripts generated here), transfers use curl, CLI timings use subprocess.  Every figure
of a comparison is measured in the same run.  Results: bench/results/<stamp>.{json,md}.
"""

import argparse
import datetime
import http.client as httpclient
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GLINT_PW = "bench-admin-pw"
MiB = 1 << 20
GiB = 1 << 30

# --------------------------------------------------------------------------- utils


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, headers=None, body=None, timeout=600):
    u = urllib.parse.urlsplit(url)
    conn = httpclient.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path + ("?" + u.query if u.query else "")
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers = dict(headers or {}, **{"Content-Type": "application/json"})
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, hdrs, data


def http_json(method, url, token=None, body=None, ok=(200, 201, 202, 204)):
    h = {"Accept": "application/json"}
    if token:
        h["X-Auth-Token"] = token
    st, hd, data = http(method, url, h, body)
    if st not in ok:
        raise RuntimeError(f"{method} {url} -> {st}: {data[:300]!r}")
    return st, hd, (json.loads(data) if data else None)


def median(xs):
    return statistics.median(xs) if xs else None


def rss_kib(pids):
    tot = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        tot += int(line.split()[1])
        except OSError:
            pass
    return tot


def children(pid):
    """pid and all its descendants (uwsgi master + workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


class RssSampler:
    def __init__(self, pids, interval=0.02):
        self.pids, self.interval = pids, interval
        self.base = rss_kib(pids)
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pids))
            time.sleep(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_kib(self.pids))


META = {}
BUILD_COMMS = {"cargo", "rustc", "cc1", "cc1plus", "ld", "ld.lld", "mold", "clippy-driver"}


def builds_running():
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in BUILD_COMMS:
                found.append(comm)
    return found


def wait_quiet(meta, phase, max_wait=900):
    """Never measure during a cargo build: wait (bounded) until no compiler runs."""
    t0 = time.time()
    while True:
        b = builds_running()
        if not b:
            break
        if time.time() - t0 > max_wait:
            log(f"still building ({', '.join(sorted(set(b)))}) after {max_wait}s: measuring anyway")
            break
        if time.time() - t0 < 1:
            log(f"waiting for builds to finish: {', '.join(sorted(set(b)))}")
        time.sleep(3)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    meta.setdefault("phases", {})[phase] = dict(waited_s=round(time.time() - t0, 1), loadavg_1m=float(load),
                                               builds_running=bool(builds_running()))


COLD_READS = 3  # cold-cache dd reads for the machine's limit; the median is reported
PAIRED_ROUNDS = 10  # cold downloads, each next to a cold dd read of the same file


def sustained(rates):
    """The rate over all rounds together (total bytes / total seconds, rounds of one size).
    Cold reads here are bimodal (below), and a median of a few rounds jumps between the two
    modes depending on how many fast turns each side drew; the total uses every round."""
    return len(rates) / sum(1 / r for r in rates)


def drop_caches():
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------ targets


class Target:
    """A cloud under test: identity base (…/v3 appended), image base (…/v2 appended)."""

    def __init__(self, name, identity, image, user, password, project, pids_fn, cli, env):
        self.name, self.identity, self.image = name, identity, image
        self.user, self.password, self.project = user, password, project
        self.pids_fn, self.cli, self.env = pids_fn, cli, env
        self.token = None
        self.created = []  # ids to clean up (reference)
        self.store_dir = None  # where its file store keeps image files (data phase)

    def password_body(self):
        return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.user, "domain": {"name": "Default"}, "password": self.password}}},
            "scope": {"project": {"name": self.project, "domain": {"name": "Default"}}}}}

    def token_body(self, tok):
        return {"auth": {"identity": {"methods": ["token"], "token": {"id": tok}},
                         "scope": {"project": {"name": self.project, "domain": {"name": "Default"}}}}}

    def login(self):
        st, hd, _ = http_json("POST", self.identity + "/v3/auth/tokens", body=self.password_body())
        self.token = hd["x-subject-token"]
        return self.token

    def create_image(self, name, **extra):
        body = {"name": name, "disk_format": "raw", "container_format": "bare", **extra}
        _, _, img = http_json("POST", self.image + "/v2/images", self.token, body)
        self.created.append(img["id"])
        return img["id"]

    def delete_image(self, iid):
        http_json("DELETE", f"{self.image}/v2/images/{iid}", self.token, ok=(204, 404))

    def list_ids(self, query="", prefix=None):
        ids, url = [], f"{self.image}/v2/images?limit=1000{query}"
        while url:
            _, _, page = http_json("GET", url, self.token)
            ids += [i["id"] for i in page["images"] if i.get("status") != "deleted"
                    and (prefix is None or (i.get("name") or "").startswith(prefix))]
            nxt = page.get("next")
            url = (self.image + nxt) if nxt else None
        return ids


def start_glint(binary, data_dir, port, logf, extra=()):
    env = dict(os.environ, GLINT_ADMIN_PASSWORD=GLINT_PW)
    env.pop("GLINT_LOG", None)
    return subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
         "--public-url", f"http://127.0.0.1:{port}", *extra],
        stdout=logf, stderr=subprocess.STDOUT, env=env, start_new_session=True)


class GlintServer:
    """The Glint under test; restartable (bulk population runs on a --no-quotas instance)."""

    def __init__(self, binary, data_dir, port, logf):
        self.binary, self.data_dir, self.port, self.logf = binary, data_dir, port, logf
        self.proc = None

    def start(self, extra=()):
        self.proc = start_glint(self.binary, self.data_dir, self.port, self.logf, extra)
        return wait_token(self.port)

    def stop(self):
        if self.proc is not None:
            stop_proc(self.proc)

    @property
    def pid(self):
        return self.proc.pid


def wait_token(port, deadline_s=30, poll=0.002):
    """Seconds until the first successful password-auth token (201), polling."""
    body = json.dumps(Target("", "", "", "admin", GLINT_PW, "admin", None, None, None).password_body())
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < deadline_s:
        try:
            st, _, _ = http("POST", f"http://127.0.0.1:{port}/identity/v3/auth/tokens",
                            {"Content-Type": "application/json"}, body, timeout=5)
            if st == 201:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(poll)
    raise RuntimeError("glint did not issue a token in time")


def stop_proc(p, timeout=30):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------------------- wrk

LUA_COMMON = r"""
local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_nsec; } gb_timespec;
int clock_gettime(int clk, gb_timespec *tp);
int getpid(void);
long syscall(long number, ...);
]])
local gb_ts = ffi.new("gb_timespec")
local function gb_now() ffi.C.clock_gettime(1, gb_ts); return tonumber(gb_ts.tv_sec) + tonumber(gb_ts.tv_nsec) * 1e-9 end
local gb_threads = {}
function setup(thread) table.insert(gb_threads, thread) end
local function gb_json(summary, latency, extra)
  local e = summary.errors
  local ps = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do ps[#ps+1] = string.format('"%s": %d', tostring(p), latency:percentile(p)) end
  io.write(string.format('\nGBJSON {"duration_us": %d, "requests": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "lat_us": {%s}, "lat_mean_us": %f, "lat_max_us": %d%s}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(ps, ", "), latency.mean, latency.max, extra or ""))
end
"""

# time-bounded: fixed request, no response() callback (keeps wrk's per-request cost low)
LUA_FIXED = LUA_COMMON + r"""
wrk.method = @METHOD@
wrk.path = @PATH@
@HEADERS@
wrk.body = @BODY@
function done(summary, latency, requests) gb_json(summary, latency) end
"""

# count-bounded: stop after `count` responses (or when the id pool is exhausted); the rate is
# computed from LuaJIT's monotonic clock, first request to last response (wrk itself always
# sleeps the whole -d).  ok/bad/t0/t1 are thread globals, read back in done() via thread:get.
LUA_COUNTED = LUA_COMMON + r"""
local count = @COUNT@
local ids = {}
local idfile = @IDFILE@
if idfile ~= nil then for line in io.lines(idfile) do ids[#ids+1] = line end; count = math.min(count, #ids) end
local sent, finished = 0, false
ok, bad, t0, t1 = 0, 0, 0, 0
@HEADERS@
function request()
  if t0 == 0 then t0 = gb_now() end
  sent = sent + 1
  if idfile ~= nil then
    local id = ids[sent] or "00000000-0000-0000-0000-000000000000"
    return wrk.format(@METHOD@, @PATH@ .. id, nil, nil)
  end
  return wrk.format(@METHOD@, @PATH@, nil, string.format(@BODY@, sent))
end
function response(status, headers, body)
  if status < 300 then ok = ok + 1 else bad = bad + 1 end
  t1 = gb_now()
  if ok + bad >= count and not finished then
    finished = true
    wrk.thread:stop()
    -- wrk's main thread sleeps for the whole -d: SIGINT it (tgkill to the main thread, tid == pid)
    local pid = ffi.C.getpid()
    ffi.C.syscall(234, ffi.cast("long", pid), ffi.cast("long", pid), ffi.cast("long", 2))
  end
end
function done(summary, latency, requests)
  local o, b, t = 0, 0, 0
  for _, th in ipairs(gb_threads) do
    o = o + th:get("ok"); b = b + th:get("bad"); t = math.max(t, th:get("t1") - th:get("t0"))
  end
  gb_json(summary, latency, string.format(', "counted_ok": %d, "counted_bad": %d, "counted_s": %f', o, b, t))
end
"""


def lua_fill(tpl, **kw):
    for k, v in kw.items():
        tpl = tpl.replace("@" + k.upper() + "@", v)
    return tpl


def lua_str(s):
    return "nil" if s is None else json.dumps(s)  # JSON string escapes are valid Lua


def lua_headers(h):
    return "\n".join(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}" for k, v in h.items())


class Wrk:
    def __init__(self, tmpdir, timeout_s=30):
        self.tmpdir, self.timeout_s, self.n = tmpdir, timeout_s, 0

    def _run(self, script, url, conns, duration):
        self.n += 1
        path = os.path.join(self.tmpdir, f"w{self.n}.lua")
        with open(path, "w") as f:
            f.write(script)
        cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", f"--timeout={self.timeout_s}s", "-s", path, url]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + self.timeout_s + 60)
        for line in p.stdout.splitlines():
            if line.startswith("GBJSON "):
                return json.loads(line[7:])
        raise RuntimeError(f"wrk failed: {p.stdout[-500:]} {p.stderr[-500:]}")

    def fixed(self, url, method, headers, body, conns, duration):
        u = urllib.parse.urlsplit(url)
        path = u.path + ("?" + u.query if u.query else "")
        script = lua_fill(LUA_FIXED, method=lua_str(method), path=lua_str(path), headers=lua_headers(headers),
                          body=lua_str(body))
        r = self._run(script, f"{u.scheme}://{u.netloc}", conns, duration)
        dur = r["duration_us"] / 1e6
        r["rps"] = r["requests"] / dur if dur else 0
        r["ok"] = r["requests"] - r["errors"]["status"]
        return r

    def counted(self, url, method, headers, count, conns, duration, body_fmt=None, idfile=None):
        """count-bounded; body_fmt is a Lua format string with one %d (request number)."""
        u = urllib.parse.urlsplit(url)
        path = u.path + ("?" + u.query if u.query else "")
        script = lua_fill(LUA_COUNTED, count=str(int(count)), idfile=lua_str(idfile), method=lua_str(method),
                          path=lua_str(path), headers=lua_headers(headers), body=lua_str(body_fmt))
        r = self._run(script, f"{u.scheme}://{u.netloc}", conns, duration)
        t = r["counted_s"]
        r["ok"] = r["counted_ok"]
        if idfile:  # requests past the end of the pool (at most one per connection) 404 by design
            r["errors"]["status"] = max(0, r["errors"]["status"] - conns)
        r["rps"] = r["ok"] / t if t else 0
        return r


# ------------------------------------------------------------------------ results


class Results:
    def __init__(self):
        self.rows = []  # dicts: section, figure, unit, glint, ref, better ('higher'|'lower'), note

    def add(self, section, figure, unit, glint, ref=None, better="higher", note="", raw=None):
        row = dict(section=section, figure=figure, unit=unit, glint=glint, ref=ref, better=better, note=note)
        if raw is not None:
            row["raw"] = raw
        self.rows.append(row)
        log(f"{figure}: glint={fmt(glint, unit)} ref={fmt(ref, unit)} {note}")

    @staticmethod
    def ratio(row):
        g, r = row["glint"], row["ref"]
        if not isinstance(g, (int, float)) or not isinstance(r, (int, float)) or not g or not r:
            return None
        return g / r if row["better"] == "higher" else r / g

    def markdown(self):
        out, section = [], None
        order = list(dict.fromkeys(r["section"] for r in self.rows))
        for row in sorted(self.rows, key=lambda r: order.index(r["section"])):
            if row["section"] != section:
                section = row["section"]
                out += ["", f"### {section}", "", "| figure | Glint | reference | ratio | note |",
                        "|---|---:|---:|---:|---|"]
            rt = self.ratio(row)
            out.append(f"| {row['figure']} | {fmt(row['glint'], row['unit'])} | {fmt(row['ref'], row['unit'])} | "
                       f"{'' if rt is None else f'{rt:,.1f}×'} | {row['note']} |")
        return "\n".join(out).lstrip() + "\n"


def fmt(v, unit):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if unit == "s":
        return f"{v:.3f} s" if v >= 0.1 else f"{v * 1000:.1f} ms"
    if unit == "ms":
        return f"{v:.2f} ms" if v < 10 else f"{v:,.0f} ms"
    if unit == "req/s":
        return f"{v:,.0f}/s" if v >= 10 else f"{v:.2f}/s"
    if unit == "MB/s":
        return f"{v:,.0f} MB/s"
    if unit == "MiB":
        return f"{v:,.1f} MiB"
    if unit == "n":
        return f"{v:,.0f}"
    if unit == "%":
        return f"{v:.0f}%"
    return f"{v} {unit}"


# ------------------------------------------------------------------------ phases


def cli_phase(res, cfg, targets, tmp):
    """CLI wall time (median of N) and HTTP request count per command."""
    n = cfg.cli_runs
    g, ref = targets.get("glint"), targets.get("reference")
    # A name of this run's own: an earlier run's probe can outlive it (Glance once kept one
    # in status `deleted` that it would neither list as gone nor delete again), and
    # `image show NAME` then finds two.
    show_name = f"gbench-cli-show-{os.getpid()}-{int(time.time())}"
    for t in targets.values():
        t.create_image(show_name)

    def run(cmdline, env, debug=False):
        args = list(cmdline)
        if debug:
            args.insert(1, "--debug")
        t0 = time.perf_counter()
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {p.stderr[-800:]}")
        nreq = sum(1 for line in p.stderr.splitlines() if line.lstrip().startswith("REQ: "))
        return dt, nreq

    def timings(target, client, cmd, cache):
        """cache: None (openstack), 'cold' or 'warm' (glint)."""
        env = dict(target.env)
        cachedir = os.path.join(tmp, f"cache-{target.name}")
        env["GLINT_CACHE_DIR"] = cachedir
        binary = cfg.glint if client == "glint" else cfg.openstack
        times = []
        if cache == "warm":
            shutil.rmtree(cachedir, ignore_errors=True)
            run([binary, "token", "issue"], env)  # fill token + discovery cache
        for i in range(n + 1):  # +1: the request-count run (--debug, untimed)
            if cache == "cold":
                shutil.rmtree(cachedir, ignore_errors=True)
            args = [binary] + cmd
            if cmd[:2] == ["image", "delete"]:
                name = f"gbench-cli-del-{client}-{cache}-{i}"
                target.create_image(name)
                args = [binary, "image", "delete", name]
            dt, nreq = run(args, env, debug=(i == n))
            if i == n:
                count = nreq
            else:
                times.append(dt)
        return median(times), count, times

    cmds = [("image list", ["image", "list"]), ("image show NAME", ["image", "show", show_name]),
            ("image delete NAME", ["image", "delete", "X"]), ("token issue", ["token", "issue"])]
    for label, cmd in cmds:
        o = timings(ref, "openstack", cmd, None) if ref else (None, None, [])
        cold = timings(g, "glint", cmd, "cold")
        warm = timings(g, "glint", cmd, "warm")
        res.add("CLI wall time (median)", f"`{label}` — glint cold cache vs openstack", "s", cold[0], o[0], "lower",
                raw=dict(glint=cold[2], ref=o[2]))
        res.add("CLI wall time (median)", f"`{label}` — glint warm cache vs openstack", "s", warm[0], o[0], "lower",
                raw=dict(glint=warm[2], ref=o[2]))
        res.add("CLI HTTP requests per command", f"`{label}` — cold / warm (openstack)", "",
                f"{cold[1]} / {warm[1]}", None if o[1] is None else f"{o[1]}", "lower")
        if cfg.openstack_vs_glint:
            og = timings(g, "openstack", cmd, None)
            res.add("CLI wall time (median)", f"`{label}` — `openstack` against Glint (client cost)", "s", og[0],
                    o[0], "lower", note="same client, both servers")


def settle(t):
    """wrk leaves up to -c requests queued when it stops; a slow server (uwsgi with 2 workers)
    would serve that backlog during the next case.  A request to each API waits behind it."""
    for url in (t.identity + "/v3", t.image + "/versions"):
        try:
            http("GET", url, timeout=120)
        except OSError:
            pass


def populate(t, wrk, count, cap_s, conns=16, prefix="gbench-p"):
    """Create `count` images through the API (POST /v2/images), stopping after cap_s seconds."""
    if count <= 0:
        return 0
    body = '{"name": "' + prefix + '-%d", "disk_format": "raw", "container_format": "bare"}'
    hdr = {"X-Auth-Token": t.token, "Content-Type": "application/json"}
    r = wrk.counted(t.image + "/v2/images", "POST", hdr, count, conns, max(1, int(cap_s)), body_fmt=body)
    settle(t)
    return r["ok"]


def populate_any(t, wrk, count, cap_s, server, prefix="gbench-p"):
    """Glint: through the API of a --no-quotas instance on the same data dir (the per-create
    quota usage query is O(images of the owner), which makes POST slow on big data sets),
    then restarted with the default configuration.  Reference: its API, capped in time."""
    if t.name != "glint":
        return populate(t, wrk, count, cap_s, prefix=prefix)
    server.stop()
    server.start(["--no-quotas"])
    try:
        return populate(t, wrk, count, cap_s, prefix=prefix)
    finally:
        server.stop()
        server.start()


def server_case(res, wrk, cfg, label, make, targets, conns_list, note_fn=None, section="Server (wrk, loopback)"):
    """make(target) -> dict(url, method, headers, body) for a fixed, time-bounded workload."""
    outs = {}
    for c in conns_list:
        wait_quiet(META, f"{label} @{c}")
        out = {}
        for name, t in targets.items():
            spec = make(t)
            out[name] = wrk.fixed(spec["url"], spec["method"], spec.get("headers", {}), spec.get("body"), c,
                                  cfg.duration)
            settle(t)
        add_server_rows(res, section, f"{label} @{c}", out, note_fn(c) if note_fn else "")
        outs[c] = out
    return outs


def add_server_rows(res, section, label, out, note=""):
    g, r = out.get("glint"), out.get("reference")

    def errs(x):
        if not x:
            return ""
        e = x["errors"]
        bad = e["status"] + e["connect"] + e["read"] + e["write"] + e["timeout"]
        return f"{bad} errors " if bad else ""
    extra = (errs(g) and "glint: " + errs(g)) + (errs(r) and "ref: " + errs(r))
    res.add(section, f"{label} — req/s", "req/s", g and g["rps"], r and r["rps"], "higher",
            note=(note + " " + extra).strip(), raw=dict(glint=g, ref=r))
    res.add(section, f"{label} — p50", "ms", g and g["lat_us"]["50"] / 1000, r and r["lat_us"]["50"] / 1000, "lower")
    res.add(section, f"{label} — p99", "ms", g and g["lat_us"]["99"] / 1000, r and r["lat_us"]["99"] / 1000, "lower")


def server_phase(res, cfg, targets, wrk, tmp):
    conns = cfg.conns
    counts, pop_s = {}, {}
    # ---- populate to 10k (reference: capped in time; report what was reached)
    for name, t in targets.items():
        want = cfg.images_small
        cap = cfg.populate_cap_glint if name == "glint" else cfg.populate_cap_ref
        t0 = time.perf_counter()
        got = populate_any(t, wrk, want, cap, cfg.server)
        counts[name] = got
        pop_s[name] = time.perf_counter() - t0
        log(f"{name}: populated {got}/{want} images in {pop_s[name]:.1f}s")
    note10 = f"images: glint {counts.get('glint', 0):,}, ref {counts.get('reference', 0):,}"
    res.add("Data sets", f"images present for the \"{cfg.images_small // 1000}k\" cases", "n",
            counts.get("glint"), counts.get("reference"), "higher",
            note="created via POST /v2/images at 16 connections in " +
                 ", ".join(f"{k} {v:.0f} s" for k, v in pop_s.items()) +
                 f" (glint on a --no-quotas instance; reference capped at {cfg.populate_cap_ref} s)")
    probe = {}
    for name, t in targets.items():
        iid = t.create_image("gbench-probe-name")
        probe[name] = iid

    def get_id(t):
        return dict(url=f"{t.image}/v2/images/{probe[t.name]}", method="GET", headers={"X-Auth-Token": t.token})

    def get_name(t):
        return dict(url=f"{t.image}/v2/images?name=gbench-probe-name", method="GET", headers={"X-Auth-Token": t.token})

    def list1000(t):
        return dict(url=f"{t.image}/v2/images?limit=1000", method="GET", headers={"X-Auth-Token": t.token})

    server_case(res, wrk, cfg, "GET /v2/images/{id}", get_id, targets, conns, lambda c: note10)
    server_case(res, wrk, cfg, "GET /v2/images?name=", get_name, targets, conns, lambda c: note10)
    server_case(res, wrk, cfg, f"GET /v2/images?limit=1000 ({cfg.images_small // 1000}k)", list1000, targets, conns,
                lambda c: note10)

    # ---- image create (time-bounded POST); the created images become the DELETE pool
    def create(t):
        return dict(url=f"{t.image}/v2/images", method="POST",
                    headers={"X-Auth-Token": t.token, "Content-Type": "application/json"},
                    body='{"name": "gbench-c", "disk_format": "raw", "container_format": "bare"}')
    outs = server_case(res, wrk, cfg, "POST /v2/images", create, targets, conns)
    for name in targets:
        counts[name] += sum(o[name]["ok"] for o in outs.values())

    # ---- 100k (full run): grow Glint to 100k; the reference gets another capped slice
    if cfg.images_large:
        for name, t in targets.items():
            want = cfg.images_large - counts[name]
            cap = cfg.populate_cap_glint_large if name == "glint" else cfg.populate_cap_ref
            t0 = time.perf_counter()
            got = populate_any(t, wrk, want, cap, cfg.server, prefix="gbench-q")
            counts[name] += got
            pop_s[name] = time.perf_counter() - t0
            log(f"{name}: now {counts[name]} images (+{got} in {time.perf_counter() - t0:.1f}s)")
        note100 = f"images: glint {counts.get('glint', 0):,}, ref {counts.get('reference', 0):,}"
        res.add("Data sets", f"images present for the \"{cfg.images_large // 1000}k\" cases", "n",
                counts.get("glint"), counts.get("reference"), "higher",
                note="grown from the 10k set in " + ", ".join(f"{k} {v:.0f} s" for k, v in pop_s.items()))
        server_case(res, wrk, cfg, f"GET /v2/images?limit=1000 ({cfg.images_large // 1000}k)", list1000, targets,
                    conns, lambda c: note100)
        server_case(res, wrk, cfg, f"GET /v2/images?name= ({cfg.images_large // 1000}k)", get_name, targets, [4],
                    lambda c: note100)
        server_case(res, wrk, cfg, f"GET /v2/images/{{id}} ({cfg.images_large // 1000}k)", get_id, targets, [4],
                    lambda c: note100)
        server_case(res, wrk, cfg, f"POST /v2/images ({cfg.images_large // 1000}k)", create, targets, [4],
                    lambda c: note100)
    counts["final"] = dict(counts)

    # ---- DELETE: count-bounded over a pool of ids (glint: the POST-benchmark images;
    #      reference: every image this run created, it has few)
    pools = {}
    for name, t in targets.items():
        if name == "glint":
            pools[name] = t.list_ids("&name=gbench-c")
        else:
            pools[name] = [i for i in t.list_ids(prefix="gbench-") if i not in t.preexisting and i != probe[name]]
    for idx, c in enumerate(conns):
        out, note = {}, []
        for name, t in targets.items():
            ids = pools[name]
            share = len(ids) // (len(conns) - idx) if ids else 0
            mine, pools[name] = ids[:share], ids[share:]
            f = os.path.join(tmp, f"del-{name}-{c}.txt")
            with open(f, "w") as fh:
                fh.write("\n".join(mine) + "\n")
            if not mine:
                continue
            out[name] = wrk.counted(f"{t.image}/v2/images/", "DELETE", {"X-Auth-Token": t.token}, len(mine), c,
                                    cfg.duration, idfile=f)
            settle(t)
            note.append(f"{name}: {out[name]['ok']} deleted")
        add_server_rows(res, "Server (wrk, loopback)", f"DELETE /v2/images/{{id}} @{c}", out, ", ".join(note))

    # ---- identity
    def validate(t):
        return dict(url=f"{t.identity}/v3/auth/tokens", method="GET",
                    headers={"X-Auth-Token": t.token, "X-Subject-Token": t.token})

    def pw_auth(t):
        return dict(url=f"{t.identity}/v3/auth/tokens", method="POST", headers={"Content-Type": "application/json"},
                    body=json.dumps(t.password_body()))

    def tok_auth(t):
        return dict(url=f"{t.identity}/v3/auth/tokens", method="POST", headers={"Content-Type": "application/json"},
                    body=json.dumps(t.token_body(t.token)))
    server_case(res, wrk, cfg, "GET /v3/auth/tokens (validate)", validate, targets, conns)
    server_case(res, wrk, cfg, "POST /v3/auth/tokens (password)", pw_auth, targets, conns)
    server_case(res, wrk, cfg, "POST /v3/auth/tokens (token method)", tok_auth, targets, conns)
    return counts


def rate(size, argv):
    """MB/s of one run of argv over `size` bytes."""
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return size / (time.perf_counter() - t0) / 1e6


def machine_limits(path, size):
    """Write (dd conv=fsync), cold/warm read, md5sum, sha512sum, both in parallel. MB/s = 1e6 B/s."""
    lim = {}
    out = path + ".dd"
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)  # source in page cache
    lim["dd_write"] = rate(size, ["dd", f"if={path}", f"of={out}", "bs=4M", "conv=fsync", "status=none"])
    read_out = ["dd", f"if={out}", "of=/dev/null", "bs=4M", "status=none"]
    # Cold reads swing ±30% from one to the next on this shared host: median of COLD_READS.
    cold = []
    for _ in range(COLD_READS):
        lim["cold_cache"] = drop_caches()
        cold.append(rate(size, read_out))
    lim["disk_read_cold"] = statistics.median(cold)
    lim["read_warm"] = rate(size, read_out)
    os.unlink(out)
    for tool in ("md5sum", "sha512sum"):
        t0 = time.perf_counter()
        p = subprocess.run([tool, path], capture_output=True, text=True, check=True)
        lim[tool] = size / (time.perf_counter() - t0) / 1e6
        lim[tool + "_hex"] = p.stdout.split()[0]
    t0 = time.perf_counter()
    ps = [subprocess.Popen([tool, path], stdout=subprocess.DEVNULL) for tool in ("md5sum", "sha512sum")]
    for p in ps:
        p.wait()
    lim["md5_par_sha512"] = size / (time.perf_counter() - t0) / 1e6
    return lim


def curl_transfer(args):
    p = subprocess.run(["curl", "-sS", "-H", "Expect:", "-w", "%{http_code} %{time_total}"] + args,
                       capture_output=True, text=True, timeout=3600)
    tail = p.stdout.strip().split()[-2:]
    try:
        return int(tail[-2][-3:]), float(tail[-1])
    except (ValueError, IndexError):
        return 0, 0.0


def transfer(t, name, path, size, lim, up, down_cold, down_warm, rss_up, rss_down, ok, rss_abs, paired):
    # The shared host's speed drifts within a phase, so each transfer is also compared with
    # the machine measured right next to it: the hashing limit just before the upload, a
    # cold dd read just before each cold download.
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    hashing = min(rate(size, ["md5sum", path]), rate(size, ["sha512sum", path]))
    for attempt in range(3):
        iid = t.create_image(f"gbench-data-{size // GiB}g")
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
        pids = t.pids_fn()
        with RssSampler(pids) as s:
            code, secs = curl_transfer(["-X", "PUT", "-T", path, "-H", f"X-Auth-Token: {t.token}",
                                        "-H", "Content-Type: application/octet-stream",
                                        f"{t.image}/v2/images/{iid}/file"])
        if code == 204:
            break
        log(f"{name}: upload -> {code} (attempt {attempt + 1})")
        t.delete_image(iid)
    else:
        raise RuntimeError(f"upload failed 3 times (last status {code})")
    up[name] = size / secs / 1e6
    rss_up[name] = (s.peak - s.base) / 1024
    rss_abs[name] = f"{name} {s.base / 1024:.0f}→{s.peak / 1024:.0f} MiB"
    _, _, img = http_json("GET", f"{t.image}/v2/images/{iid}", t.token)
    ok[name] = (img.get("status") == "active" and img.get("checksum") == lim["md5sum_hex"]
                and img.get("os_hash_value") == lim["sha512sum_hex"])
    # The paired dd reads the very file the server will send (its store keeps one file per
    # image, named by id), so both sides read the same blocks of the same disk.
    stored = os.path.join(t.store_dir, iid) if t.store_dir else None
    dd_source = stored if stored and os.path.exists(stored) else path
    cold, rss_growth, disk = [], [], []

    def dd_read():
        drop_caches()
        disk.append(rate(size, ["dd", f"if={dd_source}", "of=/dev/null", "bs=4M", "status=none"]))

    # On this VM every other cold read of a large file is slow, whoever reads it (dd
    # itself alternates 2.6 / 1.4 / 2.6 GB/s), so a fixed dd-then-download order would
    # give one side all the fast turns: the order alternates, over an even number of rounds,
    # and each side's rate is its total over the rounds.
    for round_no in range(PAIRED_ROUNDS):
        if round_no % 2 == 0:
            dd_read()
        drop_caches()
        with RssSampler(pids) as s:
            code, secs = curl_transfer(["-o", "/dev/null", "-H", f"X-Auth-Token: {t.token}",
                                        f"{t.image}/v2/images/{iid}/file"])
        if code != 200:
            cold = []
            break
        cold.append(size / secs / 1e6)
        rss_growth.append((s.peak - s.base) / 1024)
        if round_no % 2 == 1:
            dd_read()
    down_cold[name] = sustained(cold) if cold else None
    paired[name] = {"hashing": hashing, "disk_read": sustained(disk) if disk else None,
                    "dd_source": "its stored file" if dd_source == stored else "the source file",
                    "downloads": cold, "dd_reads": disk}
    rss_down[name] = max(rss_growth) if rss_growth else None
    code, secs = curl_transfer(["-o", "/dev/null", "-H", f"X-Auth-Token: {t.token}",
                                f"{t.image}/v2/images/{iid}/file"])
    down_warm[name] = size / secs / 1e6 if code == 200 else None
    try:
        t.delete_image(iid)
    except RuntimeError:
        pass


def data_phase(res, cfg, targets, tmp):
    for size in cfg.sizes:
        label = f"{size // GiB} GiB"
        path = os.path.join(tmp, f"data-{size // GiB}g.bin")
        log(f"writing {label} of random data")
        subprocess.run(f"openssl enc -aes-128-ctr -pass pass:glint -nosalt -pbkdf2 < /dev/zero 2>/dev/null "
                       f"| head -c {size} > {path}", shell=True, check=True)
        lim = machine_limits(path, size)
        sec = f"Data: {label} (MB/s = 10^6 B/s)"
        res.add(sec, "machine: dd write, conv=fsync", "MB/s", lim["dd_write"], note="limit, same run")
        res.add(sec, "machine: disk read (dd, caches dropped, median of 3)" if lim["cold_cache"] else
                "machine: read (dd; could not drop caches)", "MB/s", lim["disk_read_cold"], note="limit")
        res.add(sec, "machine: page-cache read (dd)", "MB/s", lim["read_warm"], note="limit")
        res.add(sec, "machine: md5sum", "MB/s", lim["md5sum"], note="one core")
        res.add(sec, "machine: sha512sum", "MB/s", lim["sha512sum"], note="one core")
        res.add(sec, "machine: md5sum ∥ sha512sum, measured", "MB/s", lim["md5_par_sha512"],
                note="both at once on two cores (contends with anything else running)")
        hl = min(lim["md5sum"], lim["sha512sum"])
        res.add(sec, "machine: hashing limit = min(md5sum, sha512sum)", "MB/s", hl,
                note="what md5 + sha512 in parallel on two idle cores can reach")
        up, down_cold, down_warm, rss_up, rss_down, ok, rss_abs, paired = {}, {}, {}, {}, {}, {}, {}, {}
        for name, t in targets.items():
            try:
                transfer(t, name, path, size, lim, up, down_cold, down_warm, rss_up, rss_down, ok, rss_abs, paired)
            except Exception as e:  # noqa: BLE001 - a shared reference can fail (SQLite locked)
                log(f"{name}: transfer failed: {e}")
                ok[name] = f"failed: {e}"[:120]
        g, r = "glint", "reference"
        res.add(sec, "upload (PUT …/file, curl)", "MB/s", up.get(g), up.get(r),
                note=f"glint = {up.get(g, 0) / hl:.0%} of hashing limit, {up.get(g, 0) / lim['dd_write']:.0%} of dd write; "
                     f"checksums ok: {', '.join(f'{k} {v}' for k, v in ok.items())}")
        gp = paired.get(g) or {}
        if gp.get("hashing") and up.get(g):
            res.add(sec, "upload ÷ hashing limit measured just before it", "%", 100 * up[g] / gp["hashing"],
                    note=f"hashing limit then: {gp['hashing']:,.0f} MB/s")
        res.add(sec, f"download, caches dropped (curl → /dev/null, {PAIRED_ROUNDS} rounds)", "MB/s", down_cold.get(g), down_cold.get(r),
                note=f"glint = {(down_cold.get(g) or 0) / lim['disk_read_cold']:.0%} of disk read")
        if gp.get("disk_read") and down_cold.get(g):
            res.add(sec, f"download ÷ cold dd read of the same file next to each ({PAIRED_ROUNDS} rounds each)", "%",
                    100 * down_cold[g] / gp["disk_read"],
                    note=f"dd of {gp['dd_source']} then: {gp['disk_read']:,.0f} MB/s",
                    raw=dict(downloads=gp["downloads"], dd_reads=gp["dd_reads"]))
        res.add(sec, "download, page cache warm", "MB/s", down_warm.get(g), down_warm.get(r),
                note=f"glint = {(down_warm.get(g) or 0) / lim['read_warm']:.0%} of page-cache read")
        res.add(sec, "server RSS growth during upload (peak − before)", "MiB", rss_up.get(g), rss_up.get(r), "lower",
                note="reference: uwsgi master + workers; before→peak: " + ", ".join(rss_abs.values()))
        res.add(sec, "server RSS growth during download", "MiB", rss_down.get(g), rss_down.get(r), "lower")
        os.unlink(path)


def startup_phase(res, cfg, tmp, big_dir=None, big_count=None):
    def once(data_dir):
        port = free_port()
        with open(os.path.join(tmp, "startup.log"), "ab") as lf:
            p = start_glint(cfg.glint, data_dir, port, lf)
            try:
                return wait_token(port)
            finally:
                stop_proc(p)
    fresh, restart = [], []
    for i in range(cfg.startup_runs):
        d = os.path.join(tmp, f"startup-{i}")
        fresh.append(once(d))
        restart.append(once(d))
        shutil.rmtree(d, ignore_errors=True)
    res.add("Start-up: `glint serve` → first token (password auth), median", "empty data dir, first start (bootstrap)",
            "s", median(fresh), raw=fresh, better="lower")
    res.add("Start-up: `glint serve` → first token (password auth), median", "empty data dir, restart", "s",
            median(restart), raw=restart, better="lower")
    if big_dir:
        big = [once(big_dir) for _ in range(cfg.startup_runs)]
        res.add("Start-up: `glint serve` → first token (password auth), median",
                f"data dir with {big_count:,} images, restart", "s", median(big), raw=big, better="lower")


# -------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--glint", default=os.path.join(REPO, "target/release/glint"))
    ap.add_argument("--refstack-root", default=os.environ.get("REFSTACK_ROOT") or
                    os.path.join(os.environ.get("TMPDIR", "/tmp"), "glint-refstack"))
    ap.add_argument("--only", default="cli,server,data,startup", help="comma list of phases")
    cfg = ap.parse_args()
    quick = cfg.quick
    cfg.cli_runs = 3 if quick else 5
    cfg.duration = 2 if quick else 5
    cfg.conns = [1, 4, 16]
    cfg.images_small = 10_000
    cfg.images_large = 0 if quick else 100_000
    cfg.populate_cap_glint = 60 if quick else 120
    cfg.populate_cap_glint_large = 300
    cfg.populate_cap_ref = 15 if quick else 60
    cfg.sizes = [GiB] if quick else [GiB, 4 * GiB]
    cfg.startup_runs = 3 if quick else 5
    cfg.openstack_vs_glint = not quick
    cfg.openstack = os.path.join(cfg.refstack_root, "venv/bin/openstack")
    phases = set(cfg.only.split(","))
    started = time.time()

    tmp = tempfile.mkdtemp(prefix="glint-bench-", dir=os.environ.get("TMPDIR", "/tmp"))
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    res = Results()
    wrk = Wrk(tmp)
    port = free_port()
    data_dir = os.path.join(tmp, "glint-data")
    glint_log = open(os.path.join(tmp, "glint-serve.log"), "wb")
    log(f"glint {cfg.glint} on 127.0.0.1:{port}, data dir {data_dir}")
    gs = GlintServer(cfg.glint, data_dir, port, glint_log)
    cfg.server = gs
    targets = {}
    meta = META
    meta.update(started=stamp, quick=quick, reference=cfg.reference, host=os.uname().nodename,
                nproc=os.cpu_count(), glint=cfg.glint, tmp=tmp)
    try:
        meta["glint_ready_s"] = gs.start()
        base = f"http://127.0.0.1:{port}"
        genv = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        genv.update(OS_AUTH_URL=base + "/identity", OS_USERNAME="admin", OS_PASSWORD=GLINT_PW,
                    OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
                    OS_IDENTITY_API_VERSION="3", OS_IMAGE_API_VERSION="2", OS_REGION_NAME="RegionOne",
                    OS_INTERFACE="public", PYTHONWARNINGS="ignore")
        g = Target("glint", base + "/identity", base + "/image", "admin", GLINT_PW, "admin", lambda: [gs.pid],
                   cfg.glint, genv)
        g.login()
        g.store_dir = os.path.join(gs.data_dir, "images")
        targets["glint"] = g
        if cfg.reference:
            renv = dict(genv, OS_AUTH_URL="http://127.0.0.1:5000/v3", OS_PASSWORD="asdf")
            renv["PATH"] = os.path.join(cfg.refstack_root, "venv/bin") + ":" + os.environ["PATH"]
            pidfile = os.path.join(cfg.refstack_root, "pids")

            def ref_pids():
                with open(pidfile) as f:
                    pids = dict(line.split() for line in f if line.strip())
                return children(int(pids["glance"]))
            r = Target("reference", "http://127.0.0.1:5000", "http://127.0.0.1:9292", "admin", "asdf", "admin",
                       ref_pids, cfg.openstack, renv)
            r.login()
            r.store_dir = os.path.join(cfg.refstack_root, "images")  # filesystem_store_datadir
            r.preexisting = set(r.list_ids())
            meta["reference_preexisting_images"] = len(r.preexisting)
            targets["reference"] = r
        if "cli" in phases:
            wait_quiet(meta, "cli")
            log("CLI phase")
            cli_phase(res, cfg, targets, tmp)
        counts = None
        if "server" in phases:
            wait_quiet(meta, "server")
            log("server phase")
            counts = server_phase(res, cfg, targets, wrk, tmp)
            meta["image_counts"] = counts
        if "data" in phases:
            wait_quiet(meta, "data")
            log("data phase")
            data_phase(res, cfg, targets, tmp)
        gs.stop()
        if "startup" in phases:
            wait_quiet(meta, "startup")
            log("start-up phase")
            startup_phase(res, cfg, tmp, data_dir if counts and cfg.images_large else None,
                          counts and counts.get("glint"))
    finally:
        gs.stop()
        glint_log.close()
        ref = targets.get("reference")
        if ref is not None:
            log("cleaning up the reference Glance (images this run created)")
            try:
                ref.login()
                left = [i for i in ref.list_ids(prefix="gbench-") if i not in ref.preexisting]
                if left:
                    f = os.path.join(tmp, "cleanup.txt")
                    with open(f, "w") as fh:
                        fh.write("\n".join(left) + "\n")
                    wrk.counted(ref.image + "/v2/images/", "DELETE", {"X-Auth-Token": ref.token}, len(left), 4,
                                300, idfile=f)
                for _ in range(3):
                    left = [i for i in ref.list_ids(prefix="gbench-") if i not in ref.preexisting]
                    for i in left:
                        try:
                            ref.delete_image(i)
                        except RuntimeError:
                            time.sleep(0.5)
                    if not left:
                        break
            except Exception as e:  # noqa: BLE001 - report, never mask the run's own error
                log(f"reference cleanup failed: {e}")
        if res.rows:  # partial results are written too
            meta["elapsed_s"] = round(time.time() - started, 1)
            md = (f"## Glint benchmark {stamp}{' (quick)' if quick else ''}\n\n"
                  f"{os.cpu_count()} cores; glint release build; "
                  f"{'reference: Keystone + Glance (refstack)' if cfg.reference else 'no reference'}; "
                  f"wrk -t1, {cfg.duration} s per case; ratio = how many times better Glint is "
                  f"(higher is better for Glint); elapsed {meta['elapsed_s']} s. Shared machine: 1-min load "
                  f"average at phase starts {', '.join(str(v['loadavg_1m']) for k, v in meta.get('phases', {}).items() if k in ('cli', 'server', 'data', 'startup'))}; "
                  f"{sum(v['waited_s'] for v in meta.get('phases', {}).values()):.0f} s spent waiting for other jobs' builds.\n\n" + res.markdown())
            with open(os.path.join(HERE, "results", stamp + ".md"), "w") as f:
                f.write(md)
            with open(os.path.join(HERE, "results", stamp + ".json"), "w") as f:
                json.dump(dict(meta=meta, rows=res.rows), f, indent=1)
            print(md)
            log(f"results: bench/results/{stamp}.md and .json ({meta['elapsed_s']} s)")
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
