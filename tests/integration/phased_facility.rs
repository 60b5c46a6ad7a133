//! The facility built out with the fleet (issue 22): each group's cooling plant module and
//! electrical (UPS, transformer) module come online with it, so a phased campus draws no
//! cooling or losses for halls not yet built; `[[facility.module]]` moves a module's date;
//! a commissioning load-bank test is drawn as load on its days, through the chain and cooled.

use dcload::model::facility::physics::{CoolingPlant, ElectricalChain};
use dcload::model::library::Library;
use dcload::model::weather::read_epw;
use dcload::scenario::{Engine, Scenario};
use dcload::sim::{M_COOLING, M_FACILITY, M_IT_TOTAL, M_LOSSES, M_PUE};

use dcload::model::metrics::M_LOAD_BANK;

use crate::common::*;

/// Three air-cooled phases of 100 DGX H100 servers (1.02 MW each) online on 3, 5 and 8
/// January, each running one job on all of its accelerators at a fifth of their dynamic power
/// from its first step (low load, as in commissioning, where a plant built for the whole
/// campus costs most), under a constant recorded weather hour (30 C dry bulb, 18 C dew point).
fn three_phases(facility_extra: &str) -> String {
    let phase = |name: &str, day: u32| {
        format!(
            "[[site.group]]\nname = \"{name}\"\nserver = \"DGX-H100\"\ncount = 100\n\
             online = \"2026-01-{day:02}\"\n\
             [[training]]\nname = \"{name}-job\"\npool = \"{name}\"\naccelerators = 800\n\
             utilisation = 0.2\nduration_days = 30\nstart_days = [0]\n"
        )
    };
    format!(
        "name = \"phased\"\nstart = \"2026-01-01\"\nutc_offset = \"+00:00\"\nhorizon_hours = 240\n\
         step_s = 300\nseed = 3\ntrials = 1\n{}{}{}\
         [facility]\nkind = \"physics\"\nepw = \"flat.epw\"\n{facility_extra}",
        phase("p1", 3),
        phase("p2", 5),
        phase("p3", 8),
    )
}

fn flat_epw() -> String {
    epw_file("32.0,-97.0,0.0", |_, _| "30.0,18.0".to_string())
}

/// The study resolved from a folder holding its weather file.
fn study(facility_extra: &str) -> (RunFile, Scenario) {
    let f = RunFile::new(&three_phases(facility_extra));
    f.beside("flat.epw", &flat_epw());
    let lib = Library::builtin().expect("library");
    let sc = Scenario::load(f.path(), &lib).unwrap_or_else(|e| panic!("{e}"));
    (f, sc)
}

/// Facility power by hand for `it_w` of IT on the default air plant and hyperscale chain
/// sized for `design_w` of IT (plant at the default design margin 1.2, the chain's preset per
/// MW times the design MW), in the flat weather: IT + cooling + chain losses.
fn by_hand(it_w: f64, design_w: f64, dt_s: f64) -> f64 {
    let lib = Library::builtin().expect("library");
    let p = lib
        .file("cooling", "air-chiller-economiser")
        .expect("plant");
    let plant = CoolingPlant::from_toml(&p.name, &p.text)
        .expect("plant")
        .with_design_capacity_w(design_w * 1.2)
        .with_terminal_capacity_w(design_w * 1.2);
    let e = lib.file("electrical", "hyperscale").expect("chain");
    let mut chain = ElectricalChain::from_toml(&e.name, &e.text).expect("chain");
    let mw = design_w / 1e6;
    chain.rated_kw *= mw;
    chain.transformer_rated_kw *= mw;
    chain.fixed_kw *= mw;
    let weather = read_epw("flat.epw", &flat_epw()).expect("weather")[0];
    let cooling = plant.evaluate(it_w, &weather, dt_s).power_w;
    it_w + cooling + chain.losses(it_w, cooling).total_w()
}

