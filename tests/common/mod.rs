//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod l2_rows;
pub mod mock_binance;
pub mod mock_candles;
pub mod mock_http;
pub mod mock_kraken;
pub mod mock_kraken_auth;
pub mod mock_live_binance;
pub mod mock_user_stream;
pub mod mock_ws;
pub mod postgres;
pub mod private_streams;
pub mod sim_venue;
pub mod ten_bars;
pub mod vision_mirror;

use std::path::{Path, PathBuf};

/// A path inside the repository.
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// Runs the `ctb` binary with `args` in `cwd`; returns (exit success, stdout, stderr).
pub fn ctb(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    ctb_with_env(cwd, args, &[])
}

/// [`ctb`] with the variables `env` set as well.
pub fn ctb_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(args)
        .current_dir(cwd)
        .env_remove("LOG_LEVEL")
        .envs(env.iter().copied())
        .output()
        .expect("run ctb");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`ctb_with_env`] from async tests (on a blocking thread, so the test's own servers keep running).
pub async fn ctb_async(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let cwd = cwd.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        ctb_with_env(&cwd, &args, &env)
    })
    .await
    .unwrap()
}

/// A CSV file's rows as column → field.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("a CSV file");
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| headers.iter().zip(r.expect("a row").iter()).map(|(h, v)| (h.into(), v.into())).collect())
        .collect()
}
