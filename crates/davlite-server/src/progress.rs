//! Progress bars for the long commands (import, export, backup, restore, verify): one line on
//! stderr, redrawn at most ten times a second, and only when stderr is a terminal, so scripts
//! and logs get the summary line alone. `DAVLITE_PROGRESS=always` draws them anyway (for a
//! terminal multiplexer that hides the tty, and for the tests), `never` never does.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a long operation reports: `(done, total)` in its own unit, from any thread.
pub type Report<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// For callers that show no progress (the server, the web page).
pub fn silent(_: u64, _: u64) {}

#[derive(Clone, Copy)]
pub enum Unit {
    Objects,
    Bytes,
}

/// One bar on stderr.
pub struct Bar {
    label: &'static str,
    unit: Unit,
    shown: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    drawn: Option<Instant>,
    /// The line was ended (the total was reached, or `finish`).
    ended: bool,
    done: u64,
    total: u64,
}

const WIDTH: u64 = 30;
const EVERY: Duration = Duration::from_millis(100);

impl Bar {
    pub fn new(label: &'static str, unit: Unit) -> Bar {
        let shown = match std::env::var("DAVLITE_PROGRESS").as_deref() {
            Ok("always") => true,
            Ok("never") => false,
            _ => std::io::stderr().is_terminal(),
        };
        Bar {
            label,
            unit,
            shown,
            state: Mutex::new(State::default()),
        }
    }

    /// Records progress; draws when enough time passed or the total is reached.
    pub fn set(&self, done: u64, total: u64) {
        if !self.shown {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.ended || done < st.done {
            // Reports from several threads may arrive out of order.
            return;
        }
        (st.done, st.total) = (done, total);
        let complete = total > 0 && done >= total;
        if complete || st.drawn.is_none_or(|t| t.elapsed() >= EVERY) {
            self.draw(&mut st, complete);
        }
    }

    /// Draws the last state and ends the line (if the total was not reached: a failure, or a
    /// total that was an estimate), so the next message starts on a line of its own.
    pub fn finish(&self) {
        if !self.shown {
            return;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !st.ended {
            self.draw(&mut st, true);
        }
    }

    fn draw(&self, st: &mut State, end: bool) {
        st.drawn = Some(Instant::now());
        st.ended = end;
        let (done, total) = (st.done.min(st.total), st.total);
        let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let amount = match self.unit {
            Unit::Objects => format!("{}/{total} objects", st.done),
            Unit::Bytes => format!("{} / {}", mib(st.done), mib(total)),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {pct:>3}% {amount}",
            self.label,
            "#".repeat(filled as usize),
            " ".repeat((WIDTH - filled) as usize),
        );
        if end {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }

    /// This bar as a [`Report`] callback.
    pub fn report(&self) -> impl Fn(u64, u64) + Sync + '_ {
        move |done, total| self.set(done, total)
    }
}

impl Drop for Bar {
    /// A command that fails with `?` still ends the bar's line before its error is printed.
    fn drop(&mut self) {
        self.finish();
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
