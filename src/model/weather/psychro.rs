//! Psychrometric helpers: wet bulb from dry bulb and relative humidity, and
//! relative humidity from dew point.
//!
//! Both functions are closed-form approximations valid near sea-level
//! pressure; neither takes a pressure argument. They never panic: inputs
//! outside the valid range are clamped, and a NaN input gives a NaN output.

/// Lowest dry bulb (C) inside the range Stull (2011) fitted.
pub const STULL_T_MIN_C: f64 = -20.0;
/// Highest dry bulb (C) inside the range Stull (2011) fitted.
pub const STULL_T_MAX_C: f64 = 50.0;
/// Lowest relative humidity (%) inside the range Stull (2011) fitted.
pub const STULL_RH_MIN_PCT: f64 = 5.0;
/// Highest relative humidity (%) inside the range Stull (2011) fitted.
pub const STULL_RH_MAX_PCT: f64 = 99.0;

/// Magnus coefficient `b` of Alduchov & Eskridge (1996), dimensionless.
const MAGNUS_B: f64 = 17.625;
/// Magnus coefficient `c` of Alduchov & Eskridge (1996), C.
const MAGNUS_C: f64 = 243.04;

/// Wet-bulb temperature (C) from dry bulb `T` (C) and relative humidity `RH` (%),
/// by the empirical fit of Stull (2011), "Wet-Bulb Temperature from Relative
/// Humidity and Air Temperature", *J. Appl. Meteor. Climatol.* 50, 2267-2269:
///
/// ```text
/// Tw = T·atan(0.151977·(RH + 8.313659)^½) + atan(T + RH) − atan(RH − 1.676331)
///      + 0.00391838·RH^(3/2)·atan(0.023101·RH) − 4.686035
/// ```
///
/// (angles in radians, RH in percent). The fit is for standard sea-level
/// pressure (101.325 kPa). Stull reports errors between −1 C and +0.65 C
/// (mean absolute error under 0.3 C) for RH 5-99 % and T −20..50 C, except
/// at combinations of low RH and low T, where it is worse; check value
/// from the paper: T = 20 C, RH = 50 % gives Tw = 13.7 C.
///
/// Inputs are clamped to that range (T to −20..50 C, RH to 5..99 %) before
/// the formula is applied, and the result is capped at the (unclamped) dry
/// bulb, so the wet bulb never exceeds the dry bulb. At RH ≥ 99 % the wet
/// bulb is therefore a few tenths below the dry bulb rather than equal to it,
/// and outside −20..50 C the result is only a rough figure. NaN in, NaN out.
pub fn wet_bulb_c(dry_bulb_c: f64, rel_humidity_pct: f64) -> f64 {
    if dry_bulb_c.is_nan() || rel_humidity_pct.is_nan() {
        return f64::NAN;
    }
    let t = dry_bulb_c.clamp(STULL_T_MIN_C, STULL_T_MAX_C);
    let rh = rel_humidity_pct.clamp(STULL_RH_MIN_PCT, STULL_RH_MAX_PCT);
    let tw = t * (0.151977 * (rh + 8.313659).sqrt()).atan() + (t + rh).atan()
        - (rh - 1.676331).atan()
        + 0.00391838 * rh.powf(1.5) * (0.023101 * rh).atan()
        - 4.686035;
    // Outside the clamp range, shift by the same amount as the dry bulb was
    // clamped, so the result still moves with the dry bulb; then cap.
    let shifted = tw + (dry_bulb_c - t);
    shifted.min(dry_bulb_c)
}

/// Saturation vapour pressure over water (hPa) at `t_c` (C), by the Magnus
/// formula with the coefficients of Alduchov & Eskridge (1996), "Improved
/// Magnus form approximation of saturation vapor pressure", *J. Appl.
/// Meteor.* 35, 601-609: `e_s(T) = 6.1094·exp(17.625·T / (T + 243.04))`.
/// Relative error under 0.4 % for −40..50 C.
pub fn saturation_vapour_pressure_hpa(t_c: f64) -> f64 {
    6.1094 * (MAGNUS_B * t_c / (t_c + MAGNUS_C)).exp()
}

/// Relative humidity (%) of air at dry bulb `t_c` (C) with dew point
/// `dew_c` (C): `RH = 100·e_s(Td)/e_s(T)`, with the Magnus formula of
/// Alduchov & Eskridge (1996) (see [`saturation_vapour_pressure_hpa`]):
///
/// ```text
/// RH = 100·exp(17.625·Td/(243.04 + Td) − 17.625·T/(243.04 + T))
/// ```
///
/// Both temperatures are clamped to −80..60 C (the formula has a pole at
/// −243.04 C); a dew point above the dry bulb gives 100 %. The result lies
/// in 0..=100. NaN in, NaN out.
pub fn rel_humidity_from_dew_point(t_c: f64, dew_c: f64) -> f64 {
    if t_c.is_nan() || dew_c.is_nan() {
        return f64::NAN;
    }
    let t = t_c.clamp(-80.0, 60.0);
    let td = dew_c.clamp(-80.0, 60.0).min(t);
    let exponent = MAGNUS_B * td / (MAGNUS_C + td) - MAGNUS_B * t / (MAGNUS_C + t);
    (100.0 * exponent.exp()).clamp(0.0, 100.0)
}

