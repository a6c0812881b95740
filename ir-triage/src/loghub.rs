//! Scoring the miner against Loghub's labelled samples, with Loghub-2.0's metrics.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::header::{HeaderFormat, HeaderMode};
use crate::lines::LineReader;
use crate::mask::correct_template;
use crate::miner::{Miner, MinerConfig};

/// Grouping accuracy (GA) and its F1 (FGA), as Loghub-2.0's `get_accuracy` computes them.
///
/// Lines are grouped by template string on both sides. A ground-truth group is correct when all
/// its lines carry one mined template and no other line does. GA is the share of lines in
/// correct groups; FGA the F1 of correct groups over mined groups (precision) and over true
/// groups (recall). Lines whose true template is empty are left out, as Loghub drops NaN rows.
///
/// ```
/// use ir_triage::grouping_accuracy;
///
/// let truth = ["A", "A", "B", "C"];
/// let mined = ["x", "x", "y", "y"];
/// let (ga, fga) = grouping_accuracy(&truth, &mined);
/// assert_eq!(ga, 0.5); // group A is right; B and C were merged
/// assert!((fga - 2.0 * 0.5 * (1.0 / 3.0) / (0.5 + 1.0 / 3.0)).abs() < 1e-12);
/// ```
pub fn grouping_accuracy<T: AsRef<str>, P: AsRef<str>>(truth: &[T], parsed: &[P]) -> (f64, f64) {
    let rows: Vec<(&str, &str)> = truth
        .iter()
        .zip(parsed)
        .map(|(t, p)| (t.as_ref(), p.as_ref()))
        .filter(|(t, _)| !t.is_empty())
        .collect();
    if rows.is_empty() {
        return (0.0, 0.0);
    }
    let mut parsed_count: HashMap<&str, usize> = HashMap::new();
    let mut groups: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for &(t, p) in &rows {
        *parsed_count.entry(p).or_default() += 1;
        *groups.entry(t).or_default().entry(p).or_default() += 1;
    }
    let mut accurate_events = 0usize;
    let mut accurate_templates = 0usize;
    for members in groups.values() {
        if members.len() == 1
            && let Some((p, n)) = members.iter().next()
            && parsed_count.get(p) == Some(n)
        {
            accurate_events += n;
            accurate_templates += 1;
        }
    }
    let ga = accurate_events as f64 / rows.len() as f64;
    let pga = accurate_templates as f64 / parsed_count.len() as f64;
    let rga = accurate_templates as f64 / groups.len() as f64;
    let fga = if pga + rga > 0.0 {
        2.0 * pga * rga / (pga + rga)
    } else {
        0.0
    };
    (ga, fga)
}

/// Parsing accuracy (PA), as Loghub-2.0's `calculate_parsing_accuracy`: the share of lines whose
/// mined template equals the labelled one exactly.
pub fn parsing_accuracy<T: AsRef<str>, P: AsRef<str>>(truth: &[T], parsed: &[P]) -> f64 {
    if parsed.is_empty() {
        return 0.0;
    }
    let correct = truth
        .iter()
        .zip(parsed)
        .filter(|(t, p)| t.as_ref() == p.as_ref())
        .count();
    correct as f64 / parsed.len() as f64
}

/// Loghub's published header format for a dataset (logpai/loghub-2.0 `benchmark_settings`),
/// for the four datasets scored here.
pub fn loghub_format(dataset: &str) -> Option<&'static str> {
    Some(match dataset {
        "HDFS" => "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        "HealthApp" => r"<Time>\|<Component>\|<Pid>\|<Content>",
        "Linux" => r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        "OpenStack" => r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
        _ => return None,
    })
}

/// One labelled dataset: a log file and its structured CSV with an `EventTemplate` column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoghubDataset {
    /// The folder's name (`HDFS`, ...).
    pub name: String,
    /// The raw log.
    pub log: PathBuf,
    /// The labels: `<log>_structured_corrected.csv`, else `<log>_structured.csv`.
    pub labels: PathBuf,
}

/// The datasets in a directory laid out like Loghub's: one folder per dataset holding
/// `<X>.log` and `<X>.log_structured_corrected.csv` (or `_structured.csv`). Sorted by name.
///
/// # Errors
/// [`Error::Io`] when `dir` cannot be listed.
pub fn find_datasets(dir: &Path) -> Result<Vec<LoghubDataset>, Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        logs.sort();
        for log in logs {
            let base = log.as_os_str().to_string_lossy().into_owned();
            let labels = [
                format!("{base}_structured_corrected.csv"),
                format!("{base}_structured.csv"),
            ]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file());
            if let Some(labels) = labels {
                out.push(LoghubDataset {
                    name: name.clone(),
                    log,
                    labels,
                });
                break;
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// One dataset's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetScore {
    /// The dataset's name.
    pub name: String,
    /// Lines scored.
    pub lines: usize,
    /// Grouping accuracy.
    pub ga: f64,
    /// Parsing accuracy.
    pub pa: f64,
    /// F1 of grouping accuracy.
    pub fga: f64,
    /// Distinct labelled templates.
    pub truth_templates: usize,
    /// Distinct mined templates.
    pub mined_templates: usize,
}

