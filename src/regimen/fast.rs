//! A hand-written reader for the common shape of a regimen, in front of the serde one.
//!
//! It fills the serde reader's raw struct for the id and the patient, so their checks are the
//! very same code; it builds the items directly, with the same checks as the serde reader's
//! `item` (most by the same code, the rest shown to agree, see `Num::ratio`, `whole_dose_cap`,
//! `unit` and `Parser::route`). It is only ever a shortcut: on anything it is not sure of it
//! answers `None` and the serde reader runs, which then accepts the text or refuses it with its
//! own message, exactly as without this reader. It gives up on:
//!
//! - any malformed JSON, and anything after the regimen but whitespace;
//! - an unknown or repeated key (of a struct; a repeated gene keeps the last result, as serde's
//!   map does);
//! - a string holding an escape (`\`) or a control character;
//! - a value of a type the field does not take (a number as a string, a list for an id, ...),
//!   and `null` where the field is not optional;
//! - a missing required field (`items`, an item's `id`, a dose's `value` or `unit`);
//! - a `sex` other than `female` or `male`;
//! - an id that is a number other than a plain whole one of at most 18 digits;
//! - more than [`MAX_ITEMS`] items, or an item the checks refuse: the serde reader then reports
//!   it, after the checks of the id and the patient, which come first.
//!
//! The items are checked as they are read, so that they are not held twice; the id and the
//! patient are checked after, as the serde reader's are.
//!
//! Numbers in a field other than the id are read as serde_json reads them: a plain whole one of
//! at most 18 digits directly, any other by serde_json itself, from its own text.

use std::collections::BTreeMap;

use super::{Item, MAX_DAYS, MAX_ITEMS, MAX_TIMES_PER_DAY, RawPatient, Sex};
use crate::units::{Amount, INPUT_CAP, Ratio, Unit};
use crate::vocab::Route;

/// What the reader read besides the items and the patient: the id, its text borrowed.
pub(super) struct Read<'a> {
    /// The regimen's id.
    pub(super) id: Option<Id<'a>>,
}

/// A regimen id as read: a string borrowed from the text, or a plain whole number.
#[derive(Clone, Copy)]
pub(super) enum Id<'a> {
    /// A string id (without escapes).
    Text(&'a str),
    /// A plain whole number of at most 18 digits.
    Number(u64),
}

/// The regimen read from `text`, when `text` has the shape this reader knows, is valid JSON for
/// the serde reader and has no item the checks refuse; `None` otherwise.
///
/// The items, checked (by the same code as the serde reader's items), are written over `items`
/// from its start, each into the slot already there when there is one (so that its id's
/// storage is reused), and `items` is cut to them. The patient, as the serde reader would have
/// read it and not yet checked, is written to `patient` (where it is read, rather than moved
/// there: it is a few hundred bytes). On `None`, `items` and `patient` hold nothing in
/// particular.
///
/// Not inlined: the reader is large, and its caller is the loop of a batch.
#[inline(never)]
pub(super) fn parse<'a>(
    text: &'a str,
    items: &mut Vec<Item>,
    patient: &mut Option<RawPatient>,
) -> Option<Read<'a>> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let raw = p.regimen(items, patient)?;
    p.ws();
    (p.at == p.bytes.len()).then_some(raw)
}

