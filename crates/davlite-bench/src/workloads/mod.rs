//! Runs the configured workloads in order against one session, preparing what each needs
//! (objects to read, ETags to match) outside its measurement.

mod conflict;
mod mixed;
mod plot;
mod reads;
mod sync;
mod writes;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::runner::{Schedule, run_parallel};
use crate::session::Session;
use crate::stats::{Report, WorkloadReport};
use crate::{BenchError, Config, Workload, objects, xml};

/// Runs every workload of `cfg`; `each` sees each report as soon as it is complete.
pub async fn run_all(
    cfg: &Config,
    mut each: impl FnMut(&WorkloadReport),
) -> Result<Report, BenchError> {
    let mut s = Session::open(cfg).await?;
    let mut report = Report::default();
    for &w in &cfg.workloads {
        let r = run_one(&mut s, cfg, w).await?;
        each(&r);
        report.workloads.push(r);
    }
    if !cfg.keep {
        s.cleanup().await?;
    }
    Ok(report)
}

fn schedule(cfg: &Config, w: Workload, total: u64) -> Schedule {
    Schedule {
        label: w.name().to_string(),
        concurrency: cfg.concurrency.max(1),
        total,
        budget: (!w.per_object()).then_some(cfg.max_time),
        progress: cfg.progress,
    }
}

/// Brings the calendar to at least `cfg.objects` objects of this run (not measured).
async fn ensure_objects(
    s: &mut Session,
    cfg: &Config,
    notes: &mut Vec<String>,
) -> Result<(), BenchError> {
    let have = s.objects.lock().expect("objects lock").len() as u64;
    if have < cfg.objects {
        let missing = cfg.objects - have;
        let plan = Arc::new(writes::Create {
            objects: s.objects.clone(),
            cal: s.cal_path.clone(),
            prefix: s.prefix.clone(),
            seed: s.seed,
            base: s.next_index,
        });
        let mut sched = schedule(cfg, Workload::Create, missing);
        sched.label = "setup: create".into();
        let (rec, _, _) = run_parallel(plan, s.target.clone(), &sched).await;
        s.next_index += missing;
        notes.push(format!(
            "setup created {} objects first ({} errors)",
            rec.ok,
            rec.error_count()
        ));
        if rec.ok == 0 {
            return Err(BenchError::Setup(format!(
                "could not create objects: {:?}",
                rec.error_examples
            )));
        }
    }
    s.ensure_etags().await
}

fn paths(s: &Session) -> Arc<Vec<String>> {
    Arc::new(
        s.objects
            .lock()
            .expect("objects lock")
            .iter()
            .map(|o| o.path.clone())
            .collect(),
    )
}

