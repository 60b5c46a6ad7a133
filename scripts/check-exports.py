"""Loads each of `dcload dynamics --export`'s files into the open tool that reads it and checks
the values against dcload's waveform.csv; exits non-zero on any mismatch.

Run by scripts/check-exports.sh (which builds the venv and runs dcload) with the folders of
the COMTRADE runs (--comtrade, one per encoding), the run with the OpenDSS and ANDES files of
the grid series (--tools) and one with ANDES's of the unmitigated facility (--facility).
Tolerances are the precisions each file states (src/dynamics/export/).
"""

import argparse
import csv
import math
import os
import shutil
import sys

FAILS = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        FAILS.append(what)


def waveform(folder):
    with open(os.path.join(folder, "waveform.csv")) as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in ("t_s", "grid_mw", "facility_mw")}


# The CSV writes MW with 4 decimals: half a unit of its last place.
CSV_HALF = 0.5e-4


def comtrade_check(folder):
    import comtrade

    wf = waveform(folder)
    cfg = os.path.join(folder, "waveform.cfg")
    rec = comtrade.load(cfg, os.path.join(folder, "waveform.dat"))
    ft = rec.cfg.ft
    n = len(wf["grid_mw"])
    print(f"COMTRADE {ft}: {folder}")
    check(rec.cfg.rev_year in (2013, "2013"), f"revision year 2013 (read {rec.cfg.rev_year})")
    check(rec.analog_count == 2, f"2 analog channels (read {rec.analog_count})")
    check(rec.total_samples == n, f"{n} samples (read {rec.total_samples})")
    rates = rec.cfg.sample_rates
    dt = wf["t_s"][1] - wf["t_s"][0]
    check(len(rates) == 1 and abs(rates[0][0] - 1 / dt) < 1e-9 and rates[0][1] == n,
          f"one rate of {1 / dt} Hz to sample {n} (read {rates})")
    check(list(rec.analog_channel_ids) == ["P grid", "P facility"],
          f"channel names (read {rec.analog_channel_ids})")
    check([c.uu for c in rec.cfg.analog_channels] == ["MW", "MW"], "units MW")
    check(abs(rec.frequency - 60) < 1e-9, f"line frequency 60 Hz (read {rec.frequency})")
    start = rec.start_timestamp
    check((start.year, start.month, start.day, start.hour, start.minute) == (2025, 7, 11, 16, 12),
          f"start 2025-07-11 16:12 (read {start})")
    # The comtrade package keeps times and values as 32-bit floats: its rounding comes on top.
    t = rec.time
    tt = wf["t_s"][-1] * 2 ** -23 + 1e-6
    check(max(abs(t[k] - wf["t_s"][k]) for k in range(n)) <= tt,
          f"sample times match waveform.csv within {tt:.1e} s")
    for i, (col, ch) in enumerate([("grid_mw", "P grid"), ("facility_mw", "P facility")]):
        a = rec.cfg.analog_channels[i].a
        got = rec.analog[i]
        want = wf[col]
        err = max(abs(g - w) for g, w in zip(got, want))
        f32 = max(abs(w) for w in want) * 2 ** -23
        tol = f32 + CSV_HALF + (0 if ft.upper() == "FLOAT32" else a / 2)
        check(err <= tol * (1 + 1e-9),
              f"{ch}: values within {tol:.2e} MW of waveform.csv (largest difference {err:.2e})")


