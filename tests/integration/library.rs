//! The model library: its TPU, Grace Blackwell and DGX-1 entries each load, resolve into a rack
//! group, carry a source on every figure and match the published figures they cite; a user's
//! model folder overrides entries and adds new ones.

use crate::common::*;
use dcload::model::library::Library;

/// Racks added for issue 8, with the servers and accelerators they pull in.
const NEW_RACKS: [&str; 8] = [
    "tpu-v2-pod",
    "tpu-v3-pod",
    "tpu-v4-rack",
    "tpu-v5e-pod",
    "tpu-v5p-rack",
    "tpu-v6e-pod",
    "gb200-nvl72",
    "gb300-nvl72",
];

/// The `[[kind]]` table whose `name = "<name>"` line is given, as text (up to the next table).
fn block<'a>(text: &'a str, kind: &str, name: &str) -> &'a str {
    let head = format!("[[{kind}]]\nname = \"{name}\"");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("no [[{kind}]] named {name} in models/"));
    let rest = &text[start + head.len()..];
    let end = rest.find("\n[[").map_or(rest.len(), |e| e);
    &text[start..start + head.len() + end]
}

/// Every `key = value` line of the block (except `name`) carries a comment naming its source.
fn assert_sourced(kind: &str, name: &str, block: &str) {
    for line in block.lines().skip(2) {
        let line = line.trim();
        // Names of other entries are references, not figures.
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with("server =")
            || line.starts_with("accelerator =")
        {
            continue;
        }
        let Some((_, comment)) = line.split_once('#') else {
            panic!("{kind} {name}: figure without a source comment: {line}");
        };
        let c = comment.trim();
        let cited = c.contains("estimate")
            || c.contains("borrowed")
            || c.contains("linear (Fan")
            || c.chars().any(|ch| ch.is_ascii_digit()) && c.split_whitespace().count() >= 3;
        assert!(
            c.len() >= 12 && cited,
            "{kind} {name}: comment names no source or estimate: {line}"
        );
    }
}

#[test]
fn every_new_library_entry_loads_resolves_and_is_cited() {
    let lib = Library::builtin().expect("built-in library");
    let acc_text = std::fs::read_to_string(repo("models/accelerators.toml")).unwrap();
    let srv_text = std::fs::read_to_string(repo("models/servers.toml")).unwrap();
    let rack_text = std::fs::read_to_string(repo("models/racks.toml")).unwrap();
    for rack in NEW_RACKS {
        let r = lib
            .rack(rack)
            .unwrap_or_else(|| panic!("rack {rack} missing"));
        let s = lib.server(r.server.get_ref()).expect("server");
        let a = lib
            .accelerator(s.accelerator.get_ref())
            .expect("accelerator");
        assert_sourced("rack", rack, block(&rack_text, "rack", rack));
        assert_sourced(
            "server",
            s.name.get_ref(),
            block(&srv_text, "server", s.name.get_ref()),
        );
        assert_sourced(
            "accelerator",
            a.name.get_ref(),
            block(&acc_text, "accelerator", a.name.get_ref()),
        );
        // Resolves into a rack group of a study, uncapped (budget covers peak).
        let sc = scenario(&format!(
            r#"
horizon_hours = 24
trials = 1
[[site.group]]
name = "g"
rack = "{rack}"
count = 2
[[twin]]
name = "w"
pool = "g"
base_utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.1
"#
        ));
        let g = &sc.fleet.groups[0];
        let peak = lib.server_peak_w(s);
        assert_eq!(g.servers, 2.0 * f64::from(r.servers), "{rack}");
        assert_eq!(
            g.accelerators,
            2.0 * f64::from(r.servers) * f64::from(s.accelerators)
        );
        assert!((g.server_peak_w - peak).abs() < 1e-9, "{rack}");
        assert!(g.throughput == 1.0, "{rack}: budget must cover the peak");
        assert!(
            f64::from(r.servers) * peak <= r.budget_kw * 1000.0,
            "{rack}: {} servers x {peak} W exceeds {} kW",
            r.servers,
            r.budget_kw
        );
        // The run produces nonzero power for the group.
        let t = &trials(&sc)[0];
        assert!(t.summary.it_energy_mwh > 0.0, "{rack}");
    }
}