/// A position in the text. Never lent to a function that is not inlined: the scanners take the
/// bytes and answer a length, the other calls get a copy (see [`Parser::detached`]); so that in
/// the inlined reading loop its fields stay in registers.
#[derive(Clone, Copy)]
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// Marks key `k` as seen; `None` when it was seen before (serde refuses a repeated field).
#[inline]
fn first(seen: &mut u32, k: usize) -> Option<()> {
    let bit = 1 << k;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Parser<'a> {
    /// `f` run on a copy of the parser, whose position is then taken back: the parser itself
    /// is not lent out, so that the compiler can keep its fields in registers. For the calls
    /// that are not inlined.
    #[inline(always)]
    fn detached<T>(&mut self, f: impl FnOnce(&mut Parser<'a>) -> Option<T>) -> Option<T> {
        let mut copy = *self;
        let got = f(&mut copy);
        self.at = copy.at;
        got
    }

    /// The next byte past whitespace (as serde_json counts it), not consumed.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        match self.bytes.get(self.at) {
            Some(&b) if b > b' ' => Some(b),
            _ => {
                self.ws();
                self.bytes.get(self.at).copied()
            }
        }
    }

    /// Skips whitespace, as serde_json counts it.
    #[inline]
    fn ws(&mut self) {
        self.at += space_len(self.bytes.get(self.at..).unwrap_or_default());
    }

    /// Consumes `c` past whitespace.
    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Consumes `null` when it comes next: `Some(true)`; `Some(false)` when something else does.
    #[inline(always)]
    fn null(&mut self) -> Option<bool> {
        if self.peek()? != b'n' {
            return Some(false);
        }
        (self.bytes.get(self.at..)?.starts_with(b"null")).then(|| self.at += 4)?;
        Some(true)
    }

    /// A string without escapes or control characters, borrowed from the text.
    #[inline(always)]
    fn str(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = short_str_len(self.bytes.get(start..)?)?;
        // Split rather than `get`: the same checks (within the text, on char boundaries; both
        // ends are next to a quote, so they pass), but inlined, where `get` was a call a string.
        let (s, _) = self.text.split_at_checked(start)?.1.split_at_checked(len)?;
        self.at = start + len + 1;
        Some(s)
    }

    /// The members of an object: `member` reads each, its key first (with [`Parser::field`]); its
    /// opening quote comes next.
    #[inline(always)]
    fn object(&mut self, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'{', b'}', |p| {
            (p.peek()? == b'"').then_some(())?;
            member(p)
        })
    }

    /// The elements of an array, each read by `element`.
    #[inline(always)]
    fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.sequence(b'[', b']', element)
    }

    /// `open`, then entries read by `each` separated by commas, then `close`.
    #[inline(always)]
    fn sequence(
        &mut self,
        open: u8,
        close: u8,
        mut each: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A plain whole number of at most 18 digits (which cannot overflow a `u64`), when one
    /// comes next and is the whole of the number.
    #[inline(always)]
    fn plain_whole(&mut self) -> Option<u64> {
        self.peek()?;
        let rest = self.bytes.get(self.at..)?;
        // One or two digits, not led by a zero, and the number ends: most counts, doses, ages
        // and weights, read here without the call to `whole` (which answers the same).
        let ends = |b: u8| !matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E');
        match *rest {
            [d @ b'1'..=b'9', next, ..] if ends(next) => {
                self.at += 1;
                return Some(u64::from(d - b'0'));
            }
            [d @ b'1'..=b'9', e @ b'0'..=b'9', next, ..] if ends(next) => {
                self.at += 2;
                return Some(u64::from(d - b'0') * 10 + u64::from(e - b'0'));
            }
            _ => {}
        }
        let (n, len) = whole(rest);
        (len > 0).then(|| {
            self.at += len;
            n
        })
    }

    /// A JSON number's text, checked against the JSON grammar.
    fn number_text(&mut self) -> Option<&'a str> {
        self.peek()?;
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while let Some(b'0'..=b'9') = p.bytes.get(p.at) {
                p.at += 1;
            }
            p.at > from
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match *self.bytes.get(self.at)? {
            // One leading zero only: a digit after it is refused by the caller, which expects
            // a `,` or a closing bracket.
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            digits(self).then_some(())?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            digits(self).then_some(())?;
        }
        self.text.get(start..self.at)
    }

    /// A number as serde_json reads it into a `Value`.
    #[inline(always)]
    fn number(&mut self) -> Option<serde_json::Value> {
        match self.plain_whole() {
            Some(n) => Some(serde_json::Value::Number(n.into())),
            None => self.detached(Parser::other_number),
        }
    }

    /// A number other than a plain whole one: decimals, exponents, signs, long numbers, read
    /// by serde_json itself from the same text (how a number reads does not depend on what
    /// surrounds it).
    #[inline(never)]
    fn other_number(&mut self) -> Option<serde_json::Value> {
        match serde_json::from_str::<serde_json::Value>(self.number_text()?) {
            Ok(v @ serde_json::Value::Number(_)) => Some(v),
            _ => None,
        }
    }

    /// An optional number: `null` is `None`.
    #[inline(always)]
    fn opt_number(&mut self) -> Option<Option<serde_json::Value>> {
        if self.null()? {
            return Some(None);
        }
        self.number().map(Some)
    }

    /// A list of strings.
    fn strings(&mut self) -> Option<Vec<String>> {
        let mut list = Vec::new();
        self.array(|p| {
            list.push(p.str()?.to_string());
            Some(())
        })?;
        Some(list)
    }

    fn regimen(
        &mut self,
        items: &mut Vec<Item>,
        patient: &mut Option<RawPatient>,
    ) -> Option<Read<'a>> {
        let mut seen = 0;
        let mut id = None;
        *patient = None;
        self.object(|p| {
            match p.bytes.get(p.at + 1..p.at + 3)? {
                [b'i', b't'] => {
                    p.field(&mut seen, 0, b"\"items\":")?;
                    let mut n = 0;
                    p.array(|p| {
                        // Past the cap the serde reader refuses the regimen, before any item.
                        (n < MAX_ITEMS).then_some(())?;
                        // Checked now, as the serde reader checks it; a refusal is left to
                        // the serde reader to report, after the checks that come first.
                        p.item(items, n)?;
                        n += 1;
                        Some(())
                    })?;
                    items.truncate(n);
                }
                [b'i', _] => {
                    p.field(&mut seen, 1, b"\"id\":")?;
                    id = match p.peek()? {
                        b'"' => Some(Id::Text(p.str()?)),
                        b'n' => {
                            p.null()?.then_some(())?;
                            None
                        }
                        _ => Some(Id::Number(p.plain_whole()?)),
                    };
                }
                _ => {
                    p.field(&mut seen, 2, b"\"patient\":")?;
                    if !p.null()? {
                        p.detached(|p| p.patient(patient))?;
                    }
                }
            }
            Some(())
        })?;
        // `items` is required.
        (seen & 1 != 0).then_some(())?;
        Some(Read { id })
    }

    /// The patient, read into `out`. Not inlined (it is read once a line, through
    /// [`Parser::detached`]): inlined, it made the regimen's reading loop too large for the
    /// compiler to inline in its turn, and the parser's position went to memory.
    #[inline(never)]
    fn patient(&mut self, out: &mut Option<RawPatient>) -> Option<()> {
        let mut seen = 0;
        let raw = out.insert(RawPatient {
            age_years: None,
            weight_kg: None,
            sex: None,
            serum_creatinine_mg_dl: None,
            crcl_ml_min: None,
            conditions: Vec::new(),
            allergies: Vec::new(),
            phenotypes: BTreeMap::new(),
        });
        self.object(|p| {
            match p.bytes.get(p.at + 1..p.at + 4)? {
                [b'a', b'g', _] => {
                    p.field(&mut seen, 0, b"\"age_years\":")?;
                    raw.age_years = p.opt_number()?;
                }
                [b'w', _, _] => {
                    p.field(&mut seen, 1, b"\"weight_kg\":")?;
                    raw.weight_kg = p.opt_number()?;
                }
                [b's', b'e', b'x'] => {
                    p.field(&mut seen, 2, b"\"sex\":")?;
                    raw.sex = if p.null()? {
                        None
                    } else {
                        Some(match p.str()? {
                            "female" => Sex::Female,
                            "male" => Sex::Male,
                            _ => return None,
                        })
                    };
                }
                [b's', _, _] => {
                    p.field(&mut seen, 3, b"\"serum_creatinine_mg_dl\":")?;
                    raw.serum_creatinine_mg_dl = p.opt_number()?;
                }
                [b'c', b'r', _] => {
                    p.field(&mut seen, 4, b"\"crcl_ml_min\":")?;
                    raw.crcl_ml_min = p.opt_number()?;
                }
                [b'c', _, _] => {
                    p.field(&mut seen, 5, b"\"conditions\":")?;
                    raw.conditions = p.strings()?;
                }
                [b'a', _, _] => {
                    p.field(&mut seen, 6, b"\"allergies\":")?;
                    raw.allergies = p.strings()?;
                }
                _ => {
                    p.field(&mut seen, 7, b"\"phenotypes\":")?;
                    let mut map = BTreeMap::new();
                    p.object(|p| {
                        let gene = p.str()?;
                        p.eat(b':')?;
                        // A repeated gene replaces the earlier result, as serde's map does.
                        map.insert(gene.to_string(), p.str()?.to_string());
                        Some(())
                    })?;
                    raw.phenotypes = map;
                }
            }
            Some(())
        })
    }

    /// An item, read, checked and written as `list[at]` (over the item there, reusing its id's
    /// storage, or into one pushed when `at` is the list's length): `None` when it is not of
    /// the shape this reader knows or the checks refuse it, and then `list[at]` holds no item
    /// in particular. It answers as `super::item` does on the item the serde reader reads (the
    /// same checks, most by the same code; see [`whole`], [`whole_dose_cap`], [`unit()`] and
    /// [`Parser::route`] for the others); the order of the checks does not matter here, since
    /// any refusal is `None`.
    fn item(&mut self, list: &mut Vec<Item>, at: usize) -> Option<()> {
        if at == list.len() {
            list.push(Item {
                id: String::new(),
                dose: None,
                times_per_day: None,
                days: None,
                route: None,
            });
        }
        // The fields are written into the slot as they are read, rather than gathered and
        // then copied in (an item is over a hundred bytes).
        let slot = list.get_mut(at)?;
        slot.dose = None;
        slot.times_per_day = None;
        slot.days = None;
        slot.route = None;
        let mut seen = 0;
        let mut id = None;
        self.object(|p| {
            // The key by its first bytes (`id`, `dose`, `times_per_day`, `route`, `days`), then
            // its value: one dispatch, each key's bit a constant.
            match p.bytes.get(p.at + 1)? {
                b'i' => {
                    p.field(&mut seen, 0, b"\"id\":")?;
                    id = Some(p.str()?);
                }
                b'd' if p.bytes.get(p.at + 2) == Some(&b'o') => {
                    p.field(&mut seen, 1, b"\"dose\":")?;
                    slot.dose = if p.null()? { None } else { Some(p.dose()?) };
                }
                b't' => {
                    p.field(&mut seen, 2, b"\"times_per_day\":")?;
                    slot.times_per_day = match p.opt_num()? {
                        None => None,
                        Some(n) => Some(n.ratio(MAX_TIMES_PER_DAY)?),
                    };
                }
                b'r' => {
                    p.field(&mut seen, 3, b"\"route\":")?;
                    slot.route = if p.null()? { None } else { Some(p.route()?) };
                }
                b'd' => {
                    p.field(&mut seen, 4, b"\"days\":")?;
                    slot.days = match p.opt_num()? {
                        None => None,
                        Some(n) => {
                            let d = n.ratio(MAX_DAYS)?;
                            // As `super::item`: a whole number of days, at most MAX_DAYS.
                            (d.denom() == 1).then_some(())?;
                            Some(d.numer() as u32)
                        }
                    };
                }
                _ => return None,
            }
            Some(())
        })?;
        let id = id?;
        super::name(|| "", id).ok()?;
        slot.id.clear();
        slot.id.push_str(id);
        Some(())
    }

    /// Consumes `key` (written with its quotes and a colon) when it comes next, whitespace
    /// allowed before the colon, and the key is not in `seen` (as bit `k`); marks it seen. (Of
    /// a length known when compiled, so that the comparison needs no call; called with `k` a
    /// constant, so that its bit is one.)
    #[inline(always)]
    fn field<const N: usize>(&mut self, seen: &mut u32, k: usize, key: &[u8; N]) -> Option<()> {
        let rest = self.bytes.get(self.at..)?;
        // Most keys have their colon right after them: key and colon in one comparison.
        if rest.first_chunk::<N>() == Some(key) {
            first(seen, k)?;
            self.at += N;
            return Some(());
        }
        let name = key.get(..N - 1)?;
        (rest.get(..N - 1)? == name).then_some(())?;
        first(seen, k)?;
        self.at += N - 1;
        self.eat(b':')
    }

    /// A dose, read and checked (unit, value, size) as `super::item` checks it.
    #[inline(always)]
    fn dose(&mut self) -> Option<Amount> {
        let mut seen = 0;
        let mut value = None;
        let mut unit = None;
        self.object(|p| {
            match p.bytes.get(p.at + 1)? {
                b'v' => {
                    p.field(&mut seen, 0, b"\"value\":")?;
                    value = Some(p.num()?);
                }
                _ => {
                    p.field(&mut seen, 1, b"\"unit\":")?;
                    unit = Some(p.unit()?);
                }
            }
            Some(())
        })?;
        let (value, unit) = (value?, unit?);
        // A plain whole value up to the unit's cap is in range and plausible: most doses,
        // decided without the calls below (see `whole_dose_cap`).
        if let Num::Whole(n) = value {
            if n >= 1 && n <= whole_dose_cap(unit) {
                return Some(Amount::new(Ratio::from_int(n as i64), unit));
            }
        }
        let amount = Amount::new(value.ratio(i64::MAX)?, unit);
        match super::implausible_dose(amount) {
            None => Some(amount),
            Some(_) => None,
        }
    }

    /// `lit` (a whole string, written with its quotes) when it comes next, consumed.
    #[inline(always)]
    fn literal<const N: usize>(&mut self, lit: &[u8; N]) -> bool {
        let next = self.bytes.get(self.at..).and_then(<[u8]>::first_chunk::<N>);
        let is = next == Some(lit);
        if is {
            self.at += N;
        }
        is
    }

    /// A route as `Route::parse` reads it: `"oral"`, most routes, compared whole (quotes
    /// included, so it is all of the string), without scanning it; any other through
    /// `Route::parse`.
    #[inline(always)]
    fn route(&mut self) -> Option<Route> {
        if self.literal(b"\"oral\"") {
            return Some(Route::Oral);
        }
        Route::parse(self.str()?)
    }

    /// A dose's unit as [`unit()`] reads it: the two most common, `"mg"` and `"tablet"`, compared
    /// whole (as [`Parser::route`] compares `"oral"`); any other through [`unit()`].
    #[inline(always)]
    fn unit(&mut self) -> Option<Unit> {
        if self.literal(b"\"mg\"") {
            return Some(Unit::Mg);
        }
        if self.literal(b"\"tablet\"") {
            return Some(Unit::Tablet);
        }
        self::unit(self.str()?)
    }

    /// A number, kept as read: a plain whole one as it is, any other as serde_json reads it.
    #[inline(always)]
    fn num(&mut self) -> Option<Num> {
        match self.plain_whole() {
            Some(n) => Some(Num::Whole(n)),
            None => self.detached(Parser::other_number).map(Num::Other),
        }
    }

    /// An optional number: `null` is `None`.
    #[inline(always)]
    fn opt_num(&mut self) -> Option<Option<Num>> {
        if self.null()? {
            return Some(None);
        }
        self.num().map(Some)
    }
}

