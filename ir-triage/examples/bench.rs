//! One-run benchmark on generated logs (written to a temporary directory, removed afterwards):
//!
//! 1. scan time of the runbook's error set over a ≥ 200 MB file ÷ `rg -c -i 'error|exception|fail'`
//!    on the same file (warm page cache, best of three each; the counts must agree);
//! 2. mining throughput on one core, in lines per second (header extraction + mining, and
//!    mining alone on messages already cut);
//! 3. peak memory (VmHWM from `/proc/self/status`) of a child process that triages a 1 GB file,
//!    mining every line, and of one mining a flood of 3 million random-word messages (the
//!    signature cap and its eviction at work).
//!
//! Times are best of several runs, as wall time and as time on a CPU (`/proc/thread-self/
//! schedstat` for this process, `/usr/bin/time` user+sys for rg), as a shared machine makes
//! wall time noisy.
//!
//! ```text
//! cargo run --release -p ir-triage --example bench [-- --scan-mb 200 --peak-mb 1024]
//! cargo run --release -p ir-triage --example bench -- --generate FILE MB   # only write the file
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use ir_triage::{
    DiffPolicy, HeaderMode, LineReader, Miner, MinerConfig, PatternSet, Scanner, Triage, Window,
    extract_auto,
};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A Next.js-on-Railway-like mix: mostly access and info lines, a few percent errors.
fn write_line(rng: &mut Rng, i: u64, out: &mut impl Write) -> io::Result<()> {
    let (h, m, s, ms) = (
        (i / 3_600_000) % 24,
        (i / 60_000) % 60,
        (i / 1000) % 60,
        i % 1000,
    );
    let ts = format!("2026-02-08T{h:02}:{m:02}:{s:02}.{ms:03}Z");
    let r = rng.below(1000);
    let id = rng.next();
    match r {
        0..=549 => writeln!(
            out,
            "{ts} INFO GET /api/items/{} 200 in {}ms user={:x} region=us-west1",
            id % 100_000,
            id % 900,
            id
        ),
        550..=749 => writeln!(
            out,
            "{ts} INFO POST /api/orders 201 in {}ms order_id={} items={}",
            id % 1500,
            id % 10_000_000,
            id % 9
        ),
        750..=879 => writeln!(
            out,
            "{ts} DEBUG cache hit key=session:{:x} ttl={}s",
            id,
            id % 3600
        ),
        880..=939 => writeln!(
            out,
            "{ts} WARN slow query took {}ms: SELECT * FROM items WHERE id = {}",
            id % 5000,
            id % 100_000
        ),
        940..=959 => writeln!(
            out,
            "{ts} ERROR timeout exceeded when trying to connect to 10.0.{}.{}:6432",
            id % 255,
            id % 200
        ),
        960..=974 => writeln!(
            out,
            "{ts} ERROR Error: Cannot find module '/app/.next/server/chunks/{}.js'",
            id % 5000
        ),
        975..=984 => writeln!(
            out,
            "{ts} ERROR [next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret"
        ),
        985..=994 => writeln!(
            out,
            "{ts} WARN request {:x}-{:x} failed with status {} after {} retries",
            id,
            id >> 7,
            500 + id % 4,
            id % 5
        ),
        _ => writeln!(
            out,
            "{ts} INFO worker {} exited with code 0, restarting",
            id % 16
        ),
    }
}

fn generate(path: &Path, bytes: u64) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut written = 0u64;
    let mut i = 0u64;
    let mut line = Vec::with_capacity(256);
    while written < bytes {
        line.clear();
        write_line(&mut rng, i, &mut line)?;
        out.write_all(&line)?;
        written += line.len() as u64;
        i += 1;
    }
    out.flush()?;
    Ok(i)
}

/// Time this thread has spent on a CPU (`/proc/thread-self/schedstat`), so figures hold up on a
/// busy machine where wall time does not.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Best of `n` runs: (wall, cpu, value), the minimum of each.
fn best_of<T>(
    n: usize,
    mut f: impl FnMut() -> io::Result<T>,
) -> io::Result<(Duration, Duration, T)> {
    let mut best: Option<(Duration, Duration, T)> = None;
    for _ in 0..n {
        let (start, cpu) = (Instant::now(), cpu_time());
        let v = f()?;
        let (d, c) = (start.elapsed(), cpu_time() - cpu);
        best = Some(match best {
            None => (d, c, v),
            Some((bd, bc, bv)) => (bd.min(d), bc.min(c), if d < bd { v } else { bv }),
        });
    }
    best.ok_or_else(|| io::Error::other("no runs"))
}

