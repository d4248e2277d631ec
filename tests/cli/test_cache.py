"""glint-only behaviour around the HTTP exchange: the token + discovery cache (request
counts parsed from `glint --debug`), `--no-cache`, and `--trace mermaid`; with openstack's
`--debug` as the baseline where a comparison makes sense.

Runs against a fresh `glint serve`, and additionally against the genuine Keystone + Glance
(refstack) only when GLINT_CLI_REFERENCE=1 is set (see conftest.py).
"""

from __future__ import annotations

import os
import re
import stat

from conftest import PREFIX

# keystoneauth's one-line-per-exchange urllib3 log (openstack --debug)
_URLLIB3 = re.compile(r'https?://\S+ "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.[01]" \d{3}')


def test_warm_delete_by_name_at_most_3_requests(run, api, uid):
    img = api.create(f"{PREFIX}{uid}-del", data=b"x" * 4096)
    run.gl("image", "list", "--limit", "1", check=True)  # warms token + discovery cache
    g = run.gl("--debug", "image", "delete", img["name"])
    assert g.returncode == 0, g.describe()
    reqs = g.curl_requests()
    assert 1 <= len(reqs) <= 3, "\n".join(reqs) or g.stderr
    assert not any("/auth/tokens" in r for r in reqs), reqs  # token came from the cache
    assert any(r.startswith("REQ: curl -g -i -X DELETE ") and img["id"] in r for r in reqs), reqs
    assert api.status(img["id"]) == 404


def test_cold_delete_and_no_cache_authenticate(run, api, uid):
    """Cold (empty cache) and --no-cache runs authenticate; OSC always does (≥ 5 requests)."""
    a = api.create(f"{PREFIX}{uid}-a")
    b = api.create(f"{PREFIX}{uid}-b")
    c = api.create(f"{PREFIX}{uid}-c")
    cold = run.gl("--debug", "image", "delete", a["name"])
    assert cold.returncode == 0, cold.describe()
    assert any("/auth/tokens" in r for r in cold.curl_requests()), cold.curl_requests()
    nocache = run.gl("--debug", "image", "delete", b["name"], cache=False)
    assert nocache.returncode == 0, nocache.describe()
    assert any("/auth/tokens" in r for r in nocache.curl_requests())
    o = run.os("--debug", "image", "delete", c["name"])
    assert o.returncode == 0
    os_reqs = [m.group("method") for m in _URLLIB3.finditer(o.stderr)]
    assert len(os_reqs) >= 5, os_reqs
    assert len(nocache.curl_requests()) <= len(os_reqs)


def test_no_cache_neither_reads_nor_writes(run, api, uid):
    run.gl("token", "issue", cache=False, check=True)
    assert not run.cache_dir.exists() or not [p for p in run.cache_dir.rglob("*") if p.is_file()]
    run.gl("token", "issue", check=True)
    files = [p for p in run.cache_dir.rglob("*") if p.is_file()]
    assert files, "a normal run wrote no cache file"
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, (p, oct(p.stat().st_mode))
    # with a warm cache, --no-cache still authenticates
    g = run.gl("--debug", "token", "issue", cache=False)
    assert any("/auth/tokens" in r for r in g.curl_requests()), g.curl_requests()
    g = run.gl("--debug", "catalog", "list")
    assert g.returncode == 0
    assert not any("POST" in r and "/auth/tokens" in r for r in g.curl_requests()), \
        g.curl_requests()


def test_cache_is_per_auth_parameters(run, cloud):
    """A cached admin token must not be used for the demo user (and vice versa)."""
    run.gl("token", "issue", check=True)
    g = run.gl("token", "issue", "-f", "value", "-c", "user_id", user=cloud.demo)
    assert (g.returncode, g.stdout.strip()) == (0, cloud.demo.user_id), g.describe()
    g = run.gl("token", "issue", "-f", "value", "-c", "project_id")
    assert g.stdout.strip() == cloud.admin.project_id


def test_cached_token_revoked_is_retried(run, cloud):
    """A 401 with a cached (revoked) token invalidates the cache and re-authenticates.
    The 401 is provoked on Keystone itself (`token revoke`, a DELETE /v3/auth/tokens sent
    with the cached token): Glance's keystonemiddleware caches token validations, so a
    revoked token may still work there for minutes on a real cloud."""
    run.gl("token", "issue", check=True)  # warm the cache
    cached = run.gl("token", "issue", "-f", "value", "-c", "id", check=True).stdout.strip()
    run.os("token", "revoke", cached, check=True)
    victim, _ = cloud.token(cloud.demo)
    g = run.gl("--debug", "token", "revoke", victim)
    assert (g.returncode, g.stdout) == (0, ""), g.describe()
    reqs = g.curl_requests()
    assert any("POST" in r and "/auth/tokens" in r for r in reqs), reqs
    # and the cache now holds a working token again
    g = run.gl("--debug", "token", "revoke", cloud.token(cloud.demo)[0])
    assert g.returncode == 0, g.describe()


def test_debug_redacts_secrets(run, cloud):
    g = run.gl("--debug", "image", "list", "--limit", "1", cache=False)
    assert g.returncode == 0
    assert cloud.admin.password not in g.stderr
    tok = re.findall(r"X-Auth-Token: (\S+)", g.stderr)
    assert tok and all(t.startswith("{SHA256}") for t in tok), tok
    assert re.search(r"^RESP: \[200\] ", g.stderr, re.M), g.stderr[:2000]


def test_trace_mermaid(run, api, uid):
    img = api.create(f"{PREFIX}{uid}-trace")
    g = run.gl("--trace", "mermaid", "image", "delete", img["name"], cache=False)
    assert g.returncode == 0, g.describe()
    lines = [ln.strip() for ln in g.stderr.splitlines() if ln.strip()]
    assert "sequenceDiagram" in lines, g.stderr
    body = lines[lines.index("sequenceDiagram") + 1:]
    assert "autonumber" in body or all(re.search(r":\s*\d+[.:)]?\s", a) for a in body
                                       if "->>" in a), g.stderr
    arrows = [a for a in body if "->>" in a]
    requests = [a for a in arrows if "-->>" not in a]
    responses = [a for a in arrows if "-->>" in a]
    # one arrow per request and per response; delete by name = discovery, token,
    # discovery, ?name= lookup, DELETE at least
    assert len(requests) == len(responses) >= 3, g.stderr
    assert any("POST" in a and "/auth/tokens" in a for a in requests), g.stderr
    assert any("DELETE" in a and img["id"] in a for a in requests), g.stderr
    assert any(re.search(r"\b204\b", a) for a in responses), g.stderr
    participants = [ln for ln in body if ln.startswith("participant")]
    assert any("identity" in p or "keystone" in p for p in participants), participants
    assert any("image" in p or "glance" in p for p in participants), participants
    # stdout unaffected
    assert g.stdout == ""


def test_trace_mermaid_warm(run, api, uid):
    img = api.create(f"{PREFIX}{uid}-trace")
    run.gl("image", "list", "--limit", "1", check=True)
    g = run.gl("--trace", "mermaid", "image", "delete", img["name"])
    assert g.returncode == 0, g.describe()
    arrows = [ln for ln in g.stderr.splitlines() if "->>" in ln]
    assert 2 <= len(arrows) <= 6, g.stderr
