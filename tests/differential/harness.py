#!/usr/bin/env python3
"""Differential harness: replay the scripted requests in cases.py against Glint and against
the genuine Keystone + Glance (../shared/tools/refstack/) and compare what clients read.

For every request it compares
  * the status code,
  * the headers clients read: Content-Type (media type only), Location (presence),
    Content-MD5 and Content-Range (values), OpenStack-image-import-methods (presence),
    WWW-Authenticate (presence), X-Subject-Token (presence),
  * the body: for JSON the set of field paths ("images[].name", "error.code", ...), for other
    bodies their kind (empty / html / text / binary, and the bytes' sha256 for downloads),
  * and, where a case asks for it (`values=`), selected JSON values after normalisation (ids,
    names and URLs the run created are replaced by their symbolic names, timestamps by <time>).

Usage:
  harness.py --target both --glint-url http://127.0.0.1:PORT --glint-password PW
  harness.py --target glint --glint-url ... [--record obs.json]
  harness.py --target reference [--keystone-url http://127.0.0.1:5000] [--glance-url ...]
  harness.py --target glint --against obs.json      # compare with a recorded reference run

In `both` mode nothing is started: Glint and the reference stack must already be running
(scripts/differential.sh does all of it). Every run creates its own uniquely named projects,
users, roles, limits and images and deletes them at the end.

Prints one line per request ("ok" or "DIFF" plus details) and a final
"agreement: N/M (P%)" line; exits 1 if any request disagrees (2 on usage errors). A case
with `deviation="why"` that disagrees is listed as a documented deviation instead: Glint
differs there on purpose (a Glance bug, a feature Glint does not claim), and it is not
counted; if it agrees it counts like any other case.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases as case_module  # noqa: E402

# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


class Target:
    def __init__(self, name: str, identity: str, image: str, password: str):
        self.name = name
        self.identity = identity.rstrip("/")  # GET {identity}/v3 is the v3 root
        self.image = image.rstrip("/")  # GET {image}/v2/images lists images
        self.password = password
        self.vars: dict[str, object] = {}
        self.session = requests.Session()

    def url(self, service: str, path: str) -> str:
        base = self.identity if service == "identity" else self.image
        return base + path


class MissingVar(Exception):
    pass


_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")


def subst(value, t: Target):
    """Replace {var} (and {name:uuid}, {name:fresh}) in every string of value."""
    if isinstance(value, str):
        def repl(m):
            name, kind = m.group(1), m.group(2)
            if kind == "uuid":  # a fresh client-chosen UUID, remembered under `name`
                if name not in t.vars:
                    t.vars[name] = str(uuid.uuid4())
                return str(t.vars[name])
            if name not in t.vars:
                raise MissingVar(name)
            return str(t.vars[name])
        # a string that is exactly one {var} keeps the var's type (bool, int, list...)
        m = _VAR.fullmatch(value)
        if m and m.group(2) is None:
            if m.group(1) not in t.vars:
                raise MissingVar(m.group(1))
            return t.vars[m.group(1)]
        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {subst(k, t): subst(v, t) for k, v in value.items()}
    if isinstance(value, list):
        return [subst(v, t) for v in value]
    return value


def get_path(body, path: str):
    """'a.b.0.c' into JSON; 'images#' = len(images); 'images[].name' = list of names."""
    if path.endswith("#"):
        v = get_path(body, path[:-1])
        return len(v) if isinstance(v, (list, dict)) else None
    if "[]." in path:
        head, rest = path.split("[].", 1)
        lst = get_path(body, head)
        if not isinstance(lst, list):
            return None
        return [get_path(x, rest) for x in lst]
    cur = body
    for part in path.split("."):
        if part == "":
            continue
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            i = int(part)
            cur = cur[i] if -len(cur) <= i < len(cur) else None
        else:
            return None
    return cur


# --------------------------------------------------------------------------------------
# Observation and normalisation
# --------------------------------------------------------------------------------------

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")
_HEXID = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def json_shape(v, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            out.add(p)
            out |= json_shape(x, p)
    elif isinstance(v, list):
        for x in v:
            out |= json_shape(x, prefix + "[]")
    return out


def normalise_value(v, t: Target):
    if isinstance(v, list):
        return [normalise_value(x, t) for x in v]
    if isinstance(v, dict):
        return {k: normalise_value(x, t) for k, x in v.items()}
    if not isinstance(v, str):
        return v
    s = v
    for base, sym in ((t.identity, "<identity>"), (t.image, "<image>")):
        s = s.replace(base, sym)
    # known values of this run (ids, names, tokens), longest first
    known = sorted(((str(val), k) for k, val in t.vars.items()
                    if isinstance(val, str) and len(val) >= 6),
                   key=lambda kv: -len(kv[0]))
    for val, k in known:
        if val in s:
            s = s.replace(val, f"<{k}>")
    if _TIME.match(s):
        return "<time>"
    if _HEXID.match(s):
        return "<id>"
    return s


def media_type(ct: str | None) -> str:
    return (ct or "").split(";")[0].strip().lower()


def observe(resp: requests.Response, case: dict, t: Target) -> dict:
    h = resp.headers
    obs: dict[str, object] = {"status": resp.status_code}
    hdr = {
        "content-type": media_type(h.get("Content-Type")) if resp.content else
        (media_type(h.get("Content-Type")) if case.get("compare_empty_ct") else "-"),
        "location": "present" if "Location" in h else "absent",
        "content-md5": h.get("Content-MD5", "absent"),
        "content-range": h.get("Content-Range", "absent"),
        "openstack-image-import-methods":
            "present" if "OpenStack-image-import-methods" in h else "absent",
        "www-authenticate": "present" if "WWW-Authenticate" in h else "absent",
        "x-subject-token": "present" if "X-Subject-Token" in h else "absent",
    }
    for name in case.get("header_values", []):
        hdr[name.lower()] = normalise_value(h.get(name, "absent"), t)
    obs["headers"] = hdr
    body = resp.content
    ct = media_type(h.get("Content-Type"))
    if not body:
        obs["body"] = "empty"
    elif "json" in ct or (case.get("json_body_anyway") and body[:1] in b"{["):
        try:
            data = resp.json()
        except ValueError:
            obs["body"] = "invalid-json"
        else:
            obs["body"] = "json"
            obs["fields"] = sorted(json_shape(data))
            msg = get_path(data, "message") or get_path(data, "error.message")
            if isinstance(msg, str):  # not compared; shown with -v and in the summary
                obs["message"] = normalise_value(msg.replace("<br /><br />", " ").strip(), t)
            vals = {}
            for p in case.get("values", []):
                # "path~": an unordered collection (tags, role lists): compare sorted
                v = normalise_value(get_path(data, p.rstrip("~")), t)
                if p.endswith("~") and isinstance(v, list):
                    v = sorted(v, key=lambda x: json.dumps(x, sort_keys=True))
                vals[p] = v
            if vals:
                obs["values"] = vals
    elif "html" in ct:
        obs["body"] = "html"
    elif ct.startswith("text/"):
        obs["body"] = "text"
    else:
        obs["body"] = f"binary:{len(body)}:{hashlib.sha256(body).hexdigest()[:16]}"
    return obs


def diff(a: dict, b: dict) -> list[str]:
    out = []
    if a.get("error") or b.get("error"):
        if a.get("error") != b.get("error"):
            out.append(f"could not run: glint={a.get('error')} reference={b.get('error')}")
        return out
    if a["status"] != b["status"]:
        out.append(f"status: glint {a['status']} vs reference {b['status']}")
    for k in sorted(set(a["headers"]) | set(b["headers"])):
        va, vb = a["headers"].get(k), b["headers"].get(k)
        if va != vb:
            out.append(f"header {k}: glint {va!r} vs reference {vb!r}")
    if a["body"] != b["body"]:
        out.append(f"body: glint {a['body']} vs reference {b['body']}")
    fa, fb = set(a.get("fields", [])), set(b.get("fields", []))

    def listing(fields, limit=12):
        fields = sorted(fields)
        more = f" ... (+{len(fields) - limit} more)" if len(fields) > limit else ""
        return ", ".join(fields[:limit]) + more

    if fa != fb:
        if fa - fb:
            out.append(f"fields only in glint: {listing(fa - fb)}")
        if fb - fa:
            out.append(f"fields only in reference: {listing(fb - fa)}")
    va, vb = a.get("values", {}), b.get("values", {})
    for k in sorted(set(va) | set(vb)):
        if va.get(k) != vb.get(k):
            out.append(f"value {k}: glint {va.get(k)!r} vs reference {vb.get(k)!r}")
    return out


# --------------------------------------------------------------------------------------
# Running a case on one target
# --------------------------------------------------------------------------------------

FILES: dict[str, bytes] = {}


def make_files(tmp: Path) -> None:
    FILES["hello"] = b"hello glint differential world\n"
    FILES["zeros"] = bytes(4096)
    qcow = tmp / "disk.qcow2"
    if shutil.which("qemu-img"):
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow), "1M"], check=True)
        FILES["qcow2"] = qcow.read_bytes()
    else:
        print("warning: qemu-img not found; qcow2 cases will fail", file=sys.stderr)
        FILES["qcow2"] = b""


def build_request(case: dict, t: Target):
    service = case["svc"]
    path = subst(case["path"], t)
    url = path if path.startswith("http") else t.url(service, path)
    headers = {"Accept": "application/json"}
    persona = case.get("as", "admin")
    if persona not in (None, "none"):
        headers["X-Auth-Token"] = str(subst("{tok_" + persona + "}", t))
    for k, v in (case.get("headers") or {}).items():
        if v is None:
            headers.pop(k, None)
        else:
            headers[k] = subst(v, t)
    kw = {}
    if "json" in case:
        body = subst(case["json"], t)
        kw["data"] = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "data" in case:
        d = case["data"]
        if isinstance(d, str) and d.startswith("@"):
            d = FILES[d[1:]]
        elif isinstance(d, str):
            d = subst(d, t).encode()
        kw["data"] = d
    return case["method"], url, headers, kw


def run_on(case: dict, t: Target) -> dict:
    try:
        method, url, headers, kw = build_request(case, t)
    except MissingVar as e:
        return {"error": f"missing variable {{{e.args[0]}}} (an earlier request failed)"}
    poll = case.get("poll")
    deadline = time.monotonic() + (poll or {}).get("timeout", 0)
    while True:
        try:
            resp = t.session.request(method, url, headers=headers, timeout=60,
                                     allow_redirects=False, **kw)
        except requests.RequestException as e:
            return {"error": f"{type(e).__name__}: {e}"}
        if not poll:
            break
        try:
            done = all(get_path(resp.json(), k) == v for k, v in poll["until"].items())
        except ValueError:
            done = False
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    try:
        data = resp.json() if resp.content else None
    except ValueError:
        data = None
    # save first, so that this answer's own new ids are normalised to their names
    for var, src in (case.get("save") or {}).items():
        val = None
        if src.startswith("header:"):
            val = resp.headers.get(src[len("header:"):])
        elif data is not None:
            val = get_path(data, src)
        if val is not None:
            t.vars[var] = val
    return observe(resp, case, t)


# --------------------------------------------------------------------------------------
# Cleanup: everything this run created, in reverse order, as admin, errors ignored
# --------------------------------------------------------------------------------------

def cleanup(t: Target) -> None:
    tok = t.vars.get("tok_admin")
    if not tok:
        return
    s, h = t.session, {"X-Auth-Token": str(tok), "Accept": "application/json"}
    patch_h = dict(h, **{"Content-Type": "application/openstack-images-v2.1-json-patch"})

    def quiet(method, url, **kw):
        try:
            return s.request(method, url, headers=kw.pop("headers", h), timeout=30, **kw)
        except requests.RequestException:
            return None

    for name, val in reversed(list(t.vars.items())):
        if not isinstance(val, str):
            continue
        if name.startswith("img_"):
            base = t.url("image", f"/v2/images/{val}")
            quiet("POST", base + "/actions/reactivate")
            quiet("PATCH", base, headers=patch_h,
                  data=json.dumps([{"op": "replace", "path": "/protected", "value": False}]))
            quiet("DELETE", base)
        elif name.startswith("appcred_") and "user_alt" in t.vars:
            quiet("DELETE", t.url("identity",
                                  f"/v3/users/{t.vars['user_alt']}/application_credentials/{val}"))
        elif name.startswith("lim_"):
            quiet("DELETE", t.url("identity", f"/v3/limits/{val}"))
        elif name.startswith("rl_"):
            quiet("DELETE", t.url("identity", f"/v3/registered_limits/{val}"))
    for name, val in reversed(list(t.vars.items())):
        if not isinstance(val, str):
            continue
        if name.startswith("user_"):
            quiet("DELETE", t.url("identity", f"/v3/users/{val}"))
        elif name.startswith("role_") and name.startswith("role_run"):
            quiet("DELETE", t.url("identity", f"/v3/roles/{val}"))
        elif name.startswith("group_"):
            quiet("DELETE", t.url("identity", f"/v3/groups/{val}"))
    for name, val in reversed(list(t.vars.items())):
        if isinstance(val, str) and name.startswith("proj_"):
            quiet("PATCH", t.url("identity", f"/v3/projects/{val}"),
                  json={"project": {"enabled": False}})
            quiet("DELETE", t.url("identity", f"/v3/projects/{val}"))


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def fmt_obs(o: dict) -> str:
    if o.get("error"):
        return f"ERROR {o['error']}"
    return f"{o['status']} {o['headers']['content-type']} {o['body']}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", choices=["glint", "reference", "both"], default="both")
    ap.add_argument("--glint-url", default=os.environ.get("GLINT_URL", "http://127.0.0.1:8080"))
    ap.add_argument("--glint-password", default=os.environ.get("GLINT_ADMIN_PASSWORD"))
    ap.add_argument("--glint-data-dir", help="read the admin password from admin-openrc.sh")
    ap.add_argument("--keystone-url", default=os.environ.get("REF_KEYSTONE_URL",
                                                             "http://127.0.0.1:5000"))
    ap.add_argument("--glance-url", default=os.environ.get("REF_GLANCE_URL",
                                                           "http://127.0.0.1:9292"))
    ap.add_argument("--reference-password", default=os.environ.get("REF_ADMIN_PASSWORD", "asdf"))
    ap.add_argument("--only", help="regex: run only cases whose name matches (plus the "
                                   "setup cases they need are NOT added automatically)")
    ap.add_argument("--record", help="write the normalised observations to this JSON file")
    ap.add_argument("--against", help="single-target mode: compare with observations "
                                      "recorded by --record on the other target")
    ap.add_argument("--verbose", "-v", action="store_true", help="print both observations")
    ap.add_argument("--no-cleanup", action="store_true")
    ap.add_argument("--deviation", action="append", default=[], metavar="CASE=WHY",
                    help="for this run, report CASE apart as a documented deviation (a "
                         "configuration-dependent difference, e.g. a store of another type)")
    args = ap.parse_args()

    gpw = args.glint_password
    if not gpw and args.glint_data_dir:
        rc = (Path(args.glint_data_dir) / "admin-openrc.sh").read_text()
        m = re.search(r"OS_PASSWORD='?([^'\n]*)'?", rc)
        gpw = m.group(1) if m else None
    targets: list[Target] = []
    if args.target in ("glint", "both"):
        if not gpw:
            ap.error("Glint admin password: --glint-password, GLINT_ADMIN_PASSWORD or "
                     "--glint-data-dir")
        g = args.glint_url.rstrip("/")
        targets.append(Target("glint", g + "/identity", g + "/image", gpw))
    if args.target in ("reference", "both"):
        targets.append(Target("reference", args.keystone_url, args.glance_url,
                              args.reference_password))

    run_id = "d" + secrets.token_hex(4)
    for t in targets:
        t.vars.update(run=run_id, admin_password=t.password, alt_password="Alt-" + run_id,
                      identity_root=t.identity, image_root=t.image)
        t.vars["wrong_password"] = "wrong-" + run_id

    tmp = Path(tempfile.mkdtemp(prefix="glint-diff-"))
    make_files(tmp)
    all_cases = case_module.CASES
    for spec in args.deviation:
        name, _, why = spec.partition("=")
        matching = [c for c in all_cases if c["name"] == name]
        if not matching or not why:
            ap.error(f"--deviation {spec!r}: expected CASE=WHY with a known case name")
        for c in matching:
            c["deviation"] = why
    if args.only:
        rx = re.compile(args.only)
        all_cases = [c for c in all_cases if c.get("setup") or rx.search(c["name"])]

    recorded = None
    if args.against:
        recorded = {r["name"]: r for r in json.loads(Path(args.against).read_text())}
    comparing = len(targets) == 2 or recorded is not None
    print(f"run {run_id}: {len(all_cases)} requests against "
          + " and ".join(f"{t.name} ({t.identity}, {t.image})" for t in targets)
          + (f" compared with {args.against}" if args.against else ""))

    records = []
    agree = total = 0
    disagreements = []
    deviations = []
    try:
        for case in all_cases:
            obs = {t.name: run_on(case, t) for t in targets}
            if args.record:
                records.append({"name": case["name"], **{k: v for k, v in obs.items()}})
            if not case.get("compare", True):
                continue
            label = f"{case['method']} {case['svc']}:{case['path']}"
            if not comparing:
                o = next(iter(obs.values()))
                print(f"  {case['name']:<44} {fmt_obs(o):<40} {label}")
                continue
            if len(targets) == 2:
                a, b = obs["glint"], obs["reference"]
            else:
                other = "reference" if targets[0].name == "glint" else "glint"
                rec = recorded.get(case["name"], {}).get(other)
                if rec is None:
                    print(f"  {case['name']:<44} (not in {args.against})")
                    continue
                a, b = (obs["glint"], rec) if other == "reference" else (rec, obs["reference"])
            d = diff(a, b)
            # A request that could not be sent proves nothing, even if both sides failed alike.
            unsent = [f"{n}: {o['error']}" for n, o in (("glint", a), ("reference", b)) if "error" in o]
            if unsent:
                d = ["not sent: " + "; ".join(unsent)]
            if d and case.get("deviation") and not unsent:
                deviations.append((case, d))
                print(f"DEVI {case['name']:<44} {label}")
                for line in d:
                    print(f"       {line}")
                print(f"       documented deviation: {case['deviation']}")
                continue
            total += 1
            if d:
                disagreements.append((case, a, b, d))
                print(f"DIFF {case['name']:<44} {label}")
                for line in d:
                    print(f"       {line}")
            else:
                agree += 1
                print(f"  ok {case['name']:<44} {fmt_obs(a):<40} {label}")
            if args.verbose:
                print("       glint:     " + json.dumps(a, sort_keys=True))
                print("       reference: " + json.dumps(b, sort_keys=True))
    finally:
        if not args.no_cleanup:
            for t in targets:
                cleanup(t)
        shutil.rmtree(tmp, ignore_errors=True)
        if args.record:
            Path(args.record).write_text(json.dumps(records, indent=1, sort_keys=True))

    if not comparing:
        print(f"ran {len(all_cases)} requests against {targets[0].name} (nothing to compare)")
        return 0
    print()
    if disagreements:
        print(f"{len(disagreements)} disagreement(s):")
        for case, a, b, d in disagreements:
            print(f"  - {case['name']}: {case['method']} {case['path']}: " + "; ".join(d))
            for who, o in (("glint", a), ("reference", b)):
                if o.get("message"):
                    print(f"      {who} said: {o['message'][:200]!r}")
    if deviations:
        print(f"{len(deviations)} documented deviation(s) (Glint differs on purpose; not counted):")
        for case, d in deviations:
            print(f"  - {case['name']}: {case['deviation']}")
    pct = 100.0 * agree / total if total else 0.0
    everything = total + len(deviations)
    print(f"agreement: {agree}/{total} ({pct:.1f}%) excluding {len(deviations)} documented deviation(s); "
          f"{agree}/{everything} ({100.0 * agree / everything if everything else 0.0:.1f}%) counting them")
    return 0 if agree == total else 1


if __name__ == "__main__":
    sys.exit(main())
