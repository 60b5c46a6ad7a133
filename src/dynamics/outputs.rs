//! The files `dcload dynamics` writes: waveform.csv, spectrum.csv, compliance.csv/json and,
//! with a fleet, ridethrough.csv and ridethrough_trials.csv.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::base::csvcell::cell;
use crate::base::error::{Error, Result};
use crate::base::numfmt::fixed;
use crate::base::time::SimTime;
use crate::scenario::Scenario;

use super::ridethrough::{self, Disturbance, TrialOutcome, lost_mw_band};
use super::run::Report;
use super::settings::Settings;
use super::spec::Spec;
use super::window::{Shaping, Stepper};
use super::{swing, window};

/// Every dynamics output is written atomically, as every other command's.
fn write(path: &Path, text: &str) -> Result<()> {
    crate::base::io::write_atomic(path, text.as_bytes())
}

/// Writes waveform.csv, spectrum.csv, compliance.csv/json and, with a fleet, ridethrough.csv
/// and ridethrough_trials.csv.
pub fn write_outputs(
    out: &Path,
    set: &Settings,
    sc: &Scenario,
    rep: &Report,
    spec: Option<&Spec>,
    dist: Option<&Disturbance>,
) -> Result<Vec<PathBuf>> {
    let wave_csv = out.join("waveform.csv");
    write_waveform_csv(&wave_csv, rep, &set.shaping)?;
    let mut files = vec![wave_csv];
    let mut emit = |name: &str, text: &str| -> Result<()> {
        let p = out.join(name);
        write(&p, text)?;
        files.push(p);
        Ok(())
    };
    emit("spectrum.csv", &spectrum_csv(rep))?;
    if spec.is_some() {
        emit("compliance.csv", &compliance_csv(rep))?;
    }
    let json = summary_json(set, sc, rep, spec, dist);
    emit(
        "compliance.json",
        &(serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"),
    )?;
    if let (Some(f), Some(fl)) = (&rep.fleet, &set.fleet) {
        emit("ridethrough.csv", &ridethrough_csv(f, fl.step_s))?;
        emit(
            "ridethrough_trials.csv",
            &ridethrough_trials_csv(f, fl.step_s),
        )?;
    }
    Ok(files)
}

/// Every series per step: the sectors, the facility, the shaped facility, the battery, the grid,
/// written row by row from a second pass of the window's [`Stepper`] (identical to the first:
/// same draws in the same order), so the file's size, not memory, grows with the window. Written
/// to a temporary file beside it and renamed, as the other outputs are written atomically.
fn write_waveform_csv(path: &Path, rep: &Report, shaping: &Shaping) -> Result<()> {
    let tmp = path.with_extension("csv.partial");
    let err = |e: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let file = std::fs::File::create(&tmp).map_err(err)?;
    let mut f = BufWriter::with_capacity(1 << 20, file);
    waveform_rows(&mut f, rep, shaping).map_err(err)?;
    let file = f.into_inner().map_err(|e| err(e.into_error()))?;
    file.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

fn waveform_rows(f: &mut impl Write, rep: &Report, shaping: &Shaping) -> std::io::Result<()> {
    let dt = rep.inputs.step_s;
    f.write_all(b"t_s,it_training_mw,it_consumer_mw,it_industrial_mw,it_defense_mw,it_idle_unallocated_mw,it_total_mw,cooling_mw,losses_mw,facility_mw,shaped_facility_mw,battery_mw,soc_mwh,grid_mw\n")?;
    for (k, w) in Stepper::new(&rep.inputs, shaping).enumerate() {
        let (b, soc) = rep
            .storage
            .as_ref()
            .map_or((0.0, 0.0), |st| (st.battery[k], st.soc_mwh[k]));
        writeln!(
            f,
            "{:.3},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.5},{:.4}",
            k as f64 * dt,
            w.training,
            w.consumer,
            w.industrial,
            w.defense,
            w.idle,
            w.it,
            w.cooling,
            w.losses,
            w.facility,
            w.facility_shaped,
            b,
            soc,
            rep.grid[k]
        )?;
    }
    Ok(())
}

/// The facility's and the grid's PSD per frequency, DC left out.
fn spectrum_csv(rep: &Report) -> String {
    let mut s = String::from("frequency_hz,facility_psd_mw2_per_hz,grid_psd_mw2_per_hz\n");
    for k in 1..rep.spectrum.freq_hz.len() {
        let _ = writeln!(
            s,
            "{:.6},{:.6e},{:.6e}",
            rep.spectrum.freq_hz[k], rep.spectrum.psd[k], rep.spectrum_grid.psd[k]
        );
    }
    s
}

/// One row per (case, check) of the specification.
fn compliance_csv(rep: &Report) -> String {
    let mut s = String::from("case,check,unit,measured,limit,margin,pass,worst_t_s,source\n");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| fixed(v, 6));
    for o in &rep.compliance {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            cell(&o.case),
            cell(&o.check),
            cell(&o.unit),
            fixed(o.measured, 6),
            opt(o.limit),
            opt(o.margin),
            o.pass.map_or(String::new(), |p| p.to_string()),
            o.worst_t_s.map_or(String::new(), |t| format!("{t:.3}")),
            cell(&o.source)
        );
    }
    s
}

