//! The hand-written reader never changes an answer: for generated regimen texts, valid ones of
//! every shape the reader takes and damaged ones, `Regimen::from_json` (hand-written reader, or
//! serde when it gives up) answers exactly as the serde reader alone does, error positions and
//! messages included; and so does `Regimen::read_json`, reading into a regimen that held
//! another.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestRunner};

use super::{MAX_ITEMS, Regimen, fast};

/// A JSON value as written: literals and strings keep their raw text (escapes included).
#[derive(Clone, Debug)]
enum J {
    /// A number, `true`, `null`, ... as written.
    Lit(String),
    /// A string's content as written between the quotes.
    Str(String),
    Arr(Vec<J>),
    /// Keys as written between the quotes.
    Obj(Vec<(String, J)>),
}

const WS: &[&str] = &["", "", "", "", " ", " ", "\n", "\t", "\r\n  ", "   "];

/// Writes `j`, with the whitespace between tokens drawn in turn from `ws`.
fn render(j: &J, ws: &[usize], n: &mut usize, out: &mut String) {
    let gap = |n: &mut usize, out: &mut String| {
        *n += 1;
        out.push_str(WS[ws[*n % ws.len()] % WS.len()]);
    };
    match j {
        J::Lit(s) => out.push_str(s),
        J::Str(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        J::Arr(v) => {
            out.push('[');
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                gap(n, out);
                render(e, ws, n, out);
                gap(n, out);
            }
            out.push(']');
        }
        J::Obj(v) => {
            out.push('{');
            for (i, (k, e)) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                gap(n, out);
                out.push('"');
                out.push_str(k);
                out.push('"');
                gap(n, out);
                out.push(':');
                gap(n, out);
                render(e, ws, n, out);
                gap(n, out);
            }
            out.push('}');
        }
    }
}

fn lit(s: &str) -> J {
    J::Lit(s.to_string())
}

/// Numbers in every form JSON allows (and, when `noisy`, out of range and a few it does not).
fn number(noisy: bool) -> BoxedStrategy<J> {
    if !noisy {
        return prop_oneof![
            12 => (1u64..=40).prop_map(|n| J::Lit(n.to_string())),
            // Whole, written otherwise.
            3 => select(vec!["1.0", "1e1", "5E0", "1E+1", "20.000", "0.3e2", "400e-1", "1e0"])
                .prop_map(lit),
            // Not whole: refused as a count of days.
            1 => select(vec!["0.5", "2.5", "2.50", "0.25", "1.5e1", "25e-1", "0.1", "39.9"])
                .prop_map(lit),
        ]
        .boxed();
    }
    prop_oneof![
        6 => (0u64..2000).prop_map(|n| J::Lit(n.to_string())),
        2 => (0u64..1_000_000_000_000_000_000).prop_map(|n| J::Lit(n.to_string())),
        3 => (0u64..200_000, 0u32..6).prop_map(|(n, k)| {
            let s = format!("{:0>width$}", n, width = k as usize + 1);
            let (a, b) = s.split_at(s.len() - k as usize);
            J::Lit(if k == 0 { a.to_string() } else { format!("{a}.{b}") })
        }),
        2 => (1u64..100, prop::bool::ANY, -12i32..12).prop_map(|(m, upper, e)| {
            let e_char = if upper { 'E' } else { 'e' };
            let sign = if e >= 0 && m % 2 == 0 { "+" } else { "" };
            J::Lit(format!("{m}{e_char}{sign}{e}"))
        }),
        3 => select(vec![
            "0", "-0", "-0.0", "0.0", "1", "-1", "-5", "-1.5", "0.5", "2.50", "1e2", "1E2",
            "1e+2", "5e-1", "1.5e1", "1e400", "1e-400", "18446744073709551615",
            "18446744073709551616", "999999999999999999", "1000000000000000000",
            "12345678901234567890123", "0.1", "0.30000000000000004", "4000.1",
            "1.0000000000000001", "0.0000000001", "9007199254740993", "123456789012345678",
            // Not JSON: the serde reader must be the one to say so.
            "01", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10", "1.5.2", "NaN", "Infinity",
            "-", "00",
        ])
        .prop_map(lit),
    ]
    .boxed()
}