/// A number as read for an item.
enum Num {
    /// A plain whole number of at most 18 digits.
    Whole(u64),
    /// Any other, as serde_json reads it into a `Value`.
    Other(serde_json::Value),
}

impl Num {
    /// The number as `super::number(path, value, true, max)` reads it, when that accepts it.
    ///
    /// A plain whole `n` of at most 18 digits is `Value::Number(n)` to the serde reader, an
    /// `i64` (18 digits are less than `i64::MAX`); `Ratio::from_json` makes it `n / 1` when
    /// `n <= INPUT_CAP` and refuses it otherwise, and `number` accepts a whole `n` in
    /// `(0, max]` as it is. So `1 <= n <= min(max, INPUT_CAP)` is `Ratio::from_int(n)`; any
    /// other number goes through `number` itself.
    ///
    /// The first case is inlined (`max` is a constant at each call, so its test is two
    /// comparisons); the others are not.
    #[inline(always)]
    fn ratio(self, max: i64) -> Option<Ratio> {
        match self {
            Num::Whole(n) if n >= 1 && n as i128 <= INPUT_CAP && n <= max as u64 => {
                Some(Ratio::from_int(n as i64))
            }
            other => other.other_ratio(max),
        }
    }

    /// [`Num::ratio`] for a number that is not a plain whole one in range.
    #[inline(never)]
    fn other_ratio(self, max: i64) -> Option<Ratio> {
        let v = match self {
            Num::Whole(n) => serde_json::Value::Number(n.into()),
            Num::Other(v) => v,
        };
        super::number(|| "", &v, true, max).ok()
    }
}