/// compliance.json: window, calibration, means against the hourly engine, costs, compliance.
fn summary_json(
    set: &Settings,
    sc: &Scenario,
    rep: &Report,
    spec: Option<&Spec>,
    dist: Option<&Disturbance>,
) -> serde_json::Value {
    let w = &rep.wave;
    let steps = w.len().max(1) as f64;
    let hours: Vec<serde_json::Value> = rep
        .inputs
        .hours
        .iter()
        .zip(&w.calibration)
        .map(|(h, c)| {
            serde_json::json!({
                "hour": (h.start_s / 3600.0) as u64,
                "timestamp": sc.calendar.timestamp(SimTime(h.start_s as u64)),
                "hourly_facility_mw": h.facility_mw,
                "hourly_it_mw": h.it_mw,
                "hourly_training_mw": h.training_mw,
                "training_duty_factor": c.factor,
                "training_residual_mw": c.residual_mw,
                "training_excess_mw": c.excess_mw,
            })
        })
        .collect();
    serde_json::json!({
        "name": set.name,
        "dynamics_file": set.file,
        "run_file": sc.file,
        "trial": set.trial,
        "window": {
            "start_hour": set.start_hour,
            "start": sc.calendar.timestamp(SimTime(rep.inputs.t0_s as u64)),
            "duration_s": set.duration_s,
            "step_ms": set.step_ms,
            "steps": w.len(),
            "training_jobs": rep.inputs.jobs.len(),
        },
        "hours": hours,
        "jobs": jobs_json(rep),
        "warnings": w.warnings,
        "window_mean_mw": {
            "facility": w.totals.facility / steps,
            "it_total": w.totals.it / steps,
            "it_training": w.totals.training / steps,
            "shaped_facility": w.totals.facility_shaped / steps,
            "grid": window::mean(&rep.grid),
        },
        "mitigation": mitigation_json(set, rep),
        "spec": spec.map(|s| s.name.clone()),
        "estimator": spec.map(|s| serde_json::json!({
            "method": "Welch: Hann-windowed segments, each its mean removed, periodograms averaged",
            "segment_s": s.welch.segment_s,
            "overlap": s.welch.overlap,
            "resolution_hz": 1.0 / s.welch.segment_s,
        })),
        "rating_mw": spec.and_then(|s| s.rating_mw),
        "compliance": rep.compliance,
        "battery_sizing": rep.sizing.as_ref().map(|s| match s {
            Some(b) => serde_json::json!({
                "found": true,
                "power_mw": b.power_mw,
                "energy_mwh": b.energy_mwh,
                "sizes_tried": b.evaluations,
                "method": "bisection: least power with an hour of energy at it, then least energy at that power",
            }),
            None => serde_json::json!({"found": false}),
        }),
        "disturbance": dist.map(|d| d.name.clone()),
        "ridethrough": rep.fleet.as_ref().map(|f| serde_json::json!({
            "trials": f.len(),
            "dropped_mw_mean": window::mean(&f.iter().map(|t| t.dropped_mw()).collect::<Vec<_>>()),
            "dropped_mw_max": f.iter().map(|t| t.dropped_mw()).fold(0.0, f64::max),
            "reference_mw": ridethrough::JULY_2024_MW,
            "share_of_trials_at_or_above_reference": ridethrough::share_at_or_above(f, ridethrough::JULY_2024_MW),
        })),
    })
}

