"""The torture suite's harness: a temporary tree for one cohortd, its process, its catalog and its control socket.

Python standard library only (the suite runs on a fresh Debian machine beside the Swift build). Every scenario gets
its own `Tree` (incoming/<dataset>/<class>/, output/, state/, a config file) and starts the daemon it attacks with
`Daemon`. Catalog reads open the SQLite file read-only (WAL mode lets them run beside the daemon's writes).
"""
import atexit
import json
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time

DATASET = "t"
CLASSES = ("one_lesion", "two_lesions", "ring_lesion")


class TortureError(Exception):
    """A scenario could not run (not a finding: a finding is a figure in the summary line)."""


class Tree:
    """incoming/t/<class>/, output/t/, state/ and cohortd.yaml under one temporary folder."""

    def __init__(self, bin_dir, name, state_dir=None, base=None):
        self.bin_dir = bin_dir
        self.root = tempfile.mkdtemp(prefix=f"cohort-torture-{name}-", dir=base)
        self.incoming = os.path.join(self.root, "incoming", DATASET)
        self.output = os.path.join(self.root, "output", DATASET)
        self.state = state_dir or os.path.join(self.root, "state")
        self.socket = os.path.join(self.root, "cohortd.sock")
        self.config = os.path.join(self.root, "cohortd.yaml")
        self.log = os.path.join(self.root, "cohortd.log")
        os.makedirs(self.incoming)
        for c in CLASSES:
            os.makedirs(os.path.join(self.incoming, c))

    def write_config(self, threads=2, extra=""):
        """A small-model configuration: fast settling; `extra` adds or overrides YAML sections."""
        text = f"""state_directory: {self.state}
socket_path: {self.socket}
settle_seconds: 0.3
degraded_rescan_seconds: 2
threads: {threads}
datasets: [{DATASET}]
dataset:
  {DATASET}:
    watch_root: {self.incoming}
    output_root: {self.output}
    image_size: 64
    classes: [{", ".join(CLASSES)}]
{extra}
"""
        with open(self.config, "w") as f:
            f.write(text)

    def phantoms(self, counts, seed, out=None):
        """Writes phantom scans (`cohort phantoms`) into a staging tree and returns their paths relative to it."""
        out = out or os.path.join(self.root, f"staging-{seed}")
        subprocess.run([os.path.join(self.bin_dir, "cohort"), "phantoms", "--out", out, "--counts",
                        ",".join(str(c) for c in counts), "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
        files = []
        for c in sorted(os.listdir(out)):
            for f in sorted(os.listdir(os.path.join(out, c))):
                files.append((os.path.join(out, c, f), c, f))
        return files

    def drop(self, files, prefix=""):
        """Copies staged scans into the watched folder as an operator's `cp` would (write, then close)."""
        paths = []
        for src, c, f in files:
            dst = os.path.join(self.incoming, c, prefix + f)
            shutil.copyfile(src, dst)
            paths.append(dst)
        return paths

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Daemon:
    """One cohortd process on a Tree; stdout and stderr go to the tree's log (appended across restarts).
    A daemon still running when the suite exits (a scenario raised) is killed, never left behind."""

    running = set()

    def __init__(self, tree):
        self.tree = tree
        log = open(tree.log, "ab")
        self.process = subprocess.Popen([os.path.join(tree.bin_dir, "cohortd"), "--config", tree.config],
                                        stdout=log, stderr=subprocess.STDOUT)
        Daemon.running.add(self.process)
        log.close()

    @property
    def pid(self):
        return self.process.pid

    def wait_ready(self, timeout=60):
        """Until the control socket answers `version` (the daemon has reconciled and serves)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TortureError(f"cohortd exited {self.process.returncode} before it served (log: {self.tree.log})")
            try:
                request(self.tree.socket, "version", timeout=2)
                return
            except OSError:
                time.sleep(0.05)
        raise TortureError(f"cohortd did not serve within {timeout} s (log: {self.tree.log})")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout=60):
        """SIGTERM, as systemd stops it; returns the exit status (None: it had to be killed)."""
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None

    def peak_rss_mib(self):
        """VmHWM of the running daemon (its own high-water mark, not inherited from a parent)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0


@atexit.register
def _kill_leftovers():
    for process in Daemon.running:
        if process.poll() is None:
            process.kill()


def request(socket_path, cmd, args=None, timeout=10):
    """One request on a fresh connection, as cohortctl sends it; returns the decoded response.

    The connect blocks (as cohortctl's does) until the listen queue has room, for at most `timeout` seconds
    (SO_SNDTIMEO bounds a Unix-socket connect); a non-blocking connect would fail at once with EAGAIN
    whenever a connection storm fills the queue, which measures the client, not the daemon.
    """
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(timeout), int(timeout % 1 * 1e6)))
    try:
        started = time.monotonic()
        s.connect(socket_path)
        request.last_connect_ms = (time.monotonic() - started) * 1000
        s.settimeout(timeout)
        frame = {"v": 1, "id": 1, "cmd": cmd}
        if args:
            frame["args"] = args
        s.sendall(json.dumps(frame).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed before a reply")
            data += chunk
        return json.loads(data)
    finally:
        s.close()


request.last_connect_ms = 0.0


class Catalog:
    """Read-only view of a daemon's catalog.sqlite."""

    def __init__(self, state):
        self.path = os.path.join(state, "catalog.sqlite")

    def _query(self, sql, params=()):
        if not os.path.exists(self.path):
            return []
        for _ in range(20):
            try:
                db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
                try:
                    return db.execute(sql, params).fetchall()
                finally:
                    db.close()
            except sqlite3.OperationalError:
                time.sleep(0.1)
        raise TortureError(f"cannot read {self.path}")

    def images(self):
        """path → (state, reason) for every image row of the dataset."""
        return {p: (s, r) for p, s, r in self._query("SELECT path, state, reason FROM image WHERE dataset = ?", (DATASET,))}

    def synthetic_files(self):
        return {r[0] for r in self._query("SELECT path FROM synthetic WHERE dataset = ?", (DATASET,))}

    def jobs(self):
        return self._query("SELECT id, kind, state FROM job ORDER BY id")


def wait_until(predicate, timeout, interval=0.2):
    """Polls `predicate` until it returns a true value (returned) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def cataloged(catalog, paths):
    """How many of `paths` have a catalog row (any state)."""
    rows = catalog.images()
    return sum(1 for p in paths if p in rows)


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
