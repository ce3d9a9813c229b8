//! The data loader: one data file's bytes (the first byte picks which file) parsed into an
//! otherwise bundled knowledge base, then validated and compiled. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medcheck::KnowledgeBase;
use medcheck::source::{FILES, Origin, SourceData};

fuzz_target!(|input: &[u8]| {
    let Some((&which, bytes)) = input.split_first() else {
        return;
    };
    let file = FILES[which as usize % FILES.len()].0;
    let Ok(mut data) = SourceData::bundled() else {
        return;
    };
    if data.parse_file(file, bytes).is_ok() {
        if let Err(e) = KnowledgeBase::from_source(data, Origin::Bundled) {
            assert!(!e.problems().is_empty());
        }
    }
});
