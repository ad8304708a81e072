#!/usr/bin/env python3
"""Download benchmark: `atlas-snapshots download` against `curl -o` of the same pre-signed URL.

A small server (this process, pinned to CPU 0) plays Atlas's download endpoint (POST
.../backup/download answers a job whose snapshotUrl points back here) and the object store
(GET with Range, served with sendfile from a file in /dev/shm). Each round downloads the same
archive with curl and with the CLI, alternating, both pinned to CPU 1. Per run: wall time,
throughput, user+system CPU and peak RSS of the client process (os.wait4). Reports the median
and the spread (min..max) and the ratio of medians. No assertion: numbers only.

usage: bench/download.py CLI_BINARY [--sizes 64,1024] [--rounds 5]
"""
import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SNAP = "6740a1f2c3d4e5f6a7b8c901"


def make_archive(path, size):
    chunk = bytes((i * 31) % 251 for i in range(1 << 20))
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    files = {}

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.rfile.read(n)
        size = self.server.current
        url = f"http://127.0.0.1:{self.server.server_port}/store/{size}.tgz?X-Amz-Signature=x"
        body = json.dumps({"deliveryType": "DOWNLOAD", "id": "6740a1f2c3d4e5f6a7b8c9d0",
                           "snapshotId": SNAP, "snapshotUrl": url, "status": "PENDING"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.files.get(self.path.split("?")[0])
        if path is None:
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start = 0
        rng = self.headers.get("range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            self.send_response(206)
            self.send_header("content-range", f"bytes {start}-{size-1}/{size}")
        else:
            self.send_response(200)
        self.send_header("content-length", str(size - start))
        self.send_header("etag", '"bench"')
        self.end_headers()
        with open(path, "rb") as f:
            offset = start
            while offset < size:
                sent = os.sendfile(self.wfile.fileno(), f.fileno(), offset, size - offset)
                if sent == 0:
                    break
                offset += sent


def run(cmd, env, cpu):
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.sched_setaffinity(0, {cpu})
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvpe(cmd[0], cmd, env)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[0]} failed: {status}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--sizes", default="64,1024", help="MiB, comma separated")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = cpus[0], cpus[-1]
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="dlbench-", dir=shm)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    os.sched_setaffinity(0, {server_cpu})
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_port}"
    env = dict(os.environ, MONGODB_ATLAS_BASE_URL=base, MONGODB_ATLAS_PUBLIC_API_KEY="p",
               MONGODB_ATLAS_PRIVATE_API_KEY="s", MONGODB_ATLAS_PROJECT_ID="5b69d0349b15c62cdfc38b78",
               XDG_CONFIG_HOME=work, HOME=work)
    for k in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"]:
        env.pop(k, None)
    print(f"server on CPU {server_cpu}, clients on CPU {client_cpu}, files in {work}")
    print("| size | client | MiB/s median (min..max) | CPU s median | peak RSS MiB max |")
    print("|---|---|---|---|---|")
    try:
        for mib in [int(s) for s in args.sizes.split(",")]:
            size = mib << 20
            src = os.path.join(work, f"{size}.src")
            make_archive(src, size)
            Handler.files[f"/store/{size}.tgz"] = src
            srv.current = size
            url = f"{base}/store/{size}.tgz?X-Amz-Signature=x"
            out = os.path.join(work, "out.tgz")
            results = {"curl -o": [], "atlas-snapshots download": []}
            for _ in range(args.rounds):
                for name, cmd in [
                    ("curl -o", ["curl", "-s", "-f", "-o", out, url]),
                    ("atlas-snapshots download", [args.cli, "download", "--cluster-name", "FlexAWS",
                                                  "--snapshot-id", SNAP, "--output-file", out, "--force"]),
                ]:
                    if os.path.exists(out):
                        os.remove(out)
                    wall, cpu, rss = run(cmd, env, client_cpu)
                    if os.path.getsize(out) != size:
                        raise SystemExit(f"{name}: wrong size")
                    results[name].append((size / (1 << 20) / wall, cpu, rss))
            med = {}
            for name, rows in results.items():
                rates = [r[0] for r in rows]
                med[name] = statistics.median(rates)
                print(f"| {mib} MiB | {name} | {statistics.median(rates):.0f} ({min(rates):.0f}..{max(rates):.0f}) "
                      f"| {statistics.median(r[1] for r in rows):.2f} | {max(r[2] for r in rows):.1f} |")
            ratio = med["atlas-snapshots download"] / med["curl -o"]
            print(f"| {mib} MiB | ratio | {ratio:.2f}x curl (medians of {args.rounds} interleaved rounds) | | |")
            os.remove(src)
    finally:
        srv.shutdown()
        for f in os.listdir(work):
            os.remove(os.path.join(work, f))
        os.rmdir(work)


if __name__ == "__main__":
    sys.exit(main())
