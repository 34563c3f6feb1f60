"""The demo org's logo, drawn as a PNG with nothing but zlib and struct."""

from __future__ import annotations

import functools
import struct
import zlib

SIZE = 128
_BLUE = (0, 121, 193, 255)  # Esri blue
_GREEN = (53, 172, 70, 255)
_WHITE = (255, 255, 255, 255)
_CLEAR = (0, 0, 0, 0)


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    # A globe: a blue disk, green land, white parallels and meridians.
    r = SIZE / 2 - 4
    dx, dy = x - SIZE / 2 + 0.5, y - SIZE / 2 + 0.5
    d2 = dx * dx + dy * dy
    if d2 > r * r:
        return _CLEAR
    if d2 > (r - 3) ** 2:
        return _WHITE
    half_width = (r * r - dy * dy) ** 0.5
    for k in (0.0, 0.5, 0.85):
        if abs(abs(dx) - k * half_width) < 1.2:
            return _WHITE
    if any(abs(dy - p * r) < 1.2 for p in (-0.5, 0.0, 0.5)):
        return _WHITE
    land = (dx + 18) ** 2 / 500 + (dy + 12) ** 2 / 300 < 1 or (dx - 20) ** 2 / 250 + (
        dy - 22
    ) ** 2 / 400 < 1
    return _GREEN if land else _BLUE


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=1)
def logo_png() -> bytes:
    """The logo as PNG bytes (RGBA, 128x128)."""
    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter type: none
        for x in range(SIZE):
            rows.extend(_pixel(x, y))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