/// Each job's swing as stated and as the waveform has it, and its compute share per hour.
fn jobs_json(rep: &Report) -> Vec<serde_json::Value> {
    let w = &rep.wave;
    rep.inputs
        .jobs
        .iter()
        .enumerate()
        .map(|(ji, j)| {
            let l = swing::levels(j);
            let duty: Vec<f64> = w.calibration.iter().map(|c| c.duty[ji]).collect();
            serde_json::json!({
                "name": j.name,
                "accelerators": j.accelerators,
                "start": j.start_s,
                "end": j.end_s,
                "iteration_s": j.swing.iteration_s,
                "board_idle_w": j.board_idle_w,
                "tdp_w": j.tdp_w,
                "stated": {
                    "compute_w": l.stated_w.0,
                    "communication_w": l.stated_w.1,
                    "swing_w": l.stated_swing_w(),
                    "swing_share_of_tdp": l.stated_swing_w() / j.tdp_w,
                    "compute_share": j.swing.compute_share,
                },
                "effective": {
                    "compute_w": l.effective_w.0,
                    "communication_w": l.effective_w.1,
                    "swing_w": l.effective_swing_w(),
                    "swing_share_of_tdp": l.effective_swing_w() / j.tdp_w,
                    "compute_share_per_hour": duty,
                },
                "swing_mw": j.accelerators * j.busy_w * (l.u_compute - l.u_communication) / 1e6,
            })
        })
        .collect()
}

/// What the mitigations cost: the floor's and the burn's extra energy, the burn's lost
/// accelerator-hours, the battery's accounts.
fn mitigation_json(set: &Settings, rep: &Report) -> serde_json::Value {
    let w = &rep.wave;
    let dt = rep.inputs.step_s;
    let train_mwh = w.totals.training * dt / 3600.0;
    let acc_h: f64 = rep
        .inputs
        .jobs
        .iter()
        .zip(&w.totals.held_steps)
        .map(|(j, held)| j.accelerators * *held as f64 * dt / 3600.0)
        .sum();
    serde_json::json!({
        "power_floor_share_of_tdp": set.shaping.power_floor,
        "power_floor_extra_mwh": w.floor_mwh,
        "burn_fill_to": set.shaping.burn_fill_to,
        "burn_extra_mwh": w.burn_mwh,
        "burn_throughput_cost_share": set.burn_throughput_cost,
        "burn_lost_acc_h": w.burn_acc_h * set.burn_throughput_cost,
        "training_mwh": train_mwh,
        "training_acc_h": acc_h,
        "storage": rep.storage.as_ref().map(|st| serde_json::json!({
            "energy_in_mwh": st.energy_in_mwh,
            "energy_out_mwh": st.energy_out_mwh,
            "losses_mwh": st.losses_mwh,
            "stored_start_mwh": st.stored_start_mwh,
            "stored_end_mwh": st.stored_end_mwh,
            "balance_error_mwh": st.balance_error_mwh(),
            "limited_steps": st.limited_steps,
            "equivalent_full_cycles": st.cycles,
        })),
    })
}

/// The fleet's MW off the grid per output step: mean and band across trials.
fn ridethrough_csv(f: &[TrialOutcome], step_s: f64) -> String {
    let mut s = String::from("t_s,lost_mw_mean,lost_mw_p10,lost_mw_p50,lost_mw_p90\n");
    for (k, (mean, band)) in lost_mw_band(f).iter().enumerate() {
        let _ = write!(s, "{:.3},{:.4}", k as f64 * step_s, mean);
        for p in band {
            let _ = write!(s, ",{p:.4}");
        }
        s.push('\n');
    }
    s
}

/// One row per fleet trial: sites dropped, MW dropped, the first drop, the energy lost.
fn ridethrough_trials_csv(f: &[TrialOutcome], step_s: f64) -> String {
    let mut s =
        String::from("trial,sites,sites_dropped,fleet_mw,dropped_mw,first_drop_s,lost_mwh\n");
    for (i, t) in f.iter().enumerate() {
        let first = t
            .drop_times
            .iter()
            .flatten()
            .cloned()
            .fold(f64::INFINITY, f64::min);
        let _ = writeln!(
            s,
            "{i},{},{},{:.3},{:.3},{},{:.4}",
            t.sites.len(),
            t.dropped(),
            t.sites.iter().map(|x| x.mw).sum::<f64>(),
            t.dropped_mw(),
            if first.is_finite() {
                format!("{first:.3}")
            } else {
                String::new()
            },
            t.lost_mw.iter().sum::<f64>() * step_s / 3600.0
        );
    }
    s
}