/// The largest whole value of a dose in `unit` that `super::implausible_dose` lets through: a
/// whole `n / 1` in a mass, rate or per-kg unit is `n` times the unit's factor in the base unit
/// (a 64-bit product, exact), and a dosage unit's is `n` itself; so a dose of `1..=cap` is
/// plausible. (Checked against `implausible_dose`, either side of each cap, by the test below.)
#[inline(always)]
fn whole_dose_cap(unit: Unit) -> u64 {
    match unit {
        // 100 g, in mcg.
        Unit::Mcg => 100_000_000,
        Unit::Mg => 100_000,
        Unit::G => 100,
        // 100000 mcg/h.
        Unit::McgPerH => 100_000,
        // 1000 mg/kg, in mcg/kg.
        Unit::MgPerKg => 1_000,
        Unit::McgPerKg => 1_000_000,
        // 1000 units.
        Unit::Tablet | Unit::Capsule | Unit::Patch | Unit::Ml => 1_000,
    }
}

/// A unit as `Unit::parse` reads it: the common spellings (no spaces to trim) directly, any
/// other through `Unit::parse` itself.
#[inline]
fn unit(s: &str) -> Option<Unit> {
    match s.as_bytes() {
        b"mg" => Some(Unit::Mg),
        b"mcg" => Some(Unit::Mcg),
        b"tablet" => Some(Unit::Tablet),
        b"capsule" => Some(Unit::Capsule),
        b"mL" => Some(Unit::Ml),
        b"g" => Some(Unit::G),
        b"mcg/h" => Some(Unit::McgPerH),
        _ => Unit::parse(s),
    }
}

