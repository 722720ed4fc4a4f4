//! One data.binance.vision archive into the cache folder, verified: its `.CHECKSUM` (`<sha256 hex>  <file name>`)
//! is fetched first, the archive is streamed to `<name>.download` (at most [`MAX_ARCHIVE_BYTES`], the length the
//! server announced or the download is refused) while it is hashed, and only an archive whose hash matches is
//! renamed into place, with its checksum beside it once it opens as a zip. A cached archive is hashed again before
//! it is used: one that does not match its stored checksum (a cut or altered file) is fetched anew, and one without
//! a stored checksum (or with one that does not read as its checksum) is compared with the server's `.CHECKSUM`
//! first. Checksums are stored through a temporary file and a rename. Nothing whose hash failed a check is kept; an
//! archive whose hash matches but that does not read is corrupt as published: it is kept, and reported.

use sha2::{Digest, Sha256};
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::plan::Archive;
use super::{unzip, with_suffix};
use crate::error::{Error, Result};

/// The largest archive downloaded: 4 GiB (a month of BTCUSDT aggregate trades is well under 1 GiB zipped).
pub(super) const MAX_ARCHIVE_BYTES: u64 = 4 << 30;
/// The largest `.CHECKSUM` read (a line of ~100 characters).
const MAX_CHECKSUM_BYTES: usize = 4096;
/// How long connecting, and then each wait for more bytes, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where an archive came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Fetched {
    /// Already in the cache, verified again.
    Cached(PathBuf),
    /// Downloaded now, verified, and cached.
    Downloaded(PathBuf),
    /// The server has no such archive (HTTP 404 for it or its checksum).
    Missing,
}

/// Downloads archives below one base URL into one cache folder.
pub(super) struct Downloader {
    client: reqwest::Client,
    base_url: String,
    cache: PathBuf,
}

