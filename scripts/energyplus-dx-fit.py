#!/usr/bin/env python3
"""Fit the DX/CRAC plant's free parameters (models/cooling/air-dx-pumped.toml) to the EnergyPlus
reference (tests/fixtures/energyplus-dx/monthly.csv) on the fitting climates only, and print the
monthly PUE error on every climate.

    scripts/energyplus-dx-fit.py ENERGYPLUS_DIR [tests/fixtures/energyplus-dx/monthly.csv]

The plant equations mirror src/model/facility/physics/cooling/dx.rs (the Rust test checks the
shipped plant, not this copy). Standard library only: a coordinate search, not a library fit.
"""
import csv
import importlib.util
import math
import os
import sys

FIT = ["san-francisco", "golden", "chicago"]
HELD_OUT = ["tampa", "sterling", "phoenix"]
# The climates' EPW files: the table the EnergyPlus runs use (one list for both scripts).
_spec = importlib.util.spec_from_file_location(
    "energyplus_dx", os.path.join(os.path.dirname(os.path.abspath(__file__)), "energyplus-dx.py")
)
_runs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_runs)
EPW = _runs.CLIMATES
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
# Design IT heat of the EnergyPlus hall: its mean IT power at 100 % load, kW (fixture).
DESIGN_KW = 86.0
FIXED = {
    "fan_fraction": 5.9153 / DESIGN_KW,  # EC plug fan: 8.5 m3/s x 486 Pa / 0.7 (EnergyPlus eplusout)
    "fan_curve": (0.06990146, 1.39500612, -3.35487336, 2.89232315),
    "fan_min_flow": 0.05,
    "capacity_fraction": 148.3 / DESIGN_KW,
    "part_load_degradation": 0.15,
    "return_c": 29.3,
    "cop_min": 2.0,  # not reached (the Carnot COP at 48 C is 3.4)
}


def carnot(eta, te, tc, lo, hi):
    lift = tc - te
    ideal = eta * (te + 273.15)
    if lift * hi <= ideal:
        return hi
    return max(lo, min(hi, ideal / lift))


def plant_w(p, q, t):
    """Cooling electric power for IT heat q (W, design DESIGN_KW) at dry bulb t."""
    d = DESIGN_KW * 1000.0
    heat = max(0.0, q - p["envelope_ua_fraction"] * d * (p["return_c"] - t))
    x = min(1.0, max(p["fan_min_flow"], heat / (p["full_flow_fraction"] * d)))
    c = p["fan_curve"]
    fan = p["fan_fraction"] * d * (c[0] + x * (c[1] + x * (c[2] + x * c[3])))
    load = heat + fan
    if t <= p["economiser_full_c"]:
        free = 1.0
    elif t >= p["economiser_none_c"]:
        free = 0.0
    else:
        free = (p["economiser_none_c"] - t) / (p["economiser_none_c"] - p["economiser_full_c"])
    cop = carnot(p["carnot_fraction"], p["evaporating_c"], t + p["condenser_approach_c"],
                 p["cop_min"], p["cop_max"])
    per_w = (1.0 - free) / cop + free * p["pump_fraction"]
    plr = min(1.0, load / (p["capacity_fraction"] * d))
    plf = 1.0 - p["part_load_degradation"] * (1.0 - plr)
    return fan + load * per_w / plf


def dry_bulbs(path):
    with open(path, encoding="latin-1") as f:
        rows = f.read().splitlines()[8:]
    return [float(r.split(",")[6]) for r in rows if r]


def weather_file(ep_dir, csv_path, climate, file):
    """The wheel's copy, else the fixture's excerpt (Phoenix: not in the wheel; held out, so only
    reported, never fitted on)."""
    path = os.path.join(ep_dir, "WeatherData", file)
    if os.path.exists(path):
        return path
    return os.path.join(os.path.dirname(csv_path), f"{climate}.epw")


def reference(csv_path):
    out = {}
    with open(csv_path) as f:
        for r in csv.DictReader(f):
            out[(r["climate"], int(r["it_load_pct"]), int(r["month"]))] = r
    return out


def monthly_pue(p, temps, it_kwh_by_month):
    pues, h = [], 0
    for m, days in enumerate(DAYS):
        hours = days * 24
        q = it_kwh_by_month[m] / hours * 1000.0
        cool = sum(plant_w(p, q, t) for t in temps[h:h + hours])
        pues.append(1.0 + cool / (q * hours))
        h += hours
    return pues


def errors(p, ref, temps, climates, loads=(10, 25, 50, 100)):
    errs = []
    for c in climates:
        for load in loads:
            it = [float(ref[(c, load, m + 1)]["it_kwh"]) for m in range(12)]
            got = monthly_pue(p, temps[c], it)
            errs += [g - float(ref[(c, load, m + 1)]["pue"]) for m, g in enumerate(got)]
    return errs


def main():
    ep_dir = sys.argv[1]
    csv_path = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/energyplus-dx/monthly.csv"
    ref = reference(csv_path)
    temps = {c: dry_bulbs(weather_file(ep_dir, csv_path, c, f)) for c, f in EPW.items()}
    p = dict(FIXED)
    p.update({
        "carnot_fraction": 0.6, "evaporating_c": 12.0, "condenser_approach_c": 15.0,
        "cop_max": 20.0, "economiser_full_c": 0.0, "economiser_none_c": 5.0,
        "pump_fraction": 0.015, "full_flow_fraction": 0.6, "envelope_ua_fraction": 0.001,
    })
    free = {"carnot_fraction": 0.02, "cop_max": 2.0, "economiser_full_c": 1.0,
            "economiser_none_c": 1.0, "pump_fraction": 0.003, "full_flow_fraction": 0.03,
            "envelope_ua_fraction": 0.0003, "part_load_degradation": 0.02}

    def cost(q):
        return sum(e * e for e in errors(q, ref, temps, FIT))

    best = cost(p)
    for _ in range(6):
        for k, step in free.items():
            for s in (step, step / 4):
                for sign in (1, -1):
                    while True:
                        q = dict(p)
                        q[k] = p[k] + sign * s
                        if q["economiser_full_c"] >= q["economiser_none_c"] or q[k] < 0 and k != "economiser_full_c":
                            break
                        c = cost(q)
                        if c < best:
                            p, best = q, c
                        else:
                            break
    for k in free:
        print(f"{k} = {p[k]:.4g}")
    for group, cl in (("fit", FIT), ("held out", HELD_OUT)):
        for c in cl:
            for load in (10, 25, 50, 100):
                e = errors(p, ref, temps, [c], (load,))
                print(f"{group:8} {c:14} {load:3} %: worst monthly PUE error {max(e, key=abs):+.4f}")


if __name__ == "__main__":
    main()
