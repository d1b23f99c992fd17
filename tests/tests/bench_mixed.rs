//! The soak workload (`davlite bench --workload mixed`) against the real server: a run keeps the
//! collection at the size it began with, so a long soak measures one server state and not a
//! collection that grows under it (issue 9's memory and p99 verdicts depend on that).

use davlite_tests::{TestServer, davlite};

#[test]
fn a_mixed_run_keeps_the_collection_at_its_size() {
    let server = TestServer::start();
    let cal = format!("/dav/calendars/{}/default/", server.user());
    let (objects, workers) = (40usize, 8usize);
    let out = davlite(
        &[
            "bench",
            "--url",
            &server.url(&cal),
            "--user",
            server.user(),
            "--password",
            server.password(),
            "--workload",
            "mixed",
            "--objects",
            &objects.to_string(),
            "--concurrency",
            &workers.to_string(),
            "--duration",
            "4",
            "--interval",
            "1",
            "--keep",
        ],
        None,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("errors 0"), "{text}");
    let listing = server
        .request("PROPFIND", &cal)
        .header("Depth", "1")
        .send()
        .text();
    let members = listing.matches(".ics</D:href>").count();
    // Each worker ends within one object of its share (its last churn may be a create), and
    // the thousands of creates and deletes of the run cancel out.
    assert!(
        (objects..=objects + workers).contains(&members),
        "{members} members after the run, {objects} before\n{text}"
    );
}
