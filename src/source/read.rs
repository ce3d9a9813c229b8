//! Reading the data files: the bundled copy, a directory, one file's bytes; writing them back.

use std::path::Path;

use super::stream::stream_entries;
use super::*;

impl SourceData {
    /// Parses the bundled files.
    pub fn bundled() -> Result<SourceData, Vec<SourceError>> {
        let mut data = SourceData::default();
        let mut errors = Vec::new();
        for (file, text) in BUNDLED {
            if let Err(e) = data.parse_file(file, text.as_bytes()) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(data)
        } else {
            Err(errors)
        }
    }

    /// Reads every data file from `dir`, reporting every unreadable or malformed file.
    pub fn from_dir(dir: &Path) -> Result<SourceData, Vec<SourceError>> {
        let opened = DataDir::open(dir)?;
        let mut data = opened.data;
        if let Some(rules) = &opened.rules {
            let mut all = Vec::new();
            rules
                .stream(&mut |r| all.push(r.to_owned()))
                .map_err(|e| vec![e])?;
            data.rules = all;
        }
        Ok(data)
    }

    /// Parses one file's bytes into the matching field; `file` is its name in [`FILES`].
    pub fn parse_file(&mut self, file: &str, bytes: &[u8]) -> Result<(), SourceError> {
        fn parse<T: serde::de::DeserializeOwned>(
            file: &str,
            bytes: &[u8],
            into: &mut Vec<T>,
        ) -> Result<(), SourceError> {
            // Parse at full speed first; only on failure parse again to learn the field's path.
            if let Ok(v) = serde_json::from_slice::<Vec<T>>(bytes) {
                *into = v;
                return Ok(());
            }
            let mut out = Vec::new();
            let result = stream_entries(
                file,
                serde_json::Deserializer::from_slice(bytes),
                &mut |e| out.push(e),
                true,
            );
            *into = out;
            result
        }
        match file {
            "sources.json" => parse(file, bytes, &mut self.sources),
            "monitoring.json" => parse(file, bytes, &mut self.monitoring),
            "classes.json" => parse(file, bytes, &mut self.classes),
            "conditions.json" => parse(file, bytes, &mut self.conditions),
            "substances.json" => parse(file, bytes, &mut self.substances),
            "products.json" => parse(file, bytes, &mut self.products),
            "therapies.json" => parse(file, bytes, &mut self.therapies),
            "rules.json" => parse(file, bytes, &mut self.rules),
            "dose-limits.json" => parse(file, bytes, &mut self.dose_limits),
            "opioid-conversions.json" => parse(file, bytes, &mut self.opioid_conversions),
            "mme-thresholds.json" => parse(file, bytes, &mut self.mme_thresholds),
            other => Err(SourceError::Unexpected {
                file: other.to_string(),
                known: FILES.map(|(f, _)| f).join(", "),
            }),
        }
    }

    /// Writes every file into `dir` as pretty JSON, in the format the loader reads.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let write = |name: &str, value: serde_json::Result<String>| {
            std::fs::write(dir.join(name), value.map_err(std::io::Error::other)? + "\n")
        };
        write("sources.json", serde_json::to_string_pretty(&self.sources))?;
        write(
            "monitoring.json",
            serde_json::to_string_pretty(&self.monitoring),
        )?;
        write("classes.json", serde_json::to_string_pretty(&self.classes))?;
        write(
            "conditions.json",
            serde_json::to_string_pretty(&self.conditions),
        )?;
        write(
            "substances.json",
            serde_json::to_string_pretty(&self.substances),
        )?;
        write(
            "products.json",
            serde_json::to_string_pretty(&self.products),
        )?;
        write(
            "therapies.json",
            serde_json::to_string_pretty(&self.therapies),
        )?;
        write("rules.json", serde_json::to_string_pretty(&self.rules))?;
        write(
            "dose-limits.json",
            serde_json::to_string_pretty(&self.dose_limits),
        )?;
        write(
            "opioid-conversions.json",
            serde_json::to_string_pretty(&self.opioid_conversions),
        )?;
        write(
            "mme-thresholds.json",
            serde_json::to_string_pretty(&self.mme_thresholds),
        )
    }
}