async fn run_one(s: &mut Session, cfg: &Config, w: Workload) -> Result<WorkloadReport, BenchError> {
    let mut notes = Vec::new();
    let needs_objects = !matches!(
        w,
        Workload::Create | Workload::Conflict | Workload::VcardCreate | Workload::GetUrl
    );
    if needs_objects {
        ensure_objects(s, cfg, &mut notes).await?;
    }
    let n = s.objects.lock().expect("objects lock").len();
    let members = n + s.baseline as usize;
    let iterations = cfg.iterations.max(cfg.concurrency as u64);
    let ops = cfg.ops.unwrap_or(cfg.objects).max(1);
    let t = s.target.clone();
    let cpu_before = process_cpu();
    let (rec, elapsed, conflict) = match w {
        Workload::Create => {
            let plan = writes::Create {
                objects: s.objects.clone(),
                cal: s.cal_path.clone(),
                prefix: s.prefix.clone(),
                seed: s.seed,
                base: s.next_index,
            };
            s.next_index += cfg.objects;
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, cfg.objects)).await;
            (r, e, None)
        }
        Workload::Update => {
            let plan = writes::Update {
                objects: s.objects.clone(),
                seed: s.seed,
                len: n,
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, ops)).await;
            (r, e, None)
        }
        Workload::Get => {
            let (r, e, _) = run_parallel(
                Arc::new(reads::Get { paths: paths(s) }),
                t,
                &schedule(cfg, w, ops),
            )
            .await;
            (r, e, None)
        }
        Workload::GetUrl => {
            let path = crate::http::Target::parse(&cfg.url, None, None)?.1;
            let path = if cfg.url.ends_with('/') {
                path
            } else {
                path.trim_end_matches('/').to_string()
            };
            let (r, e, _) =
                run_parallel(Arc::new(reads::GetUrl { path }), t, &schedule(cfg, w, ops)).await;
            (r, e, None)
        }
        Workload::PropfindDepth1 => {
            let plan = reads::Propfind {
                cal: s.cal_path.clone(),
                expected: members,
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, iterations)).await;
            (r, e, None)
        }
        Workload::Multiget100 => {
            let plan = reads::Multiget {
                cal: s.cal_path.clone(),
                paths: paths(s),
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, iterations)).await;
            (r, e, None)
        }
        Workload::QueryWeek => {
            let expected = (s.baseline == 0)
                .then(|| expected_week(&s.objects.lock().expect("objects lock"), s.seed));
            if expected.is_none() {
                notes.push("collection held other objects: answers not checked".into());
            }
            let start = objects::date_str(objects::QUERY_WEEK_START_DAY) + "T000000Z";
            let end = objects::date_str(objects::QUERY_WEEK_START_DAY + 7) + "T000000Z";
            if let Some(e) = &expected {
                notes.push(format!("{} of {n} objects expected in the week", e.len()));
            }
            let plan = reads::QueryWeek {
                cal: s.cal_path.clone(),
                body: xml::calendar_query(&start, &end),
                expected,
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, iterations)).await;
            (r, e, None)
        }
        Workload::SyncInitial => {
            let plan = sync::SyncInitial {
                cal: s.cal_path.clone(),
                expected: members,
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, iterations)).await;
            (r, e, None)
        }
        Workload::SyncIncremental10 => {
            let plan = sync::SyncIncremental::new(
                s.cal_path.clone(),
                s.objects.clone(),
                s.seed,
                n,
                cfg.concurrency,
            );
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, iterations)).await;
            (r, e, None)
        }
        Workload::Delete => {
            let all = paths(s).to_vec();
            let total = all.len() as u64;
            let plan = Arc::new(writes::Delete {
                paths: all,
                deleted: Mutex::new(HashSet::new()),
            });
            let (r, e, _) = run_parallel(plan.clone(), t, &schedule(cfg, w, total)).await;
            let deleted = plan.deleted.lock().expect("deleted lock").clone();
            s.objects
                .lock()
                .expect("objects lock")
                .retain(|o| !deleted.contains(&o.path));
            (r, e, None)
        }
        Workload::VcardCreate => {
            let book = s
                .card_path
                .clone()
                .ok_or_else(|| BenchError::Setup("no address book".into()))?;
            let plan = writes::VcardCreate {
                book,
                prefix: s.prefix.clone(),
                seed: s.seed,
            };
            let (r, e, _) = run_parallel(Arc::new(plan), t, &schedule(cfg, w, cfg.objects)).await;
            (r, e, None)
        }
        Workload::Mixed => {
            let plan = Arc::new(mixed::Mixed::new(
                s.cal_path.clone(),
                s.objects.clone(),
                s.prefix.clone(),
                s.seed,
                s.next_index,
                cfg.concurrency,
                cfg.interval,
            ));
            let sampler = cfg
                .footprint_pid
                .map(|pid| mixed::spawn_rss_sampler(plan.clone(), pid));
            let mut sched = schedule(cfg, w, u64::MAX);
            sched.budget = Some(cfg.duration.unwrap_or(cfg.max_time));
            let (r, e, _) = run_parallel(plan.clone(), t, &sched).await;
            if let Some(h) = sampler {
                h.abort();
            }
            s.next_index += plan.used_indexes();
            let rows = plan.rows(e);
            notes.extend(mixed::verdicts(&rows));
            for row in &rows {
                notes.push(format!(
                    "t={:>5.0}s {:>8.1} ops/s p50 {:>7.2} ms p99 {:>7.2} ms errors {}{}",
                    row.start_s,
                    row.ops_per_sec,
                    row.p50_ms,
                    row.p99_ms,
                    row.errors,
                    row.rss_kib
                        .map(|k| format!(" server RSS {:.1} MiB", k as f64 / 1024.0))
                        .unwrap_or_default()
                ));
            }
            if let Some(path) = &cfg.timeline {
                std::fs::write(path, mixed::timeline_csv(&rows))
                    .map_err(|e| BenchError::Usage(format!("writing {}: {e}", path.display())))?;
                // The chart goes beside the CSV.
                let svg = path.with_extension("svg");
                let title = format!(
                    "davlite bench mixed: {} clients, {} objects",
                    cfg.concurrency, cfg.objects
                );
                plot::soak_svg(&rows, &title, &svg)
                    .map_err(|e| BenchError::Usage(format!("drawing {}: {e}", svg.display())))?;
            }
            (r, e, None)
        }
        Workload::Conflict => {
            let writers = cfg.concurrency.max(2);
            if cfg.concurrency < 2 {
                notes.push("conflict needs rivals: ran with 2 writers".into());
            }
            let (r, e, c) = conflict::run(
                t,
                &s.cal_path,
                &s.prefix,
                s.seed,
                writers,
                cfg.rounds,
                &s.objects,
            )
            .await;
            (r, e, Some(c))
        }
    };
    let objects = if matches!(
        w,
        Workload::Create | Workload::Delete | Workload::VcardCreate
    ) {
        rec.samples.len() as u64
    } else {
        n as u64
    };
    let mut report =
        WorkloadReport::from_recorder(w.name(), objects, cfg.concurrency.max(1), rec, elapsed);
    report.conflict = conflict;
    report.notes = notes;
    report.client_cpu = cpu_before
        .zip(process_cpu())
        .map(|(a, b)| b.saturating_sub(a));
    if w == Workload::Create {
        if let (Some(pid), Some(dir)) = (cfg.footprint_pid, &cfg.footprint_dir) {
            report.footprint = footprint(pid, dir);
        }
    }
    Ok(report)
}

