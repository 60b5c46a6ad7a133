//! Caveats of a resolved study: settings that run, but whose figures the user should read with
//! a known bias. The engine applies every event (a checkpoint's start and end, a restart's end)
//! at the first step boundary at or after it, so a phase shorter than the step lasts a whole
//! step: a 5-minute checkpoint every hour at `step_s = 3600` holds the job at checkpoint
//! utilisation for every other hour, and the training energy falls by about a third. Printed by
//! `validate` and `run` and written to summary.json (`study_warnings`), so report.html shows them.

use crate::scenario::Scenario;

/// The study's caveats, one sentence each (empty when none applies).
pub fn warnings(sc: &Scenario) -> Vec<String> {
    let step = sc.step_s;
    let mut out = Vec::new();
    for t in &sc.trainings {
        let (d, i) = (t.checkpoint_duration_s, t.checkpoint_interval_s);
        if d == 0 || i == 0 {
            continue;
        }
        if d < step || !d.is_multiple_of(step) || !i.is_multiple_of(step) {
            let held = d.div_ceil(step) * step;
            out.push(format!(
                "training {:?}: checkpoints of {} min every {} min are not whole steps \
                 (step_s = {step} s): events apply at step boundaries, so a checkpoint lasts \
                 anywhere from 0 to {} min in the engine instead of {} min ({:.0} % of the \
                 running time), and the training energy is biased (5-min checkpoints hourly at \
                 3600 s steps read about 30 % low); use a step_s that divides both (e.g. {} s)",
                t.name,
                d / 60,
                i / 60,
                held / 60,
                d / 60,
                100.0 * d as f64 / i as f64,
                gcd(gcd(d, i), 3600)
            ));
        }
    }
    if let Some(f) = &sc.failures
        && !sc.trainings.is_empty()
        && f.restart_s > 0
        && !f.restart_s.is_multiple_of(step)
    {
        out.push(format!(
            "[failures] restart of {} min is not a whole number of steps (step_s = {step} s): \
             a restart lasts {} min in the engine",
            f.restart_s / 60,
            f.restart_s.div_ceil(step) * step / 60
        ));
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::gcd;

    #[test]
    fn gcd_of_checkpoint_lengths_and_the_hour() {
        assert_eq!(gcd(gcd(300, 3600), 3600), 300);
        assert_eq!(gcd(gcd(420, 3600), 3600), 60);
    }
}
