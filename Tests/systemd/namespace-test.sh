#!/bin/bash
# Boots a real systemd as PID 1 of private namespaces (unshare --fork --pid --mount --uts --cgroup
# --mount-proc) and drives cohortd.service and cohortd.socket through it with systemctl (nsenter):
# start → active (running) with READY=1 → cohortctl → a scan dropped by a member of group `cohort` (not
# root) is cataloged → reload (SIGHUP: RELOADING=1 … READY=1) → stop with Result=success → socket
# activation on the first cohortctl call → stop.
#
# The host is left alone: the namespace sees a private copy of /etc (with the cohort user made by
# systemd-sysusers from systemd/cohort.sysusers), tmpfs over /run, /tmp, /var/tmp, /var/lib, /var/log,
# /srv and /usr/local, and a systemd whose unit path is only /run/systemd/system (SYSTEMD_UNIT_PATH), so
# none of the host's units (tmpfiles cleaning, udev, sysctl…) run. The units, the sysusers and tmpfiles
# files and the default configuration are the shipped ones, unchanged, set up with the README's steps only
# (systemd-sysusers, systemd-tmpfiles --create): nothing here creates or chowns the roots. One drop-in sends
# cohortd's output to a file because this systemd runs no journald.
#
# usage: namespace-test.sh BINDIR     exit 0 pass, 1 fail, 77 skipped (with the reason on stdout)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" = "--inside" ]; then
    work=$2
    set -e
    mount --bind "$work/root/etc" /etc
    # What comes from the host is copied in before tmpfs mounts could hide it (the work folder and the
    # repository may live under /tmp or /var/tmp).
    for dir in /run /usr/local; do mount -t tmpfs -o mode=0755 tmpfs "$dir"; done
    mkdir -p /usr/local/bin /usr/local/libexec/cohort /run/systemd/system/cohortd.service.d
    cp "$work/bin/cohortd" "$work/bin/cohortctl" /usr/local/bin/
    cp "$work/bin/cohort-dicom-helper" "$repo/systemd/cohort-dicom-deliver" /usr/local/libexec/cohort/
    cp "$repo/systemd/cohortd.service" "$repo/systemd/cohortd.socket" /run/systemd/system/
    cp "$repo/systemd/cohort-dicom.socket" "$repo/systemd/cohort-dicom@.service" /run/systemd/system/
    cp "$repo/systemd/cohort.tmpfiles" /run/cohort-test.tmpfiles
    cp "$work/scan.png" /run/cohort-test-scan.png
    cp "$work/scan.dcm" /run/cohort-test-scan.dcm
    for dir in /tmp /var/tmp /var/lib /var/log /srv; do mount -t tmpfs -o mode=0755 tmpfs "$dir"; done
    chmod 1777 /tmp /var/tmp
    printf '[Service]\nStandardOutput=append:/run/cohortd-test.log\nStandardError=inherit\n' \
        > /run/systemd/system/cohortd.service.d/test-log.conf
    cd /run/systemd/system
    printf '[Unit]\nDescription=Cohort namespace test\nDefaultDependencies=no\n' > cohort-test.target
    # The targets and slice the units' default dependencies name, as empty stand-ins.
    for target in sysinit basic sockets shutdown multi-user local-fs paths timers network; do
        printf '[Unit]\nDescription=%s (namespace test)\nDefaultDependencies=no\n' "$target" > "$target.target"
    done
    printf '[Unit]\nDescription=System Slice\nDefaultDependencies=no\n' > system.slice
    systemd-tmpfiles --create /run/cohort-test.tmpfiles
    export SYSTEMD_UNIT_PATH=/run/systemd/system
    exec /lib/systemd/systemd --system --unit=cohort-test.target
