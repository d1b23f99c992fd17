//! The shared corpus of real-world iCalendar and vCard files lives beside the repository
//! (`../shared/corpus` from the workspace root), not in it. Tests find it here and nowhere else:
//! `DAVLITE_CORPUS` when set, else the nearest `shared/corpus` above the workspace. A missing
//! corpus fails the test with this explanation instead of letting it pass on nothing.

use std::path::{Path, PathBuf};

/// The corpus directory. Panics with the places looked at when there is none.
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DAVLITE_CORPUS") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "DAVLITE_CORPUS={} is not a directory",
            dir.display()
        );
        return dir;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in here.ancestors() {
        let candidate = dir.join("shared/corpus");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!(
        "no shared corpus: set DAVLITE_CORPUS or put it at shared/corpus beside the repository \
         (looked in every directory above {})",
        here.display()
    )
}

/// The corpus files whose extension is `ext` (without the dot, compared case-insensitively),
/// sorted by name so every run sees them in one order.
pub fn corpus_files(ext: &str) -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus at {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case(ext))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no .{ext} files in the corpus at {}",
        dir.display()
    );
    files
}

/// (file name, bytes) of every corpus file with extension `ext`, sorted by name.
pub fn read_corpus(ext: &str) -> Vec<(String, Vec<u8>)> {
    corpus_files(ext)
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, bytes)
        })
        .collect()
}
