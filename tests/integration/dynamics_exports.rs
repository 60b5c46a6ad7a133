//! Files the grid's tools read (issue 24 item 6): the structure of `dcload dynamics --export`'s
//! COMTRADE, OpenDSS and ANDES files and their values against waveform.csv, within the
//! precision each states. (scripts/check-exports.sh loads them into the tools themselves.)

use std::path::{Path, PathBuf};

use crate::common::{arg, assert_says, col, fails, num, read_csv, run_ok};
use crate::dynamics::fixture;

/// Half a unit of waveform.csv's last place (4 decimals of MW).
const CSV_HALF: f64 = 0.5e-4;

/// `dcload dynamics` on the 48-hour fixture (120 s at 50 ms) into `dir/name`.
fn export(dir: &Path, name: &str, dynf: &Path, flags: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut a = vec!["dynamics", arg(dynf), "--no-plots", "--out", arg(&out)];
    a.extend_from_slice(flags);
    run_ok(&a);
    out
}

fn series(out: &Path, name: &str) -> Vec<f64> {
    let (h, rows) = read_csv(&out.join("waveform.csv"));
    let c = col(&h, name);
    rows.iter().map(|r| num(&r[c])).collect()
}

/// The .cfg's lines and each analog channel's (a, b).
fn cfg(out: &Path) -> (Vec<String>, Vec<(f64, f64)>) {
    let text = std::fs::read_to_string(out.join("waveform.cfg")).unwrap();
    assert!(
        text.ends_with("\r\n") && !text.contains("\n\n"),
        "CRLF lines"
    );
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n: usize = lines[1].split(',').next().unwrap().parse().unwrap();
    let ab = lines[2..2 + n]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (num(f[5]), num(f[6]))
        })
        .collect();
    (lines, ab)
}

#[test]
fn comtrade_files_have_the_standards_lines_and_round_trip_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let dynf = fixture("dyn.toml");
    let out = export(
        dir.path(),
        "ascii",
        &dynf,
        &["--export", "comtrade", "--comtrade-format", "ascii"],
    );
    let (grid, fac) = (series(&out, "grid_mw"), series(&out, "facility_mw"));
    let n = grid.len();
    assert_eq!(n, 2400);
    let (lines, ab) = cfg(&out);
    // Station/revision, counts, 2 channels, frequency, nrates, 1 rate, 2 stamps, type,
    // timemult, time codes, time quality: 13 lines (C37.111-2013 clause 7).
    assert_eq!(lines.len(), 13, "{lines:?}");
    assert!(lines[0].ends_with(",2013"), "{}", lines[0]);
    assert_eq!(lines[1], "2,2A,0D");
    assert!(lines[2].starts_with("1,P grid,,") && lines[2].contains(",MW,"));
    assert!(lines[3].starts_with("2,P facility,,"));
    assert_eq!(lines[4], "60");
    assert_eq!(lines[5], "1");
    assert_eq!(lines[6], format!("20,{n}"));
    // Hour 30 of a study starting 2025-01-01 00:00 (the fixture's clock).
    assert!(lines[7].starts_with("02/01/2025,06:00:00."), "{}", lines[7]);
    assert_eq!(lines[9], "ASCII");
    let dat = std::fs::read_to_string(out.join("waveform.dat")).unwrap();
    let rows: Vec<&str> = dat.lines().collect();
    assert_eq!(rows.len(), n);
    for (k, r) in rows.iter().enumerate() {
        let f: Vec<i64> = r.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(f[0], k as i64 + 1);
        assert_eq!(f[1], k as i64 * 50_000, "microseconds");
        for (c, want) in [(0, grid[k]), (1, fac[k])] {
            let (a, b) = ab[c];
            let got = a * f[2 + c] as f64 + b;
            assert!(
                (got - want).abs() <= a / 2.0 + CSV_HALF + 1e-12,
                "sample {k} channel {c}: {got} vs {want}"
            );
            assert!(f[2 + c].abs() <= 32_767);
        }
    }
    // BINARY: 4 + 4 bytes of number and time stamp, 2 a channel; FLOAT32 4 a channel.
    for (fmt, bytes) in [("binary", 12), ("binary32", 16), ("float32", 16)] {
        let o = export(
            dir.path(),
            fmt,
            &dynf,
            &["--export", "comtrade", "--comtrade-format", fmt],
        );
        let dat = std::fs::read(o.join("waveform.dat")).unwrap();
        assert_eq!(dat.len(), n * bytes, "{fmt}");
        let (lines, ab) = cfg(&o);
        assert_eq!(lines[9], fmt.to_ascii_uppercase());
        let last = &dat[(n - 1) * bytes..];
        assert_eq!(u32::from_le_bytes(last[0..4].try_into().unwrap()), n as u32);
        let v = match fmt {
            "binary" => f64::from(i16::from_le_bytes(last[8..10].try_into().unwrap())),
            "binary32" => f64::from(i32::from_le_bytes(last[8..12].try_into().unwrap())),
            _ => f64::from(f32::from_le_bytes(last[8..12].try_into().unwrap())),
        };
        let (a, b) = ab[0];
        let tol = if fmt == "float32" {
            grid[n - 1] * 1e-7
        } else {
            a / 2.0
        };
        assert!((a * v + b - grid[n - 1]).abs() <= tol + CSV_HALF, "{fmt}");
    }
}

