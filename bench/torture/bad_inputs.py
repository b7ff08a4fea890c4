"""Bad input kinds for the torture suite: what a scanner, a careless copy or an attacker leaves in a watched folder.

Each kind writes one file system entry under a tree's watched folder and returns its path; the suite then asks
where it ended: cataloged (a row, active or duplicate), refused with a reason (a quarantine row with a reason), or
ignored with a logged reason (its name in the daemon's log). Anything else is silent — the finding the suite
exists to catch. Images are written by hand (zlib + CRC) so every byte is known.
"""
import base64
import os
import socket
import struct
import zlib

# A 16×16 grey baseline JPEG, a progressive one and a CMYK one (written once with Pillow, kept as bytes).
JPEG_BASELINE = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYU"
    "GBIUFRT/wAALCAAQABABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJ"
    "ipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APlv9m3RP+PX"
    "5fSv1A+DV9pfgbwrf+JNbuPsWi6PZS6hfXPltJ5MESGSR9qAs2FUnCgk44BNfn/+zbon/Hr8vpX2X8ftavvAH7FnxM1PT4Lea4n0yPSmW5VmURXk"
    "8VnKwCkHcI7hypzgMFJBGQf/2Q==")
JPEG_PROGRESSIVE = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYU"
    "GBIUFRT/wgALCAAQABABAREA/8QAFQABAQAAAAAAAAAAAAAAAAAABwj/2gAIAQEAAAABLagn9l//xAAZEAACAwEAAAAAAAAAAAAAAAADBAACBgX/"
    "2gAIAQEAAQUCzYZxriRVzYZ3zXQxf//EAB8QAAMAAgAHAAAAAAAAAAAAAAECAwARBAUSISJRof/aAAgBAQAGPwJcfibN0Riho7a3oDucXOZ0mFLG"
    "Yl5enIQ/Gz//xAAaEAACAwEBAAAAAAAAAAAAAAABEQAhQVFh/9oACAEBAAE/IeeWmkImYhZoZOeH6rABIZFaxeqf/9oACAEBAAAAEB//xAAZEAEB"
    "AQEBAQAAAAAAAAAAAAABEQChITH/2gAIAQEAAT8Q4m+yqZDwrBGBWeC7iYGo0gWhDCVYBIlH/9k=")
JPEG_CMYK = base64.b64decode(
    "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwAIBgYHBgUIBwcHCQkICgwUDQwLCwwZEhMPFB0aHx4dGhwcICQuJyAiLCMcHCg3KSwwMTQ0NB8nOT04Mjwu"
    "MzQy/8AAFAgACAAIBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAE"
    "EQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6"
    "g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkA"
    "SwAAPwD3+vTa269/r//Z")
GIF = base64.b64decode("R0lGODdhCAAIAIEAAICAgAAAAAAAAAAAACwAAAAACAAIAAAIDwABCBxIsKDBgwgTKkwYEAA7")
PNG_INTERLACED = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAAEUlEQVR4nGNsYEAFTAwjWgAAmZAAoC0n3a4AAAAASUVORK5CYII=")

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind, data, crc=None):
    """One PNG chunk: length, type, data, CRC-32 of type + data (or the given wrong one)."""
    c = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", c & 0xFFFFFFFF)


def ihdr(width, height, depth=8, color=0, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace))


def rows(width, height, samples=1, depth=8, filter_byte=0, seed=0):
    """Raw scanlines (a filter byte then the samples), a gradient so the image is not blank."""
    stride = (width * samples * depth + 7) // 8
    out = bytearray()
    for y in range(height):
        out.append(filter_byte)
        out += bytes(((x * 7 + y * 3 + seed) % 256) for x in range(stride))
    return bytes(out)


def png(width=32, height=32, depth=8, color=0, samples=1, before_idat=b"", after_idat=b"", data=None, end=True,
        seed=0, idat_crc=None):
    raw = rows(width, height, samples, depth, seed=seed) if data is None else data
    body = SIGNATURE + ihdr(width, height, depth, color) + before_idat + chunk(b"IDAT", zlib.compress(raw), idat_crc)
    return body + after_idat + (chunk(b"IEND", b"") if end else b"")


def truncated_after(data, fraction):
    return data[: max(1, int(len(data) * fraction))]


