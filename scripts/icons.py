#!/usr/bin/env python3
"""Draws the portal's PNG icons (web/icons/icon-192.png, icon-512.png): the
same picture as web/icons/icon.svg, a white tick on the accent blue, filling
the square so that a launcher may mask it (the tick stays inside the middle
80 %). Standard library only; run again after changing the picture."""
import struct
import sys
import zlib
from pathlib import Path

BLUE = (0x09, 0x69, 0xDA)
WHITE = (0xFF, 0xFF, 0xFF)
# The tick as in icon.svg (a 100-unit square): a polyline and its width.
TICK = [(28.0, 52.0), (44.0, 68.0), (73.0, 35.0)]
WIDTH = 10.0
SAMPLES = 3  # per axis, for smooth edges


def dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def on_tick(x, y):
    return any(dist(x, y, TICK[i], TICK[i + 1]) <= WIDTH / 2 for i in range(len(TICK) - 1))


def png(size):
    rows = []
    scale = 100.0 / size
    for j in range(size):
        row = bytearray([0])  # filter: none
        for i in range(size):
            hits = sum(
                on_tick((i + (a + 0.5) / SAMPLES) * scale, (j + (b + 0.5) / SAMPLES) * scale)
                for a in range(SAMPLES)
                for b in range(SAMPLES)
            )
            f = hits / SAMPLES**2
            row += bytes(round(c0 * (1 - f) + c1 * f) for c0, c1 in zip(BLUE, WHITE))
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "web" / "icons")
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
