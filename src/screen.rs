//! Batch screening: newline-delimited regimens in, one JSON line out for each line in, in input
//! order.
//!
//! Each input line is a regimen (the JSON of [`Regimen::from_json`]). Each output line is its
//! report, carrying the regimen's `"id"` when it has one, or, for a line that cannot be read or
//! checked, an error line `{"line": N, "id": ..., "status": "error", "error": "..."}`: a bad line
//! never stops the run and never loses its place. Lines are read, checked and written in
//! batches through bounded queues, so memory stays flat on an input of any length, and batches
//! are checked on several threads and written back in order.
//!
//! Reports come in two forms ([`LineFormat`]): `compact`, the report without its texts (each
//! finding keeps its id, kind, severity, items, rule and details; the summary, management,
//! sources and monitoring of a rule are looked up by its id), and `full`, exactly the report
//! `medcheck check` prints, on one line.

use std::io::{self, BufRead, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::kb::KnowledgeBase;
use crate::regimen::{MAX_REGIMEN_BYTES, Regimen, RegimenId};
use crate::report::{InOrder, Report};
use crate::vocab::Severity;

/// What each report line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// The report without its texts: status, counts, and for each finding its id, kind,
    /// severity, items, rule, evidence and details; skipped checks.
    Compact,
    /// The whole report, as `medcheck check` prints it.
    Full,
}

/// How to screen.
#[derive(Clone, Debug)]
pub struct Options {
    /// Threads that check (1 checks on the calling thread).
    pub threads: usize,
    /// What each report line holds.
    pub format: LineFormat,
    /// Where to report progress now and then (a terminal), if anywhere.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 1,
            format: LineFormat::Compact,
            progress: false,
        }
    }
}

/// What a run screened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (each gave one line out).
    pub lines: u64,
    /// Regimens with no finding.
    pub clean: u64,
    /// Regimens with at least one finding.
    pub with_findings: u64,
    /// Lines that could not be read or checked.
    pub errors: u64,
    /// Regimens by their most severe finding: contraindicated, major, moderate, minor, info.
    pub by_severity: [u64; 5],
    /// Wall time.
    pub elapsed: Duration,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.lines += o.lines;
        self.clean += o.clean;
        self.with_findings += o.with_findings;
        self.errors += o.errors;
        for (a, b) in self.by_severity.iter_mut().zip(o.by_severity) {
            *a += b;
        }
    }

    /// Regimens whose most severe finding is at or above `severity`.
    pub fn at_or_above(&self, severity: Severity) -> u64 {
        SEVERITIES
            .iter()
            .zip(self.by_severity)
            .filter(|(s, _)| **s >= severity)
            .map(|(_, n)| n)
            .sum()
    }

    /// One line for a person: counts, time and rate.
    pub fn line(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let worst: Vec<String> = SEVERITIES
            .iter()
            .zip(self.by_severity)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        format!(
            "screened {} line(s): {} clean, {} with findings{}, {} error(s) in {:.2} s ({:.0} lines/s)",
            self.lines,
            self.clean,
            self.with_findings,
            if worst.is_empty() {
                String::new()
            } else {
                format!(" (worst: {})", worst.join(", "))
            },
            self.errors,
            secs,
            if secs > 0.0 {
                self.lines as f64 / secs
            } else {
                0.0
            }
        )
    }
}

const SEVERITIES: [Severity; 5] = [
    Severity::Contraindicated,
    Severity::Major,
    Severity::Moderate,
    Severity::Minor,
    Severity::Info,
];

/// Lines per batch handed to a thread.
const BATCH_LINES: usize = 256;
/// Bytes per batch, past which a batch is handed on with fewer lines.
const BATCH_BYTES: usize = 1 << 20;

/// Room for a checked batch's lines, made with its output buffer: a batch of [`BATCH_LINES`]
/// ten-item regimens writes about 1.2 MB of compact lines or 6 MB of full ones, which then
/// do not grow the buffer (larger regimens grow it, once: it is reused from batch to batch).
fn out_room(format: LineFormat) -> usize {
    match format {
        LineFormat::Compact => 2 << 20,
        LineFormat::Full => 8 << 20,
    }
}

