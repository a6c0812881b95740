//! `PgIncidentStore` against `pgbench` on the same server, in one run:
//!
//! 1. **Appends/s**: 16 writers (tasks sharing one store, a pool of 16 connections), each
//!    appending one event at a time to an incident of its own for 10 s, each append after the
//!    version the previous one returned. No conflicts: this is the store's own cost per append.
//! 2. **`pgbench -n -c 16 -j 2 -T 10 -f <script>`**, the script inserting one row of the same
//!    columns and the same JSON (the appended event, as the store writes it) into a scratch
//!    table: what the server does for one small jsonb insert per transaction.
//! 3. **The ratio**, appends/s ÷ pgbench's TPS.
//! 4. **`load` against `load_since`** on an incident of 100 events: reading the whole timeline
//!    and reading only the last event (a writer retrying after another wrote one).
//!
//! Everything lives in a scratch schema (`ir_bench_<random>`), dropped at the end.
//!
//! ```text
//! cargo bench -p ir-postgres --bench store [-- --seconds 10 --writers 16 --rounds 1]
//! ```
//!
//! `--pool N` gives the store a pool of N connections instead of one per writer (with fewer
//! connections than writers, writers queue for a connection: that measures the pool size, not
//! the store).
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it runs for a second of each, as a
//! smoke test, and its figures mean nothing.
//!
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`) names the server; the
//! role must be allowed to create a schema. `PGBENCH` names the `pgbench` binary (default:
//! `pgbench` on `PATH`, then `/usr/lib/postgresql/*/bin/pgbench`). With `--rounds N` the
//! store and pgbench alternate N times and the median ratio is printed too (a shared
//! machine is noisy).

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ir_core::incident::{Event, EventKind};
use ir_core::model::{Evidence, EvidenceId, EvidenceOutcome, IncidentId, Observation};
use ir_core::ports::IncidentStore;
use ir_postgres::{PgConfig, PgIncidentStore};
use secrecy::SecretString;
use sqlx::{ConnectOptions, Connection, Executor};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    seconds: u64,
    writers: usize,
    pool: Option<u32>,
    rounds: usize,
    /// Samples of each load, after 20 of warm-up.
    load_samples: usize,
}

fn args() -> BoxResult<Args> {
    let mut parsed = Args {
        seconds: 10,
        writers: 16,
        pool: None,
        rounds: 1,
        load_samples: 200,
    };
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this without it, and then
    // it is a smoke test: a second of each, to show it still works.
    let smoke = !std::env::args().any(|a| a == "--bench");
    if smoke {
        parsed.seconds = 1;
        parsed.load_samples = 20;
    }
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> BoxResult<u64> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            Ok(v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))?)
        };
        match arg.as_str() {
            "--seconds" => parsed.seconds = value("--seconds")?.max(1),
            "--writers" => parsed.writers = usize::try_from(value("--writers")?.max(1))?,
            "--pool" => parsed.pool = Some(u32::try_from(value("--pool")?.max(1))?),
            "--rounds" => parsed.rounds = usize::try_from(value("--rounds")?.max(1))?,
            // `--bench`, and test-harness arguments under `cargo test`.
            _ => {}
        }
    }
    Ok(parsed)
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// The event every writer appends: a piece of evidence, as the runner records a probe's answer.
fn event(writer: usize, n: u64) -> Event {
    let at = chrono::Utc::now();
    Event::new(
        at,
        "runner",
        EventKind::EvidenceCollected {
            evidence: Evidence {
                id: EvidenceId::new(format!("E{n}")),
                probe: "health".into(),
                source: "http".into(),
                collected_at: at,
                outcome: EvidenceOutcome::Observed {
                    observation: Observation::Text(format!(
                        "GET https://www.example.com/health answered 503 Service Unavailable in \
                         1843 ms (writer {writer}, round {n}): upstream connect error or \
                         disconnect/reset before headers"
                    )),
                },
            },
        },
    )
}

fn detected() -> Event {
    use ir_core::classify::{Reachability, Signals, classify};
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    Event::new(
        chrono::Utc::now(),
        "health-watcher",
        EventKind::detected(
            "Site down",
            "web",
            classify(&signals, &ir_core::SeverityPolicy::runbook()),
            None,
        ),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Appends {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// `writers` tasks, each appending one event at a time to its own incident for `seconds`.
async fn appends(store: &PgIncidentStore, writers: usize, seconds: u64) -> BoxResult<Appends> {
    let mut incidents = Vec::with_capacity(writers);
    for w in 0..writers {
        let opened = store
            .open(&format!("bench:{}:{w}", uuid::Uuid::new_v4()), detected())
            .await?;
        incidents.push(opened.id);
    }
    // Warm-up: every pooled connection opened and its statements prepared.
    write_for(store, &incidents, 1, Duration::from_millis(500)).await?;
    let started = Instant::now();
    let results = write_for(store, &incidents, 1, Duration::from_secs(seconds)).await?;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.into_iter().flatten().collect();
    latencies.sort_unstable();
    Ok(Appends {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    })
}

/// One task per incident, appending `batch` events per call until `duration` has passed;
/// each task's append latencies.
async fn write_for(
    store: &PgIncidentStore,
    incidents: &[IncidentId],
    batch: u64,
    duration: Duration,
) -> BoxResult<Vec<Vec<Duration>>> {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = incidents
        .iter()
        .enumerate()
        .map(|(w, &id)| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut version = store.load(id).await?.version();
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let events = (0..batch).map(|i| event(w, version + i)).collect();
                    let t = Instant::now();
                    version = store.append(id, version, events).await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, ir_core::Error>(latencies)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        all.push(task.await??);
    }
    Ok(all)
}

fn pgbench_binary() -> BoxResult<PathBuf> {
    if let Ok(path) = std::env::var("PGBENCH") {
        return Ok(PathBuf::from(path));
    }
    if Command::new("pgbench").arg("--version").output().is_ok() {
        return Ok(PathBuf::from("pgbench"));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin/pgbench"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| {
        "pgbench not found: set PGBENCH, or install it (`source scripts/lib/services.sh; \
         ensure_pgbench`, or Debian's postgresql-client)"
            .into()
    })
}

/// `pgbench -n -c <writers> -j 2 -T <seconds> -f <script>`, the script inserting one row like
/// an event row; pgbench's TPS (without initial connection time).
fn pgbench(
    url: &str,
    schema: &str,
    json: &str,
    writers: usize,
    seconds: u64,
    dir: &std::path::Path,
) -> BoxResult<f64> {
    let script = dir.join("insert_event.sql");
    std::fs::write(
        &script,
        format!(
            "INSERT INTO {schema}.pgbench_rows (at, actor, kind, event) \
             VALUES (now(), 'runner', 'evidence_collected', '{}'::jsonb);\n",
            json.replace('\'', "''")
        ),
    )?;
    let output = Command::new(pgbench_binary()?)
        .args(["-n", "-c", &writers.to_string(), "-j", "2", "-T"])
        .arg(seconds.to_string())
        .arg("-f")
        .arg(&script)
        .arg(url)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "pgbench failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    stdout
        .lines()
        .find_map(|line| {
            let rest = line.trim().strip_prefix("tps = ")?;
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
        .ok_or_else(|| format!("no `tps = ` line in pgbench's output: {stdout}").into())
}

struct Loads {
    load: Duration,
    load_since: Duration,
    events: usize,
}

/// Median of `load(id)` and of `load_since(id, 99)` on an incident of 100 events, over
/// `samples` calls of each.
async fn loads(store: &PgIncidentStore, samples: usize) -> BoxResult<Loads> {
    let opened = store
        .open(&format!("bench:load:{}", uuid::Uuid::new_v4()), detected())
        .await?;
    let events: Vec<Event> = (1..100).map(|n| event(0, n)).collect();
    let version = store.append(opened.id, 1, events).await?;
    assert_eq!(version, 100, "the incident holds 100 events");
    let time = |samples: &mut Vec<Duration>, t: Instant| samples.push(t.elapsed());
    let (mut full, mut tail) = (Vec::new(), Vec::new());
    for round in 0..samples + 20 {
        let t = Instant::now();
        let stored = store.load(opened.id).await?;
        if round >= 20 {
            time(&mut full, t);
        }
        assert_eq!(stored.version(), 100);
        let t = Instant::now();
        let since = store.load_since(opened.id, 99).await?;
        if round >= 20 {
            time(&mut tail, t);
        }
        assert_eq!(since.len(), 1);
    }
    full.sort_unstable();
    tail.sort_unstable();
    Ok(Loads {
        load: percentile(&full, 0.5),
        load_since: percentile(&tail, 0.5),
        events: 100,
    })
}

async fn run(args: &Args, url: &str, schema: &str, dir: &std::path::Path) -> BoxResult<()> {
    let config = PgConfig::builder(SecretString::from(url.to_owned()))
        .with_schema(schema)
        .with_application_name("ir-store-bench")
        .with_max_connections(match args.pool {
            Some(pool) => pool,
            None => u32::try_from(args.writers)?,
        })
        .build()?;
    let store = PgIncidentStore::connect(&config).await.map_err(|e| {
        format!(
            "{e} (DATABASE_URL={}; start the local server with `source scripts/lib/services.sh; \
             ensure_postgres`)",
            ir_core::redact::redact(url)
        )
    })?;
    let mut admin = url
        .parse::<sqlx::postgres::PgConnectOptions>()?
        .connect()
        .await?;
    let server: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut admin)
        .await?;
    let sync: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&mut admin)
        .await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE {schema}.pgbench_rows ( \
                 id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                 at timestamptz NOT NULL, actor text NOT NULL, kind text NOT NULL, \
                 event jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())"
        )))
        .await?;
    drop(admin.close().await);
    let json = serde_json::to_string(&event(0, 1))?;
    println!(
        "PostgreSQL {server} (synchronous_commit={sync}), {} CPUs; {} writers, a pool of {}, \
         {} s each; one event per append, {} bytes of JSON",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.writers,
        config.max_connections(),
        args.seconds,
        json.len()
    );

    let mut ratios = Vec::new();
    for round in 1..=args.rounds {
        let ours = appends(&store, args.writers, args.seconds).await?;
        let tps = pgbench(url, schema, &json, args.writers, args.seconds, dir)?;
        let ratio = ours.per_second / tps;
        ratios.push(ratio);
        println!(
            "round {round}: PgIncidentStore {:.0} appends/s (p50 {:.2} ms, p99 {:.2} ms); \
             pgbench -n -c {} -j 2 -T {} {:.0} TPS; ratio {ratio:.2}",
            ours.per_second,
            ms(ours.p50),
            ms(ours.p99),
            args.writers,
            args.seconds,
            tps
        );
    }
    if ratios.len() > 1 {
        ratios.sort_by(f64::total_cmp);
        let mid = ratios.len() / 2;
        let median = if ratios.len() % 2 == 0 {
            (ratios[mid - 1] + ratios[mid]) / 2.0
        } else {
            ratios[mid]
        };
        println!("median ratio {median:.2}");
    }

    let loads = loads(&store, args.load_samples).await?;
    println!(
        "{} events: load {:.2} ms, load_since(99) {:.2} ms (median of {})",
        loads.events,
        ms(loads.load),
        ms(loads.load_since),
        args.load_samples
    );
    Ok(())
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(()); // `cargo test -- --list`: no tests in here to list
    }
    let args = args()?;
    let url = database_url();
    let schema = format!("ir_bench_{}", uuid::Uuid::new_v4().simple());
    let dir = std::env::temp_dir().join(&schema);
    std::fs::create_dir_all(&dir)?;
    let result = run(&args, &url, &schema, &dir).await;
    // Clean up whatever happened.
    if let Ok(options) = url.parse::<sqlx::postgres::PgConnectOptions>()
        && let Ok(mut conn) = options.connect().await
    {
        let drop_schema = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        drop(conn.execute(sqlx::AssertSqlSafe(drop_schema)).await);
        drop(conn.close().await);
    }
    drop(std::fs::remove_dir_all(&dir));
    result
}