def opendss_check(folder):
    import opendssdirect as dss

    wf = waveform(folder)
    p_kw = [v * 1000 for v in wf["grid_mw"]]
    n = len(p_kw)
    dt = wf["t_s"][1] - wf["t_s"][0]
    print(f"OpenDSS {dss.Basic.Version().split(';')[0]}: {folder}")
    here = os.getcwd()
    os.chdir(folder)
    try:
        dss.Text.Command("Clear")
        # A stiff 34.5 kV source and a short, near-lossless line to the campus bus.
        dss.Text.Command("New Circuit.check basekv=34.5 pu=1.0 phases=3 bus1=src MVAsc3=1e7 MVAsc1=1e7")
        dss.Text.Command("New Line.feeder bus1=src bus2=dcload phases=3 r1=0.0001 x1=0.001 "
                         "r0=0.0003 x0=0.003 length=1 units=km")
        dss.Text.Command("Redirect loadshape.dss")
        dss.Text.Command("Set voltagebases=[34.5]")
        dss.Text.Command("Calcv")
        ls_names = dss.LoadShape.AllNames()
        shape = [s for s in ls_names if s.startswith("dcload_")]
        check(len(shape) == 1, f"one dcload LoadShape (read {ls_names})")
        dss.LoadShape.Name(shape[0])
        check(dss.LoadShape.Npts() == n, f"npts = {n} samples (read {dss.LoadShape.Npts()})")
        check(abs(dss.LoadShape.SInterval() - dt) < 1e-12,
              f"sinterval = {dt} s (read {dss.LoadShape.SInterval()})")
        load = [x for x in dss.Loads.AllNames() if x.startswith("dcload_")][0]
        dss.Text.Command(f"Set mode=duty stepsize={dt} number=1")
        worst_load = worst_head = 0.0
        checked = 0
        samples = []
        # OpenDSS reads point i (from 1) at i x sinterval: at time t, the window's sample at
        # t - sinterval.
        for _ in range(n):
            dss.Solution.Solve()
            if not dss.Solution.Converged():
                check(False, f"solution converged at t={dss.Solution.Seconds()}")
                return
            k = round(dss.Solution.Seconds() / dt) - 1
            dss.Circuit.SetActiveElement(f"Load.{load}")
            kw = sum(dss.CktElement.Powers()[0::2])
            head = -dss.Circuit.TotalPower()[0]
            worst_load = max(worst_load, abs(kw - p_kw[k]))
            worst_head = max(worst_head, abs(head - p_kw[k]) / p_kw[k])
            checked += 1
            if k in (0, n // 4, n // 2, n - 1):
                samples.append((k * dt, kw, p_kw[k], head))
        for t, kw, want, head in samples:
            print(f"    t = {t:8.3f} s: load {kw:12.3f} kW, waveform.csv {want:12.3f} kW, feeder head {head:12.3f} kW")
        # 9-decimal multipliers of the kW base, and the CSV's 4 decimals of MW.
        tol = 1000 * CSV_HALF + max(p_kw) * 1e-9 + 1e-6
        check(checked == n and worst_load <= tol,
              f"the load's kW follows waveform.csv at all {checked} solved instants within {tol:.3f} kW "
              f"(largest difference {worst_load:.4f} kW)")
        check(worst_head < 1e-3,
              f"feeder-head power equals the exported series within 0.1 % (largest {100 * worst_head:.4f} %, line losses)")
    finally:
        os.chdir(here)


def andes_check(folder, column, tf=10.0):
    import andes
    import numpy as np

    wf = waveform(folder)
    dt = wf["t_s"][1] - wf["t_s"][0]
    base = 100.0
    case = os.path.join(folder, "kundur_full.xlsx")
    shutil.copy(andes.get_case("kundur/kundur_full.xlsx"), case)
    series = wf[column]
    print(f"ANDES {andes.__version__}: Kundur two-area case with the campus's {column} at bus 7 ({folder})")
    andes.config_logger(stream_level=40)
    opts = ["PQ.p2p=1", "PQ.p2z=0", "PQ.q2q=1", "PQ.q2z=0", f"TDS.tf={tf}"]
    ss = andes.load(case, addfile=os.path.join(folder, "andes_load.json"), no_output=True,
                    default_config=True, config_option=opts, setup=False)
    # The case trips a line at 2 s; only the campus's forcing is studied here.
    ss.Toggle.u.v[:] = [0] * ss.Toggle.n
    ss.setup()
    check(ss is not None and ss.TimeSeries.n == 1 and ss.PQ.n == 3,
          "the case loads with the add-file: 1 TimeSeries, the campus PQ beside the case's 2 loads")
    dev = ss.TimeSeries.dev.v[0]
    check(ss.PFlow.run() and ss.PFlow.converged, "power flow converges")
    seen = []
    ss.TDS.callpert = lambda t, s: seen.append((float(t), float(s.PQ.get("Ppf", dev))))
    ss.TDS.run()
    check(ss.exit_code == 0 and abs(ss.dae.t - tf) < 1e-6, f"time-domain simulation reaches {tf} s (at {ss.dae.t})")
    # ANDES sets sample k on reaching t_k; a step starting at t runs on the last sample before t.
    worst = 0.0
    for t, p in seen:
        k = max(0, math.ceil(t / dt - 1e-6) - 1)
        worst = max(worst, abs(p * base - series[k]))
    tol = CSV_HALF + base * 0.5e-9
    check(len(seen) > tf / dt and worst <= tol,
          f"the load follows waveform.csv at {len(seen)} steps within {tol:.1e} MW (largest {worst:.2e} MW)")
    om = ss.dae.ts.x[:, ss.GENROU.omega.a]
    t = ss.dae.ts.t
    f0 = ss.config.freq
    dev_mhz = (om - 1.0) * f0 * 1000
    swing = max(series[: int(tf / dt) + 1]) - min(series[: int(tf / dt) + 1])
    print(f"    campus load swings {swing:.3f} MW over the first {tf:g} s; generators' speed (mHz from {f0:g} Hz):")
    for i, idx in enumerate(ss.GENROU.idx.v):
        print(f"      {idx}: min {dev_mhz[:, i].min():+.4f}, max {dev_mhz[:, i].max():+.4f}")
    check(np.all(np.isfinite(om)) and np.abs(dev_mhz).max() < 1000,
          "generators' speeds stay finite and within 1 Hz")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comtrade", nargs="+", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--facility", required=True)
    a = ap.parse_args()
    for d in a.comtrade:
        comtrade_check(d)
    opendss_check(a.tools)
    andes_check(a.tools, "grid_mw")
    andes_check(a.facility, "facility_mw")
    if FAILS:
        print(f"check-exports: {len(FAILS)} check(s) failed")
        sys.exit(1)
    print("check-exports: every export loads in its tool and matches waveform.csv")


if __name__ == "__main__":
    main()