/// A run of input lines, stored end to end.
#[derive(Default)]
struct Batch {
    /// Position of the batch in the input.
    seq: u64,
    /// 1-based number of its first line.
    first_line: u64,
    text: Vec<u8>,
    /// End of each line in `text`, and whether the line was cut for being too long.
    ends: Vec<(usize, bool)>,
    /// An output buffer a written batch gave back, for the worker that checks this one to
    /// write over (so that the buffers are reused, not grown and zeroed anew for every batch).
    spare: Vec<u8>,
}

impl Batch {
    /// An empty batch with room for a full one's text and lines (its text may go past
    /// [`BATCH_BYTES`] by a line, and then grows).
    fn new() -> Batch {
        Batch {
            text: Vec::with_capacity(BATCH_BYTES),
            ends: Vec::with_capacity(BATCH_LINES),
            ..Batch::default()
        }
    }

    fn lines(&self) -> impl Iterator<Item = (&[u8], bool)> {
        let mut start = 0;
        self.ends.iter().map(move |&(end, cut)| {
            let line = &self.text[start..end];
            start = end;
            (line, cut)
        })
    }
}

/// Reads the next line into `batch`, keeping at most [`MAX_REGIMEN_BYTES`] of it (a longer
/// line is read to its end and marked cut). False at the end of the input.
fn read_line(input: &mut impl BufRead, batch: &mut Batch) -> io::Result<bool> {
    let start = batch.text.len();
    let mut cut = false;
    let mut any = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = (start + MAX_REGIMEN_BYTES).saturating_sub(batch.text.len());
        if chunk.len() > room {
            cut = true;
        }
        batch
            .text
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        match done {
            Some(n) => {
                input.consume(n);
                break;
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
    if any {
        if batch.text.last() == Some(&b'\r') {
            batch.text.pop();
        }
        batch.ends.push((batch.text.len(), cut));
    }
    Ok(any)
}

/// Fills a batch; false when the input had no more lines.
fn read_batch(input: &mut impl BufRead, batch: &mut Batch) -> io::Result<bool> {
    batch.text.clear();
    batch.ends.clear();
    while batch.ends.len() < BATCH_LINES && batch.text.len() < BATCH_BYTES {
        if !read_line(input, batch)? {
            break;
        }
    }
    Ok(!batch.ends.is_empty())
}

/// Screens the regimens of `input`, one per line, writing one line per input line to `output`.
///
/// Fails only when reading or writing fails; a closed output (`| head`) ends the run early
/// without an error.
pub fn screen(
    kb: &KnowledgeBase,
    input: impl BufRead,
    output: impl Write + Send,
    options: &Options,
) -> io::Result<Summary> {
    let start = Instant::now();
    let mut summary = if options.threads <= 1 {
        screen_serial(kb, input, output, options, start)?
    } else {
        screen_parallel(kb, input, output, options, start)?
    };
    summary.elapsed = start.elapsed();
    if options.progress {
        eprint!("\r\x1b[K");
    }
    Ok(summary)
}

/// Writes `bytes`; `Ok(false)` when the reader went away.
fn write_out(output: &mut impl Write, bytes: &[u8]) -> io::Result<bool> {
    match output.write_all(bytes) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

fn flush(output: &mut impl Write) -> io::Result<()> {
    match output.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

struct Progress {
    on: bool,
    last: Instant,
}

impl Progress {
    fn show(&mut self, lines: u64, start: Instant) {
        if self.on && self.last.elapsed() >= Duration::from_millis(250) {
            self.last = Instant::now();
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\r\x1b[Kscreened {lines} line(s), {:.0} lines/s",
                lines as f64 / secs
            );
        }
    }
}

fn screen_serial(
    kb: &KnowledgeBase,
    mut input: impl BufRead,
    mut output: impl Write,
    options: &Options,
    start: Instant,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut batch = Batch::new();
    let mut out = Vec::with_capacity(out_room(options.format));
    // Lines recall the findings and skipped entries written on the lines before.
    let _recall = Report::recall_lines(kb.model(), options.format == LineFormat::Full);
    let mut progress = Progress {
        on: options.progress,
        last: start,
    };
    while read_batch(&mut input, &mut batch)? {
        batch.first_line = summary.lines + 1;
        summary.add(&check_batch(kb, &batch, options.format, &mut out));
        if !write_out(&mut output, &out)? {
            return Ok(summary);
        }
        progress.show(summary.lines, start);
    }
    flush(&mut output)?;
    Ok(summary)
}

fn screen_parallel(
    kb: &KnowledgeBase,
    mut input: impl BufRead,
    mut output: impl Write + Send,
    options: &Options,
    start: Instant,
) -> io::Result<Summary> {
    let threads = options.threads;
    // At most this many batches are read but not yet written: memory is bounded by it.
    let in_flight = threads * 2;
    let (work_tx, work_rx) = sync_channel::<Batch>(in_flight);
    let (done_tx, done_rx) = sync_channel::<(Batch, Vec<u8>, Summary)>(in_flight);
    let (free_tx, free_rx) = sync_channel::<(Batch, Vec<u8>)>(in_flight * 2 + threads);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let format = options.format;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || worker(kb, &work_rx, &done_tx, format));
        }
        // Only the workers hold the queues' far ends, so that when the writer stops (a closed
        // output) the workers stop, and then the reader, instead of waiting on a full queue.
        drop(work_rx);
        drop(done_tx);
        let writer = scope.spawn(move || -> io::Result<Summary> {
            write_in_order(&mut output, &done_rx, &free_tx, options, start)
        });
        let read = read_all(&mut input, &work_tx, &free_rx);
        drop(work_tx);
        let written = writer.join().expect("the writer thread does not panic");
        read?;
        written
    })
}