/// Before any phase nothing draws; with phase 1 alone the site draws what phase 1's own plant
/// and chain draw by hand for its IT (within 1 %), not what the three-phase build would (off
/// by more than 1 %, so the test tells the two apart); when all three are online, what the
/// whole build draws. The hourly balance holds throughout.
#[test]
fn a_three_phase_build_out_draws_no_cooling_or_losses_for_modules_not_yet_online() {
    let (_f, sc) = study("");
    let r = &trials(&sc)[0];
    let phase_w = sc.fleet.groups[0].peak_w();
    assert!((phase_w - 1.02e6).abs() < 1.0, "phase nameplate {phase_w}");
    for h in 0..48 {
        for id in [M_IT_TOTAL, M_COOLING, M_LOSSES, M_FACILITY] {
            assert_eq!(at_hour(&sc, r, h, id), 0.0, "hour {h}, metric {id}");
        }
    }
    // 3-4 January: phase 1 alone, its job's IT steady.
    let dt = sc.step_s as f64;
    let it_w = at_hour(&sc, r, 60, M_IT_TOTAL) * 1e6;
    assert!(it_w > 0.3 * phase_w && it_w < 0.6 * phase_w, "IT {it_w} W");
    let one = by_hand(it_w, phase_w, dt) / 1e6;
    let built_at_once = by_hand(it_w, 3.0 * phase_w, dt) / 1e6;
    assert!(
        (built_at_once / one - 1.0).abs() > 0.01,
        "the test must tell a phased plant from one built at once: {one} vs {built_at_once}"
    );
    for h in 49..96 {
        let it = at_hour(&sc, r, h, M_IT_TOTAL);
        assert!((it * 1e6 / it_w - 1.0).abs() < 1e-4, "hour {h}: IT {it}");
        let fac = at_hour(&sc, r, h, M_FACILITY);
        assert!(
            (fac / one - 1.0).abs() < 0.01,
            "hour {h}: facility {fac} MW, by hand for phase 1 alone {one} MW (built at once {built_at_once})"
        );
    }
    // 8-10 January: all three phases: the whole build.
    let all = by_hand(3.0 * it_w, 3.0 * phase_w, dt) / 1e6;
    for h in 169..240 {
        let fac = at_hour(&sc, r, h, M_FACILITY);
        assert!((fac / all - 1.0).abs() < 0.01, "hour {h}: {fac} vs {all}");
    }
    for h in 0..240 {
        let (it, fac) = (
            at_hour(&sc, r, h, M_IT_TOTAL),
            at_hour(&sc, r, h, M_FACILITY),
        );
        let (c, l) = (at_hour(&sc, r, h, M_COOLING), at_hour(&sc, r, h, M_LOSSES));
        assert!(
            (fac - (it + c + l)).abs() <= 1e-5 * fac.max(1.0),
            "hour {h}"
        );
    }
}

/// Phase 2 load-bank tested at 60 % of its nameplate for the day before it goes live (4
/// January): the load bank draws 0.612 MW in each hour of that day and nothing outside it;
/// it is cooled and carried by the chain (facility = IT + load bank + cooling + losses, and
/// the site draws more than IT + load bank); phase 2's modules come online with the test, so
/// the losses step up on 4 January, not 5 January. Both engines agree.
#[test]
fn a_load_bank_test_is_drawn_as_load_on_its_days_and_not_outside_them() {
    let bank = "[[facility.load_bank]]\ngroup = \"p2\"\nshare = 0.6\ndays = 1\n";
    let (_f, sc) = study(bank);
    let (_g, plain) = study("");
    let r = &trials(&sc)[0];
    let p = &trials(&plain)[0];
    let bank_mw = 0.6 * sc.fleet.groups[1].peak_w() / 1e6;
    for h in 0..240 {
        let lb = at_hour(&sc, r, h, M_LOAD_BANK);
        let want = if (72..96).contains(&h) { bank_mw } else { 0.0 };
        assert!(
            (lb - want).abs() < 1e-6,
            "hour {h}: load bank {lb} MW, expected {want}"
        );
        let (it, fac) = (
            at_hour(&sc, r, h, M_IT_TOTAL),
            at_hour(&sc, r, h, M_FACILITY),
        );
        let (c, l) = (at_hour(&sc, r, h, M_COOLING), at_hour(&sc, r, h, M_LOSSES));
        assert!(
            (fac - (it + lb + c + l)).abs() <= 1e-5 * fac.max(1.0),
            "hour {h}: {fac} != {it} + {lb} + {c} + {l}"
        );
        if (72..96).contains(&h) {
            // Cooled and carried: more cooling and losses than without the test.
            assert!(c > at_hour(&plain, p, h, M_COOLING) && l > at_hour(&plain, p, h, M_LOSSES));
            assert!(fac > it + lb);
            let pue = at_hour(&sc, r, h, M_PUE);
            assert!(
                pue > 1.0 && pue < 1.5,
                "hour {h}: PUE over IT and load bank {pue}"
            );
        } else {
            let same = at_hour(&plain, p, h, M_FACILITY);
            assert!(
                (fac - same).abs() <= 1e-6 * fac.max(1.0),
                "hour {h}: {fac} vs {same}"
            );
        }
    }
    let mwh = r.summary.load_bank_mwh;
    assert!(
        (mwh - bank_mw * 24.0).abs() < 1e-6,
        "load-bank energy {mwh}"
    );
    // trials.csv carries it when the study has a load bank, and only then.
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, std::slice::from_ref(r));
    let (h, rows) = read_csv(&dir.path().join("trials.csv"));
    let written = num(&rows[0][col(&h, "load_bank_mwh")]);
    assert!(
        (written - mwh).abs() < 1e-4,
        "trials.csv {written} vs {mwh}"
    );
    let plain_dir = tempfile::tempdir().unwrap();
    write_outputs(plain_dir.path(), &plain, std::slice::from_ref(p));
    let (h, _) = read_csv(&plain_dir.path().join("trials.csv"));
    assert!(!h.iter().any(|c| c == "load_bank_mwh"), "{h:?}");
    // The reference engine steps the same load bank.
    let mut reference = sc.clone();
    reference.engine = Engine::Reference;
    let q = &trials(&reference)[0];
    for h in 0..240 {
        let (a, b) = (
            at_hour(&sc, r, h, M_FACILITY),
            at_hour(&reference, q, h, M_FACILITY),
        );
        assert!(
            (a - b).abs() <= 1e-3 * b.max(1.0),
            "hour {h}: blocks {a} vs reference {b}"
        );
    }
}