/// CPU time (user + system) this process has used: the driver's own cost, reported so that a
/// reader can see it was not the bottleneck. Linux's USER_HZ is 100 on every architecture.
fn process_cpu() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// Paths of the objects whose instances fall in the queried week.
fn expected_week(objects: &[crate::session::Obj], seed: u64) -> HashSet<String> {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    objects
        .iter()
        .filter(|o| {
            seen.insert(&o.path, ()).is_none() && objects::query_week_matches(&o.generate(seed))
        })
        .map(|o| o.path.clone())
        .collect()
}

/// Resident memory (KiB, from `/proc/<pid>/status` `VmRSS`) and allocated bytes under `dir`.
pub fn footprint(pid: u32, dir: &Path) -> Option<(u64, u64)> {
    Some((resident_kib(pid)?, disk_usage(dir)))
}

/// Resident memory of process `pid` in KiB (/proc/<pid>/status VmRSS).
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn disk_usage(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            total += m.blocks() * 512;
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    #[test]
    fn footprint_of_this_process() {
        let dir = std::env::temp_dir().join(format!("davlite-bench-fp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/f"), vec![7u8; 100_000]).unwrap();
        let (rss, disk) = super::footprint(std::process::id(), &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(rss > 100, "rss {rss} KiB");
        assert!(disk >= 100_000, "disk {disk}");
    }

    #[test]
    fn process_cpu_advances_with_work() {
        let a = super::process_cpu().unwrap();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(200) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        let b = super::process_cpu().unwrap();
        assert!(b > a, "{a:?} -> {b:?} after {x} spins");
    }
}
