#!/usr/bin/env python3
"""20 sequential `atlas-snapshots get` processes with a service account, with the file token cache and
with --no-token-cache, against `atlas-snapshots mock` on loopback: token requests (the mock's journal),
HTTP round trips and wall time per run. Pinned with taskset when available; both modes alternate run
by run so that machine noise falls on both alike. Usage: bench/token_cache.py [BINARY] [RUNS]"""

import json, os, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/atlas-snapshots"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SA_ID, SA_SECRET = "mdb_sa_id_0123456789abcdef01234567", "mdb_sa_sk_benchmarksecret"
PIN = ["taskset", "-c", "1"] if shutil.which("taskset") else []


def main():
    tmp = tempfile.mkdtemp()
    ready = os.path.join(tmp, "ready.json")
    mock = subprocess.Popen(
        (["taskset", "-c", "0"] if PIN else []) + [BIN, "mock", "--listen", "127.0.0.1:0", "--ready-file", ready,
         "--service-account", f"{SA_ID}:{SA_SECRET}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(ready) or os.path.getsize(ready) == 0:
            time.sleep(0.05)
        info = json.load(open(ready))
        base, admin = info["url"], info["adminToken"]

        def journal():
            req = urllib.request.Request(base + "/__mock/journal", headers={"Authorization": f"Bearer {admin}"})
            body = json.load(urllib.request.urlopen(req))
            return body.get("entries", body) if isinstance(body, dict) else body

        results = {"cache": [], "no-cache": []}
        counts = {}
        home = {m: tempfile.mkdtemp() for m in results}
        for i in range(RUNS):
            for mode in results:
                env = {"PATH": os.environ["PATH"], "HOME": home[mode], "XDG_CONFIG_HOME": home[mode],
                       "MONGODB_ATLAS_BASE_URL": base, "MONGODB_ATLAS_PROJECT_ID": "5b69d0349b15c62cdfc38b78",
                       "MONGODB_ATLAS_CLIENT_ID": SA_ID, "MONGODB_ATLAS_CLIENT_SECRET": SA_SECRET}
                args = PIN + [BIN, "get", "--flex", "--cluster-name", "FlexAWS", "--snapshot-id",
                              "6740a1f2c3d4e5f6a7b8c901"] + (["--no-token-cache"] if mode == "no-cache" else [])
                before = len(journal())
                t0 = time.perf_counter()
                subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
                results[mode].append(time.perf_counter() - t0)
                entries = journal()[before:]
                c = counts.setdefault(mode, {"token": 0, "api": 0})
                c["token"] += sum(1 for e in entries if e["path"] == "/api/oauth/token")
                c["api"] += sum(1 for e in entries if e["path"].startswith("/api/atlas"))
        for mode, t in results.items():
            ms = sorted(x * 1000 for x in t)
            print(f"{mode:9} runs={RUNS} token_requests={counts[mode]['token']} api_round_trips={counts[mode]['api']} "
                  f"wall_ms median={statistics.median(ms):.1f} p10={ms[len(ms)//10]:.1f} p90={ms[(9*len(ms))//10]:.1f}")
        a, b = statistics.median(results["cache"]), statistics.median(results["no-cache"])
        print(f"median ratio cache/no-cache = {a / b:.2f}")
    finally:
        mock.terminate()
        mock.wait()


if __name__ == "__main__":
    main()