/// `rg -c -i 'error|exception|fail' FILE` under `/usr/bin/time`: (wall, user+sys, count).
fn rg_once(file: &Path) -> io::Result<(Duration, Option<Duration>, u64)> {
    let timed = Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%U %S", "rg"]);
        c
    } else {
        Command::new("rg")
    };
    cmd.args(["-c", "-i", "error|exception|fail"]).arg(file);
    let start = Instant::now();
    let out = cmd.output()?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    let count = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let cpu = timed
        .then(|| {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last()?.to_owned();
            let mut it = last.split_whitespace().map(|x| x.parse::<f64>().ok());
            Some(Duration::from_secs_f64(it.next()?? + it.next()??))
        })
        .flatten();
    Ok((wall, cpu, count))
}

fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: triage a whole file mining every line, then report VmHWM.
fn child(path: &Path) -> io::Result<()> {
    let mut t = Triage::new(MinerConfig::default(), HeaderMode::Auto);
    let mut reader = LineReader::new(File::open(path)?);
    let mut lines = 0u64;
    while let Some(line) = reader.next_line()? {
        let window = if lines % 2 == 0 {
            Window::Baseline
        } else {
            Window::Incident
        };
        t.observe(window, line.number, &line.text());
        lines += 1;
    }
    let diff = t.diff(&DiffPolicy::default());
    println!(
        "child: {lines} lines, {} signatures, {} top, VmHWM {} kB",
        t.miner().len(),
        diff.top.len(),
        vm_hwm_kb().unwrap_or(0)
    );
    Ok(())
}

/// The worst case for memory: a flood of 3 million messages made of random words, nearly every
/// one a new signature, so the miner lives at its signature cap, evicting.
fn child_flood() -> io::Result<()> {
    let mut t = Triage::new(MinerConfig::default(), HeaderMode::None);
    let mut rng = Rng(42);
    let mut line = String::new();
    for i in 0..3_000_000u64 {
        line.clear();
        for _ in 0..(4 + rng.below(12)) {
            let len = 3 + rng.below(8);
            for _ in 0..len {
                line.push(char::from(b'a' + rng.below(26) as u8));
            }
            line.push(' ');
        }
        t.observe(
            if i % 2 == 0 {
                Window::Baseline
            } else {
                Window::Incident
            },
            i,
            &line,
        );
    }
    println!(
        "flood child: 3000000 lines, {} signatures held, {} evicted, VmHWM {} kB",
        t.miner().len(),
        t.miner().evicted(),
        vm_hwm_kb().unwrap_or(0)
    );
    Ok(())
}