// The scanners below take the text and answer a length rather than move a `Parser`: so that
// the parser, not lent to them, keeps its fields in registers.

/// How many bytes of whitespace (as serde_json counts it) `rest` starts with.
#[inline(never)]
fn space_len(rest: &[u8]) -> usize {
    rest.iter()
        .position(|b| !matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
        .unwrap_or(rest.len())
}

/// [`str_len`], with the first two words looked at inline: most strings of a regimen (ids,
/// units, routes) end within them, and then no call is made; for a longer one, the call looks
/// at what comes after them.
///
/// The words are tested with [`special_or_low`], a bit cheaper than [`special`]: when the first
/// byte it marks is the quote, that is the end; when it is another (a space, say), the call
/// decides.
#[inline(always)]
fn short_str_len(rest: &[u8]) -> Option<usize> {
    if let Some(words) = rest.get(..16) {
        let (first, second) = words.split_at(8);
        let mut hit = special_or_low(u64::from_le_bytes(first.try_into().ok()?));
        let mut len = 0;
        if hit == 0 {
            hit = special_or_low(u64::from_le_bytes(second.try_into().ok()?));
            len = 8;
        }
        if hit != 0 {
            len += (hit.trailing_zeros() / 8) as usize;
            if words[len] == b'"' {
                return Some(len);
            }
            return str_len(rest);
        }
        // Neither word ends it: the call scans on from past them.
        return Some(str_len(rest.get(16..)?)? + 16);
    }
    str_len(rest)
}

/// The length of the string whose content `rest` starts with (past the opening quote), when
/// a quote ends it and it holds no escape or control character; `None` otherwise.
#[inline(never)]
fn str_len(rest: &[u8]) -> Option<usize> {
    // Eight bytes at a time to the first quote, backslash or control character.
    let mut chunks = rest.chunks_exact(8);
    let mut len = 0;
    loop {
        let Some(chunk) = chunks.next() else {
            len += chunks
                .remainder()
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            break;
        };
        let hit = special(u64::from_le_bytes(chunk.try_into().ok()?));
        if hit != 0 {
            len += (hit.trailing_zeros() / 8) as usize;
            break;
        }
        len += 8;
    }
    // Only a quote ends the string here: an escape or a control character is serde's.
    (*rest.get(len)? == b'"').then_some(len)
}

/// The plain whole number of at most 18 digits (which cannot overflow a `u64`) that `rest`
/// starts with, and its length, when it is the whole of the number there; length 0 otherwise.
#[inline(never)]
fn whole(rest: &[u8]) -> (u64, usize) {
    let mut n: u64 = 0;
    let mut len = 0;
    while let Some(&d @ b'0'..=b'9') = rest.get(len) {
        if len == 18 {
            return (0, 0);
        }
        n = n * 10 + u64::from(d - b'0');
        len += 1;
    }
    let lone_zero_or_none = match rest.first() {
        Some(b'0') => len == 1,
        _ => len > 0,
    };
    let ends = !matches!(rest.get(len), Some(b'.' | b'e' | b'E'));
    if lone_zero_or_none && ends {
        (n, len)
    } else {
        (0, 0)
    }
}

/// [`special`], but marking also a space and `!` (which with the quote and the control
/// characters are the bytes below 0x23, found by one test rather than two): the first byte it
/// marks is the first that `special` marks, or a space or `!` before it.
#[inline(always)]
fn special_or_low(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let backslash = {
        let v = w ^ (ONES * u64::from(b'\\'));
        v.wrapping_sub(ONES) & !v & HIGH
    };
    let low = w.wrapping_sub(ONES * 0x23) & !w & HIGH;
    backslash | low
}

/// In each byte of `w` that is a quote, a backslash or below 0x20, the high bit, at least for
/// the first such byte (the lowest: bytes are read little-endian); zero when there is none.
/// (Bytes past the first such byte may be marked wrongly; only the first is used.)
fn special(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero(w ^ (ONES * u64::from(b'"')));
    let backslash = zero(w ^ (ONES * u64::from(b'\\')));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    quote | backslash | control
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `whole_dose_cap` is where `implausible_dose` starts refusing a whole dose, for every unit.
    #[test]
    fn whole_dose_caps_agree_with_implausible_dose() {
        for unit in Unit::ALL {
            let cap = whole_dose_cap(unit);
            let dose = |n: u64| Amount::new(Ratio::from_int(n as i64), unit);
            assert_eq!(super::super::implausible_dose(dose(1)), None, "{unit}");
            assert_eq!(super::super::implausible_dose(dose(cap)), None, "{unit}");
            assert!(
                super::super::implausible_dose(dose(cap + 1)).is_some(),
                "{unit}"
            );
        }
    }
}