/// String contents as written: plain, unicode, and when `noisy` escaped, with control
/// characters, long, empty.
fn text(common: &'static [&'static str], noisy: bool) -> BoxedStrategy<String> {
    if !noisy {
        return prop_oneof![
            8 => select(common).prop_map(str::to_string),
            1 => select(vec!["St John’s Wort", "café", "日本語", "naïve", "\u{1F600}x", "Ω-3"])
                .prop_map(str::to_string),
        ]
        .boxed();
    }
    prop_oneof![
        8 => select(common).prop_map(str::to_string),
        3 => "[a-zA-Z0-9 _*:+-]{0,14}",
        2 => select(vec![
            "St John’s Wort", "µg", "μg", "café", "日本語", "naïve", "\u{1F600}", "Ω",
            "m\\u0067", "a\\\"b", "a\\\\b", "tab\\there", "\\u00e9", "\\ud83d\\ude00", "\\/x",
            "bad\\q", "\\u12", "\\", "a\u{1}b", "a\tb", "a\nb", "\u{7f}", "", " ", "  \t",
            "\\u0000",
        ])
        .prop_map(str::to_string),
        1 => (1usize..4).prop_map(|k| "x".repeat(127 * k)),
    ]
    .boxed()
}

const IDS: &[&str] = &[
    "warfarin",
    "ibuprofen",
    "apixaban",
    "St John's Wort",
    "rxnorm:1049502",
    "acetaminophen-codeine-oral-solution",
    "oxycodone",
    "acupuncture",
];
const UNITS: &[&str] = &[
    "mg", "mcg", "g", "ug", "mcg/h", "mg/kg", "mcg/kg", "tablet", "tab", "capsule", "patch", "mL",
    "ml", "{tablet}", " mg ", "MG", "mgg", "",
];
const GOOD_UNITS: &[&str] = &[
    "mg", "mcg", "tablet", "capsule", "mL", "g", "mcg/h", "mg/kg",
];
const GOOD_ROUTES: &[&str] = &["oral", "transdermal", "iv", "sublingual"];
const ROUTES: &[&str] = &[
    "oral",
    "transdermal",
    "topical",
    "iv",
    "im",
    "subcutaneous",
    "sublingual",
    "Oral",
    "nasal",
];
const NAMES: &[&str] = &[
    "chronic-kidney-disease",
    "nsaid",
    "penicillin",
    "pregnancy",
    "asthma",
    "",
];
const GENES: &[&str] = &[
    "CYP2D6",
    "cyp2d6",
    "CYP2C19",
    "CYP2C9",
    "HLA-B*1502",
    "HLA-B*15:02",
    "hla-b*58:01",
    " CYP2D6 ",
    "",
];
const PHENOTYPES: &[&str] = &[
    "ultrarapid",
    "poor",
    "Poor Metabolizer",
    "intermediate_metabolizer",
    "normal",
    "pm",
    "positive",
    "carrier",
    "negative",
    "bogus",
];
const SEXES: &[&str] = &["female", "male", "Female", "other", ""];

/// A value of the wrong type for any field, or `null`.
fn wrong() -> BoxedStrategy<J> {
    prop_oneof![
        select(vec!["null", "true", "false", "nul", "nulll", "tru"]).prop_map(lit),
        Just(J::Str("5".to_string())),
        Just(J::Arr(vec![])),
        Just(J::Arr(vec![lit("1")])),
        Just(J::Obj(vec![])),
        Just(J::Obj(vec![("a".to_string(), lit("1"))])),
    ]
    .boxed()
}

/// Mostly `right`, sometimes (when `noisy`) a value of another type.
fn field(right: BoxedStrategy<J>, noisy: bool) -> BoxedStrategy<J> {
    if !noisy {
        return right;
    }
    prop_oneof![12 => right, 1 => wrong()].boxed()
}

fn string(common: &'static [&'static str], noisy: bool) -> BoxedStrategy<J> {
    text(common, noisy).prop_map(J::Str).boxed()
}