fi

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, mounts, systemd as PID 1)"
bindir=$(cd "${1:?usage: namespace-test.sh BINDIR}" && pwd)
for tool in unshare nsenter systemd-sysusers systemd-tmpfiles systemctl; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -x /lib/systemd/systemd ] || skip "/lib/systemd/systemd is not installed"
[ -x "$bindir/cohortd" ] && [ -x "$bindir/cohortctl" ] && [ -x "$bindir/cohort-dicom-helper" ] || { echo "FAIL: no cohortd/cohortctl/cohort-dicom-helper in $bindir"; exit 1; }
unshare --fork --pid --mount --uts --cgroup --mount-proc true 2>/dev/null || skip "cannot create pid/mount/uts/cgroup namespaces here"
# systemd needs a cgroup hierarchy it can manage: unified (cgroup2) or the hybrid layout's name=systemd.
[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] || mountpoint -q /sys/fs/cgroup/unified || mountpoint -q /sys/fs/cgroup/systemd \
    || skip "no cgroup hierarchy systemd could manage is mounted at /sys/fs/cgroup"

work=$(mktemp -d /var/tmp/cohort-systemd-test.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    sleep 0.2
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/root" "$work/bin"
cp -a /etc "$work/root/etc"
cp "$bindir/cohortd" "$bindir/cohortctl" "$bindir/cohort-dicom-helper" "$work/bin/"
systemd-sysusers --root="$work/root" "$repo/systemd/cohort.sysusers" >/dev/null || { echo "FAIL: systemd-sysusers on systemd/cohort.sysusers"; exit 1; }
mkdir -p "$work/root/etc/cohort"
cp "$repo/etc/cohort/cohortd.yaml" "$work/root/etc/cohort/cohortd.yaml"
# An operator who is not root: a member of group cohort (README: members drop scans into incoming/<dataset>/<class>/).
useradd --root "$work/root" --no-create-home --groups cohort --shell /bin/sh radiographer >/dev/null 2>&1 \
    || { echo "FAIL: useradd radiographer in the namespace's /etc"; exit 1; }
# A 64×64 8-bit grey PNG (Python's standard library only) for the operator to drop.
python3 - "$work/scan.png" <<'PY' || { echo "FAIL: writing the test scan"; exit 1; }
import struct, sys, zlib
side = 64
rows = b"".join(b"\x00" + bytes((x * 3 + y * 5) % 256 for x in range(side)) for y in range(side))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
# A 64×64 12-bit DICOM Part 10 file (explicit VR little endian; standard library only): the sandboxed
# daemon must spawn cohort-dicom-helper from ../libexec/cohort to read it.
for variant in 1 2; do python3 - "$work/scan-$variant.dcm" "$variant" <<'PY' || { echo "FAIL: writing the test DICOM file"; exit 1; }
import struct, sys
def element(group, elem, vr, value):
    if vr in (b"OB", b"OW", b"UN", b"SQ", b"UT"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value
def text(value):
    value = value.encode()
    return value + (b"\0" if len(value) % 2 else b"")
sop, syntax = "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.1.2.1"
meta = element(2, 1, b"OB", b"\0\1") + element(2, 2, b"UI", text(sop)) + element(2, 3, b"UI", text("1.2.3.4.5")) + element(2, 0x10, b"UI", text(syntax))
side = 64
data = (element(8, 0x16, b"UI", text(sop)) + element(8, 0x18, b"UI", text("1.2.3.4.5")) + element(8, 0x60, b"CS", text("DX"))
        + element(0x10, 0x20, b"LO", text("NAMESPACE-TEST")) + element(0x28, 2, b"US", struct.pack("<H", 1))
        + element(0x28, 4, b"CS", text("MONOCHROME2")) + element(0x28, 0x10, b"US", struct.pack("<H", side))
        + element(0x28, 0x11, b"US", struct.pack("<H", side)) + element(0x28, 0x100, b"US", struct.pack("<H", 16))
        + element(0x28, 0x101, b"US", struct.pack("<H", 12)) + element(0x28, 0x102, b"US", struct.pack("<H", 11))
        + element(0x28, 0x103, b"US", struct.pack("<H", 0))
        + element(0x7FE0, 0x10, b"OW", b"".join(struct.pack("<H", (x * 37 * int(sys.argv[2]) + y * 53) % 4096) for y in range(side) for x in range(side))))
open(sys.argv[1], "wb").write(b"\0" * 128 + b"DICM" + element(2, 0, b"UL", struct.pack("<I", len(meta))) + meta + data)
PY
done
cp "$work/scan-1.dcm" "$work/scan.dcm"

unshare --fork --pid --mount --uts --cgroup --mount-proc --propagation private "$0" --inside "$work" > "$work/boot.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 100); do
    pid=$(pgrep -P "$unshare_pid" | head -1)
    [ -n "$pid" ] && break
    sleep 0.1
done
[ -n "$pid" ] || { echo "FAIL: systemd did not start"; cat "$work/boot.log"; exit 1; }
ns() { nsenter -t "$pid" -m -p -- "$@"; }

failures=0
check() { # check DESCRIPTION COMMAND...
    local description=$1; shift
    if "$@"; then echo "ok   $description"; else echo "FAIL $description"; failures=$((failures + 1)); fi
}
wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.2; done
}
property() { ns systemctl show -p "$2" --value "$1"; }
booted() { case "$(ns systemctl is-system-running 2>/dev/null)" in running|degraded) return 0 ;; *) return 1 ;; esac; }
is_value() { [ "$(property "$1" "$2")" = "$3" ]; }