#[test]
fn the_loadshape_has_a_point_per_sample_and_the_andes_series_follows_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = export(
        dir.path(),
        "tools",
        &fixture("dyn.toml"),
        &["--export", "opendss,andes"],
    );
    assert!(!out.join("waveform.cfg").exists(), "only what was asked");
    let grid = series(&out, "grid_mw");
    let n = grid.len();
    let dss = std::fs::read_to_string(out.join("loadshape.dss")).unwrap();
    assert!(
        dss.contains(&format!(
            "New Loadshape.dcload_dyn_fixture npts={n} sinterval=0.05 mult=(file=loadshape.csv)"
        )),
        "{dss}"
    );
    let load = dss.lines().find(|l| l.starts_with("New Load.")).unwrap();
    assert!(load.contains("duty=dcload_dyn_fixture") && load.contains("kvar=0.000"));
    let kw: f64 = num(load.split("kw=").nth(1).unwrap().split(' ').next().unwrap());
    let peak = grid.iter().cloned().fold(0.0, f64::max);
    assert!(
        (kw - peak * 1000.0).abs() <= 1000.0 * CSV_HALF + 1e-3,
        "{kw}"
    );
    let mult: Vec<f64> = std::fs::read_to_string(out.join("loadshape.csv"))
        .unwrap()
        .lines()
        .map(num)
        .collect();
    assert_eq!(mult.len(), n);
    for (m, g) in mult.iter().zip(&grid) {
        assert!((m * kw - g * 1000.0).abs() <= 1000.0 * CSV_HALF + kw * 1e-9 + 1e-9);
    }
    let (h, rows) = read_csv(&out.join("andes_timeseries.csv"));
    assert_eq!(h, ["t", "p", "q", "p_mw"]);
    assert_eq!(rows.len(), n);
    for (k, r) in rows.iter().enumerate() {
        assert!((num(&r[0]) - k as f64 * 0.05).abs() < 1e-9);
        assert!((num(&r[1]) * 100.0 - grid[k]).abs() <= CSV_HALF + 1e-7);
        assert_eq!(num(&r[2]), 0.0);
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("andes_load.json")).unwrap())
            .unwrap();
    let pq = &j["PQ"][0];
    assert_eq!(pq["bus"], 7);
    assert!((pq["p0"].as_f64().unwrap() * 100.0 - grid[0]).abs() <= CSV_HALF + 1e-7);
    let ts = &j["TimeSeries"][0];
    assert_eq!(ts["dev"], pq["idx"]);
    assert_eq!(ts["path"], "andes_timeseries.csv");
    assert_eq!(ts["dests"], "Ppf,Qpf");
}

