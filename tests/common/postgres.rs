//! The PostgreSQL server of the journal tests: `CTB_TEST_POSTGRES_URL` (`.ci/run` starts one with `.ci/postgres`
//! and sets it, with `CTB_REQUIRE_POSTGRES=1` so that CI cannot skip these tests). Without it, the tests that need
//! the server say that they are skipped.

/// The server's URL; `None` (after saying so on stderr) when there is none and none is required.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("CTB_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CTB_REQUIRE_POSTGRES").is_err(),
                "{test}: CTB_REQUIRE_POSTGRES is set but CTB_TEST_POSTGRES_URL is not: start a server with .ci/postgres"
            );
            eprintln!("SKIPPED {test}: no PostgreSQL server (set CTB_TEST_POSTGRES_URL; .ci/postgres starts one)");
            None
        }
    }
}

/// A session name no earlier run used, for tests sharing one server.
pub fn fresh_session(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{nanos}-{}", std::process::id())
}
