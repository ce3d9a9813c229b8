//! The regimen parser and the checker: any text that parses as a regimen is checked against the
//! bundled knowledge base and its report serialized. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medcheck::{KnowledgeBase, Regimen};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    if let Ok(regimen) = Regimen::from_json(text) {
        if let Ok(report) = KnowledgeBase::bundled().check(&regimen) {
            let _ = report.to_json();
            let _ = report.to_text();
        }
    }
});
