#!/usr/bin/env python3
"""Revenue trend report: a notification script with a chart.

Draws the last 30 days of revenue as a PNG and sends it with a short
summary. The PNG is written with the standard library alone (zlib and a
hand-rolled rasteriser): no matplotlib, no pip, no network.

Like revenue_drop.py it replays the shipped data/daily_revenue.csv, one day
per real minute, so the chart changes as `make run` goes on. The cooldown
of 10 minutes makes it a periodic report.

The image goes to ~/.notifications/out/ (inside the user's own home, not a
shared /tmp where another user could plant a link); notify-runner checks it
is a real PNG and publishes a copy for the app and Telegram.
"""
import csv
import json
import os
import struct
import sys
import time
import zlib

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "daily_revenue.csv")
OUT = os.path.join(os.path.expanduser("~"), ".notifications", "out", "revenue_chart.png")
W, H, PAD = 640, 300, 24

WHITE, GRID, AXIS = (255, 255, 255), (232, 235, 240), (150, 155, 165)
LINE, AVG, LAST = (31, 111, 235), (160, 160, 160), (220, 50, 47)


class Canvas:
    def __init__(self, w, h, bg):
        self.w, self.h = w, h
        self.px = [bytearray(bytes(bg) * w) for _ in range(h)]

    def dot(self, x, y, c, r=0):
        for yy in range(int(y) - r, int(y) + r + 1):
            for xx in range(int(x) - r, int(x) + r + 1):
                if 0 <= xx < self.w and 0 <= yy < self.h:
                    self.px[yy][3 * xx:3 * xx + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, r=0, dash=0):
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) or 1
        for i in range(steps + 1):
            if dash and (i // dash) % 2:
                continue
            t = i / steps
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, c, r)

    def png(self):
        raw = b"".join(b"\x00" + bytes(row) for row in self.px)

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def main():
    with open(DATA, newline="") as f:
        rows = [(r["date"], float(r["revenue"])) for r in csv.DictReader(f)]
    history = 30
    latest = history + int(time.time() // 60) % (len(rows) - history)
    window = rows[latest - history + 1:latest + 1]
    values = [v for _, v in window]
    lo, hi = min(values) * 0.9, max(values) * 1.05
    avg = sum(values) / len(values)

    def xy(i, v):
        return (PAD + i * (W - 2 * PAD) / (len(values) - 1),
                H - PAD - (v - lo) * (H - 2 * PAD) / (hi - lo))

    c = Canvas(W, H, WHITE)
    for k in range(5):  # horizontal grid
        y = PAD + k * (H - 2 * PAD) / 4
        c.line(PAD, y, W - PAD, y, GRID)
    c.line(PAD, H - PAD, W - PAD, H - PAD, AXIS)
    c.line(PAD, PAD, PAD, H - PAD, AXIS)
    _, ya = xy(0, avg)
    c.line(PAD, ya, W - PAD, ya, AVG, dash=6)
    points = [xy(i, v) for i, v in enumerate(values)]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        c.line(x0, y0, x1, y1, LINE, r=1)
    c.dot(*points[-1], LAST, r=4)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + ".tmp"
    with open(tmp, "wb") as f:
        f.write(c.png())
    os.replace(tmp, OUT)

    first, last = window[0], window[-1]
    change = last[1] / avg - 1
    print(f"chart of {first[0]}..{last[0]} written to {OUT}", file=sys.stderr)
    print(json.dumps({
        "notify": True,
        "title": f"Revenue, 30 days to {last[0]}",
        "message": (f"Latest day {last[1]:,.0f} ({change:+.0%} against the 30-day average of {avg:,.0f}). "
                    f"Best day {max(values):,.0f}, worst {min(values):,.0f}."),
        "image_path": OUT,
        "cooldown": "10m",
        "data": {"from": first[0], "to": last[0], "average": round(avg, 2)},
    }))


if __name__ == "__main__":
    main()