/// An object of the given fields, each present or not, in any order; when `noisy`, sometimes
/// with a required field missing, an unknown key, a key written with an escape, or a key twice.
fn object(fields: Vec<(&'static str, BoxedStrategy<J>, bool)>, noisy: bool) -> BoxedStrategy<J> {
    let entries: Vec<BoxedStrategy<Option<(String, J)>>> = fields
        .into_iter()
        .map(|(key, value, required)| {
            let present = value.prop_map(move |v| Some((key.to_string(), v)));
            if required && !noisy {
                present.boxed()
            } else if required {
                prop_oneof![30 => present, 1 => Just(None)].boxed()
            } else {
                prop_oneof![1 => present, 1 => Just(None)].boxed()
            }
        })
        .collect();
    let extra = prop_oneof![
        20 => Just(None),
        1 => select(vec!["age", "Items", "ID", "dose_mg", "id ", "", "\\u0069d", "unit\\u0000"])
            .prop_map(|k| Some((k.to_string(), lit("1")))),
    ];
    let extra = extra.prop_map(move |e| e.filter(|_| noisy));
    let twice = if noisy { 0.03 } else { 0.0 };
    (entries, extra, prop::bool::weighted(twice))
        .prop_flat_map(|(entries, extra, twice)| {
            let mut v: Vec<(String, J)> = entries.into_iter().flatten().collect();
            v.extend(extra);
            if twice && !v.is_empty() {
                v.push(v[0].clone());
            }
            Just(v).prop_shuffle()
        })
        .prop_map(J::Obj)
        .boxed()
}

fn dose(n: bool) -> BoxedStrategy<J> {
    let units = if n { UNITS } else { GOOD_UNITS };
    object(
        vec![
            ("value", field(number(n), n), true),
            ("unit", field(string(units, n), n), true),
        ],
        n,
    )
}

fn item(n: bool) -> BoxedStrategy<J> {
    let routes = if n { ROUTES } else { GOOD_ROUTES };
    let dose = if n {
        prop_oneof![10 => dose(n), 1 => Just(lit("null")), 1 => wrong()].boxed()
    } else {
        prop_oneof![10 => dose(n), 1 => Just(lit("null"))].boxed()
    };
    object(
        vec![
            ("id", field(string(IDS, n), n), true),
            ("dose", dose, false),
            ("times_per_day", field(number(n), n), false),
            ("days", field(number(n), n), false),
            ("route", field(string(routes, n), n), false),
        ],
        n,
    )
}

fn patient(n: bool) -> BoxedStrategy<J> {
    let list = |names: &'static [&'static str]| {
        let lists = if n {
            prop_oneof![
                20 => prop::collection::vec(string(names, n), 0..4),
                1 => prop::collection::vec(string(names, n), 101..102),
            ]
            .boxed()
        } else {
            prop::collection::vec(string(names, n), 0..4).boxed()
        };
        field(lists.prop_map(J::Arr).boxed(), n)
    };
    let (genes, phenotypes) = if n {
        (GENES, PHENOTYPES)
    } else {
        (&GENES[..3], &PHENOTYPES[..6])
    };
    let phenotypes = prop::collection::vec((text(genes, n), string(phenotypes, n)), 0..3)
        .prop_map(J::Obj)
        .boxed();
    let sexes = if n { SEXES } else { &SEXES[..2] };
    let names = if n { NAMES } else { &NAMES[..5] };
    object(
        vec![
            ("age_years", field(number(n), n), false),
            ("weight_kg", field(number(n), n), false),
            ("sex", field(string(sexes, n), n), false),
            ("serum_creatinine_mg_dl", field(number(n), n), false),
            ("crcl_ml_min", field(number(n), n), false),
            ("conditions", list(names), false),
            ("allergies", list(names), false),
            ("phenotypes", field(phenotypes, n), false),
        ],
        n,
    )
}

