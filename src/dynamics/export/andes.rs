//! The window as an ANDES load: andes_load.json is an ANDES add-file (`andes run CASE
//! --addfile andes_load.json`) holding a PQ load at the chosen bus and a TimeSeries device
//! that sets its constant-power part (`Ppf`, `Qpf`) at each time of andes_timeseries.csv
//! (columns t in s, p and q in per unit of the system base, p_mw for reading). ANDES turns PQ
//! loads into constant impedance for dynamics unless told otherwise, so the run needs
//! `--config-option PQ.p2p=1 PQ.p2z=0 PQ.q2q=1 PQ.q2z=0`; the TimeSeries path is taken from
//! the case's folder. Values have 9 decimals in per unit (1 W at a 100 MVA base is 1e-8).

use std::fmt::Write as _;

use super::{Export, Window, element_name, q_per_p};

pub(super) struct Files {
    pub series: String,
    pub devices: String,
}

pub(super) fn files(ex: &Export, w: &Window) -> Files {
    let p = w.series(ex.series);
    let k = q_per_p(ex);
    let pu = |mw: f64| mw / ex.andes_base_mva;
    let mut series = String::from("t,p,q,p_mw\n");
    for (i, v) in p.iter().enumerate() {
        let _ = writeln!(
            series,
            "{:.6},{:.9},{:.9},{:.6}",
            i as f64 * w.step_s,
            pu(*v),
            pu(v * k),
            v
        );
    }
    let name = element_name(w.name);
    let first = p.first().copied().unwrap_or(0.0);
    // The power flow starts from the first sample, so the dynamics start in steady state.
    let devices = serde_json::json!({
        "PQ": [{
            "idx": format!("{name}_load"),
            "u": 1,
            "name": name,
            "bus": ex.andes_bus,
            "Vn": ex.andes_vn_kv,
            "p0": format!("{:.9}", pu(first)).parse::<f64>().unwrap_or(0.0),
            "q0": format!("{:.9}", pu(first * k)).parse::<f64>().unwrap_or(0.0),
        }],
        "TimeSeries": [{
            "idx": format!("{name}_series"),
            "u": 1,
            "name": format!("{name}_series"),
            "mode": 1,
            "path": "andes_timeseries.csv",
            "sheet": "csv",
            "fields": "p,q",
            "tkey": "t",
            "model": "PQ",
            "dev": format!("{name}_load"),
            "dests": "Ppf,Qpf",
        }],
    });
    Files {
        series,
        devices: serde_json::to_string_pretty(&devices).unwrap_or_default() + "\n",
    }
}