#[test]
fn the_export_table_sets_formats_series_and_reactive_power() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(fixture("dyn.toml"))
        .unwrap()
        .replace("\"campus.toml\"", &format!("{:?}", fixture("campus.toml")))
        .replace("\"spec.toml\"", &format!("{:?}", fixture("spec.toml")));
    let dynf = dir.path().join("pf.toml");
    std::fs::write(
        &dynf,
        format!("{base}[export]\nformats = [\"comtrade\", \"opendss\"]\nseries = \"facility\"\npower_factor = 0.95\ncomtrade_format = \"float32\"\nline_frequency_hz = 50\n"),
    )
    .unwrap();
    let out = export(dir.path(), "pf", &dynf, &[]);
    let (lines, _) = cfg(&out);
    assert_eq!(lines.len(), 15, "P and Q of each: {lines:?}");
    assert_eq!(lines[1], "4,4A,0D");
    assert!(lines[4].starts_with("3,Q grid,,") && lines[4].contains(",Mvar,"));
    assert_eq!(lines[6], "50");
    assert_eq!(lines[11], "FLOAT32");
    let fac = series(&out, "facility_mw");
    let dat = std::fs::read(out.join("waveform.dat")).unwrap();
    let q0 = f64::from(f32::from_le_bytes(dat[16..20].try_into().unwrap()));
    let tan = (1.0 - 0.95f64 * 0.95).sqrt() / 0.95;
    assert!((q0 - series(&out, "grid_mw")[0] * tan).abs() < 1e-3);
    let dss = std::fs::read_to_string(out.join("loadshape.dss")).unwrap();
    assert!(dss.contains("facility (unmitigated)"));
    let peak = fac.iter().cloned().fold(0.0, f64::max) * 1000.0;
    let field = |k: &str| num(dss.split(k).nth(1).unwrap().split(' ').next().unwrap());
    let (kw, kvar) = (field(" kw="), field(" kvar="));
    assert!(
        (kw - peak).abs() <= 1000.0 * CSV_HALF + 1e-3,
        "{kw} vs {peak}"
    );
    assert!((kvar - kw * tan).abs() <= 1e-3, "{kvar} vs {}", kw * tan);
    assert!(!out.join("andes_load.json").exists());
}

#[test]
fn bad_export_flags_and_keys_are_refused() {
    let dynf = fixture("dyn.toml");
    let d = arg(&dynf);
    let e = fails(&["dynamics", d, "--export", "comtrade,psse"]);
    assert_says(&e, &["--export", "comtrade, opendss or andes", "psse"]);
    let e = fails(&["dynamics", d, "--export", ","]);
    assert_says(&e, &["--export", "comma-separated"]);
    let e = fails(&[
        "dynamics",
        d,
        "--export",
        "comtrade",
        "--comtrade-format",
        "hex",
    ]);
    assert_says(
        &e,
        &[
            "--comtrade-format",
            "ascii, binary, binary32 or float32",
            "hex",
        ],
    );
    let e = fails(&[
        "dynamics",
        d,
        "--export",
        "opendss",
        "--comtrade-format",
        "ascii",
    ]);
    assert_says(&e, &["--comtrade-format", "comtrade among the exports"]);
    let dir = tempfile::tempdir().unwrap();
    let campus = format!("run = {:?}\n", fixture("campus.toml"));
    for (body, line, key, what) in [
        (
            "formats = [\"pdf\"]",
            3,
            "formats",
            "comtrade, opendss or andes",
        ),
        ("power_factor = 1.5", 3, "power_factor", "at most 1"),
        ("series = \"it\"", 3, "series", "\"grid\" or \"facility\""),
        ("opendss_bus = \"a.b\"", 3, "opendss_bus", "letters, digits"),
        ("andes_base_mva = 0", 3, "andes_base_mva", "above 0"),
        (
            "comtrade_format = \"csv\"",
            3,
            "comtrade_format",
            "ascii, binary",
        ),
    ] {
        let p = dir.path().join("bad-export.toml");
        std::fs::write(&p, format!("{campus}[export]\n{body}\n")).unwrap();
        let e = fails(&["dynamics", arg(&p), "--no-plots"]);
        assert_says(&e, &[&format!("bad-export.toml:{line}"), key, what]);
    }
}