impl Downloader {
    /// A downloader for `base_url` (e.g. `https://data.binance.vision`) caching into `cache`.
    ///
    /// # Errors
    /// [`Error::Exchange`] when the HTTP client cannot be built.
    pub fn new(base_url: &str, cache: &Path) -> Result<Self> {
        super::super::rest::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| Error::Exchange(format!("binance-vision: cannot build the HTTP client: {e}")))?;
        Ok(Downloader { client, base_url: base_url.trim_end_matches('/').to_string(), cache: cache.to_path_buf() })
    }

    /// The URL of `archive`.
    pub fn url(&self, archive: &Archive) -> String {
        format!("{}/{}", self.base_url, archive.path)
    }

    /// `archive`, verified, from the cache or the server.
    ///
    /// # Errors
    /// [`Error::Data`] naming the URL for a checksum mismatch (with both hashes), a cut download or an archive that
    /// does not open; [`Error::Exchange`] for other HTTP failures; [`Error::Io`] for the cache folder.
    pub async fn fetch(&self, archive: &Archive) -> Result<Fetched> {
        let zip = self.cache.join(&archive.path);
        let sum_file = with_suffix(&zip, ".CHECKSUM");
        let url = self.url(archive);
        let file_name = archive.path.rsplit('/').next().unwrap_or(&archive.path);
        // The server's checksum, once fetched.
        let mut published = None;
        if zip.is_file() {
            let stored = stored_checksum(&sum_file, file_name)?;
            let was_stored = stored.is_some();
            let expected = match stored {
                Some(expected) => Some(expected),
                None => published.insert(self.checksum(&url, file_name).await?).clone(),
            };
            if let Some(expected) = expected
                && hash_file(&zip)? == expected
            {
                if let Err(error) = unzip::check(&zip) {
                    // As published: fetching it again would bring the same bytes.
                    remove(&sum_file)?;
                    return Err(corrupt(&url, &error));
                }
                if !was_stored {
                    write_checksum(&sum_file, &expected, file_name)?;
                }
                return Ok(Fetched::Cached(zip));
            }
            tracing::warn!(file = %zip.display(), "the cached archive fails its checks; fetching it again");
            remove(&zip)?;
            remove(&sum_file)?;
        }
        let published = match published {
            Some(published) => published,
            None => self.checksum(&url, file_name).await?,
        };
        let Some(expected) = published else { return Ok(Fetched::Missing) };
        let folder = zip.parent().unwrap_or(&self.cache);
        std::fs::create_dir_all(folder).map_err(|e| Error::io("creating", folder, e))?;
        let partial = with_suffix(&zip, ".download");
        let outcome = self.download(&url, &partial, &expected).await;
        match outcome {
            Ok(true) => {}
            Ok(false) => {
                remove(&partial)?;
                return Ok(Fetched::Missing);
            }
            Err(error) => {
                remove(&partial)?;
                return Err(error);
            }
        }
        // Its hash matches the published one: it is kept even if it does not open (without a stored checksum, so
        // the next run compares it with the server's again, and fetches it only once that changed).
        remove(&sum_file)?;
        std::fs::rename(&partial, &zip).map_err(|e| Error::io("renaming", &partial, e))?;
        if let Err(error) = unzip::check(&zip) {
            return Err(corrupt(&url, &error));
        }
        write_checksum(&sum_file, &expected, file_name)?;
        Ok(Fetched::Downloaded(zip))
    }

    /// The archive's published SHA-256 (lower-case hex), `None` when the server has no checksum for it (404).
    async fn checksum(&self, url: &str, file_name: &str) -> Result<Option<String>> {
        let sum_url = format!("{url}.CHECKSUM");
        let Some(mut response) = self.get(&sum_url).await? else { return Ok(None) };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&sum_url, e))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_CHECKSUM_BYTES {
                return Err(Error::Data(format!("{sum_url}: longer than a checksum line")));
            }
        }
        parse_checksum(&String::from_utf8_lossy(&body), file_name, &sum_url).map(Some)
    }

    /// Streams `url` into `partial`, hashing it; `false` for a 404. The hash must be `expected`.
    async fn download(&self, url: &str, partial: &Path, expected: &str) -> Result<bool> {
        let Some(mut response) = self.get(url).await? else { return Ok(false) };
        let announced = response.content_length();
        if announced.is_some_and(|length| length > MAX_ARCHIVE_BYTES) {
            return Err(too_large(url));
        }
        let mut file = std::fs::File::create(partial).map_err(|e| Error::io("creating", partial, e))?;
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    return Err(Error::Data(format!(
                        "{url}: the download broke off after {received} bytes ({}); the file was not kept, run \
                         again to fetch it",
                        e.without_url()
                    )));
                }
            };
            received += chunk.len() as u64;
            if received > MAX_ARCHIVE_BYTES {
                return Err(too_large(url));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(|e| Error::io("writing", partial, e))?;
        }
        file.flush().map_err(|e| Error::io("writing", partial, e))?;
        if let Some(length) = announced.filter(|length| *length != received) {
            return Err(Error::Data(format!(
                "{url}: {received} bytes arrived of the {length} announced; the file was not kept, run again to \
                 fetch it"
            )));
        }
        let actual = hex(&hasher.finalize());
        if actual != expected {
            return Err(Error::Data(format!(
                "{url}: checksum mismatch: its .CHECKSUM says sha256 {expected}, the {received} bytes downloaded \
                 hash to {actual}; the file was not kept"
            )));
        }
        Ok(true)
    }

    /// A GET's response when 2xx, `None` for 404.
    async fn get(&self, url: &str) -> Result<Option<reqwest::Response>> {
        let response = self.client.get(url).send().await.map_err(|e| transport(url, e))?;
        match response.status().as_u16() {
            200..=299 => Ok(Some(response)),
            404 => Ok(None),
            status => Err(Error::Exchange(format!("binance-vision GET {url}: HTTP {status}"))),
        }
    }
}

/// The checksum stored beside a cached archive; `None` when there is none, and when what is there is not this
/// archive's checksum (empty, cut short, another file's, too long): the server's is fetched then and stored anew.
fn stored_checksum(sum_file: &Path, file_name: &str) -> Result<Option<String>> {
    let file = match std::fs::File::open(sum_file) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("opening", sum_file, e)),
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Error::Data(format!("{}: not a regular file", sum_file.display())));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CHECKSUM_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| Error::io("reading", sum_file, e))?;
    let parsed = if bytes.len() > MAX_CHECKSUM_BYTES {
        Err(Error::Data(format!("{}: longer than a checksum line", sum_file.display())))
    } else {
        parse_checksum(&String::from_utf8_lossy(&bytes), file_name, &sum_file.display().to_string())
    };
    match parsed {
        Ok(hash) => Ok(Some(hash)),
        Err(error) => {
            tracing::warn!(%error, "the stored checksum does not read; comparing with the server's");
            Ok(None)
        }
    }
}

