//! Crash safety: a child process (this test binary, re-executed with `DAVLITE_CRASH_CHILD` set)
//! writes, updates and deletes in a loop from four threads through group commit and prints each
//! operation before it starts and after it is acknowledged. The parent kills it with SIGKILL at
//! random points; after each kill, reopening the store must show every acknowledged operation
//! byte-exact, each in-flight operation either wholly applied or not at all, and `verify` must
//! find nothing wrong. Guards the promise that an `Ok` from the store means durable.

use davlite_testkit::Rng;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use davlite_store::conformance::fixtures;
use davlite_store::*;

const CHILD_ENV: &str = "DAVLITE_CRASH_CHILD";
const THREADS: u64 = 4;
const KEYS: u64 = 20;
const ROUNDS: u64 = 24;

/// A real event of `name`, version `version`, padded to a size that varies with both so pages
/// of many sizes are written.
fn body(name: &str, version: u64) -> Vec<u8> {
    let pad = (name.len() as u64 * 131 + version * 977) % 3000;
    let pad: String = (0..pad)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let lines = format!("DTSTART:20240101T090000Z\r\nX-VERSION:{version}\r\nX-PAD:{pad}\r\n");
    fixtures::calendar_bytes(name, "VEVENT", &lines)
}

fn object(name: &str, version: u64) -> ParsedObject {
    ParsedObject::calendar(body(name, version)).unwrap()
}

fn child(spec: &str) {
    let mut parts = spec.split(':');
    let path = parts.next().unwrap().to_owned();
    let round: u64 = parts.next().unwrap().parse().unwrap();
    let store = Store::open(&path, Options::default()).unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let store = store.clone();
            s.spawn(move || {
                let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15 ^ (round * 1000 + t + 1));
                let mut versions: HashMap<u64, u64> = HashMap::new();
                let mut live: HashMap<u64, bool> = HashMap::new();
                loop {
                    let k = rng.next_u64() % KEYS;
                    let name = format!("r{round}-t{t}-k{k}");
                    let delete = live.get(&k).copied().unwrap_or(false) && rng.next_u64() % 3 == 0;
                    let op = if delete {
                        "D".to_owned()
                    } else {
                        let v = versions.entry(k).or_insert(0);
                        *v += 1;
                        v.to_string()
                    };
                    say(&format!("B {name} {op}"));
                    if delete {
                        store
                            .delete("cal", &name, Precondition::IfMatchAny)
                            .unwrap();
                    } else {
                        let v: u64 = op.parse().unwrap();
                        store
                            .put("cal", &name, object(&name, v), Precondition::None)
                            .unwrap();
                    }
                    live.insert(k, !delete);
                    say(&format!("A {name} {op}"));
                }
            });
        }
    });
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// The expected state of a name: `None` = absent, `Some(v)` = body version v.
type Model = HashMap<String, Option<u64>>;

fn parse_op(op: &str) -> Option<u64> {
    if op == "D" {
        None
    } else {
        Some(op.parse().unwrap())
    }
}

fn actual(store: &Store, name: &str) -> Option<Vec<u8>> {
    store.get("cal", name).unwrap().map(|(_, b)| b)
}

fn expected_bytes(name: &str, state: Option<u64>) -> Option<Vec<u8>> {
    state.map(|v| body(name, v))
}

fn parent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    {
        let store = Store::open(&path, Options::default()).unwrap();
        let cal = NewCollection {
            kind: CollectionKind::Calendar,
            ..Default::default()
        };
        store.create_collection("cal", cal).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::new(0x5eed_1234_abcd_ef01);
    let mut model: Model = HashMap::new();
    let mut total_acks = 0;
    let mut rounds_with_acks = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, format!("{}:{round}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let delay = 40 + rng.next_u64() % 400;
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child must die by the signal"
        );
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();

        let mut pending: HashMap<String, Option<u64>> = HashMap::new();
        let mut acks = 0;
        for line in out.lines() {
            let mut f = line.split(' ');
            let (Some(tag), Some(name), Some(op), None) = (f.next(), f.next(), f.next(), f.next())
            else {
                continue; // a line cut short by the kill
            };
            match tag {
                "B" => {
                    pending.insert(name.to_owned(), parse_op(op));
                }
                "A" => {
                    pending.remove(name);
                    model.insert(name.to_owned(), parse_op(op));
                    acks += 1;
                }
                _ => panic!("unexpected child output {line:?}"),
            }
        }
        total_acks += acks;
        rounds_with_acks += u64::from(acks > 0);

        let store = Store::open(&path, Options::default()).unwrap();
        for (name, op) in pending {
            let before = model.get(&name).copied().flatten();
            let now = actual(&store, &name);
            if now == expected_bytes(&name, op) {
                model.insert(name, op); // applied, answer lost with the process
            } else {
                assert_eq!(
                    now,
                    expected_bytes(&name, before),
                    "round {round}: in-flight write to {name} is neither applied nor absent"
                );
            }
        }
        for (name, state) in &model {
            assert!(
                actual(&store, name) == expected_bytes(name, *state),
                "round {round}: acknowledged state of {name} ({state:?}) lost after SIGKILL"
            );
        }
        let live = model.values().filter(|s| s.is_some()).count();
        assert_eq!(
            store.list("cal").unwrap().len(),
            live,
            "round {round}: no extra objects"
        );
        let report = store.verify().unwrap();
        assert!(report.is_ok(), "round {round}: {:#?}", report.problems);
    }
    assert!(
        rounds_with_acks >= ROUNDS / 2,
        "children must get work done: {rounds_with_acks}"
    );
    eprintln!("crash test: {ROUNDS} kills, {total_acks} acknowledged operations checked");
}

fn main() {
    match std::env::var(CHILD_ENV) {
        Ok(spec) => child(&spec),
        Err(_) => {
            parent();
            println!("test sigkill_at_random_points_loses_no_acknowledged_write ... ok");
        }
    }
}