/// Reads batches until the input ends (or the writer stops taking them).
fn read_all(
    input: &mut impl BufRead,
    work: &SyncSender<Batch>,
    free: &Receiver<(Batch, Vec<u8>)>,
) -> io::Result<()> {
    let mut seq = 0;
    let mut line = 1;
    loop {
        let mut batch = free
            .try_recv()
            .map(|(mut b, out)| {
                b.spare = out;
                b
            })
            .unwrap_or_else(|_| Batch::new());
        if !read_batch(input, &mut batch)? {
            return Ok(());
        }
        batch.seq = seq;
        batch.first_line = line;
        seq += 1;
        line += batch.ends.len() as u64;
        if work.send(batch).is_err() {
            return Ok(());
        }
    }
}

fn worker(
    kb: &KnowledgeBase,
    work: &Mutex<Receiver<Batch>>,
    done: &SyncSender<(Batch, Vec<u8>, Summary)>,
    format: LineFormat,
) {
    // Lines recall the findings and skipped entries written on the lines before.
    let _recall = Report::recall_lines(kb.model(), format == LineFormat::Full);
    loop {
        let batch = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(mut batch) = batch else { return };
        let mut out = std::mem::take(&mut batch.spare);
        if out.capacity() == 0 {
            out.reserve(out_room(format));
        }
        let summary = check_batch(kb, &batch, format, &mut out);
        if done.send((batch, out, summary)).is_err() {
            return;
        }
    }
}

/// Writes checked batches in input order, holding back those that finished early.
fn write_in_order(
    output: &mut impl Write,
    done: &Receiver<(Batch, Vec<u8>, Summary)>,
    free: &SyncSender<(Batch, Vec<u8>)>,
    options: &Options,
    start: Instant,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut waiting: std::collections::BTreeMap<u64, (Batch, Vec<u8>, Summary)> =
        Default::default();
    let mut next = 0u64;
    let mut progress = Progress {
        on: options.progress,
        last: start,
    };
    for finished in done {
        waiting.insert(finished.0.seq, finished);
        while let Some((batch, out, part)) = waiting.remove(&next) {
            next += 1;
            summary.add(&part);
            if !write_out(output, &out)? {
                return Ok(summary);
            }
            let _ = free.try_send((batch, out));
            progress.show(summary.lines, start);
        }
    }
    flush(output)?;
    Ok(summary)
}

