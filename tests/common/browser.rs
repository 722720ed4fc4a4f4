//! Headless Chromium (Debian's `chromium`) for the browser tests of the HTML pages: whether it runs, one run of it
//! on a page, and the attributes the pages' error recorder sets on their root element.

use std::path::Path;
use std::process::Command;

/// Whether `chromium` runs here; panics when it must (`CTB_REQUIRE_CHROMIUM=1`) and does not. `what` names the
/// test skipped otherwise.
pub fn chromium_available(what: &str) -> bool {
    let found = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CTB_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "CTB_REQUIRE_CHROMIUM=1 but `chromium` does not run (apt-get install -y chromium)"
        );
        eprintln!("note: chromium is not installed; the browser test of {what} is skipped");
    }
    found
}

/// Runs headless Chromium on `url` with `args` (its own profile folder in `profile`); returns stdout.
pub fn chromium(profile: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new("chromium")
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of attribute `name` on the `<html>` element of a dumped DOM.
pub fn root_attribute<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let tag = &dom[dom.find("<html")?..];
    let tag = &tag[..tag.find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}