/// A data directory opened for loading: every file checked and parsed except `rules.json`,
/// which [`DataDir::rules`] streams one rule at a time, so that a knowledge base of a million
/// rules is read in memory proportional to one rule, not to the file.
#[derive(Debug)]
pub struct DataDir {
    /// Every file but `rules.json` (whose field is left empty).
    pub data: SourceData,
    /// `rules.json`, ready to stream; `None` when it is missing (already reported by
    /// [`DataDir::open`]).
    pub rules: Option<RulesFile>,
}

impl DataDir {
    /// Checks the directory's files and parses all but `rules.json`. Fails with every
    /// unreadable, missing, unexpected or malformed file, `rules.json` included.
    pub fn open(dir: &Path) -> Result<DataDir, Vec<SourceError>> {
        let mut data = SourceData::default();
        let mut rules = None;
        let mut errors = Vec::new();
        let shown = |name: &str| dir.join(name).display().to_string();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".json") && !FILES.iter().any(|(f, _)| *f == name) {
                        errors.push(SourceError::Unexpected {
                            file: shown(&name),
                            known: FILES.map(|(f, _)| f).join(", "),
                        });
                    }
                }
            }
            Err(e) => {
                return Err(vec![SourceError::Io {
                    file: dir.display().to_string(),
                    reason: e.to_string(),
                }]);
            }
        }
        for (name, required) in FILES {
            let path = dir.join(name);
            if !path.exists() {
                if required {
                    errors.push(SourceError::Missing { file: shown(name) });
                }
                continue;
            }
            let io = |e: std::io::Error| SourceError::Io {
                file: shown(name),
                reason: e.to_string(),
            };
            let result = std::fs::metadata(&path).map_err(io).and_then(|m| {
                if m.len() > MAX_FILE_BYTES {
                    return Err(SourceError::TooLarge {
                        file: shown(name),
                        bytes: m.len(),
                        max: MAX_FILE_BYTES,
                    });
                }
                if name == "rules.json" {
                    rules = Some(RulesFile {
                        path: path.clone(),
                        shown: shown(name),
                    });
                    return Ok(());
                }
                let bytes = std::fs::read(&path).map_err(io)?;
                data.parse_file(name, &bytes)
                    .map_err(|e| e.with_file(shown(name)))
            });
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            return Ok(DataDir { data, rules });
        }
        // Report a malformed rules.json along with the other files' problems.
        if let Some(rules) = rules {
            if let Err(e) = rules.stream(&mut |_| {}) {
                let at = FILES.iter().position(|(f, _)| *f == "rules.json");
                let pos = errors
                    .iter()
                    .position(|e| file_rank(e) > at)
                    .unwrap_or(errors.len());
                errors.insert(pos, e);
            }
        }
        Err(errors)
    }
}

/// Position in [`FILES`] of the file an error is about, to keep errors in load order.
fn file_rank(e: &SourceError) -> Option<usize> {
    let file = match e {
        SourceError::Io { file, .. }
        | SourceError::Missing { file }
        | SourceError::Unexpected { file, .. }
        | SourceError::TooLarge { file, .. }
        | SourceError::Json { file, .. } => file,
    };
    FILES.iter().position(|(f, _)| file.ends_with(f))
}

impl SourceError {
    pub(super) fn with_file(self, shown: String) -> SourceError {
        match self {
            SourceError::Json {
                line,
                column,
                message,
                ..
            } => SourceError::Json {
                file: shown,
                line,
                column,
                message,
            },
            other => other,
        }
    }
}

/// serde_json appends " at line L column C"; the error already carries both.
pub(crate) fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