/// Most items whose storage a batch keeps from one line for the next.
const KEEP_ITEMS: usize = 64;

/// Checks every line of a batch, writing one output line each over `out` (whose bytes, what an
/// earlier batch wrote, are room to write over), and cuts `out` to them.
fn check_batch(
    kb: &KnowledgeBase,
    batch: &Batch,
    format: LineFormat,
    out: &mut Vec<u8>,
) -> Summary {
    let mut summary = Summary::default();
    // Read into by every line in turn, so that its storage is reused.
    let mut regimen = Regimen::default();
    // Where the lines written so far end: `out` past it is room, kept from line to line.
    let mut end = 0;
    for (i, (line, cut)) in batch.lines().enumerate() {
        let number = batch.first_line + i as u64;
        summary.lines += 1;
        let checked = check_line(kb, line, cut, format, out, &mut end, &mut regimen);
        // What a long regimen left is not kept for the lines after it.
        if regimen.items.capacity() > KEEP_ITEMS {
            regimen = Regimen::default();
        }
        match checked {
            Ok(worst) => match worst {
                None => summary.clean += 1,
                Some(s) => {
                    summary.with_findings += 1;
                    if let Some(k) = SEVERITIES.iter().position(|x| *x == s) {
                        summary.by_severity[k] += 1;
                    }
                }
            },
            Err((id, message)) => {
                summary.errors += 1;
                let error = ErrorLine {
                    line: number,
                    id: id.as_ref(),
                    error: &message,
                };
                out.truncate(end);
                serde_json::to_writer(&mut *out, &error).expect("writing to memory succeeds");
                end = out.len();
            }
        }
        match out.get_mut(end) {
            Some(room) => *room = b'\n',
            None => out.push(b'\n'),
        }
        end += 1;
    }
    out.truncate(end);
    summary
}

/// The `"id"` of a line that is JSON but not a valid regimen, to tag its error line with.
fn id_of(line: &str) -> Option<RegimenId> {
    #[derive(serde::Deserialize)]
    struct Tagged {
        #[serde(default)]
        id: Option<RegimenId>,
    }
    serde_json::from_str::<Tagged>(line).ok()?.id
}

/// Checks one line and writes its report (without the newline) over `out` from `end`, then
/// moves `end` past it; on failure, returns the id (when the line has one) and the reason, and
/// writes nothing. The line is read into `regimen`, whose storage is reused.
fn check_line(
    kb: &KnowledgeBase,
    line: &[u8],
    cut: bool,
    format: LineFormat,
    out: &mut Vec<u8>,
    end: &mut usize,
    regimen: &mut Regimen,
) -> Result<Option<Severity>, (Option<RegimenId>, String)> {
    if cut {
        return Err((
            None,
            format!("line is longer than the limit of {MAX_REGIMEN_BYTES} bytes for a regimen"),
        ));
    }
    let text = std::str::from_utf8(line).map_err(|e| (None, format!("not UTF-8: {e}")))?;
    if text.trim().is_empty() {
        return Err((None, "empty line (expected a regimen)".to_string()));
    }
    regimen
        .read_json(text)
        .map_err(|e| (id_of(text), e.to_string()))?;
    let full = format == LineFormat::Full;
    // A compact line does not show what each name resolved to, so that list is not made, and
    // it is written once and dropped, so its findings are written through their order rather
    // than moved into it. A full line's monitoring refers to its findings by place.
    let (report, order) = if full {
        kb.check(regimen).map(|report| (report, None))
    } else {
        kb.check_keyed(regimen)
    }
    .map_err(|e| (regimen.id.clone(), e.to_string()))?;
    *end = report.write_json_line_over(full, order.as_ref(), out, *end);
    // The first finding in canonical order is the most severe (the report's own first need
    // not be, when it comes with an order).
    let worst = InOrder::new(&report, order.as_ref())
        .first()
        .map(|f| f.severity);
    // The next line's check takes the findings' allocation.
    crate::check::give_back_findings(report.findings);
    Ok(worst)
}

/// `{"line": N, "id": ..., "status": "error", "error": "..."}`.
struct ErrorLine<'a> {
    line: u64,
    id: Option<&'a RegimenId>,
    error: &'a str,
}

