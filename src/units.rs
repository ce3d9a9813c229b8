//! Exact quantities and dose units.
//!
//! Every number that takes part in a dose comparison is an exact [`Ratio`]: JSON numbers are read
//! through their shortest decimal form (`4000.1` is exactly 40001/10), so a dose exactly at a limit
//! compares equal to it, never a hair above. Masses are kept in micrograms, rates in micrograms per
//! hour.

use std::cmp::Ordering;
use std::fmt;
use std::num::NonZeroI64;
use std::str::FromStr;

/// Largest numerator or denominator a [`Ratio`] parsed from input may have (10^15).
pub(crate) const INPUT_CAP: i128 = 1_000_000_000_000_000;

/// An exact rational number `num / den` with `den > 0`, always in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
    // Doses and limits fit in 64 bits: there, Stein's algorithm needs no division at all
    // (128-bit division is a slow library call), which makes dose checks several times faster.
    if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
        return gcd64(a, b).max(1) as i128;
    }
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1) as i128
}

/// Binary GCD of two 64-bit numbers; `gcd64(0, b) == b`.
fn gcd64(mut a: u64, mut b: u64) -> u64 {
    if a == 0 || b == 0 {
        return a | b;
    }
    // Whole numbers (denominator 1) are most of what a dose check multiplies.
    if a == 1 || b == 1 {
        return 1;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

/// `a / b`, in 64 bits when both fit (the common case), exact either way.
fn div(a: i128, b: i128) -> i128 {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) if y != 0 && !(x == i64::MIN && y == -1) => (x / y) as i128,
        _ => a / b,
    }
}

/// A [`Ratio`] kept in 16 bytes rather than 32: both parts in 64 bits, as nearly every dose
/// is, or else the ratio boxed. For numbers kept in entries that must stay small enough to
/// move without a `memcpy` call (a skipped check's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Compact {
    /// Numerator and (positive) denominator, in lowest terms.
    Small { num: i64, den: NonZeroI64 },
    /// Anything wider.
    Large(Box<Ratio>),
}

impl Compact {
    /// The ratio, kept.
    pub(crate) fn new(r: Ratio) -> Compact {
        match r.small() {
            Some((num, den)) => match NonZeroI64::new(den) {
                Some(den) => Compact::Small { num, den },
                None => Compact::Large(Box::new(r)),
            },
            None => Compact::Large(Box::new(r)),
        }
    }

    /// The ratio again.
    pub(crate) fn get(&self) -> Ratio {
        match self {
            Compact::Small { num, den } => Ratio {
                num: i128::from(*num),
                den: i128::from(den.get()),
            },
            Compact::Large(r) => **r,
        }
    }
}

/// Why a number could not be read as an exact quantity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not a finite decimal number.
    #[error("`{0}` is not a finite decimal number")]
    NotDecimal(String),
    /// More digits than an exact quantity here may hold.
    #[error("`{0}` is out of range (at most 15 significant digits and 9 decimal places)")]
    OutOfRange(String),
}

