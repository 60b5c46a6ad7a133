#!/usr/bin/env python3
"""Writes runs/portfolio/system-load-synthetic.csv: a made-up hourly system load for the
portfolio example's [system_load] table, shaped like a Texas summer-peaking system (ERCOT's
2024 peak was about 85.5 GW in August; its winter peaks are lower and come on cold mornings).
It is NOT ERCOT's data: for a real study, give the EIA-930 balance files of the balancing
authority (e.g. ERCO), as `dcload headroom` reads them.

    scripts/synthetic-system-load.py > runs/portfolio/system-load-synthetic.csv

One calendar year (2024) on US Central standard time (-06:00), timestamp,MW:
  MW = 53,000 + 26,000 x summer(day) x (0.55 + 0.45 daily(hour)) + 7,000 x winter(day) x morning(hour)
       + 6,000 x daily(hour) - 2,500 on weekends + a deterministic ripple
with summer(day) a bump centred on 5 August, winter(day) one centred on 15 January, daily(hour)
peaking at 17:00 and morning(hour) at 07:00.
"""
import datetime
import math

start = datetime.datetime(2024, 1, 1)
print("timestamp,MW")
for i in range(8784):
    t = start + datetime.timedelta(hours=i)
    doy = t.timetuple().tm_yday
    summer = math.exp(-(((doy - 218) / 38.0) ** 2))
    winter = math.exp(-(((doy - 15) / 20.0) ** 2)) + math.exp(-(((doy - 380) / 20.0) ** 2))
    daily = 0.5 + 0.5 * math.cos(2 * math.pi * (t.hour - 17) / 24)
    morning = math.exp(-(((t.hour - 7) / 2.5) ** 2))
    weekend = 2500 if t.weekday() >= 5 else 0
    ripple = 900 * math.sin(i * 0.731) * math.sin(i * 0.0173)
    mw = 53000 + 26000 * summer * (0.55 + 0.45 * daily) + 7000 * winter * morning \
        + 6000 * daily - weekend + ripple
    print(f"{t:%Y-%m-%dT%H:00}-06:00,{mw:.0f}")