/// Stores a checksum beside its archive: written to `<path>.tmp` and renamed into place, so a checksum file is
/// whole or absent.
fn write_checksum(path: &Path, hash: &str, file_name: &str) -> Result<()> {
    let temporary = with_suffix(path, ".tmp");
    let written = std::fs::write(&temporary, format!("{hash}  {file_name}\n"))
        .map_err(|e| Error::io("writing", &temporary, e))
        .and_then(|()| std::fs::rename(&temporary, path).map_err(|e| Error::io("renaming", &temporary, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// An archive that does not read though its hash matches the published checksum: the server publishes it so.
fn corrupt(url: &str, error: &Error) -> Error {
    let detail = match error {
        Error::Data(message) => message.clone(),
        other => other.to_string(),
    };
    Error::Data(format!(
        "the published archive {url} is corrupt (its checksum matches): {detail}; it is kept in the cache and \
         fetched again only once the server's checksum changes"
    ))
}

/// What to say, and do, when the cached archive `zip` from `url` failed to read with `error` after it was
/// verified: if its hash still matches its stored checksum the server publishes it so, and it is kept (its stored
/// checksum removed, so the next run compares it with the server's again); otherwise it changed in the cache and is
/// removed, to be fetched anew.
pub(super) fn unreadable(zip: &Path, url: &str, error: Error) -> Error {
    let sum_file = with_suffix(zip, ".CHECKSUM");
    let file_name = url.rsplit('/').next().unwrap_or(url);
    let stored = stored_checksum(&sum_file, file_name).ok().flatten();
    if stored.is_some() && stored == hash_file(zip).ok() {
        return match remove(&sum_file) {
            Ok(()) => corrupt(url, &error),
            Err(other) => other,
        };
    }
    let removed = remove(zip).and_then(|()| remove(&sum_file));
    match (error, removed) {
        (Error::Data(message), Ok(())) => Error::Data(format!(
            "{message}; the cached copy of {url} no longer matches its checksum and was removed, run again to fetch \
             it anew"
        )),
        (error, _) => error,
    }
}

fn transport(url: &str, e: reqwest::Error) -> Error {
    let cause = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        let e = e.without_url();
        let mut cause = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            cause.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        cause
    };
    Error::Exchange(format!("binance-vision GET {url}: {cause}"))
}

fn too_large(url: &str) -> Error {
    Error::Data(format!("{url}: larger than the {} GiB an archive may be", MAX_ARCHIVE_BYTES >> 30))
}

/// The hash of a `.CHECKSUM` text (`<64 hex digits>  <file name>`), lower-case; the file name, when given, must be
/// the archive's.
fn parse_checksum(text: &str, file_name: &str, source: &str) -> Result<String> {
    let mut words = text.split_whitespace();
    let hash = words.next().unwrap_or("");
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Data(format!("{source}: not a SHA-256 checksum line: '{}'", text.trim())));
    }
    if let Some(named) = words.next()
        && named.trim_start_matches('*') != file_name
    {
        return Err(Error::Data(format!("{source}: the checksum is for '{named}', not '{file_name}'")));
    }
    Ok(hash.to_ascii_lowercase())
}

/// SHA-256 of a file, lower-case hex.
fn hash_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(|e| Error::io("reading", path, e))?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes a file; a file that is not there is fine.
fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("removing", path, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "8f3a4cd0f1b2a6e9c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9";

    #[test]
    fn a_checksum_line_names_its_hash_and_file() {
        let line = format!("{}  BTCUSDT-1h-2023-01.zip\n", HASH.to_uppercase());
        assert_eq!(parse_checksum(&line, "BTCUSDT-1h-2023-01.zip", "x").unwrap(), HASH);
        assert_eq!(parse_checksum(HASH, "any.zip", "x").unwrap(), HASH, "a bare hash is enough");
        let other = parse_checksum(&format!("{HASH}  BTCUSDT-1h-2023-02.zip"), "BTCUSDT-1h-2023-01.zip", "x");
        assert!(matches!(other, Err(Error::Data(m)) if m.contains("not 'BTCUSDT-1h-2023-01.zip'")));
        assert!(parse_checksum("<html>Not Found</html>", "a.zip", "x").is_err());
        assert!(parse_checksum(&HASH[1..], "a.zip", "x").is_err());
    }
}