impl Ratio {
    /// Zero.
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    /// One.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den`, reduced. Returns `None` when `den` is zero.
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        let sign = if den < 0 { -1 } else { 1 };
        Some(Ratio {
            num: sign * div(num, g),
            den: sign * div(den, g),
        })
    }

    /// A whole number.
    pub const fn from_int(n: i64) -> Ratio {
        Ratio {
            num: n as i128,
            den: 1,
        }
    }

    /// Numerator in lowest terms.
    pub fn numer(self) -> i128 {
        self.num
    }

    /// Denominator in lowest terms (always positive).
    pub fn denom(self) -> i128 {
        self.den
    }

    /// Reads a JSON number exactly, through its shortest decimal representation.
    pub fn from_json(n: &serde_json::Number) -> Result<Ratio, NumberError> {
        // The text is written only for an error: most numbers are small whole ones.
        if let Some(i) = n.as_i64() {
            return Ratio::checked_input(i as i128, 1, || n.to_string());
        }
        if let Some(u) = n.as_u64() {
            return Ratio::checked_input(u as i128, 1, || n.to_string());
        }
        match n.as_f64() {
            Some(f) if f.is_finite() => format!("{f}").parse(),
            _ => Err(NumberError::NotDecimal(n.to_string())),
        }
    }

    fn checked_input(
        num: i128,
        den: i128,
        text: impl FnOnce() -> String,
    ) -> Result<Ratio, NumberError> {
        if num.abs() > INPUT_CAP || den > INPUT_CAP {
            return Err(NumberError::OutOfRange(text()));
        }
        Ok(Ratio::new(num, den).expect("den > 0"))
    }

    /// Both parts as 64-bit numbers, when they fit (they almost always do: inputs are capped
    /// at 15 digits).
    #[inline]
    fn small(self) -> Option<(i64, i64)> {
        match (i64::try_from(self.num), i64::try_from(self.den)) {
            (Ok(n), Ok(d)) => Some((n, d)),
            _ => None,
        }
    }

    /// The number, when whole and within 64 bits, where arithmetic needs no reduction.
    #[inline]
    fn whole64(self) -> Option<i64> {
        if self.den == 1 {
            i64::try_from(self.num).ok()
        } else {
            None
        }
    }

    /// Sum; `None` on overflow.
    #[inline]
    pub fn checked_add(self, o: Ratio) -> Option<Ratio> {
        if let (Some(a), Some(b)) = (self.whole64(), o.whole64()) {
            // Two 64-bit numbers: the sum fits in 128 bits, and it is whole.
            return Some(Ratio {
                num: a as i128 + b as i128,
                den: 1,
            });
        }
        self.add_general(o)
    }

    fn add_general(self, o: Ratio) -> Option<Ratio> {
        if let (Some((a, b)), Some((c, d))) = (self.small(), o.small()) {
            // Products of 64-bit numbers fit in 128 bits, and so does their sum.
            let g = gcd64(b.unsigned_abs(), d.unsigned_abs()).max(1) as i64;
            let den = (b / g) as i128 * d as i128;
            let num = a as i128 * (d / g) as i128 + c as i128 * (b / g) as i128;
            return Ratio::new(num, den);
        }
        let g = gcd(self.den, o.den);
        let den = div(self.den, g).checked_mul(o.den)?;
        let num = self
            .num
            .checked_mul(div(o.den, g))?
            .checked_add(o.num.checked_mul(div(self.den, g))?)?;
        Ratio::new(num, den)
    }

    /// Product; `None` on overflow.
    #[inline]
    pub fn checked_mul(self, o: Ratio) -> Option<Ratio> {
        if let (Some(a), Some(b)) = (self.whole64(), o.whole64()) {
            // Two 64-bit numbers: the product fits in 128 bits, and is one widening multiply.
            return Some(Ratio {
                num: a as i128 * b as i128,
                den: 1,
            });
        }
        self.mul_general(o)
    }

    fn mul_general(self, o: Ratio) -> Option<Ratio> {
        if let (Some((a, b)), Some((c, d))) = (self.small(), o.small()) {
            // Cancel across, as below, in 64 bits; the products then fit in 128 bits.
            let g1 = gcd64(a.unsigned_abs(), d.unsigned_abs()).max(1) as i64;
            let g2 = gcd64(c.unsigned_abs(), b.unsigned_abs()).max(1) as i64;
            return Some(Ratio {
                num: (a / g1) as i128 * (c / g2) as i128,
                den: (b / g2) as i128 * (d / g1) as i128,
            });
        }
        let g1 = gcd(self.num, o.den);
        let g2 = gcd(o.num, self.den);
        let num = div(self.num, g1).checked_mul(div(o.num, g2))?;
        let den = div(self.den, g2).checked_mul(div(o.den, g1))?;
        // Both inputs are in lowest terms and the common factors across them are gone, so the
        // product is in lowest terms too, with a positive denominator.
        Some(Ratio { num, den })
    }

    /// Quotient; `None` on overflow or division by zero.
    pub fn checked_div(self, o: Ratio) -> Option<Ratio> {
        if o.num == 0 {
            return None;
        }
        // A whole number by a whole divisor of it (mcg to mg, most often): whole, and found by
        // one 64-bit division instead of the cross-cancelling of a product.
        if let (Some((n, 1)), Some((d, 1))) = (self.small(), o.small()) {
            if d != -1 && n % d == 0 {
                return Some(Ratio::from_int(n / d));
            }
        }
        self.checked_mul(Ratio {
            num: o.den * o.num.signum(),
            den: o.num.abs(),
        })
    }

    /// Quotient by a positive whole divisor (1000, for mcg to mg); `None` on overflow or
    /// division by zero. Inlined, so that a whole number the divisor divides, the usual case,
    /// costs a multiplication by the divisor's inverse instead of a call; anything else is
    /// [`Ratio::checked_div`].
    #[inline]
    pub(crate) fn checked_div_int(self, d: i64) -> Option<Ratio> {
        if let Some(n) = self.whole64() {
            if d > 0 && n % d == 0 {
                return Some(Ratio::from_int(n / d));
            }
        }
        self.checked_div(Ratio::from_int(d))
    }

    /// True when strictly greater than zero.
    pub fn is_positive(self) -> bool {
        self.num > 0
    }

    /// A float for display and for JSON output only; never used in a comparison.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl Ratio {
    fn cmp_general(&self, o: &Ratio) -> Ordering {
        if let (Some((a, b)), Some((c, d))) = (self.small(), o.small()) {
            if b == d {
                return a.cmp(&c);
            }
            // 64-bit products fit in 128 bits.
            return (a as i128 * d as i128).cmp(&(c as i128 * b as i128));
        }
        // Denominators are positive, so cross-multiplying keeps the order. Values are bounded by
        // the input caps, so this cannot overflow i128 in practice; fall back to floats if it would.
        match (self.num.checked_mul(o.den), o.num.checked_mul(self.den)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => cmp_as_floats(*self, *o),
        }
    }
}