check "systemd boots in the namespace" wait_for 30 booted
[ $failures -eq 0 ] || { cat "$work/boot.log"; exit 1; }

# 1. start: Type=notify, so `systemctl start` returns once cohortd sent READY=1 (catalog open, socket bound).
check "systemctl start cohortd.service" ns timeout 60 systemctl start cohortd.service
check "cohortd.service is active (running)" bash -c "$(declare -f ns); pid=$pid; ns systemctl status --no-pager cohortd.service | grep -q 'active (running)'"
check "the socket came from cohortd.socket (LISTEN_FDS)" wait_for 5 ns grep -q "socket passed by systemd" /run/cohortd-test.log
check "socket is cohort:cohort 0660" bash -c "[ \"\$(nsenter -t $pid -m -- stat -c '%U:%G %a' /run/cohort/cohortd.sock)\" = 'cohort:cohort 660' ]"
check "cohortd runs as the cohort user" bash -c "[ \"\$(nsenter -t $pid -m -p -- ps -o user= -p \$(nsenter -t $pid -m -p -- systemctl show -p MainPID --value cohortd.service))\" = cohort ]"
check "cohortctl status answers with the default configuration's dataset" bash -c "nsenter -t $pid -m -p -- /usr/local/bin/cohortctl status | grep -q chest"
check "cohortctl version answers" bash -c "nsenter -t $pid -m -p -- /usr/local/bin/cohortctl version >/dev/null"
check "STATUS= reaches systemd" bash -c "nsenter -t $pid -m -p -- systemctl show -p StatusText --value cohortd.service | grep -q ."

# 2. a member of group cohort (not root) makes a class folder under the setgid root and drops a scan: cataloged.
check "the default roots exist as systemd-tmpfiles made them" bash -c "[ \"\$(nsenter -t $pid -m -- stat -c '%U:%G %a' /srv/cohort/incoming/chest)\" = 'cohort:cohort 2775' ]"
check "a group member drops a scan into incoming/chest/normal/" ns setpriv --reuid radiographer --regid radiographer --init-groups \
    sh -c "umask 002 && mkdir /srv/cohort/incoming/chest/normal && cp /run/cohort-test-scan.png /srv/cohort/incoming/chest/normal/scan-1.png"