/// A dataset mined line by line: what was mined, next to the labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinedDataset {
    /// The message of each line, header removed.
    pub messages: Vec<String>,
    /// The mined template of each line, after Loghub's correction rules.
    pub templates: Vec<String>,
    /// The labelled template of each line.
    pub truth: Vec<String>,
}

/// Mines a dataset's log with `config`, cutting headers per `mode`; each line's template is the
/// final template of its signature after [`correct_template`], as Loghub's parsers output it.
///
/// # Errors
/// [`Error::Io`] when a file cannot be read, or the CSV has no `EventTemplate` column or a row
/// count other than the log's line count.
pub fn mine_dataset(
    dataset: &LoghubDataset,
    mode: &HeaderMode,
    config: &MinerConfig,
) -> Result<MinedDataset, Error> {
    let truth = read_templates(&dataset.labels)?;
    let mut miner = Miner::new(config.clone());
    let mut ids = Vec::with_capacity(truth.len());
    let mut messages = Vec::with_capacity(truth.len());
    let mut reader = LineReader::new(BufReader::new(File::open(&dataset.log)?));
    while let Some(line) = reader.next_line()? {
        let text = line.text();
        let message = mode.extract(&text).message.into_owned();
        ids.push(miner.add(&message));
        messages.push(message);
    }
    if ids.len() != truth.len() {
        return Err(Error::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: {} log lines but {} labelled rows",
                dataset.name,
                ids.len(),
                truth.len()
            ),
        )));
    }
    let mut cache = HashMap::new();
    let templates = ids
        .iter()
        .map(|id| {
            cache
                .entry(*id)
                .or_insert_with(|| correct_template(&miner.template(*id).unwrap_or_default()))
                .clone()
        })
        .collect();
    Ok(MinedDataset {
        messages,
        templates,
        truth,
    })
}

/// Mines a dataset ([`mine_dataset`]) and scores its templates against the labels.
///
/// # Errors
/// As [`mine_dataset`].
pub fn score_dataset(
    dataset: &LoghubDataset,
    mode: &HeaderMode,
    config: &MinerConfig,
) -> Result<DatasetScore, Error> {
    let mined = mine_dataset(dataset, mode, config)?;
    let (ga, fga) = grouping_accuracy(&mined.truth, &mined.templates);
    let pa = parsing_accuracy(&mined.truth, &mined.templates);
    let distinct = |v: &[String]| v.iter().collect::<std::collections::HashSet<_>>().len();
    Ok(DatasetScore {
        name: dataset.name.clone(),
        lines: mined.templates.len(),
        ga,
        pa,
        fga,
        truth_templates: distinct(&mined.truth),
        mined_templates: distinct(&mined.templates),
    })
}

/// The header mode for a dataset when scoring "with given formats": Loghub's format when it
/// publishes one for the dataset, else automatic.
///
/// # Errors
/// [`Error::HeaderFormat`] if a built-in format failed to compile (a bug).
pub fn given_format(dataset: &str) -> Result<HeaderMode, Error> {
    Ok(match loghub_format(dataset) {
        Some(f) => HeaderMode::Format(HeaderFormat::parse(f)?),
        None => HeaderMode::Auto,
    })
}

fn read_templates(path: &Path) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(path)?;
    let mut rows = parse_csv(&text).into_iter();
    let header = rows.next().unwrap_or_default();
    let col = header
        .iter()
        .position(|h| h == "EventTemplate")
        .ok_or_else(|| {
            Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: no EventTemplate column", path.display()),
            ))
        })?;
    Ok(rows
        .filter(|r| !(r.len() == 1 && r[0].is_empty()))
        .map(|mut r| {
            if col < r.len() {
                r.swap_remove(col)
            } else {
                String::new()
            }
        })
        .collect())
}

/// RFC 4180 CSV: quoted fields, `""` escapes, newlines inside quotes, `\r\n` or `\n` rows.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_escapes() {
        let rows = parse_csv("a,b\r\n1,\"x, \"\"y\"\"\"\n2,\n");
        assert_eq!(rows, [vec!["a", "b"], vec!["1", "x, \"y\""], vec!["2", ""]]);
    }

    #[test]
    fn metrics_follow_loghub() {
        let truth = ["A", "A", "B", "B", "C"];
        let parsed = ["A", "A", "B", "X", "C"];
        let (ga, fga) = grouping_accuracy(&truth, &parsed);
        assert!((ga - 0.6).abs() < 1e-12);
        // correct groups: A, C. precision 2/4, recall 2/3.
        let (p, r) = (0.5, 2.0 / 3.0);
        assert!((fga - 2.0 * p * r / (p + r)).abs() < 1e-12);
        assert!((parsing_accuracy(&truth, &parsed) - 0.8).abs() < 1e-12);
        // Empty labels are dropped from grouping.
        let (ga, _) = grouping_accuracy(&["", "A"], &["x", "y"]);
        assert_eq!(ga, 1.0);
    }

    #[test]
    fn formats_compile() {
        for d in ["HDFS", "HealthApp", "Linux", "OpenStack"] {
            assert!(matches!(given_format(d), Ok(HeaderMode::Format(_))), "{d}");
        }
        assert!(matches!(given_format("Other"), Ok(HeaderMode::Auto)));
    }
}