/// A regimen: `noisy` ones are mostly refused somewhere, clean ones mostly accepted.
fn regimen(n: bool) -> BoxedStrategy<J> {
    let id = if n {
        prop_oneof![3 => string(IDS, n), 2 => number(n), 1 => wrong()].boxed()
    } else {
        prop_oneof![
            3 => string(IDS, n),
            1 => (0u64..1_000_000_000_000_000_000).prop_map(|v| J::Lit(v.to_string())),
        ]
        .boxed()
    };
    let items = if n {
        prop_oneof![
            150 => prop::collection::vec(item(n), 0..12),
            1 => prop::collection::vec(item(n), MAX_ITEMS + 1..MAX_ITEMS + 2),
        ]
        .boxed()
    } else {
        prop::collection::vec(item(n), 0..12).boxed()
    };
    let doc = object(
        vec![
            ("id", id, false),
            ("patient", field(patient(n), n), false),
            ("items", field(items.prop_map(J::Arr).boxed(), n), true),
        ],
        n,
    );
    if !n {
        return doc;
    }
    prop_oneof![
        40 => doc,
        // The serde reader also takes a struct written as a list of its fields.
        1 => Just(J::Arr(vec![lit("null"), lit("null"), J::Arr(vec![])])),
        1 => wrong(),
    ]
    .boxed()
}