def _write(path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def kinds():
    """(name, writer) pairs; writer(class_dir, watch_root, scratch) makes the entry and returns its path."""
    valid = png(seed=11)
    k = []

    def file_kind(name, data, filename=None):
        k.append((name, lambda d, root, scratch, data=data, filename=filename:
                  _write(os.path.join(d, filename or f"{name}.png"), data)))

    # Not an image at all, under an image name.
    file_kind("empty", b"")
    file_kind("one-byte", b"\x89")
    file_kind("text", b"patient scan notes\n" * 20)
    file_kind("html", b"<!doctype html><title>x</title>")
    file_kind("pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    file_kind("elf", open("/bin/true", "rb").read()[:65536])
    file_kind("random-bytes", os.urandom(1 << 20))
    file_kind("zip", b"PK\x03\x04" + os.urandom(200))
    file_kind("gif-as-png", GIF)
    file_kind("bmp-as-png", b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + os.urandom(64))
    file_kind("tiff-as-png", b"II*\x00\x08\x00\x00\x00" + os.urandom(100))
    file_kind("dicom-as-png", b"\x00" * 128 + b"DICM" + os.urandom(300))
    # Broken PNGs.
    file_kind("png-signature-only", SIGNATURE)
    file_kind("png-truncated-ihdr", truncated_after(valid, 0.04))
    file_kind("png-truncated-idat", truncated_after(valid, 0.5))
    file_kind("png-no-iend", png(end=False, seed=12))
    file_kind("png-ihdr-bad-crc", SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 0, 0, 0, 0), crc=1)
              + valid[33:])
    file_kind("png-idat-bad-crc", png(seed=13, idat_crc=7))
    file_kind("png-zero-width", png(width=0, height=32, data=b""))
    file_kind("png-zero-height", png(width=32, height=0, data=b""))
    file_kind("png-declares-100k-square", SIGNATURE + ihdr(100000, 100000) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
              + chunk(b"IEND", b""))
    file_kind("png-declares-2^31-wide", SIGNATURE + ihdr(0x7FFFFFFF, 1) + chunk(b"IEND", b""))
    file_kind("png-bad-color-type", png(color=7, seed=14))
    file_kind("png-bad-bit-depth", png(depth=3, seed=15))
    file_kind("png-bad-filter-byte", png(data=rows(32, 32, filter_byte=9), seed=16))
    file_kind("png-bad-zlib", SIGNATURE + ihdr(32, 32) + chunk(b"IDAT", b"\x78\x9c" + os.urandom(200)) + chunk(b"IEND", b""))
    file_kind("png-short-idat", SIGNATURE + ihdr(32, 32) + chunk(b"IDAT", zlib.compress(rows(32, 8))) + chunk(b"IEND", b""))
    file_kind("png-zlib-bomb-idat", SIGNATURE + ihdr(32, 32) + chunk(b"IDAT", zlib.compress(b"\x00" * (64 << 20), 9))
              + chunk(b"IEND", b""))
    file_kind("png-unknown-critical-chunk", png(before_idat=chunk(b"CRIT", b"x" * 10), seed=17))
    file_kind("png-ztxt-1gib-declared", SIGNATURE + ihdr(32, 32) + struct.pack(">I", 1 << 30) + b"zTXt" + b"k\x00\x00x")
    file_kind("png-ztxt-bomb", png(before_idat=chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"A" * (256 << 20), 9)), seed=18))
    file_kind("png-iccp-bomb", png(before_idat=chunk(b"iCCP", b"p\x00\x00" + zlib.compress(b"\x00" * (128 << 20), 9)),
                                   seed=19))
    file_kind("png-50k-text-chunks", png(before_idat=b"".join(chunk(b"tEXt", b"k\x00v") for _ in range(50000)), seed=20))
    file_kind("png-two-ihdr", SIGNATURE + ihdr(32, 32) + valid[8:])
    file_kind("png-idat-before-ihdr", SIGNATURE + chunk(b"IDAT", zlib.compress(rows(32, 32))) + ihdr(32, 32)
              + chunk(b"IEND", b""))
    file_kind("png-palette-no-plte", png(color=3, seed=21))
    # Valid but unusual PNGs (cataloged, or refused with a reason).
    file_kind("png-1x1", png(width=1, height=1, seed=22))
    file_kind("png-1x4000", png(width=1, height=4000, seed=23))
    file_kind("png-16-bit", png(depth=16, samples=2, seed=24))
    file_kind("png-rgba", png(color=6, samples=4, seed=25))
    file_kind("png-grey-alpha", png(color=4, samples=2, seed=26))
    file_kind("png-palette", png(color=3, before_idat=chunk(b"PLTE", bytes(range(256)) * 3), seed=27))
    file_kind("png-1-bit", png(depth=1, seed=28))
    file_kind("png-interlaced", PNG_INTERLACED)
    file_kind("png-trailing-garbage", valid + os.urandom(4096))
    file_kind("png-all-black", png(data=b"\x00" * (33 * 32)))
    file_kind("png-upper-case-ext", png(seed=29), filename="upper.PNG")
    file_kind("png-named-jpg", png(seed=30), filename="png-named-jpg.jpg")
    # JPEGs.
    file_kind("jpeg-baseline", JPEG_BASELINE, filename="jpeg-baseline.jpg")
    file_kind("jpeg-progressive", JPEG_PROGRESSIVE, filename="jpeg-progressive.jpeg")
    file_kind("jpeg-cmyk", JPEG_CMYK, filename="jpeg-cmyk.jpg")
    file_kind("jpeg-soi-only", b"\xff\xd8", filename="jpeg-soi-only.jpg")
    file_kind("jpeg-truncated", truncated_after(JPEG_BASELINE, 0.6), filename="jpeg-truncated.jpg")
    file_kind("jpeg-bad-marker", JPEG_BASELINE[:200] + b"\xff\x01" + JPEG_BASELINE[202:], filename="jpeg-bad-marker.jpg")
    big = bytearray(JPEG_BASELINE)
    sof = big.find(b"\xff\xc0")
    big[sof + 5:sof + 9] = struct.pack(">HH", 65500, 65500)
    file_kind("jpeg-declares-65500-square", bytes(big), filename="jpeg-declares-65500-square.jpg")
    file_kind("jpeg-named-png", JPEG_BASELINE, filename="jpeg-named-png.png")
    # Names and places.
    file_kind("not-an-image-extension", valid, filename="scan.txt")
    # No extension: tried by content (PACS exports name DICOM files so), so a valid PNG is cataloged.
    file_kind("no-extension", valid, filename="scan-without-extension")
    file_kind("hidden-file", valid, filename=".hidden.png")
    file_kind("partial-download", valid, filename="download.png.part")
    file_kind("editor-backup", valid, filename="scan.png~")
    file_kind("spaces-and-unicode-name", png(seed=31), filename="röntgen aufnahme ü.png")
    file_kind("newline-in-name", png(seed=32), filename="line\nbreak.png")
    file_kind("255-byte-name", png(seed=33), filename="n" * 251 + ".png")
    k.append(("non-utf8-name", lambda d, root, scratch: _write(os.fsdecode(os.path.join(os.fsencode(d), b"s\xe9.png")),
                                                                png(seed=34))))
    k.append(("top-level-file", lambda d, root, scratch: _write(os.path.join(root, "top-level.png"), png(seed=35))))
    k.append(("unknown-class-folder", lambda d, root, scratch: _unknown_class(root)))
    k.append(("nested-folders", lambda d, root, scratch: _nested(d)))
    k.append(("symlink-to-scan", lambda d, root, scratch: _symlink(_write(os.path.join(scratch, "target.png"),
                                                                          png(seed=36)), os.path.join(d, "link.png"))))
    k.append(("dangling-symlink", lambda d, root, scratch: _symlink("/nonexistent/x.png", os.path.join(d, "dangling.png"))))
    k.append(("symlink-loop", lambda d, root, scratch: _symlink("loop.png", os.path.join(d, "loop.png"))))
    k.append(("symlink-to-dev-zero", lambda d, root, scratch: _symlink("/dev/zero", os.path.join(d, "zero.png"))))
    k.append(("fifo", lambda d, root, scratch: _fifo(os.path.join(d, "fifo.png"))))
    k.append(("unix-socket", lambda d, root, scratch: _unix_socket(os.path.join(d, "sock.png"))))
    k.append(("character-device", lambda d, root, scratch: _device(os.path.join(d, "device.png"))))
    k.append(("hard-link-of-scan", lambda d, root, scratch: _hardlink(d)))
    k.append(("exact-copy-of-scan", lambda d, root, scratch: _write(os.path.join(d, "copy-b.png"),
                                                                    open(_write(os.path.join(d, "copy-a.png"), png(seed=37)),
                                                                         "rb").read())))
    k.append(("sparse-10-gib", lambda d, root, scratch: _sparse(os.path.join(d, "sparse.png"), 10 << 30)))
    k.append(("over-max-file-size", lambda d, root, scratch: _write(os.path.join(d, "oversize.png"),
                                                                    png(seed=38) + os.urandom(3 << 20))))
    return k


def _unknown_class(root):
    os.makedirs(os.path.join(root, "not_a_class"), exist_ok=True)
    return _write(os.path.join(root, "not_a_class", "scan.png"), png(seed=39))


def _nested(d):
    folder = os.path.join(d, "a", "b", "c")
    os.makedirs(folder)
    return _write(os.path.join(folder, "deep.png"), png(seed=40))


def _symlink(target, path):
    os.symlink(target, path)
    return path


def _fifo(path):
    os.mkfifo(path)
    return path


def _unix_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()
    return path


def _device(path):
    os.mknod(path, 0o600 | 0o020000, os.makedev(1, 5))  # a character device, like /dev/zero
    return path


def _hardlink(d):
    a = _write(os.path.join(d, "linked-a.png"), png(seed=41))
    os.link(a, os.path.join(d, "linked-b.png"))
    return os.path.join(d, "linked-b.png")


def _sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path