impl Serialize for ErrorLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("line", &self.line)?;
        if let Some(id) = self.id {
            m.serialize_entry("id", id)?;
        }
        m.serialize_entry("status", "error")?;
        m.serialize_entry("error", self.error)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, threads: usize, format: LineFormat) -> (String, Summary) {
        let kb = KnowledgeBase::bundled();
        let mut out = Vec::new();
        let options = Options {
            threads,
            format,
            progress: false,
        };
        let summary = screen(kb, input.as_bytes(), &mut out, &options).expect("screens");
        (String::from_utf8(out).expect("UTF-8"), summary)
    }

    const INPUT: &str = concat!(
        r#"{"id": "a", "items": [{"id": "warfarin"}, {"id": "ibuprofen"}]}"#,
        "\n",
        r#"{"id": 7, "items": [{"id": "massage-therapy"}]}"#,
        "\n",
        "not json\n",
        "\n",
        r#"{"id": "b", "items": [{"id": "warfarin", "dose": {"value": 1, "unit": "furlong"}}]}"#,
        "\r\n",
        r#"{"items": [{"id": "no-such-thing"}]}"#,
    );

    #[test]
    fn one_line_out_per_line_in_with_errors_in_place() {
        let (out, summary) = run(INPUT, 1, LineFormat::Compact);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 6, "{out}");
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[0]["status"], "findings");
        assert_eq!(lines[1]["id"], 7);
        assert_eq!(lines[1]["status"], "clean");
        assert_eq!(lines[2]["status"], "error");
        assert_eq!(lines[2]["line"], 3);
        assert!(lines[3]["error"].as_str().unwrap().contains("empty line"));
        assert_eq!(lines[4]["id"], "b", "an error line keeps the id");
        assert!(lines[4]["error"].as_str().unwrap().contains("furlong"));
        assert_eq!(lines[5]["findings"][0]["kind"], "unknown-item");
        assert_eq!(summary.lines, 6);
        assert_eq!(summary.errors, 3);
        assert_eq!(summary.clean, 1);
        assert_eq!(summary.with_findings, 2);
        assert_eq!(summary.at_or_above(Severity::Major), 2);
    }

    #[test]
    fn full_lines_are_the_check_report() {
        let kb = KnowledgeBase::bundled();
        let (out, _) = run(INPUT, 1, LineFormat::Full);
        let first = out.lines().next().unwrap();
        let regimen = Regimen::from_json(INPUT.lines().next().unwrap()).unwrap();
        assert_eq!(first, kb.check(&regimen).unwrap().to_json());
    }

    #[test]
    fn compact_lines_are_the_full_report_without_texts() {
        let (compact, _) = run(INPUT, 1, LineFormat::Compact);
        let (full, _) = run(INPUT, 1, LineFormat::Full);
        let c: serde_json::Value = serde_json::from_str(compact.lines().next().unwrap()).unwrap();
        let f: serde_json::Value = serde_json::from_str(full.lines().next().unwrap()).unwrap();
        for key in ["id", "status", "max_severity", "counts", "skipped"] {
            assert_eq!(c[key], f[key], "{key}");
        }
        for (cf, ff) in c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .zip(f["findings"].as_array().unwrap())
        {
            for (key, value) in cf.as_object().unwrap() {
                assert_eq!(value, &ff[key], "finding field {key}");
            }
            assert!(cf.get("summary").is_none() && ff.get("summary").is_some());
        }
    }

    /// Lines recall the findings and skipped entries of the lines before them: each line is
    /// still what serde_json writes for its report, in both forms, on one thread and on
    /// several.
    #[test]
    fn recalled_lines_are_the_reports() {
        let kb = KnowledgeBase::bundled();
        let names = [
            "warfarin",
            "ibuprofen",
            "naproxen",
            "aspirin",
            "St John's Wort",
            "oxycodone",
            "tramadol",
            "duloxetine",
            "meperidine",
            "acetaminophen-codeine-oral-solution",
            "no-such-thing",
            "massage-therapy",
        ];
        let mut input = String::new();
        for i in 0..300 {
            let items: Vec<String> = (0..1 + i % 5)
                .map(|k| {
                    let name = names[(i * 7 + k * 5) % names.len()];
                    if k % 2 == 0 {
                        format!(r#"{{"id": "{name}"}}"#)
                    } else {
                        format!(r#"{{"id": "{name}", "dose": {{"value": 50, "unit": "mg"}}}}"#)
                    }
                })
                .collect();
            let patient = [
                "{}",
                r#"{"age_years": 70, "conditions": ["chronic-kidney-disease"], "allergies": ["nsaid"]}"#,
            ][i % 2];
            input.push_str(&format!(
                r#"{{"id": {i}, "patient": {patient}, "items": [{}]}}"#,
                items.join(", ")
            ));
            input.push('\n');
        }
        for (threads, format) in [1, 2]
            .into_iter()
            .flat_map(|t| [(t, LineFormat::Compact), (t, LineFormat::Full)])
        {
            let (out, summary) = run(&input, threads, format);
            assert!(summary.errors < 100, "{summary:?}");
            let mut compared = 0;
            for (line, text) in out.lines().zip(input.lines()) {
                let regimen = Regimen::from_json(text).unwrap();
                if let Ok(report) = kb.check(&regimen) {
                    let written = match format {
                        LineFormat::Compact => serde_json::to_string(&report.compact()),
                        LineFormat::Full => serde_json::to_string(&report),
                    };
                    assert_eq!(line, written.unwrap());
                    compared += 1;
                }
            }
            assert_eq!(compared, summary.lines - summary.errors);
        }
    }

    #[test]
    fn threads_keep_input_order() {
        let mut input = String::new();
        for i in 0..3000 {
            if i % 97 == 0 {
                input.push_str("{\"id\": \"broken\"\n");
            } else {
                input.push_str(&format!(
                    "{{\"id\": {i}, \"items\": [{{\"id\": \"warfarin\"}}, {{\"id\": \"{}\"}}]}}\n",
                    ["ibuprofen", "massage-therapy", "St John's Wort"][i % 3]
                ));
            }
        }
        let (serial, s1) = run(&input, 1, LineFormat::Compact);
        let (parallel, s4) = run(&input, 4, LineFormat::Compact);
        assert_eq!(serial, parallel);
        assert_eq!(s1.lines, 3000);
        assert_eq!(s4.errors, s1.errors);
        assert_eq!(s1.errors, 31);
        assert_eq!(serial.lines().count(), 3000);
    }

    /// Output that takes a few bytes, then reports the reader gone (`| head`).
    struct Closed(usize);

    impl Write for Closed {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_ends_the_run_on_any_number_of_threads() {
        let line = "{\"items\": [{\"id\": \"warfarin\"}, {\"id\": \"ibuprofen\"}]}\n";
        let input = line.repeat(20_000);
        for threads in [1, 3] {
            let (tx, rx) = std::sync::mpsc::channel();
            let input = input.clone();
            std::thread::spawn(move || {
                let options = Options {
                    threads,
                    ..Options::default()
                };
                let result = screen(
                    KnowledgeBase::bundled(),
                    input.as_bytes(),
                    Closed(500),
                    &options,
                );
                let _ = tx.send(result.map(|s| s.lines));
            });
            let lines = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the run ends when the output closes")
                .expect("a closed output is not an error");
            assert!(
                lines < 20_000,
                "{threads} thread(s) stopped early ({lines} lines)"
            );
        }
    }

    #[test]
    fn an_overlong_line_is_an_error_and_the_next_line_is_read() {
        let long = format!(
            "{{\"items\": [{{\"id\": \"{}\"}}]}}",
            "x".repeat(MAX_REGIMEN_BYTES)
        );
        let input = format!("{long}\n{{\"items\": [{{\"id\": \"warfarin\"}}]}}\n");
        let (out, summary) = run(&input, 1, LineFormat::Compact);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("longer than the limit"), "{}", lines[0]);
        assert!(lines[1].contains("\"status\":\"clean\""), "{}", lines[1]);
        assert_eq!(summary.errors, 1);
    }
}
