//! C writers create the same UID at the same instant, alternately at one href (If-None-Match: *
//! must let exactly one through: the others get 412) and at C different hrefs (the UID must
//! stay unique in the collection: the others get 403 no-uid-conflict, RFC 4791 §5.3.2.1).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Barrier;

use crate::http::{Req, Target};
use crate::objects;
use crate::runner::Worker;
use crate::session::Obj;
use crate::stats::{ConflictOutcome, Recorder};
use crate::workloads::writes::ICS;

/// What one writer got in one round.
struct Attempt {
    round: u64,
    path: String,
    status: Option<u16>,
    etag: Option<String>,
}

/// Losers' acceptable answers: 412 at the same href; at different hrefs 403 (the CalDAV
/// precondition), or 409/412 which some servers use for the same refusal.
fn loser_ok(same_href: bool, status: u16) -> bool {
    if same_href {
        status == 412
    } else {
        matches!(status, 403 | 409 | 412)
    }
}

pub async fn run(
    target: Arc<Target>,
    cal: &str,
    prefix: &Arc<str>,
    seed: u64,
    writers: usize,
    rounds: u64,
    objects: &Mutex<Vec<Obj>>,
) -> (Recorder, std::time::Duration, ConflictOutcome) {
    let barrier = Arc::new(Barrier::new(writers));
    let family: Arc<str> = format!("{prefix}-conflict").into();
    let mut workers = Vec::new();
    for id in 0..writers {
        let mut w = Worker::new(id, target.clone());
        if let Err(e) = w.conn.connect().await {
            w.rec.error("connect", || e);
        }
        workers.push(w);
    }
    let start = Instant::now();
    let mut handles = Vec::new();
    for mut w in workers {
        let (barrier, family, cal) = (barrier.clone(), family.clone(), cal.to_string());
        handles.push(tokio::spawn(async move {
            let mut attempts = Vec::new();
            for round in 0..rounds {
                let o = objects::calendar_object(seed, round, &family, 0);
                let same = round % 2 == 0;
                let path = if same {
                    format!("{cal}{}.ics", o.uid)
                } else {
                    format!("{cal}{}-w{}.ics", o.uid, w.id)
                };
                let req = Req::new("PUT", &path)
                    .header("if-none-match", "*")
                    .body(ICS, o.body);
                barrier.wait().await;
                let t = Instant::now();
                let r = w.conn.send(&req).await;
                w.rec.samples.push(t.elapsed().as_nanos() as u64);
                w.rec.bytes_sent += req.body.len() as u64;
                let (status, etag) = match r {
                    Ok(r) => {
                        w.rec.bytes_received += r.body.len() as u64;
                        (Some(r.status), r.etag)
                    }
                    Err(e) => {
                        w.rec.error("PUT transport", || e);
                        (None, None)
                    }
                };
                attempts.push(Attempt {
                    round,
                    path,
                    status,
                    etag,
                });
            }
            (w.rec, attempts)
        }));
    }
    let mut rec = Recorder::default();
    let mut all = Vec::new();
    for h in handles {
        match h.await {
            Ok((r, a)) => {
                rec.merge(r);
                all.extend(a);
            }
            Err(e) => rec.error("worker panicked", || e.to_string()),
        }
    }
    let elapsed = start.elapsed();
    let mut out = ConflictOutcome::default();
    for round in 0..rounds {
        let same = round % 2 == 0;
        if same {
            out.rounds_same_href += 1
        } else {
            out.rounds_different_href += 1
        }
        let mine: Vec<&Attempt> = all.iter().filter(|a| a.round == round).collect();
        let winners: Vec<&&Attempt> = mine
            .iter()
            .filter(|a| a.status.is_some_and(|s| (200..300).contains(&s)))
            .collect();
        match winners.len() {
            1 => out.exactly_one_winner += 1,
            0 => {
                out.no_winner += 1;
                rec.error("conflict round without a winner", || {
                    format!("round {round}")
                });
            }
            n => {
                out.several_winners += 1;
                rec.error("conflict round with several winners", || {
                    format!("round {round}: {n} writers got 2xx")
                });
            }
        }
        for a in &mine {
            let Some(s) = a.status else { continue };
            if (200..300).contains(&s) {
                if s == 201 {
                    rec.ok += 1;
                } else {
                    rec.error(format!("PUT {s}"), || {
                        format!("{}: a create answered {s}, not 201", a.path)
                    });
                }
                let index = round;
                objects.lock().expect("objects lock").push(Obj {
                    prefix: family.clone(),
                    index,
                    path: a.path.clone(),
                    etag: a.etag.clone(),
                    revision: 0,
                });
            } else {
                *out.loser_statuses.entry(s).or_default() += 1;
                if loser_ok(same, s) {
                    rec.ok += 1;
                } else {
                    rec.error(format!("PUT {s}"), || {
                        format!(
                            "{}: unexpected refusal {s} ({})",
                            a.path,
                            if same { "same href" } else { "different hrefs" }
                        )
                    });
                }
            }
        }
    }
    (rec, elapsed, out)
}

#[cfg(test)]
mod tests {
    use super::loser_ok;

    #[test]
    fn loser_statuses() {
        assert!(loser_ok(true, 412));
        assert!(!loser_ok(true, 403));
        assert!(loser_ok(false, 403));
        assert!(!loser_ok(false, 423));
        assert!(!loser_ok(false, 500));
    }
}
