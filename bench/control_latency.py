#!/usr/bin/env python3
"""Status latency of cohortd's control socket: N sequential `status` requests on one connection,
each timed from send to full reply; prints p50/p99/max in milliseconds. Run it while a job trains
(the issue's condition): python3 bench/control_latency.py --socket /run/cohort/cohortd.sock -n 1000"""
import argparse, json, socket, time

parser = argparse.ArgumentParser()
parser.add_argument("--socket", default="/run/cohort/cohortd.sock")
parser.add_argument("-n", type=int, default=1000)
args = parser.parse_args()
s = socket.socket(socket.AF_UNIX)
s.connect(args.socket)
f = s.makefile("rb")
times = []
job = None
for i in range(args.n):
    t = time.perf_counter()
    s.sendall(json.dumps({"v": 1, "id": i, "cmd": "status"}).encode() + b"\n")
    reply = json.loads(f.readline())
    times.append((time.perf_counter() - t) * 1000)
    assert reply["ok"], reply
    job = reply["result"].get("job") or job
times.sort()
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(json.dumps({"requests": args.n, "p50_ms": round(pick(0.5), 2), "p99_ms": round(pick(0.99), 2), "max_ms": round(times[-1], 2),
                  "job_running": bool(job), "job": job and f"{job['kind']} {job['phase']} {job['step']}/{job['total_steps']}"}))
