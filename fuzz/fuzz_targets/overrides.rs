//! Override files: parsed, validated against the bundled knowledge base and, when valid, used to
//! check a regimen. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medcheck::{KnowledgeBase, Overrides, Regimen};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(overrides) = Overrides::from_json("fuzz.json", text) else {
        return;
    };
    if let Ok(kb) = overrides.apply(KnowledgeBase::bundled()) {
        let regimen = Regimen::from_json(r#"{"items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#)
            .expect("a fixed regimen");
        let _ = kb.check(&regimen).map(|r| r.to_json());
    }
});