#[test]
fn nvl72_racks_peak_within_the_published_range() {
    let lib = Library::builtin().unwrap();
    let rack_peak_kw = |name: &str| {
        let r = lib.rack(name).unwrap();
        let s = lib.server(r.server.get_ref()).unwrap();
        f64::from(r.servers) * lib.server_peak_w(s) / 1000.0
    };
    // NVIDIA / press ~120 kW; Supermicro 8 x 33 kW shelves, 132 kW per rack.
    let gb200 = rack_peak_kw("gb200-nvl72");
    assert!(
        (120.0..=132.0).contains(&gb200),
        "GB200 NVL72 peak {gb200} kW"
    );
    // Supermicro GB300 NVL72: ~132-140 kW operating power.
    let gb300 = rack_peak_kw("gb300-nvl72");
    assert!(
        (132.0..=140.0).contains(&gb300),
        "GB300 NVL72 peak {gb300} kW"
    );
    assert_eq!(
        lib.rack("gb200-nvl72").unwrap().servers
            * lib.server("GB200-NVL72-tray").unwrap().accelerators,
        72
    );
}

/// Idle and peak power of one accelerator with its share of the host, W.
fn per_accelerator_range(lib: &Library, server: &str) -> (f64, f64) {
    let s = lib.server(server).unwrap();
    let a = lib.accelerator(s.accelerator.get_ref()).unwrap();
    let n = f64::from(s.accelerators);
    (a.idle_w + s.host_idle_w / n, a.tdp_w + s.host_max_w / n)
}

#[test]
fn published_average_watts_per_chip_with_host_share_are_reachable() {
    // Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training", Table 4:
    // average system power per processor, host share included.
    let lib = Library::builtin().unwrap();
    for (server, w) in [
        ("TPU-v2-host", 208.0),
        ("TPU-v3-host", 310.0),
        ("TPU-v3-host", 245.0),
        ("V100-DGX1", 330.0),
    ] {
        let (idle, peak) = per_accelerator_range(&lib, server);
        assert!(
            idle < w && w < peak,
            "{server}: {w} W outside {idle}..{peak}"
        );
    }
    // The DGX-1: NVIDIA datasheet 3.5 kW max; per-GPU host share 137.5 W at full load, so 330 W
    // per V100 (above its 300 W TDP) is utilisation 0.685 with the linear power model.
    let s = lib.server("V100-DGX1").unwrap();
    assert!((lib.server_peak_w(s) - 3500.0).abs() < 1e-9);
    let (idle, peak) = per_accelerator_range(&lib, "V100-DGX1");
    assert!((peak - 437.5).abs() < 1e-9);
    let u = (330.0 - idle) / (peak - idle);
    assert!((u - 0.685).abs() < 0.001, "u = {u}");
}

#[test]
fn user_model_folder_overrides_and_adds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("servers.toml"),
        r#"
[[server]]
name = "DGX-H100"          # override: a hypothetical 12 kW variant
accelerator = "H100-SXM"
accelerators = 8
host_idle_w = 1500.0
host_max_w = 6400.0

[[server]]
name = "MY-BOX"
accelerator = "L40S"
accelerators = 4
host_idle_w = 300.0
host_max_w = 800.0
"#,
    )
    .unwrap();
    let s = stdout(&run_ok(&["models", "--models", arg(dir.path())]));
    assert!(s.contains("MY-BOX"));
    let line = s.lines().find(|l| l.contains("DGX-H100")).unwrap();
    assert!(line.contains("12.0 kW"), "{line}");
}
