"""Bench peer: Python `requests` with HTTPDigestAuth over one Session.

usage: python3 python_requests.py URL USER PASSWORD COUNT
Prints `ok=<n> failed=<n> elapsed_s=<seconds> cpu_s=<seconds>` (process CPU time during the loop);
round trips are counted by the server.
"""
import sys
import time

import requests
from requests.auth import HTTPDigestAuth

url, user, password, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
session = requests.Session()
session.auth = HTTPDigestAuth(user, password)
session.headers["Accept"] = "application/json"
ok = failed = 0
cpu0 = time.process_time()
start = time.perf_counter()
for _ in range(count):
    r = session.get(url)
    if r.status_code == 200:
        ok += 1
    else:
        failed += 1
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu0
print(f"ok={ok} failed={failed} elapsed_s={elapsed:.6f} cpu_s={cpu:.6f}")
