# Draws the app icons (the favicon's speech bubble) as real PNGs, with
# 4x supersampling for smooth edges; no imaging library needed.
import struct, zlib, sys

BLUE = (0x25, 0x63, 0xeb)
WHITE = (255, 255, 255)

def inside_rounded(x, y, x0, y0, x1, y1, r):
    if x < x0 or x > x1 or y < y0 or y > y1:
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

def inside_tail(x, y):
    # triangle (20,44) (30,44) (20,52) in the favicon's 64-unit box
    ax, ay, bx, by, cx, cy = 20, 43, 31, 43, 20, 52
    def s(px, py, qx, qy, rx, ry):
        return (px - rx) * (qy - ry) - (qx - rx) * (py - ry)
    d1 = s(x, y, ax, ay, bx, by); d2 = s(x, y, bx, by, cx, cy); d3 = s(x, y, cx, cy, ax, ay)
    neg = d1 < 0 or d2 < 0 or d3 < 0; pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)

def colour(u, v, maskable):
    # u, v in favicon units (0..64)
    if maskable:
        # full-bleed background; the bubble shrunk into the 80% safe zone
        u = (u - 32) / 0.72 + 32
        v = (v - 32) / 0.72 + 32
        bg = True
    else:
        bg = inside_rounded(u, v, 0, 0, 64, 64, 14)
    if not bg:
        return None
    if inside_rounded(u, v, 10, 18, 54, 44, 4) or inside_tail(u, v):
        return WHITE
    return BLUE

def png(size, maskable):
    ss = 4
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    u = (x + (sx + 0.5) / ss) * 64 / size
                    v = (y + (sy + 0.5) / ss) * 64 / size
                    c = colour(u, v, maskable)
                    if c:
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = ss * ss
            a = acc[3] // n
            if a:
                row += bytes([acc[0] * 255 // acc[3], acc[1] * 255 // acc[3], acc[2] * 255 // acc[3], a])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")

for name, size, mask in [("icon-192.png", 192, False), ("icon-512.png", 512, False), ("icon-maskable-512.png", 512, True)]:
    open(sys.argv[1] + "/" + name, "wb").write(png(size, mask))