/// Damage done to a written regimen.
#[derive(Clone, Debug)]
enum Damage {
    None,
    Truncate(Index),
    Delete(Index),
    Insert(Index, char),
    Swap(Index, Index),
    Append(&'static str),
    Prepend(&'static str),
}

fn damage() -> impl Strategy<Value = Damage> {
    let chars = select(vec![
        ',', '}', '{', '"', '\\', ']', '[', ':', ' ', 'x', '0', '-', '.', 'e', '\u{1}', 'é',
    ]);
    prop_oneof![
        24 => Just(Damage::None),
        2 => any::<Index>().prop_map(Damage::Truncate),
        2 => any::<Index>().prop_map(Damage::Delete),
        2 => (any::<Index>(), chars).prop_map(|(i, c)| Damage::Insert(i, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(i, j)| Damage::Swap(i, j)),
        1 => select(vec![" ", "\n", "x", " {}", ",", "\u{0}", "\u{feff}", " null"])
            .prop_map(Damage::Append),
        1 => select(vec![" ", "\n\t", "\u{feff}", "x", "[", "\r"]).prop_map(Damage::Prepend),
    ]
}

fn apply(text: &str, damage: &Damage) -> String {
    let mut c: Vec<char> = text.chars().collect();
    let n = c.len().max(1);
    match damage {
        Damage::None => {}
        Damage::Truncate(i) => c.truncate(i.index(n)),
        Damage::Delete(i) => {
            if !c.is_empty() {
                c.remove(i.index(n));
            }
        }
        Damage::Insert(i, ch) => c.insert(i.index(n + 1), *ch),
        Damage::Swap(i, j) => {
            if !c.is_empty() {
                c.swap(i.index(n), j.index(n));
            }
        }
        Damage::Append(s) => c.extend(s.chars()),
        Damage::Prepend(s) => {
            c.splice(0..0, s.chars());
        }
    }
    c.into_iter().collect()
}

fn cases() -> u32 {
    std::env::var("MEDCHECK_PARSE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn fast_path_answers_as_serde_does() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let handled = AtomicUsize::new(0);
    let handled_ok = AtomicUsize::new(0);
    let fell_back_ok = AtomicUsize::new(0);
    let strategy = (
        prop_oneof![regimen(false), regimen(true)],
        prop::collection::vec(0usize..64, 1..9),
        damage(),
        regimen(false),
    );
    runner
        .run(&strategy, |(doc, ws, damage, before)| {
            let mut written = String::new();
            render(&doc, &ws, &mut 0, &mut written);
            let text = apply(&written, &damage);
            let got = Regimen::from_json(&text);
            let want = Regimen::from_json_serde(&text);
            prop_assert_eq!(&got, &want, "text: {}", text);
            if let (Err(a), Err(b)) = (&got, &want) {
                prop_assert_eq!(a.to_string(), b.to_string());
            }
            // Read into a regimen that held another one (mostly a valid one, or what an error
            // left), the answer is the same.
            let mut previous = String::new();
            render(&before, &ws, &mut 0, &mut previous);
            let mut reused = Regimen::default();
            let _ = reused.read_json(&previous);
            let into = reused.read_json(&text).map(|()| reused);
            prop_assert_eq!(&into, &want, "before: {}, text: {}", previous, text);
            if let (Err(a), Err(b)) = (&into, &want) {
                prop_assert_eq!(a.to_string(), b.to_string());
            }
            if fast::parse(&text, &mut Vec::new(), &mut None).is_some() {
                handled.fetch_add(1, Ordering::Relaxed);
                if got.is_ok() {
                    handled_ok.fetch_add(1, Ordering::Relaxed);
                }
            } else if got.is_ok() {
                fell_back_ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    // The test means something only if the hand-written reader takes a good share of the
    // inputs, valid and refused alike (most generated inputs are damaged somewhere).
    let (handled, handled_ok) = (
        handled.load(Ordering::Relaxed),
        handled_ok.load(Ordering::Relaxed),
    );
    let total = cases() as usize;
    let fell_back_ok = fell_back_ok.load(Ordering::Relaxed);
    eprintln!(
        "hand-written reader took {handled} of {total} inputs ({handled_ok} accepted); \
         {fell_back_ok} accepted by serde after it gave up"
    );
    assert!(handled * 6 > total, "{handled} of {total}");
    assert!(handled_ok * 8 > total, "{handled_ok} of {total}");
}

/// The shapes the hand-written reader is meant to take, and some it must leave to serde.
#[test]
fn fast_path_takes_the_common_shapes() {
    let takes = [
        r#"{"items":[]}"#,
        r#" {"id":"bench-10","patient":{"age_years":70,"weight_kg":70},"items":[{"id":"apixaban","dose":{"value":5,"unit":"mg"},"times_per_day":2,"route":"oral"},{"id":"carbamazepine"}]} "#,
        r#"{"items":[{"id":"a","dose":{"value":2.5,"unit":"mg"},"times_per_day":0.5,"days":1e1}],"id":17}"#,
        r#"{"id":null,"patient":null,"items":[{"id":"St John’s Wort","dose":null,"route":null,"days":null}]}"#,
        "{\n\t\"patient\": {\"sex\": \"female\", \"conditions\": [\"asthma\"], \"allergies\": [],
          \"phenotypes\": {\"cyp2d6\": \"pm\", \"CYP2D6\": \"poor\"}, \"crcl_ml_min\": 55.5,
          \"serum_creatinine_mg_dl\": 1.4},\r\n \"items\": [{\"id\": \"x\"}]}\n",
        // Items built directly: every field, whole numbers at the caps, units by either lookup.
        r#"{"items":[{"route":"transdermal","days":3650,"dose":{"unit":"mcg/h","value":25},"id":"fentanyl"},{"id":"x","dose":{"value":1000,"unit":"tablet"},"times_per_day":48},{"id":"y","dose":{"value":100000,"unit":"mg"}},{"id":"z","dose":{"value":1000000,"unit":"mcg/kg"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1e3,"unit":" mg "},"times_per_day":1.5,"days":2e1},{"id":"b","dose":{"value":0.5,"unit":"ug/hr"}}]}"#,
        // Strings ending either side of the words looked at inline, and well past them.
        r#"{"items":[{"id":"abcdefghijklmno"},{"id":"abcdefghijklmnop"},{"id":"abcdefghijklmnopq"},{"id":"abcdefghijklmnopqrstuvw"},{"id":"abcdefghijklmnopqrstuvwx"},{"id":"acetaminophen-codeine-oral-solution"}]}"#,
        // Spaces and `!` (marked by the inline test, then looked at again) in strings.
        r#"{"id":"a b","items":[{"id":"a b"},{"id":"!x"},{"id":"x ! y"},{"id":"abcdefgh ijklmnop!qrst"}]}"#,
        // Numbers of one, two and more digits, next to a decimal point or an exponent.
        r#"{"items":[{"id":"a","dose":{"value":10.5,"unit":"mg"},"times_per_day":12,"days":10},{"id":"b","dose":{"value":100,"unit":"g"},"days":1E1},{"id":"c","dose":{"value":99e0,"unit":"mg"}}]}"#,
        // Refused by the checks after reading the id and patient, which come before the items'.
        r#"{"id":" ","items":[{"id":"a"}]}"#,
        r#"{"patient":{"weight_kg":0},"items":[{"id":"a"}]}"#,
    ];
    for text in takes {
        assert!(
            fast::parse(text, &mut Vec::new(), &mut None).is_some(),
            "{text}"
        );
        assert_eq!(Regimen::from_json(text), Regimen::from_json_serde(text));
    }
    let leaves = [
        r#"{"items":[{"id":"a\"b"}]}"#,
        r#"{"items":[],"items":[]}"#,
        r#"{"items":[{"id":"a","id":"b"}]}"#,
        r#"{"items":[{"id":"a","dosage":1}]}"#,
        r#"{"items":[{"id":"a"}]} x"#,
        r#"{"items":[{"id":"a"}]}{}"#,
        r#"{"items":[{"id":"a",}]}"#,
        r#"{"items":[{"id":"a"}],}"#,
        r#"{"items":[{"id":"a","days":01}]}"#,
        r#"{"items":[{"id":"a","days":"1"}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1}}]}"#,
        r#"{"items":[{"dose":{"value":1,"unit":"mg"}}]}"#,
        r#"{"patient":{"sex":"other"},"items":[]}"#,
        r#"{"id":-1,"items":[]}"#,
        r#"{"id":1.5,"items":[]}"#,
        r#"{"id":1234567890123456789,"items":[]}"#,
        r#"{"\u0069tems":[]}"#,
        "{\"items\":[{\"id\":\"a\u{1}\"}]}",
        "\u{feff}{\"items\":[]}",
        r#"[null,null,[]]"#,
        r#"{"items":[{"id":"a"}]"#,
        r#"{"patient":{},"items":null}"#,
        // An escape or a control character past the words looked at inline, or after a space.
        r#"{"items":[{"id":"a b\"c"}]}"#,
        "{\"items\":[{\"id\":\"a !\u{1}\"}]}",
        r#"{"items":[{"id":"abcdefghijklmnopq\"r"}]}"#,
        r#"{"items":[{"id":"abcdefghijklmnopqrstuvwxyz\u0041"}]}"#,
        "{\"items\":[{\"id\":\"abcdefghijklmnopqrstuvw\u{1f}\"}]}",
        r#"{"items":[{"id":"a","days":10.5}]}"#,
        // Items the checks refuse: serde's reading names them.
        r#"{"items":[{"id":"a","dose":{"value":-1,"unit":"mg"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1,"unit":"mgg"}}]}"#,
        r#"{"items":[{"id":" "}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":0,"unit":"mg"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1001,"unit":"tablet"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":100001,"unit":"mg"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1000001,"unit":"mcg/kg"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":101,"unit":"g"}}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1001,"unit":"mg/kg"}}]}"#,
        r#"{"items":[{"id":"a","times_per_day":49}]}"#,
        r#"{"items":[{"id":"a","times_per_day":0}]}"#,
        r#"{"items":[{"id":"a","days":3651}]}"#,
        r#"{"items":[{"id":"a","days":0.5}]}"#,
        r#"{"items":[{"id":"a","route":"Oral"}]}"#,
        r#"{"items":[{"id":"a","dose":{"value":1,"unit":"MG"}}]}"#,
    ];
    for text in leaves {
        assert!(
            fast::parse(text, &mut Vec::new(), &mut None).is_none(),
            "{text}"
        );
        assert_eq!(Regimen::from_json(text), Regimen::from_json_serde(text));
    }
    // Read in turn into one regimen, longer lists after shorter ones and the other way round,
    // errors between: each answers as it does alone.
    let mut reused = Regimen::default();
    for text in takes.iter().chain(&leaves).chain(takes.iter().rev()) {
        let got = reused.read_json(text).map(|()| reused.clone());
        assert_eq!(got, Regimen::from_json_serde(text), "{text}");
    }
}