/// `[[facility.module]]` brings phase 3's electrical module online on 2 January: the chain's
/// fixed losses of the larger build from then on, while IT and cooling stay phase 1's.
#[test]
fn a_module_date_moves_a_module_online() {
    let early =
        "[[facility.module]]\ngroup = \"p3\"\nonline = \"2026-01-02\"\npart = \"electrical\"\n";
    let (_f, sc) = study(early);
    let (_g, plain) = study("");
    let r = &trials(&sc)[0];
    let p = &trials(&plain)[0];
    // 2 January: nothing but phase 3's electrical module, drawing its no-load losses.
    assert!(at_hour(&sc, r, 30, M_LOSSES) > 0.0 && at_hour(&plain, p, 30, M_LOSSES) == 0.0);
    assert_eq!(at_hour(&sc, r, 30, M_COOLING), 0.0);
    for h in 50..90 {
        assert!(at_hour(&sc, r, h, M_LOSSES) > at_hour(&plain, p, h, M_LOSSES));
        assert_eq!(
            at_hour(&sc, r, h, M_COOLING),
            at_hour(&plain, p, h, M_COOLING)
        );
    }
}

/// Bad module and load-bank tables are refused naming their file, line and field.
#[test]
fn bad_module_and_load_bank_tables_name_their_line_and_field() {
    let refused = |extra: &str, needle: &str, field: &str, says: &[&str]| {
        let f = RunFile::new(&three_phases(extra));
        f.beside("flat.epw", &flat_epw());
        let e = f.validate_fails();
        let line = line_of(&three_phases(extra), needle);
        assert_says(&e, &[&format!(":{line}"), field]);
        assert_says(&e, says);
    };
    refused(
        "[[facility.module]]\ngroup = \"p2\"\nonline = \"2026-01-06\"\n",
        "online = \"2026-01-06\"",
        "online",
        &["at or before the group's online date"],
    );
    refused(
        "[[facility.module]]\ngroup = \"p9\"\nonline = \"2026-01-02\"\n",
        "group = \"p9\"",
        "group",
        &["p9"],
    );
    refused(
        "[[facility.module]]\ngroup = \"p2\"\nonline = \"2026-01-02\"\npart = \"chillers\"\n",
        "part = \"chillers\"",
        "part",
        &["cooling", "electrical"],
    );
    refused(
        "[[facility.load_bank]]\ngroup = \"p2\"\nshare = 1.5\ndays = 1\n",
        "share = 1.5",
        "share",
        &["(0, 1]"],
    );
    refused(
        "[[facility.load_bank]]\ngroup = \"p1\"\nshare = 0.5\ndays = 2.5\n",
        "days = 2.5",
        "days",
        &["before the study"],
    );
    let fixed = "name = \"f\"\nhorizon_hours = 24\n[[site.group]]\nname = \"g\"\nserver = \"DGX-H100\"\ncount = 1\n\
                 [[twin]]\nname = \"t\"\npool = \"g\"\nbase_utilisation = 0.5\n\
                 [facility]\nkind = \"fixed\"\npue = 1.2\n\
                 [[facility.load_bank]]\ngroup = \"g\"\nshare = 0.5\ndays = 1\n";
    assert_says(&resolve_err("f.toml", fixed), &["load_bank", "physics"]);
}
