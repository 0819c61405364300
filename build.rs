//! Finds the browser the end-to-end journeys (`tests/api/browser*.rs`) drive.
//!
//! With `chromium` and `chromedriver` on `PATH` it sets `cfg(e2e_browser)`
//! and hands their paths to the tests; without them the journeys are
//! compiled as `#[ignore]`d, so `cargo test` lists them as ignored with the
//! reason instead of passing them without a browser. Under `CI=true` the cfg
//! is set whatever is found: there a missing browser fails the journeys
//! (`.ci/run` installs both).
//!
//! Cargo reruns this when `PATH`, `CI` or a found binary changes; after
//! installing a browser on an unchanged `PATH`, `touch build.rs`.

use std::path::PathBuf;

/// The names looked up on `PATH`: Debian's `chromium` and `chromium-driver`.
const CHROMIUM: &str = "chromium";
const CHROMEDRIVER: &str = "chromedriver";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(e2e_browser)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");

    let chromium = on_path(CHROMIUM);
    let chromedriver = on_path(CHROMEDRIVER);
    for found in [&chromium, &chromedriver].into_iter().flatten() {
        println!("cargo::rerun-if-changed={}", found.display());
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if (chromium.is_some() && chromedriver.is_some()) || ci {
        println!("cargo::rustc-cfg=e2e_browser");
    }
    // The bare name when missing: under CI the journeys then fail saying so.
    let path_or_name = |found: Option<PathBuf>, name: &str| {
        found.map_or_else(|| name.to_owned(), |p| p.display().to_string())
    };
    println!(
        "cargo::rustc-env=PAYSANDBOX_E2E_CHROMIUM={}",
        path_or_name(chromium, CHROMIUM)
    );
    println!(
        "cargo::rustc-env=PAYSANDBOX_E2E_CHROMEDRIVER={}",
        path_or_name(chromedriver, CHROMEDRIVER)
    );
}

/// The first file called `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
