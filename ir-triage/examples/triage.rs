//! Triages a log file or stdin: the error lines (the runbook's pattern sets) are mined into
//! signatures and printed as a ranked table of new, spiking and top signatures, against an
//! optional baseline (e.g. the logs before the last deployment).
//!
//! ```text
//! cargo run --release -p ir-triage --example triage -- [--baseline BEFORE.log] [--all] [AFTER.log | -]
//! railway logs --service <id> | cargo run --release -p ir-triage --example triage
//! ```
//! `--all` mines every line, not only those matching a pattern set. A progress line goes to
//! stderr every million lines.

use std::fs::File;
use std::io::{self, Read};
use std::process::ExitCode;

use ir_triage::{Change, DiffPolicy, HeaderMode, MinerConfig, PatternSet, Scanner, Triage, Window};

struct Args {
    baseline: Option<String>,
    input: Option<String>,
    all: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        baseline: None,
        input: None,
        all: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--baseline" => args.baseline = Some(it.next().ok_or("--baseline needs a file")?),
            "--all" => args.all = true,
            "-h" | "--help" => {
                return Err("usage: triage [--baseline BEFORE.log] [--all] [AFTER.log | -]".into());
            }
            "-" => args.input = None,
            _ => args.input = Some(a),
        }
    }
    Ok(args)
}

fn open(path: Option<&str>) -> io::Result<Box<dyn Read>> {
    Ok(match path {
        None | Some("-") => Box::new(io::stdin().lock()),
        Some(p) => Box::new(File::open(p)?),
    })
}

fn feed(
    t: &mut Triage,
    scanner: &Scanner,
    all: bool,
    window: Window,
    input: Box<dyn Read>,
) -> io::Result<u64> {
    let mut fed = 0u64;
    let progress = |n: u64| {
        if n % 1_000_000 == 0 {
            eprint!("\r{window:?}: {} M lines read", n / 1_000_000);
        }
    };
    if all {
        let mut reader = ir_triage::LineReader::new(input);
        while let Some(line) = reader.next_line()? {
            let number = line.number;
            t.observe(window, number, &line.text());
            fed += 1;
            progress(number);
        }
        if reader.stats().lines >= 1_000_000 {
            eprintln!();
        }
    } else {
        let stats = scanner.scan(input, |m| {
            t.observe(window, m.line.number, &m.line.text());
            fed += 1;
            progress(m.line.number);
        })?;
        let lines = stats.lines.unwrap_or(0);
        if lines >= 1_000_000 {
            eprintln!(
                "\r{window:?}: {lines} lines read, {} matched",
                stats.matched_lines
            );
        }
    }
    Ok(fed)
}

fn row(kind: &str, c: &Change) {
    let ratio = c.ratio.map_or("-".to_owned(), |r| format!("x{r:.1}"));
    let example = c
        .incident
        .as_ref()
        .or(c.baseline.as_ref())
        .map_or("", |s| s.example.as_str());
    let (first, last) = c
        .incident
        .as_ref()
        .or(c.baseline.as_ref())
        .map_or((0, 0), |s| (s.first_seen, s.last_seen));
    println!(
        "{kind:<8} {:>8} {:>8} {:>7} {:>9} {:>9}  {}",
        c.baseline_count(),
        c.incident_count(),
        ratio,
        first,
        last,
        truncate(&c.template, 100)
    );
    println!("{:<8} e.g. {}", "", truncate(example, 120));
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n).chain("…".chars()).collect()
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let scanner = match Scanner::new(&PatternSet::defaults()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut t = Triage::new(MinerConfig::default(), HeaderMode::Auto);
    let mut run = || -> io::Result<(u64, u64)> {
        let b = match &args.baseline {
            Some(p) => feed(&mut t, &scanner, args.all, Window::Baseline, open(Some(p))?)?,
            None => 0,
        };
        let i = feed(
            &mut t,
            &scanner,
            args.all,
            Window::Incident,
            open(args.input.as_deref())?,
        )?;
        Ok((b, i))
    };
    let (b, i) = match run() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("reading the logs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let diff = t.diff(&DiffPolicy::default());
    println!(
        "{b} baseline and {i} incident lines mined into {} signatures",
        t.miner().len()
    );
    println!(
        "{:<8} {:>8} {:>8} {:>7} {:>9} {:>9}  template",
        "kind", "before", "after", "ratio", "first", "last"
    );
    if args.baseline.is_some() {
        diff.new.iter().take(20).for_each(|c| row("NEW", c));
        diff.spiking.iter().take(20).for_each(|c| row("SPIKING", c));
    }
    diff.top.iter().take(20).for_each(|c| row("TOP", c));
    if args.baseline.is_some() {
        diff.vanished
            .iter()
            .take(10)
            .for_each(|c| row("VANISHED", c));
    }
    ExitCode::SUCCESS
}
