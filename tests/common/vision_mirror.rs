//! A loopback mirror of data.binance.vision for the `ctb data fetch --source binance-vision` tests: archives in
//! the published layout (`<path>.zip` holding one CSV, `<path>.zip.CHECKSUM` holding `<sha256>  <name>`), every
//! path requested recorded.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// A zip archive holding `csv` as `<name>.csv`, as Binance packs them.
pub fn zip(name: &str, csv: &str) -> Vec<u8> {
    zip_with(name, csv, zip::CompressionMethod::Deflated)
}

/// A zip archive holding `csv` as `<name>.csv` uncompressed (quick to build for a large CSV).
pub fn stored_zip(name: &str, csv: &str) -> Vec<u8> {
    zip_with(name, csv, zip::CompressionMethod::Stored)
}

fn zip_with(name: &str, csv: &str, method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    writer.start_file(format!("{name}.csv"), options).unwrap();
    writer.write_all(csv.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

/// SHA-256 in lower-case hex, as `.CHECKSUM` files write it.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The loopback mirror: files by path, and every path requested.
#[derive(Clone, Default)]
pub struct Mirror {
    files: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Mirror {
    /// Publishes `<folder>/<name>.zip` holding `csv`, with its checksum.
    pub fn publish(&self, folder: &str, name: &str, csv: &str) {
        self.publish_zip(folder, name, zip(name, csv));
    }

    /// Publishes the archive `bytes` as `<folder>/<name>.zip`, with its checksum.
    pub fn publish_zip(&self, folder: &str, name: &str, bytes: Vec<u8>) {
        let checksum = format!("{}  {name}.zip\n", sha256(&bytes));
        let mut files = self.files.lock().unwrap();
        files.insert(format!("/{folder}/{name}.zip.CHECKSUM"), checksum.into_bytes());
        files.insert(format!("/{folder}/{name}.zip"), bytes);
    }

    /// Replaces the bytes served at `path` (a checksum stays as it was).
    pub fn replace(&self, path: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path.to_string(), bytes);
    }

    pub fn bytes(&self, path: &str) -> Vec<u8> {
        self.files.lock().unwrap()[path].clone()
    }

    pub fn withdraw(&self, path: &str) {
        self.files.lock().unwrap().retain(|p, _| !p.starts_with(path));
    }

    /// The paths requested since the last call.
    pub fn take_seen(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }

    /// Serves the mirror on a loopback port; its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().unwrap();
        let mirror = self.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let mirror = mirror.clone();
            async move {
                let path = uri.path().to_string();
                mirror.seen.lock().unwrap().push(path.clone());
                match mirror.files.lock().unwrap().get(&path) {
                    Some(bytes) => (axum::http::StatusCode::OK, bytes.clone()),
                    None => (axum::http::StatusCode::NOT_FOUND, b"<Error>NoSuchKey</Error>".to_vec()),
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }
}
