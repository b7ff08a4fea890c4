"""Hostile and idle control-socket clients, for the torture suite's control scenario.

Run as its own process (the suite starts it as an unprivileged socket-group member, so the daemon's admin-reserved
slots stay for the operator): `control_fuzz.py SOCKET HOSTILE IDLE SECONDS [BEHAVIOUR,...]`. One selector loop drives every
connection; each hostile client follows one behaviour, chosen round robin:

  flood       pipelined `status` requests, never reading a reply
  garbage     random bytes with newlines
  oversize    a frame of 2 MiB with no newline
  slowloris   one byte every half second, never a whole frame
  churn       connect, one request, close, again
  malformed   frames that are JSON but not requests (wrong types, wrong version, missing fields)
  forbidden   mutating commands a non-admin may not send (pause, rescan, reload)
  subscriber  `subscribe`, then never read the events

Idle clients connect and send nothing; one the daemon closes (idle time-out, connection cap) connects again after
IDLE_RETRY seconds, as a polling client would. A hostile client the daemon closes reconnects after half a second
(churn reconnects at once), so the pressure lasts. Prints one JSON line of counts at the end.
"""
import json
import random
import resource
import selectors
import socket
import sys
import time

IDLE_RETRY = 5.0
BEHAVIOURS = ("flood", "garbage", "oversize", "slowloris", "churn", "malformed", "forbidden", "subscriber")
MALFORMED = [b'{"v":1,"id":"seven","cmd":"status"}', b'{"v":2,"id":1,"cmd":"status"}', b'{"v":1,"cmd":"status"}',
             b'{"v":1,"id":1,"cmd":["status"]}', b'[1,2,3]', b'"just a string"', b'{"v":1,"id":1e400,"cmd":"x"}',
             b'{"v":1,"id":1,"cmd":"status","args":[]}', b'{' * 5000, b'\xff\xfe\x00']


class Client:
    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = None
        self.next_connect = 0.0
        self.next_send = 0.0
        self.pending = b""


def main():
    path, hostile, idle, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, hostile + idle + 256)), hard))
    behaviours = sys.argv[5].split(",") if len(sys.argv) > 5 else BEHAVIOURS  # a subset, to find which one hurts
    clients = [Client(behaviours[i % len(behaviours)]) for i in range(hostile)] + [Client("idle") for _ in range(idle)]
    selector = selectors.DefaultSelector()
    counts = {"connects": 0, "refused_connects": 0, "closed_by_daemon": 0, "bytes_sent": 0, "frames_sent": 0}
    rng = random.Random(7)
    deadline = time.monotonic() + seconds

    def close(c, by_daemon):
        if c.sock is not None:
            try:
                selector.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            c.sock.close()
            c.sock = None
            if by_daemon:
                counts["closed_by_daemon"] += 1
        c.next_connect = time.monotonic() + retry_after(c.behaviour)

    def connect(c):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            s.close()
            counts["refused_connects"] += 1
            c.next_connect = time.monotonic() + retry_after(c.behaviour)
            return
        counts["connects"] += 1
        c.sock = s
        c.pending = first_bytes(c.behaviour)
        selector.register(s, selectors.EVENT_READ, c)

    def send(c, data):
        try:
            n = c.sock.send(data)
            counts["bytes_sent"] += n
            return n
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:
            close(c, True)
            return -1

    while time.monotonic() < deadline:
        now = time.monotonic()
        for c in clients:
            if c.sock is None:
                if now >= c.next_connect:
                    connect(c)
                continue
            if c.behaviour == "idle" or now < c.next_send:
                continue
            if c.behaviour == "slowloris":
                send(c, b"{")
                c.next_send = now + 0.5
                continue
            if not c.pending:
                c.pending = more_bytes(c.behaviour, rng)
                if c.pending is None:
                    close(c, False)
                    continue
                if not c.pending:  # a subscriber has said all it will say
                    c.next_send = now + 1.0
                    continue
            n = send(c, c.pending[:65536])
            if n > 0:
                c.pending = c.pending[n:]
                counts["frames_sent"] += 1
            elif n == 0:
                c.next_send = now + 0.05  # the daemon stopped reading this client: back off, stay connected
        # Drain what the daemon wrote, except from clients whose behaviour is never to read.
        for key, _ in selector.select(timeout=0.01):
            c = key.data
            if c.behaviour in ("flood", "subscriber"):
                continue
            try:
                if not c.sock.recv(65536):
                    close(c, True)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                close(c, True)
        time.sleep(0.002)
    print(json.dumps(counts))


def retry_after(behaviour):
    return {"idle": IDLE_RETRY, "churn": 0.0}.get(behaviour, 0.5)


def first_bytes(behaviour):
    if behaviour == "subscriber":
        return b'{"v":1,"id":1,"cmd":"subscribe"}\n'
    if behaviour == "oversize":
        return b"x" * (2 << 20)
    if behaviour == "churn":
        return b'{"v":1,"id":1,"cmd":"version"}\n'
    return b""


def more_bytes(behaviour, rng):
    """The next burst of a behaviour, or None to close and reconnect (churn)."""
    if behaviour == "flood":
        return b"".join(b'{"v":1,"id":%d,"cmd":"status"}\n' % i for i in range(200))
    if behaviour == "garbage":
        return bytes(rng.getrandbits(8) for _ in range(4096)) + b"\n"
    if behaviour == "malformed":
        return b"\n".join(MALFORMED) + b"\n"
    if behaviour == "forbidden":
        return b"".join(b'{"v":1,"id":%d,"cmd":"%s"}\n' % (i, c) for i, c in enumerate((b"pause", b"rescan", b"reload")))
    if behaviour == "churn":
        return None
    if behaviour == "subscriber":
        return b""
    return b"y" * 65536  # oversize: keep the frame growing


if __name__ == "__main__":
    main()
