//! Two steps at once: a pair of `f64` lanes for the quiet block's per-step passes
//! ([`super::block`]).
//!
//! Why: a quiet block's steps are independent of each other but for the sums the meter takes
//! (heat, cooling, losses, each plant's `Σ d²`), which must be added in step order to keep
//! the bits. The compiler will not pair the steps itself (a float sum in the same loop is a
//! chain it may not reorder, and a float least or most is not a reduction it vectorises
//! without fast-math), so the passes pair them by hand: every per-step figure is worked out
//! in two lanes by the very operations a step does alone (IEEE add, subtract and multiply
//! round each lane as they round a scalar), and the sums take lane 0 then lane 1, as the
//! steps come. So the bits are the scalar pass's (tests `the_paired_*`), at about half the
//! instructions a step.
//!
//! On x86-64 the lanes are one SSE2 register (SSE2 is part of the x86-64 baseline, so no
//! feature detection); elsewhere two scalars with the same semantics.

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod imp {
    // SAFETY (every `unsafe` here): the intrinsics need SSE2, which this module is compiled
    // only with (`target_feature = "sse2"`, part of the x86-64 baseline); none takes a
    // pointer.
    use std::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_and_pd, _mm_andnot_pd, _mm_cmpgt_pd, _mm_cvtsd_f64, _mm_div_pd,
        _mm_max_pd, _mm_min_pd, _mm_movemask_pd, _mm_mul_pd, _mm_or_pd, _mm_set_pd, _mm_set1_pd,
        _mm_sub_pd, _mm_unpackhi_pd,
    };

    /// Two `f64` lanes (lane 0 the earlier step).
    #[derive(Clone, Copy, Debug)]
    pub struct F2(__m128d);

    impl F2 {
        #[inline(always)]
        pub fn splat(x: f64) -> F2 {
            F2(unsafe { _mm_set1_pd(x) })
        }

        #[inline(always)]
        pub fn new(lo: f64, hi: f64) -> F2 {
            F2(unsafe { _mm_set_pd(hi, lo) })
        }

        #[inline(always)]
        pub fn lo(self) -> f64 {
            unsafe { _mm_cvtsd_f64(self.0) }
        }

        #[inline(always)]
        pub fn hi(self) -> f64 {
            unsafe { _mm_cvtsd_f64(_mm_unpackhi_pd(self.0, self.0)) }
        }

        /// Each lane `if self > o { self } else { o }` (MAXPD is exactly this, NaN and
        /// signed zeros included).
        #[inline(always)]
        pub fn max_or(self, o: F2) -> F2 {
            F2(unsafe { _mm_max_pd(self.0, o.0) })
        }

        /// Each lane `if self < o { self } else { o }` (MINPD).
        #[inline(always)]
        pub fn min_or(self, o: F2) -> F2 {
            F2(unsafe { _mm_min_pd(self.0, o.0) })
        }

        /// Each lane `if self > o { a } else { b }`.
        #[inline(always)]
        pub fn gt_select(self, o: F2, a: F2, b: F2) -> F2 {
            let m = unsafe { _mm_cmpgt_pd(self.0, o.0) };
            F2(unsafe { _mm_or_pd(_mm_and_pd(m, a.0), _mm_andnot_pd(m, b.0)) })
        }

        /// Which lanes have `self > o`: bit 0 for lane 0, bit 1 for lane 1.
        #[inline(always)]
        pub fn gt_bits(self, o: F2) -> u32 {
            (unsafe { _mm_movemask_pd(_mm_cmpgt_pd(self.0, o.0)) }) as u32
        }
    }

    impl std::ops::Add for F2 {
        type Output = F2;
        #[inline(always)]
        fn add(self, o: F2) -> F2 {
            F2(unsafe { _mm_add_pd(self.0, o.0) })
        }
    }

    impl std::ops::Sub for F2 {
        type Output = F2;
        #[inline(always)]
        fn sub(self, o: F2) -> F2 {
            F2(unsafe { _mm_sub_pd(self.0, o.0) })
        }
    }

    impl std::ops::Mul for F2 {
        type Output = F2;
        #[inline(always)]
        fn mul(self, o: F2) -> F2 {
            F2(unsafe { _mm_mul_pd(self.0, o.0) })
        }
    }

    impl std::ops::Div for F2 {
        type Output = F2;
        #[inline(always)]
        fn div(self, o: F2) -> F2 {
            F2(unsafe { _mm_div_pd(self.0, o.0) })
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
mod imp {
    /// Two `f64` lanes (lane 0 the earlier step).
    #[derive(Clone, Copy, Debug)]
    pub struct F2([f64; 2]);

    impl F2 {
        #[inline(always)]
        pub fn splat(x: f64) -> F2 {
            F2([x, x])
        }

        #[inline(always)]
        pub fn new(lo: f64, hi: f64) -> F2 {
            F2([lo, hi])
        }

        #[inline(always)]
        pub fn lo(self) -> f64 {
            self.0[0]
        }

        #[inline(always)]
        pub fn hi(self) -> f64 {
            self.0[1]
        }

        #[inline(always)]
        fn map2(self, o: F2, f: impl Fn(f64, f64) -> f64) -> F2 {
            F2([f(self.0[0], o.0[0]), f(self.0[1], o.0[1])])
        }

        #[inline(always)]
        pub fn max_or(self, o: F2) -> F2 {
            self.map2(o, |a, b| if a > b { a } else { b })
        }

        #[inline(always)]
        pub fn min_or(self, o: F2) -> F2 {
            self.map2(o, |a, b| if a < b { a } else { b })
        }

        #[inline(always)]
        pub fn gt_select(self, o: F2, a: F2, b: F2) -> F2 {
            let pick = |k: usize| if self.0[k] > o.0[k] { a.0[k] } else { b.0[k] };
            F2([pick(0), pick(1)])
        }

        #[inline(always)]
        pub fn gt_bits(self, o: F2) -> u32 {
            u32::from(self.0[0] > o.0[0]) | u32::from(self.0[1] > o.0[1]) << 1
        }
    }

    impl std::ops::Add for F2 {
        type Output = F2;
        #[inline(always)]
        fn add(self, o: F2) -> F2 {
            self.map2(o, |a, b| a + b)
        }
    }

    impl std::ops::Sub for F2 {
        type Output = F2;
        #[inline(always)]
        fn sub(self, o: F2) -> F2 {
            self.map2(o, |a, b| a - b)
        }
    }

    impl std::ops::Mul for F2 {
        type Output = F2;
        #[inline(always)]
        fn mul(self, o: F2) -> F2 {
            self.map2(o, |a, b| a * b)
        }
    }

    impl std::ops::Div for F2 {
        type Output = F2;
        #[inline(always)]
        fn div(self, o: F2) -> F2 {
            self.map2(o, |a, b| a / b)
        }
    }
}

pub use imp::F2;

impl F2 {
    /// The pair `[a, b]`.
    #[inline(always)]
    pub fn load(p: &[f64; 2]) -> F2 {
        F2::new(p[0], p[1])
    }

    /// Writes the lanes to `p`.
    #[inline(always)]
    pub fn store(self, p: &mut [f64; 2]) {
        *p = [self.lo(), self.hi()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each lane's operation is the scalar one, to the bit, NaN and signed zeros included.
    #[test]
    fn lanes_are_the_scalar_operations() {
        let xs = [
            0.0,
            -0.0,
            1.5,
            -2.25,
            f64::NAN,
            f64::INFINITY,
            f64::MIN,
            f64::MAX,
            1e-300,
            3.0e6,
        ];
        for &a in &xs {
            for &b in &xs {
                let (x, y) = (F2::new(a, b), F2::new(b, a));
                let same = |v: F2, lo: f64, hi: f64| {
                    assert_eq!(v.lo().to_bits(), lo.to_bits(), "{a} {b}");
                    assert_eq!(v.hi().to_bits(), hi.to_bits(), "{a} {b}");
                };
                same(x + y, a + b, b + a);
                same(x - y, a - b, b - a);
                same(x * y, a * b, b * a);
                same(x / y, a / b, b / a);
                same(
                    x.max_or(y),
                    if a > b { a } else { b },
                    if b > a { b } else { a },
                );
                same(
                    x.min_or(y),
                    if a < b { a } else { b },
                    if b < a { b } else { a },
                );
                let (p, q) = (F2::new(7.0, 8.0), F2::new(-7.0, -8.0));
                assert_eq!(
                    x.gt_bits(y),
                    u32::from(a > b) | u32::from(b > a) << 1,
                    "{a} {b}"
                );
                same(
                    x.gt_select(y, p, q),
                    if a > b { 7.0 } else { -7.0 },
                    if b > a { 8.0 } else { -8.0 },
                );
                let mut out = [0.0; 2];
                x.store(&mut out);
                same(F2::load(&out), a, b);
            }
        }
    }
}