/// Dew point (C) from dry bulb `t_c` (C) and relative humidity `rh_pct` (%),
/// the inverse of [`rel_humidity_from_dew_point`] (Magnus formula,
/// Alduchov & Eskridge 1996 coefficients):
/// `γ = ln(RH/100) + 17.625·T/(243.04 + T)`, `Td = 243.04·γ / (17.625 − γ)`.
/// RH is clamped to 0.1..100 %, T to −80..60 C. NaN in, NaN out.
pub fn dew_point_from_rel_humidity(t_c: f64, rh_pct: f64) -> f64 {
    if t_c.is_nan() || rh_pct.is_nan() {
        return f64::NAN;
    }
    let t = t_c.clamp(-80.0, 60.0);
    let rh = rh_pct.clamp(0.1, 100.0);
    let gamma = (rh / 100.0).ln() + MAGNUS_B * t / (MAGNUS_C + t);
    (MAGNUS_C * gamma / (MAGNUS_B - gamma)).min(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stull_paper_check_value() {
        // Stull (2011), text below eq. (1): T = 20 C, RH = 50 % -> Tw = 13.7 C.
        let tw = wet_bulb_c(20.0, 50.0);
        assert!((tw - 13.7).abs() < 0.05, "got {tw}");
    }

    #[test]
    fn stull_against_psychrometric_tables() {
        // Sea-level (1013.25 hPa) psychrometric wet bulbs, as read from the
        // ASHRAE psychrometric chart and as given by the psychrometer
        // equation e = e_s(Tw) - 6.62e-4 * P * (T - Tw); Stull's fit must
        // agree within its stated accuracy (-1 .. +0.65 C).
        let cases = [
            // (dry bulb C, RH %, reference wet bulb C)
            (30.0, 50.0, 22.1),
            (25.0, 60.0, 19.5),
            (35.0, 20.0, 19.0),
            (10.0, 80.0, 8.3),
            (40.0, 10.0, 18.8),
        ];
        for (t, rh, expected) in cases {
            let tw = wet_bulb_c(t, rh);
            assert!(
                (tw - expected).abs() < 1.0,
                "T={t} RH={rh}: got {tw}, published {expected}"
            );
        }
    }

    #[test]
    fn saturated_air_wet_bulb_close_to_dry_bulb() {
        for t in [-10.0, 0.0, 15.0, 30.0, 45.0] {
            let tw = wet_bulb_c(t, 100.0);
            assert!(tw <= t && t - tw < 0.5, "T={t}: Tw={tw}");
        }
    }

    #[test]
    fn clamping_and_nan() {
        assert!(wet_bulb_c(f64::NAN, 50.0).is_nan());
        assert!(wet_bulb_c(20.0, f64::NAN).is_nan());
        assert!(wet_bulb_c(-40.0, 50.0) <= -40.0);
        assert!(wet_bulb_c(60.0, 0.0) <= 60.0);
        assert!(wet_bulb_c(f64::INFINITY, 50.0) <= f64::INFINITY);
        assert!(rel_humidity_from_dew_point(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn magnus_check_values() {
        // T = 20 C, Td = 10 C -> RH 52.5 %; T = 30 C, Td = 20 C -> 55.0 %
        // (Magnus, Alduchov & Eskridge coefficients; Vaisala calculator agrees to 0.2 %).
        let rh = rel_humidity_from_dew_point(20.0, 10.0);
        assert!((rh - 52.5).abs() < 0.3, "got {rh}");
        let rh = rel_humidity_from_dew_point(30.0, 20.0);
        assert!((rh - 55.0).abs() < 0.3, "got {rh}");
        assert_eq!(rel_humidity_from_dew_point(15.0, 15.0), 100.0);
        assert_eq!(rel_humidity_from_dew_point(15.0, 25.0), 100.0);
        // e_s(0 C) = 6.1094 hPa by construction, e_s(100 C) is not in range but
        // e_s(20 C) should be close to the WMO value 23.39 hPa.
        assert!((saturation_vapour_pressure_hpa(20.0) - 23.39).abs() < 0.1);
    }

    #[test]
    fn dew_point_round_trip() {
        for (t, td) in [(20.0, 10.0), (35.0, 5.0), (-5.0, -12.0), (28.0, 26.0)] {
            let rh = rel_humidity_from_dew_point(t, td);
            let back = dew_point_from_rel_humidity(t, rh);
            assert!((back - td).abs() < 1e-6, "{t} {td} -> {rh} -> {back}");
        }
    }

    proptest! {
        #[test]
        fn wet_bulb_never_above_dry_bulb(t in -100.0f64..100.0, rh in -50.0f64..200.0) {
            let tw = wet_bulb_c(t, rh);
            prop_assert!(tw.is_finite());
            prop_assert!(tw <= t, "T={} RH={} Tw={}", t, rh, tw);
        }

        // Stull's fit is not monotone in RH at low T and low RH (the region
        // the paper flags as less accurate, roughly T < 3 C), so test above it.
        #[test]
        fn wet_bulb_monotone_in_humidity(t in 5.0f64..50.0, rh in 5.0f64..94.0) {
            prop_assert!(wet_bulb_c(t, rh) <= wet_bulb_c(t, rh + 5.0) + 1e-9);
        }

        #[test]
        fn rel_humidity_in_range(t in -100.0f64..100.0, td in -100.0f64..100.0) {
            let rh = rel_humidity_from_dew_point(t, td);
            prop_assert!((0.0..=100.0).contains(&rh));
        }
    }
}
