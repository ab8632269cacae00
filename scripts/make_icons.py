"""Draw the installable app's icons (hospitality/static/icons/) with the standard library alone: no fonts, no
network. The mark is a white house (a sales centre's front door) on the app's blue (pico's primary, #0172ad).

    python scripts/make_icons.py

icon-192.png and icon-512.png ("any"): a rounded blue square on transparency. icon-maskable-512.png: blue to
the edges, the mark inside the central safe circle (radius 40 %) a launcher's mask always keeps.
"""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "hospitality" / "static" / "icons"
BLUE = (0x01, 0x72, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis: 16 samples a pixel smooth the edges


def _in_house(x: float, y: float) -> bool:
    """The mark in a unit box: a roof, a body and a door cut out of it."""
    if 0.05 <= y < 0.45:  # the roof: a triangle from the apex (0.5, 0.05) to the eaves at y 0.45
        half = (y - 0.05) / 0.40 * 0.48
        return abs(x - 0.5) <= half
    if 0.45 <= y <= 0.95 and 0.14 <= x <= 0.86:
        return not (0.40 <= x <= 0.60 and y >= 0.62)  # the door
    return False


def _in_rounded_square(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def draw(size: int, maskable: bool) -> bytes:
    """RGBA rows of one icon."""
    mark = 0.50 if maskable else 0.60  # the mark's share of the side
    lo = (1 - mark) / 2
    step = 1 / (size * SAMPLES)
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 for the row
        for px in range(size):
            cover = white = 0
            for sy in range(SAMPLES):
                y = (py * SAMPLES + sy + 0.5) * step
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    if not maskable and not _in_rounded_square(x, y, 0.18):
                        continue
                    cover += 1
                    if lo <= x <= 1 - lo and lo <= y <= 1 - lo and _in_house((x - lo) / mark, (y - lo) / mark):
                        white += 1
            n = SAMPLES * SAMPLES
            if cover == 0:
                row += bytes(4)
                continue
            share = white / cover
            row += bytes(round(b + (w - b) * share) for b, w in zip(BLUE, WHITE, strict=True))
            row.append(round(255 * cover / n))
        rows.append(bytes(row))
    return b"".join(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
            + chunk(b"IEND", b""))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("icon-maskable-512.png", 512, True)):
        (OUT / name).write_bytes(png(size, draw(size, maskable)))
        print(OUT / name)


if __name__ == "__main__":
    main()
