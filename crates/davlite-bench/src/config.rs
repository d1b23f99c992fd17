//! What to run: the workloads and their knobs, independent of how they were given (CLI or
//! library).

use std::path::PathBuf;
use std::time::Duration;

use crate::BenchError;

/// One kind of load. Names on the command line are the kebab-case forms of [`Workload::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Workload {
    Create,
    Update,
    Conflict,
    Get,
    PropfindDepth1,
    Multiget100,
    QueryWeek,
    SyncInitial,
    SyncIncremental10,
    Delete,
    VcardCreate,
    /// GET of the URL itself, expecting 200: the client's own ceiling against any server.
    GetUrl,
    /// Reads, writes, syncs and conflicts in realistic proportions for `--duration`, reported
    /// per window: the soak test.
    Mixed,
}

impl Workload {
    /// The order of `--workload all`: writes first to load the collection, reads over it, then
    /// the changes that spoil a clean collection, deletion last, contacts apart.
    pub const ALL: [Workload; 11] = [
        Workload::Create,
        Workload::Get,
        Workload::PropfindDepth1,
        Workload::Multiget100,
        Workload::QueryWeek,
        Workload::SyncInitial,
        Workload::SyncIncremental10,
        Workload::Update,
        Workload::Conflict,
        Workload::Delete,
        Workload::VcardCreate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Create => "create",
            Workload::Update => "update",
            Workload::Conflict => "conflict",
            Workload::Get => "get",
            Workload::PropfindDepth1 => "propfind-depth1",
            Workload::Multiget100 => "multiget-100",
            Workload::QueryWeek => "query-week",
            Workload::SyncInitial => "sync-initial",
            Workload::SyncIncremental10 => "sync-incremental-10",
            Workload::Delete => "delete",
            Workload::VcardCreate => "vcard-create",
            Workload::GetUrl => "get-url",
            Workload::Mixed => "mixed",
        }
    }

    /// Parses one name or a comma-separated list; `all` expands to [`Workload::ALL`].
    pub fn parse_list(s: &str) -> Result<Vec<Workload>, BenchError> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                out.extend(Workload::ALL);
                continue;
            }
            let w = Workload::ALL
                .into_iter()
                .chain([Workload::GetUrl, Workload::Mixed])
                .find(|w| w.name() == part)
                .ok_or_else(|| BenchError::Usage(format!("unknown workload {part:?}")))?;
            out.push(w);
        }
        if out.is_empty() {
            return Err(BenchError::Usage("no workload given".into()));
        }
        Ok(out)
    }

    /// Whether the workload runs once per object (so its length is fixed by `objects`) rather
    /// than repeating a request that can stop at the time budget.
    pub fn per_object(self) -> bool {
        matches!(
            self,
            Workload::Create | Workload::Delete | Workload::VcardCreate
        )
    }
}

/// A complete description of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// A calendar collection URL, or with `new_collection` the URL under which one is made.
    pub url: String,
    /// More servers (`host:port`) on the same store; workers are spread over all of them.
    pub nodes: Vec<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// An address book URL for `vcard-create`; discovered from the principal when absent.
    pub card_url: Option<String>,
    pub workloads: Vec<Workload>,
    pub objects: u64,
    pub concurrency: usize,
    /// Requests per collection-wide workload (PROPFIND, REPORTs); at least `concurrency`.
    pub iterations: u64,
    /// Requests for `get`, `update` and `get-url`; `objects` when absent.
    pub ops: Option<u64>,
    /// Rounds of the conflict workload (alternating same href and different hrefs).
    pub rounds: u64,
    /// Repeatable workloads stop taking new requests after this long.
    pub max_time: Duration,
    pub seed: u64,
    /// Make a fresh calendar (MKCALENDAR) and address book (extended MKCOL) for this run.
    pub new_collection: bool,
    /// Keep what the run created instead of deleting the fresh collections at the end.
    pub keep: bool,
    /// After `create`, read this process's resident memory and this directory's size.
    pub footprint_pid: Option<u32>,
    pub footprint_dir: Option<PathBuf>,
    pub progress: bool,
    /// How long `mixed` runs (default: `max_time`).
    pub duration: Option<Duration>,
    /// The window `mixed` reports figures for.
    pub interval: Duration,
    /// Where `mixed` writes its per-window figures as CSV.
    pub timeline: Option<PathBuf>,
}

impl Config {
    /// Defaults for everything but the URL.
    pub fn new(url: impl Into<String>) -> Config {
        Config {
            url: url.into(),
            nodes: Vec::new(),
            user: None,
            password: None,
            card_url: None,
            workloads: Workload::ALL.to_vec(),
            objects: 1000,
            concurrency: 1,
            iterations: 20,
            ops: None,
            rounds: 20,
            max_time: Duration::from_secs(60),
            seed: 1,
            new_collection: false,
            keep: false,
            footprint_pid: None,
            footprint_dir: None,
            progress: true,
            duration: None,
            interval: Duration::from_secs(10),
            timeline: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Workload;

    #[test]
    fn names_round_trip_and_all_expands() {
        for w in Workload::ALL {
            assert_eq!(Workload::parse_list(w.name()).unwrap(), vec![w]);
        }
        assert_eq!(Workload::parse_list("all").unwrap().len(), 11);
        assert_eq!(
            Workload::parse_list("get,delete").unwrap(),
            vec![Workload::Get, Workload::Delete]
        );
        assert_eq!(
            Workload::parse_list("mixed").unwrap(),
            vec![Workload::Mixed]
        );
        assert!(Workload::parse_list("gett").is_err());
        assert!(Workload::parse_list("").is_err());
    }
}