/// The last resort of a comparison, past 128 bits. Out of line and cold: inlined, the compiler
/// computed both floats (a library call each) ahead of every comparison that might need them.
#[cold]
#[inline(never)]
fn cmp_as_floats(a: Ratio, b: Ratio) -> Ordering {
    a.to_f64().total_cmp(&b.to_f64())
}

impl Ord for Ratio {
    #[inline]
    fn cmp(&self, o: &Ratio) -> Ordering {
        if self.den == o.den {
            // Same denominator (whole numbers, most often): compare the numerators.
            return self.num.cmp(&o.num);
        }
        self.cmp_general(o)
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, o: &Ratio) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl FromStr for Ratio {
    type Err = NumberError;

    /// Parses a plain decimal (`12`, `-0.5`, `2.4`, `1e-3`) exactly.
    fn from_str(s: &str) -> Result<Ratio, NumberError> {
        let bad = || NumberError::NotDecimal(s.to_string());
        let range = || NumberError::OutOfRange(s.to_string());
        let (mantissa, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().map_err(|_| bad())?),
            None => (s, 0),
        };
        let (neg, digits) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        // The significant digits: those of `int` then `frac`, leading zeros dropped.
        let digits = int.bytes().chain(frac.bytes()).skip_while(|&b| b == b'0');
        if digits.clone().count() > 15 {
            return Err(range());
        }
        let mut num = digits.fold(0i128, |n, b| n * 10 + i128::from(b - b'0'));
        let scale = exp - frac.len() as i32;
        if !(-9..=15).contains(&scale) && num != 0 {
            return Err(range());
        }
        let mut den: i128 = 1;
        if scale >= 0 {
            num *= 10i128.pow(scale.max(0) as u32);
        } else {
            den = 10i128.pow((-scale) as u32);
        }
        if neg {
            num = -num;
        }
        Ratio::checked_input(num, den, || s.to_string())
    }
}

impl fmt::Display for Ratio {
    /// Exact decimal when the value has one with at most 6 places, else rounded to 3 places.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            return write!(f, "{}", self.num);
        }
        for places in 1..=6u32 {
            let scale = 10i128.pow(places);
            if (self.num * scale) % self.den == 0 {
                let v = self.num * scale / self.den;
                let sign = if v < 0 { "-" } else { "" };
                let v = v.abs();
                let frac = format!("{:0width$}", v % scale, width = places as usize);
                return write!(f, "{sign}{}.{}", v / scale, frac.trim_end_matches('0'));
            }
        }
        write!(f, "{:.3}", self.to_f64())
    }
}