check "the class folder keeps group cohort (setgid)" bash -c "[ \"\$(nsenter -t $pid -m -- stat -c '%G' /srv/cohort/incoming/chest/normal)\" = cohort ]"
cataloged() {
    ns /usr/local/bin/cohortctl status --json | python3 -c 'import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(c["class"] == "normal" and c["real"] == 1 for d in s["datasets"] for c in d["classes"]) else 1)'
}
check "the dropped scan is cataloged" wait_for 30 cataloged
check "a group member drops a DICOM file without an extension" ns setpriv --reuid radiographer --regid radiographer --init-groups \
    sh -c "umask 002 && cp /run/cohort-test-scan.dcm /srv/cohort/incoming/chest/normal/1.2.3.4.5"
dicom_cataloged() {
    ns /usr/local/bin/cohortctl status --json | python3 -c 'import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(c["class"] == "normal" and c["real"] == 2 for d in s["datasets"] for c in d["classes"]) else 1)'
}
check "the sandboxed daemon reads it through cohort-dicom-helper" wait_for 30 dicom_cataloged

# 2b. a modality pushes over the network: C-STORE to the socket-activated receiver, called AE NORMAL.
if command -v storescu >/dev/null; then
    check "systemctl start cohort-dicom.socket" ns timeout 30 systemctl start cohort-dicom.socket
    check "storescu C-STORE to 127.0.0.1:11112 (called AE NORMAL)" timeout 60 storescu -aec NORMAL -aet MODALITY 127.0.0.1 11112 "$work/scan-2.dcm"
    received() {
        ns /usr/local/bin/cohortctl status --json | python3 -c 'import json, sys
s = json.load(sys.stdin)
sys.exit(0 if any(c["class"] == "normal" and c["real"] == 3 for d in s["datasets"] for c in d["classes"]) else 1)'
    }
    check "the received object ends as a cataloged image in class normal" wait_for 30 received
    check "the spool is empty again" bash -c "[ -z \"\$(nsenter -t $pid -m -- ls -A /srv/cohort/spool/dicom)\" ]"
    check "systemctl stop cohort-dicom.socket" ns timeout 30 systemctl stop cohort-dicom.socket
else
    echo "skip the DICOM receiver checks: storescu (Debian dcmtk) is not installed"
fi

# 3. reload: SIGHUP through ExecReload with the configuration as shipped; the daemon says it reloaded.
check "systemctl reload cohortd.service" ns timeout 30 systemctl reload cohortd.service
check "the reload was applied" wait_for 10 ns grep -q "configuration reloaded (SIGHUP): applied" /run/cohortd-test.log
check "active again after the reload" wait_for 10 is_value cohortd.service ActiveState active
main_before=$(property cohortd.service MainPID)

# 4. stop: SIGTERM → STOPPING=1 → clean exit.
check "systemctl stop cohortd.service" ns timeout 60 systemctl stop cohortd.service
check "Result=success after stop" is_value cohortd.service Result success
check "cohortd exited with status 0" is_value cohortd.service ExecMainStatus 0
check "the same process served until the stop (no restart)" [ "$(property cohortd.service NRestarts)" = 0 ]

# 5. socket activation: the socket stays, and the first client starts the service again.
check "cohortd.socket still listening" is_value cohortd.socket ActiveState active
check "cohortctl version starts cohortd through the socket" bash -c "nsenter -t $pid -m -p -- timeout 60 /usr/local/bin/cohortctl version >/dev/null"
check "cohortd.service active again" wait_for 20 is_value cohortd.service ActiveState active
check "a new main process" [ "$(property cohortd.service MainPID)" != "$main_before" ]
check "systemctl stop cohortd.socket cohortd.service" ns timeout 60 systemctl stop cohortd.socket cohortd.service
check "Result=success after the second stop" is_value cohortd.service Result success

if [ $failures -ne 0 ]; then
    echo "--- cohortd output"; ns cat /run/cohortd-test.log 2>/dev/null | tail -40
    echo "--- systemctl status"; ns systemctl status --no-pager cohortd.service cohortd.socket 2>&1 | tail -30
    exit 1
fi
echo "PASS: systemd namespace test"
