#!/usr/bin/env python3
"""Revenue drop alert: a text-only notification script.

Compares the latest day's revenue with the same weekday of the four weeks
before it and alerts when it is more than 20% lower.

It reads data/daily_revenue.csv, shipped next to it. To give a live demo
on static data it replays that file: every real minute is one day of the
file, so under `make run` the "latest day" moves on every minute and some
runs alert while others stay quiet. Point DATA at your own extract and drop
the replay to use it for real.

The contract: print ONE JSON object on stdout (debugging goes to stderr).
Standard library only, no network.
"""
import csv
import json
import os
import sys
import time

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "daily_revenue.csv")
THRESHOLD = 0.20  # alert when revenue is this much below the usual level


def main():
    with open(DATA, newline="") as f:
        rows = [(r["date"], float(r["revenue"]), int(r["orders"])) for r in csv.DictReader(f)]
    # Replay: the first 28 rows are history only; then one row per minute.
    history = 28
    latest = history + int(time.time() // 60) % (len(rows) - history)
    date, revenue, orders = rows[latest]
    same_weekday = [rows[latest - 7 * k][1] for k in range(1, 5)]
    usual = sum(same_weekday) / len(same_weekday)
    change = revenue / usual - 1
    print(f"{date}: {revenue:.0f} vs usual {usual:.0f} ({change:+.1%})", file=sys.stderr)

    if change > -THRESHOLD:
        print(json.dumps({"notify": False, "data": {"date": date, "change": round(change, 4)}}))
        return
    print(json.dumps({
        "notify": True,
        "title": f"Revenue down {-change:.0%} on {date}",
        "message": (
            f"Revenue was {revenue:,.0f} from {orders} orders, against a usual "
            f"{usual:,.0f} for this weekday (average of the 4 weeks before).\n"
            "Check the checkout funnel and payment provider status."
        ),
        "cooldown": "2m",
        "data": {"date": date, "revenue": revenue, "usual": round(usual, 2), "change": round(change, 4)},
    }))


if __name__ == "__main__":
    main()