/// The unit a dose, strength or limit is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// Micrograms.
    Mcg,
    /// Milligrams.
    Mg,
    /// Grams.
    G,
    /// Micrograms per hour (transdermal and infusion rates).
    McgPerH,
    /// Milligrams per kilogram of body weight.
    MgPerKg,
    /// Micrograms per kilogram of body weight.
    McgPerKg,
    /// One tablet of a product.
    Tablet,
    /// One capsule of a product.
    Capsule,
    /// One patch of a product.
    Patch,
    /// One millilitre of a liquid product.
    Ml,
}

/// What a [`Unit`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// A mass, kept in micrograms.
    Mass,
    /// A mass per hour, kept in micrograms per hour.
    Rate,
    /// A mass per kilogram of body weight, kept in micrograms per kilogram.
    MassPerKg,
    /// A count of a product's dosage units.
    DosageUnit,
}

impl Unit {
    /// Every unit, in a stable order.
    pub const ALL: [Unit; 10] = [
        Unit::Mcg,
        Unit::Mg,
        Unit::G,
        Unit::McgPerH,
        Unit::MgPerKg,
        Unit::McgPerKg,
        Unit::Tablet,
        Unit::Capsule,
        Unit::Patch,
        Unit::Ml,
    ];

    /// The spelling used in JSON (`"mg"`, `"mcg/h"`, `"tablet"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Mcg => "mcg",
            Unit::Mg => "mg",
            Unit::G => "g",
            Unit::McgPerH => "mcg/h",
            Unit::MgPerKg => "mg/kg",
            Unit::McgPerKg => "mcg/kg",
            Unit::Tablet => "tablet",
            Unit::Capsule => "capsule",
            Unit::Patch => "patch",
            Unit::Ml => "mL",
        }
    }

    /// Reads a unit, accepting the usual aliases (`ug`, `µg`, `mcg/hr`, `tablets`, `ml`).
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s.trim() {
            "mcg" | "ug" | "µg" | "μg" | "microgram" | "micrograms" => Unit::Mcg,
            "mg" | "milligram" | "milligrams" => Unit::Mg,
            "g" | "gram" | "grams" => Unit::G,
            "mcg/h" | "mcg/hr" | "ug/h" | "ug/hr" | "µg/h" | "μg/h" => Unit::McgPerH,
            "mg/kg" => Unit::MgPerKg,
            "mcg/kg" | "ug/kg" | "µg/kg" => Unit::McgPerKg,
            "tablet" | "tablets" | "tab" | "tabs" | "{tablet}" => Unit::Tablet,
            "capsule" | "capsules" | "cap" | "caps" | "{capsule}" => Unit::Capsule,
            "patch" | "patches" | "{patch}" => Unit::Patch,
            "mL" | "ml" | "milliliter" | "millilitre" => Unit::Ml,
            _ => return None,
        })
    }

    /// What this unit measures.
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Mcg | Unit::Mg | Unit::G => Dimension::Mass,
            Unit::McgPerH => Dimension::Rate,
            Unit::MgPerKg | Unit::McgPerKg => Dimension::MassPerKg,
            Unit::Tablet | Unit::Capsule | Unit::Patch | Unit::Ml => Dimension::DosageUnit,
        }
    }

    /// Micrograms (or micrograms per hour, or per kilogram) in one of this unit; `None` for
    /// dosage units, whose content depends on the product.
    pub fn mcg_factor(self) -> Option<i64> {
        match self {
            Unit::Mcg | Unit::McgPerH | Unit::McgPerKg => Some(1),
            Unit::Mg | Unit::MgPerKg => Some(1_000),
            Unit::G => Some(1_000_000),
            Unit::Tablet | Unit::Capsule | Unit::Patch | Unit::Ml => None,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact amount in a unit: `5 mg`, `25 mcg/h`, `2 tablet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Amount {
    /// The number, exact.
    pub value: Ratio,
    /// The unit it is written in.
    pub unit: Unit,
}

impl Amount {
    /// A new amount.
    pub fn new(value: Ratio, unit: Unit) -> Amount {
        Amount { value, unit }
    }

    /// The amount in the base unit of its dimension (micrograms, micrograms per hour or
    /// micrograms per kilogram); `None` for dosage units.
    #[inline]
    pub fn in_base(self) -> Option<Ratio> {
        let f = self.unit.mcg_factor()?;
        self.value.checked_mul(Ratio::from_int(f))
    }

    /// Converts to another unit of the same dimension, exactly.
    pub fn convert(self, to: Unit) -> Option<Amount> {
        if self.unit.dimension() != to.dimension() {
            return None;
        }
        let base = self.in_base()?;
        let value = base.checked_div(Ratio::from_int(to.mcg_factor()?))?;
        Some(Amount::new(value, to))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    #[test]
    fn fast_gcd_and_division_agree_with_euclid() {
        let euclid = |mut a: i128, mut b: i128| {
            (a, b) = (a.abs(), b.abs());
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a.max(1)
        };
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (a, b) = ((x >> 20) as i128 * 6, (x % 1_000_003) as i128 * 4);
            assert_eq!(gcd(a, b), euclid(a, b), "gcd({a}, {b})");
            assert_eq!(gcd(-a, b), euclid(a, b));
            if b != 0 {
                assert_eq!(div(a, b), a / b);
                assert_eq!(div(-a, b), -a / b);
            }
        }
        // Past 64 bits the slow path gives the same.
        let big = (i128::from(u64::MAX) + 1) * 12;
        assert_eq!(gcd(big, 18), 6);
        assert_eq!(div(big, 6), big / 6);
        assert_eq!(gcd(0, 0), 1);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!(div(i64::MIN as i128, -1), -(i64::MIN as i128));
        let (a, b) = (Ratio::new(big, 7).unwrap(), Ratio::new(14, big).unwrap());
        assert_eq!(a.checked_mul(b), Some(Ratio::from_int(2)));
    }

    #[test]
    fn fast_arithmetic_agrees_with_the_general_one() {
        // The general path, on the same numbers, through values too large for the fast one.
        let slow_mul = |x: Ratio, y: Ratio| {
            let g1 = gcd(x.num, y.den);
            let g2 = gcd(y.num, x.den);
            Ratio::new((x.num / g1) * (y.num / g2), (x.den / g2) * (y.den / g1))
        };
        let slow_add =
            |x: Ratio, y: Ratio| Ratio::new(x.num * y.den + y.num * x.den, x.den * y.den);
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |m: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % m) as i128
        };
        for _ in 0..20_000 {
            let scale = [10, 1000, 1 << 20, 1 << 40, i64::MAX as u64][next(5) as usize];
            let x = Ratio::new(next(scale) - next(scale) / 2, 1 + next(1000)).unwrap();
            let y = Ratio::new(next(scale) - next(scale) / 2, 1 + next(scale)).unwrap();
            assert_eq!(x.checked_mul(y), slow_mul(x, y), "{x:?} * {y:?}");
            assert_eq!(x.checked_add(y), slow_add(x, y), "{x:?} + {y:?}");
            if y.num != 0 {
                let inverse = Ratio::new(y.den, y.num).unwrap();
                assert_eq!(x.checked_div(y), slow_mul(x, inverse), "{x:?} / {y:?}");
                // Whole by whole, as mcg to mg: the quotient fast path when it divides.
                let (w, v) = (Ratio::from_int(x.num as i64), Ratio::from_int(y.num as i64));
                let exact = slow_mul(w, Ratio::new(1, y.num).unwrap());
                assert_eq!(w.checked_div(v), exact, "{w:?} / {v:?}");
                // By a positive whole divisor given as an integer, as the dose stage does.
                for d in [1, 1000, y.num.unsigned_abs().min(i64::MAX as u128) as i64] {
                    let by = Ratio::from_int(d);
                    assert_eq!(x.checked_div_int(d), x.checked_div(by), "{x:?} / {d}");
                    assert_eq!(w.checked_div_int(d), w.checked_div(by), "{w:?} / {d}");
                }
                if let Ok(m) = i64::try_from(x.num * y.num) {
                    let multiple = Ratio::from_int(m);
                    assert_eq!(multiple.checked_div(v), Some(w), "{multiple:?} / {v:?}");
                }
            }
            let exact = (x.num * y.den).cmp(&(y.num * x.den));
            assert_eq!(x.cmp(&y), exact, "{x:?} vs {y:?}");
        }
        // Past 64 bits the general path takes over, with the same results.
        let big = Ratio::new(i128::from(i64::MAX) * 4, 3).unwrap();
        assert_eq!(
            big.checked_mul(Ratio::new(3, 4).unwrap()),
            Some(Ratio::from_int(i64::MAX))
        );
        assert_eq!(
            big.checked_add(big),
            Ratio::new(i128::from(i64::MAX) * 8, 3)
        );
        assert!(big > Ratio::from_int(i64::MAX));
        let huge = Ratio::new(i128::MAX / 2, 1).unwrap();
        assert_eq!(huge.checked_mul(Ratio::from_int(4)), None);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(r("2.4"), Ratio::new(12, 5).unwrap());
        assert_eq!(r("0.15"), Ratio::new(3, 20).unwrap());
        assert_eq!(r("1e-3"), Ratio::new(1, 1000).unwrap());
        assert_eq!(r("-0.5"), Ratio::new(-1, 2).unwrap());
        assert!("1.2.3".parse::<Ratio>().is_err());
        assert!("NaN".parse::<Ratio>().is_err());
        assert!("1e30".parse::<Ratio>().is_err());
    }

    #[test]
    fn json_floats_read_through_shortest_decimal() {
        let n: serde_json::Number = serde_json::from_str("4000.1").unwrap();
        assert_eq!(
            Ratio::from_json(&n).unwrap(),
            Ratio::new(40001, 10).unwrap()
        );
        let n: serde_json::Number = serde_json::from_str("0.1").unwrap();
        let tenth = Ratio::from_json(&n).unwrap();
        // 0.1 * 3 is exactly 0.3 here, unlike in floating point.
        assert_eq!(tenth.checked_mul(Ratio::from_int(3)).unwrap(), r("0.3"));
    }

    #[test]
    fn whole_json_numbers_up_to_the_input_cap_are_themselves() {
        // The regimen reader's fast path reads a plain whole number `n` of at most 18 digits as
        // `n / 1` when `n <= INPUT_CAP`, and leaves any larger to `from_json`, which refuses it.
        for n in [1u64, 7, 48, 3650, 999_999, INPUT_CAP as u64] {
            let json: serde_json::Number = serde_json::from_str(&n.to_string()).unwrap();
            assert_eq!(Ratio::from_json(&json), Ok(Ratio::from_int(n as i64)));
        }
        for n in [INPUT_CAP as u64 + 1, 999_999_999_999_999_999] {
            let json: serde_json::Number = serde_json::from_str(&n.to_string()).unwrap();
            assert!(Ratio::from_json(&json).is_err(), "{n}");
        }
    }

    #[test]
    fn conversions_round_trip() {
        let a = Amount::new(r("4"), Unit::G);
        let mg = a.convert(Unit::Mg).unwrap();
        assert_eq!(mg.value, Ratio::from_int(4000));
        assert_eq!(mg.convert(Unit::G).unwrap(), a);
        assert_eq!(
            Amount::new(r("0.5"), Unit::Mg).in_base(),
            Some(Ratio::from_int(500))
        );
        assert!(a.convert(Unit::McgPerH).is_none());
        assert!(Amount::new(r("1"), Unit::Tablet).in_base().is_none());
    }

    #[test]
    fn compact_ratios_are_the_same_ratios_in_16_bytes() {
        assert_eq!(std::mem::size_of::<Compact>(), 16);
        let wide = Ratio::new(i128::from(i64::MAX) * 2, 3).unwrap();
        for r in [
            Ratio::ZERO,
            r("2.4"),
            r("-0.5"),
            Ratio::from_int(i64::MAX),
            wide,
        ] {
            assert_eq!(Compact::new(r).get(), r);
        }
        assert!(matches!(Compact::new(wide), Compact::Large(_)));
    }

    #[test]
    fn display_is_plain_decimal() {
        assert_eq!(r("4100").to_string(), "4100");
        assert_eq!(r("2.5").to_string(), "2.5");
        assert_eq!(Ratio::new(1, 3).unwrap().to_string(), "0.333");
        assert_eq!(Amount::new(r("25"), Unit::McgPerH).to_string(), "25 mcg/h");
    }
}