/// Mining throughput on real, more varied messages: the loghub2k samples (if present), header
/// extraction included, each file mined 50 times over by a fresh miner.
fn loghub_throughput() -> io::Result<()> {
    let dir = std::env::var_os("IR_LOGHUB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/loghub2k")
        });
    let Ok(datasets) = ir_triage::find_datasets(&dir) else {
        println!(
            "loghub throughput: NOT RUN, no datasets in {}",
            dir.display()
        );
        return Ok(());
    };
    let mut lines = Vec::new();
    for d in &datasets {
        let mut reader = LineReader::new(File::open(&d.log)?);
        while let Some(l) = reader.next_line()? {
            lines.push(l.text().into_owned());
        }
    }
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut signatures = 0;
    for _ in 0..50 {
        let mut miner = Miner::new(MinerConfig::default());
        for l in &lines {
            miner.add(&extract_auto(l).message);
        }
        signatures = miner.len();
    }
    let (wall, cpu) = (start.elapsed(), cpu_time() - cpu);
    let n = (lines.len() * 50) as f64;
    println!(
        "mining loghub2k ({} datasets, {} lines x 50, {signatures} signatures), header + mining: {:.2} M lines/s wall, {:.2} M lines/cpu-s",
        datasets.len(),
        lines.len(),
        n / wall.as_secs_f64() / 1e6,
        n / cpu.as_secs_f64() / 1e6
    );
    Ok(())
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let path = args
            .get(i + 1)
            .ok_or_else(|| io::Error::other("--child FILE"))?;
        return child(Path::new(path));
    }
    if args.iter().any(|a| a == "--child-flood") {
        return child_flood();
    }
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        let path = args
            .get(i + 1)
            .ok_or_else(|| io::Error::other("--generate FILE MB"))?;
        let mb = args
            .get(i + 2)
            .and_then(|m| m.parse().ok())
            .unwrap_or(200u64);
        let lines = generate(Path::new(path), mb << 20)?;
        println!("{path}: {lines} lines");
        return Ok(());
    }
    let scan_mb = arg("--scan-mb", 200);
    let peak_mb = arg("--peak-mb", 1024);
    let dir: PathBuf = std::env::temp_dir().join(format!("ir-triage-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench(&dir, scan_mb, peak_mb);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench(dir: &Path, scan_mb: u64, peak_mb: u64) -> io::Result<()> {
    // 1. Scan vs ripgrep.
    let file = dir.join("scan.log");
    let lines = generate(&file, scan_mb << 20)?;
    let size = std::fs::metadata(&file)?.len();
    println!(
        "generated {} ({} MB, {lines} lines)",
        file.display(),
        size >> 20
    );
    std::fs::read(&file).map(drop)?; // warm the page cache
    let scanner = Scanner::new(&[PatternSet::errors()]).map_err(io::Error::other)?;
    let (scan_time, scan_cpu, stats) = best_of(5, || scanner.count(File::open(&file)?))?;
    println!(
        "ir-triage Scanner::count, errors set: {:.3} s wall, {:.3} s cpu ({:.0} MB/s wall), {} of {lines} lines match",
        scan_time.as_secs_f64(),
        scan_cpu.as_secs_f64(),
        size as f64 / 1e6 / scan_time.as_secs_f64(),
        stats.matched_lines,
    );
    let all = Scanner::new(&PatternSet::defaults()).map_err(io::Error::other)?;
    let (numbered_time, numbered_cpu, numbered) =
        best_of(3, || all.scan(File::open(&file)?, |_| {}))?;
    println!(
        "ir-triage Scanner::scan, all five default sets, numbering lines: {:.3} s wall, {:.3} s cpu, {} lines match",
        numbered_time.as_secs_f64(),
        numbered_cpu.as_secs_f64(),
        numbered.matched_lines
    );
    let mut rg: Option<(Duration, Option<Duration>, u64)> = None;
    for _ in 0..5 {
        match rg_once(&file) {
            Ok((w, c, n)) => {
                let cpu = match (rg.as_ref().and_then(|r| r.1), c) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let wall = rg.as_ref().map_or(w, |r| r.0.min(w));
                rg = Some((wall, cpu, n));
            }
            Err(e) => {
                println!(
                    "rg not run ({e}): install ripgrep (apt-get install -y ripgrep) for the ratio"
                );
                break;
            }
        }
    }
    if let Some((rg_wall, rg_cpu, rg_count)) = rg {
        let same = if rg_count == stats.matched_lines {
            " (same count)"
        } else {
            " (COUNTS DIFFER)"
        };
        let cpu = rg_cpu.map_or("?".to_owned(), |c| format!("{:.3} s", c.as_secs_f64()));
        println!(
            "rg -c -i 'error|exception|fail': {:.3} s wall, {cpu} cpu, {rg_count} lines{same}",
            rg_wall.as_secs_f64()
        );
        let cpu_ratio = rg_cpu.map_or("?".to_owned(), |c| {
            format!("{:.2}", scan_cpu.as_secs_f64() / c.as_secs_f64())
        });
        println!(
            "scan time / rg time = {:.2} wall, {cpu_ratio} cpu",
            scan_time.as_secs_f64() / rg_wall.as_secs_f64()
        );
    }

    // 2. Mining throughput, one core.
    let mut reader = LineReader::new(File::open(&file)?);
    let mut raw = Vec::new();
    while let Some(line) = reader.next_line()? {
        if raw.len() == 2_000_000 {
            break;
        }
        raw.push(line.text().into_owned());
    }
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut miner = Miner::new(MinerConfig::default());
    for l in &raw {
        let m = extract_auto(l).message;
        miner.add(&m);
    }
    let (end_to_end, end_to_end_cpu) = (start.elapsed(), cpu_time() - cpu);
    let messages: Vec<String> = raw
        .iter()
        .map(|l| extract_auto(l).message.into_owned())
        .collect();
    drop(raw);
    let (start, cpu) = (Instant::now(), cpu_time());
    let mut miner = Miner::new(MinerConfig::default());
    for m in &messages {
        miner.add(m);
    }
    let (mining, mining_cpu) = (start.elapsed(), cpu_time() - cpu);
    let n = messages.len() as f64;
    let rate = |d: Duration| n / d.as_secs_f64() / 1e6;
    println!(
        "mining, one thread: header + mining {:.2} M lines/s wall, {:.2} M lines/cpu-s; mining alone {:.2} M lines/s wall, {:.2} M lines/cpu-s ({} lines, {} signatures)",
        rate(end_to_end),
        rate(end_to_end_cpu),
        rate(mining),
        rate(mining_cpu),
        messages.len(),
        miner.len()
    );
    drop(messages);
    std::fs::remove_file(&file)?;
    loghub_throughput()?;

    // 3. Peak memory of a child triaging a 1 GB file.
    let big = dir.join("peak.log");
    generate(&big, peak_mb << 20)?;
    let size = std::fs::metadata(&big)?.len();
    let exe = std::env::current_exe()?;
    let start = Instant::now();
    let out = Command::new(exe).arg("--child").arg(&big).output()?;
    println!(
        "peak memory for a {} MB input (child, every line mined, {:.1} s): {}",
        size >> 20,
        start.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    if !out.status.success() {
        println!(
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    std::fs::remove_file(&big)?;
    let start = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .arg("--child-flood")
        .output()?;
    println!(
        "peak memory under a flood of new signatures ({:.1} s): {}",
        start.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}
