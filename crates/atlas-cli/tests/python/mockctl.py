"""Start `atlas-snapshots mock --json` and drive it, with Python's standard library only.

What a pytest fixture of a user would do: start the command, read where it is from its first
line of output (no text scraping), call the admin API with the token, talk digest to the API.
"""

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

BIN = os.environ["ATLAS_SNAPSHOTS_BIN"]


class Mock:
    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [BIN, "mock", "--listen", "127.0.0.1:0", "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("mock did not start: " + self.proc.stderr.read())
        self.info = json.loads(line)
        self.url = self.info["url"]
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, self.url, self.info["publicKey"], self.info["privateKey"])
        self.digest = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))

    def admin(self, method, path, body=None, headers=None):
        """An admin call with the token; returns (status, JSON or None)."""
        h = {"Authorization": "Bearer " + self.info["adminToken"]}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None)

    def get(self, path, accept="application/vnd.atlas.2024-11-13+json", user_agent=None):
        """A digest-authenticated GET; returns (status, headers, JSON)."""
        h = {"Accept": accept}
        if user_agent:
            h["User-Agent"] = user_agent
        req = urllib.request.Request(self.url + path, headers=h)
        try:
            with self.digest.open(req) as r:
                return r.status, dict(r.headers), json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.load(e)

    def post(self, path, body, version="2024-11-13", method="POST"):
        """A digest-authenticated request with a JSON body; returns (status, headers, JSON or None); headers are case-insensitive."""
        media = f"application/vnd.atlas.{version}+json"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Accept": media, "Content-Type": media})
        try:
            with self.digest.open(req) as r:
                raw = r.read()
                return r.status, r.headers, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, e.headers, (json.loads(raw) if raw else None)

    def token(self, client_id=None, secret=None):
        """client credentials at /api/oauth/token (Basic, form body); returns (status, JSON)."""
        import base64
        import urllib.parse
        cid = client_id or self.info["clientId"]
        sec = secret or self.info["clientSecret"]
        pair = urllib.parse.quote_plus(cid) + ":" + urllib.parse.quote_plus(sec)
        req = urllib.request.Request(
            self.info["tokenUrl"], data=b"grant_type=client_credentials", method="POST",
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
                     "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def bearer(self, path, token, accept="application/vnd.atlas.2024-11-13+json"):
        """A GET with a bearer token; returns (status, headers, JSON)."""
        req = urllib.request.Request(self.url + path,
                                     headers={"Accept": accept, "Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, json.load(e)

    def raw(self, url, headers=None):
        """A plain GET of an absolute URL (a pre-signed link); returns (status, headers, bytes)."""
        req = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def stop(self, sig=signal.SIGTERM):
        """Stops the mock; returns (exit code, last JSON line, stderr)."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=120)
        lines = [l for l in out.splitlines() if l.strip()]
        return self.proc.returncode, (json.loads(lines[-1]) if lines else None), err


def check(cond, what):
    if not cond:
        raise AssertionError(what)
