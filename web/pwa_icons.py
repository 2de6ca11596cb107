"""Draw the app's icons (web/static/icons/icon-192.png, icon-512.png) with the standard
library only: a pressure gauge whose needle points down, white on the pages' blue.

Run ``python -m web.pwa_icons`` after changing the drawing; a test checks that the files in
the repository are what this module draws, so they cannot drift apart. The SVG beside them
(icon.svg) draws the same shapes for browsers that take a vector icon.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "static" / "icons"
SIZES = (192, 512)
BACKGROUND = (0x1F, 0x5F, 0x99)  # --accent of style.css
FOREGROUND = (0xFF, 0xFF, 0xFF)

# The shapes in units of the icon's side (0..1), all inside the maskable safe zone (the
# circle of radius 0.4 around the centre), so a round or squircle mask cuts nothing.
RING_RADIUS, RING_HALF_WIDTH = 0.27, 0.035
NEEDLE_FROM, NEEDLE_TO, NEEDLE_HALF_WIDTH = (0.5, 0.5), (0.64, 0.66), 0.03
HUB_RADIUS = 0.055


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from (x, y) to the segment a-b."""
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)


def coverage(x: float, y: float, pixel: float) -> float:
    """How much of the pixel centred at (x, y) (units of the side) the white shapes cover."""
    r = math.hypot(x - 0.5, y - 0.5)
    inside = min(
        abs(r - RING_RADIUS) - RING_HALF_WIDTH,
        _segment_distance(x, y, NEEDLE_FROM, NEEDLE_TO) - NEEDLE_HALF_WIDTH,
        r - HUB_RADIUS,
    )
    return max(0.0, min(1.0, 0.5 - inside / pixel))  # a one-pixel soft edge


def draw(size: int) -> bytes:
    """Return the PNG (8-bit RGB) of the icon at ``size`` x ``size`` pixels."""
    pixel = 1.0 / size
    rows = bytearray()
    for j in range(size):
        rows.append(0)  # filter: none
        y = (j + 0.5) * pixel
        for i in range(size):
            c = coverage((i + 0.5) * pixel, y, pixel)
            rows.extend(round(b + (f - b) * c) for b, f in zip(BACKGROUND, FOREGROUND,
                                                                strict=True))
    return _png(size, size, bytes(rows))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png(width: int, height: int, raw: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def main() -> None:
    """Write icon-<size>.png for every size into web/static/icons/."""
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (ICONS / f"icon-{size}.png").write_bytes(draw(size))


if __name__ == "__main__":
    main()
