//! Streaming `rules.json`: rules parsed from blocks of the file with their texts borrowed,
//! validated as they arrive, never the whole file in memory.

use std::path::PathBuf;

use super::read::strip_position;
use super::*;

/// `rules.json` of a data directory, checked for size and readability but not yet read.
#[derive(Clone, Debug)]
pub struct RulesFile {
    pub(super) path: PathBuf,
    pub(super) shown: String,
}

impl RulesFile {
    /// Reads the file from the start and calls `each` with every rule, in file order, its texts
    /// borrowed from the read buffer. On malformed JSON, stops and returns the error, with the
    /// path to the offending field.
    pub fn stream(&self, each: &mut dyn FnMut(RuleRef<'_>)) -> Result<(), SourceError> {
        let open = || {
            std::fs::File::open(&self.path)
                .map(|f| std::io::BufReader::with_capacity(1 << 16, f))
                .map_err(|e| SourceError::Io {
                    file: self.shown.clone(),
                    reason: e.to_string(),
                })
        };
        let mut delivered = 0usize;
        let mut counted = |rule: RuleRef<'_>| {
            delivered += 1;
            each(rule)
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let fast = if cores > 1 {
            stream_rules_in_parallel(open()?, &mut counted)
        } else {
            stream_rules(open()?, &mut |r| counted(RuleRef::Borrowed(r)))
        };
        if fast.is_ok() {
            return Ok(());
        }
        // Something is wrong (or the file ended early): read it again with path tracking,
        // which reports the problem exactly, handing on only the rules the fast pass did not.
        // From memory when the file is of a size to hold, for the same line and column as
        // every other file; from the reader otherwise.
        let mut seen = 0usize;
        let mut rest = |rule: RawRule| {
            seen += 1;
            if seen > delivered {
                each(RuleRef::Owned(&rule));
            }
        };
        let small = std::fs::metadata(&self.path).is_ok_and(|m| m.len() <= 64 << 20);
        let result = if small {
            let bytes = std::fs::read(&self.path).map_err(|e| SourceError::Io {
                file: self.shown.clone(),
                reason: e.to_string(),
            })?;
            stream_entries(
                "rules.json",
                serde_json::Deserializer::from_slice(&bytes),
                &mut rest,
                true,
            )
        } else {
            stream_entries(
                "rules.json",
                serde_json::Deserializer::from_reader(open()?),
                &mut rest,
                true,
            )
        };
        result.map_err(|e| e.with_file(self.shown.clone()))
    }

    /// The file as shown in messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// Size of the blocks [`stream_rules`] reads.
const BLOCK: usize = 1 << 20;

/// Calls `each` with every rule of the JSON array `reader` holds, reading it in blocks of
/// [`BLOCK`] bytes and parsing each rule from the block with its texts borrowed (as fast as
/// parsing from memory, with memory for one block). Fails on anything unexpected, without
/// saying what: the caller reads the file again to report it.
fn stream_rules(
    reader: impl std::io::Read,
    each: &mut dyn FnMut(&RawRule<Str<'_>>),
) -> Result<(), ()> {
    struct Blocks<R> {
        reader: R,
        buf: Vec<u8>,
        pos: usize,
        eof: bool,
    }

    impl<R: std::io::Read> Blocks<R> {
        /// Reads more, keeping the unparsed bytes; false at the end of the file.
        fn more(&mut self) -> Result<bool, ()> {
            if self.eof {
                return Ok(false);
            }
            self.buf.drain(..self.pos);
            self.pos = 0;
            let len = self.buf.len();
            self.buf.resize(len + BLOCK, 0);
            let n = loop {
                match self.reader.read(&mut self.buf[len..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
            };
            self.buf.truncate(len + n);
            self.eof = n == 0;
            Ok(n > 0)
        }

        /// The next byte that is not JSON whitespace, not consumed; `None` at the end.
        fn peek(&mut self) -> Result<Option<u8>, ()> {
            loop {
                while let Some(&b) = self.buf.get(self.pos) {
                    if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                        return Ok(Some(b));
                    }
                    self.pos += 1;
                }
                if !self.more()? {
                    return Ok(None);
                }
            }
        }
    }

    let mut b = Blocks {
        reader,
        buf: Vec::new(),
        pos: 0,
        eof: false,
    };
    if b.peek()? != Some(b'[') {
        return Err(());
    }
    b.pos += 1;
    if b.peek()? == Some(b']') {
        b.pos += 1;
    } else {
        loop {
            loop {
                let mut entries = serde_json::Deserializer::from_slice(&b.buf[b.pos..])
                    .into_iter::<RawRule<Str>>();
                let parsed = match entries.next() {
                    Some(Ok(rule)) => {
                        each(&rule);
                        Some(entries.byte_offset())
                    }
                    // The block ends inside this rule.
                    Some(Err(e)) if e.is_eof() => None,
                    _ => return Err(()),
                };
                match parsed {
                    Some(len) => {
                        b.pos += len;
                        break;
                    }
                    None if b.more()? => {}
                    None => return Err(()),
                }
            }
            match b.peek()? {
                Some(b',') => b.pos += 1,
                Some(b']') => {
                    b.pos += 1;
                    break;
                }
                _ => return Err(()),
            }
        }
    }
    match b.peek()? {
        None => Ok(()),
        Some(_) => Err(()),
    }
}

/// Rules a parsing thread hands on at a time.
const RULE_BATCH: usize = 512;

/// [`stream_rules`] with the parsing on a second thread: one core parses while the caller's
/// validates. Batches of [`RULE_BATCH`] rules go through a queue of four, and come back to the
/// parsing thread to be freed there, so memory stays bounded and each thread frees what it
/// allocated.
fn stream_rules_in_parallel(
    reader: impl std::io::Read + Send,
    each: &mut dyn FnMut(RuleRef<'_>),
) -> Result<(), ()> {
    use std::sync::mpsc::sync_channel;
    let (full_tx, full_rx) = sync_channel::<Vec<RawRule>>(4);
    let (empty_tx, empty_rx) = sync_channel::<Vec<RawRule>>(8);
    std::thread::scope(|scope| {
        let parser = scope.spawn(move || {
            let mut batch: Vec<RawRule> = Vec::with_capacity(RULE_BATCH);
            let mut stopped = false;
            let result = stream_rules(reader, &mut |rule| {
                if stopped {
                    return;
                }
                batch.push(rule.map(str::to_string));
                if batch.len() == RULE_BATCH {
                    let next = match empty_rx.try_recv() {
                        Ok(mut used) => {
                            used.clear();
                            used
                        }
                        Err(_) => Vec::with_capacity(RULE_BATCH),
                    };
                    stopped = full_tx.send(std::mem::replace(&mut batch, next)).is_err();
                }
            });
            if !batch.is_empty() {
                let _ = full_tx.send(batch);
            }
            drop(full_tx);
            // Free the batches the validating thread is done with here, where they were made.
            while empty_rx.recv().is_ok() {}
            result
        });
        for batch in full_rx {
            for rule in &batch {
                each(RuleRef::Owned(rule));
            }
            let _ = empty_tx.try_send(batch);
        }
        drop(empty_tx);
        parser.join().unwrap_or(Err(()))
    })
}

/// Calls `each` with every entry of the JSON array `de` reads, one at a time. With `with_path`
/// the error names the path to the offending field (`[3].between[1]`), at some cost in speed.
pub(super) fn stream_entries<'de, T, R>(
    file: &str,
    mut de: serde_json::Deserializer<R>,
    each: &mut dyn FnMut(T),
    with_path: bool,
) -> Result<(), SourceError>
where
    T: Deserialize<'de>,
    R: serde_json::de::Read<'de>,
{
    use serde::de::DeserializeSeed;

    struct Entries<'f, T>(&'f mut dyn FnMut(T));

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Entries<'_, T> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(entry) = seq.next_element::<T>()? {
                (self.0)(entry);
            }
            Ok(())
        }
    }

    impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Entries<'_, T> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    let json = |e: serde_json::Error, message: String| SourceError::Json {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&message),
    };
    if !with_path {
        return Entries(each)
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| {
                let message = e.to_string();
                json(e, message)
            });
    }
    let mut track = serde_path_to_error::Track::new();
    let parsed =
        Entries(each).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match parsed {
        Ok(()) => de.end().map_err(|e| {
            let message = e.to_string();
            json(e, message)
        }),
        Err(inner) => {
            let path = track.path().to_string();
            let message = if path == "." || path.is_empty() {
                inner.to_string()
            } else {
                format!("at {path}: {inner}")
            };
            Err(json(inner, message))
        }
    }
}
