//! The documentation is checked like code: every link in it resolves, the
//! README's Quick start runs as written, and the CI files it shows are the
//! files in `docs/ci/`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::start_binary;

/// The repository's root: the tests run from it, and `include_str!` paths
/// are relative to this file.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md, BENCHMARKS.md and every Markdown file under docs/, relative
/// to the root.
fn documentation_files() -> Vec<PathBuf> {
    fn markdown_under(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                markdown_under(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files = vec![root().join("README.md"), root().join("BENCHMARKS.md")];
    markdown_under(&root().join("docs"), &mut files);
    files
}

/// The lines of a Markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// A line without its inline code spans (`` `…` ``), whose brackets are
/// not links.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    for (index, part) in line.split('`').enumerate() {
        if index % 2 == 0 {
            out.push_str(part);
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, inline code marks and
/// punctuation other than `-` and `_` removed, spaces made `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown text's headings make; a repeated heading gets
/// `-1`, `-2`, … as on GitHub.
fn anchors(text: &str) -> Vec<String> {
    let mut anchors: Vec<String> = Vec::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        let Some(heading) = line[hashes..].strip_prefix(' ') else {
            continue;
        };
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let base = slug(heading);
        let mut anchor = base.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchors.push(anchor);
    }
    anchors
}

/// The targets of the inline links and images of one line of prose.
fn link_targets(line: &str) -> Vec<String> {
    let link = regex::Regex::new(r#"\]\(([^()\s]+)(?:\s+"[^"]*")?\)"#).unwrap();
    link.captures_iter(&without_code_spans(line))
        .map(|c| c[1].to_owned())
        .collect()
}

/// Why a link from `file` does not resolve, if it does not.
fn broken(file: &Path, target: &str) -> Option<String> {
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let resolved = if path.is_empty() {
        file.to_path_buf()
    } else {
        file.parent().unwrap().join(path)
    };
    let shown = |path: &Path| {
        let relative = path.strip_prefix(root()).unwrap_or(path).to_owned();
        relative.display().to_string()
    };
    if !resolved.exists() {
        return Some(format!("no file {}", shown(&resolved)));
    }
    let anchor = anchor?;
    if resolved.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let text = std::fs::read_to_string(&resolved).unwrap();
    if anchors(&text).iter().any(|a| a == anchor) {
        None
    } else {
        Some(format!("no heading #{anchor} in {}", shown(&resolved)))
    }
}

#[test]
fn headings_slug_as_github_makes_their_anchors() {
    let cases = [
        ("Durable state (`--data-dir`)", "durable-state---data-dir"),
        (
            "The reference merchant: `POST /demo/merchant/payments`",
            "the-reference-merchant-post-demomerchantpayments",
        ),
        (
            "MerchantReceipt (54-FZ receipt)",
            "merchantreceipt-54-fz-receipt",
        ),
        ("IMSHOP.IO", "imshopio"),
        ("Payments and `PaymentStep`", "payments-and-paymentstep"),
    ];
    for (heading, expected) in cases {
        let text = format!("# {heading}\n");

        let made = anchors(&text);

        assert_eq!(made, [expected], "the anchor of {heading:?}");
    }
    assert_eq!(
        anchors("## Time\n```\n# not a heading\n```\n## Time\n### Time\n"),
        ["time", "time-1", "time-2"],
        "repeated headings are numbered, code is no heading"
    );
}

#[test]
fn every_relative_link_and_anchor_in_the_readme_and_docs_resolves() {
    let files = documentation_files();
    let mut links = 0;
    let mut failures = Vec::new();

    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("mailto:")
                {
                    continue;
                }
                links += 1;
                if let Some(why) = broken(file, &target) {
                    let shown = file.strip_prefix(root()).unwrap_or(file);
                    failures.push(format!("{}:{number}: ({target}): {why}", shown.display()));
                }
            }
        }
    }

    assert!(files.len() > 5 && links > 50, "{links} links in {files:?}");
    assert!(
        failures.is_empty(),
        "{} broken links:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_docs_name_nothing_outside_the_repository() {
    let mut failures = Vec::new();

    for file in documentation_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            let outside = ["../shared/", "spec/providers", "contract-check"]
                .iter()
                .any(|needle| lower.contains(needle));
            // `--seed`, its variable and the builder's `.seed(…)` are the
            // only seed there is.
            let seed_not_the_flag = ["--seed", "paysandbox_seed", ".seed("]
                .iter()
                .fold(lower.clone(), |line, flag| line.replace(flag, ""))
                .contains("seed");
            if outside || seed_not_the_flag {
                let shown = file.strip_prefix(root()).unwrap_or(&file).to_owned();
                failures.push(format!("{}:{}: {line}", shown.display(), index + 1));
            }
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_stays_a_tutorial_under_300_lines() {
    let readme = include_str!("../../README.md");

    let lines = readme.lines().count();

    assert!(lines < 300, "README.md has {lines} lines");
    let quick_start = readme.find("\n## Quick start").expect("a Quick start");
    assert!(
        readme[..quick_start].lines().count() < 80,
        "the Quick start begins on the first screens"
    );
}

#[test]
fn the_ci_files_shown_in_testing_in_ci_are_the_files_in_docs_ci() {
    let page = include_str!("../../docs/testing-in-ci.md");
    let files = [
        (
            "github-actions.yml",
            include_str!("../../docs/ci/github-actions.yml"),
        ),
        ("gitlab-ci.yml", include_str!("../../docs/ci/gitlab-ci.yml")),
        (
            "docker-compose.merchant.yml",
            include_str!("../../docs/ci/docker-compose.merchant.yml"),
        ),
    ];

    for (name, content) in files {
        assert!(
            page.contains(&format!("```yaml\n{content}```")),
            "docs/testing-in-ci.md shows docs/ci/{name} as it stands"
        );
    }
}

/// The ```sh blocks under the README's "Quick start" heading, up to the
/// next `## ` heading, in order.
fn quick_start_blocks(readme: &str) -> Vec<String> {
    let start = readme.find("\n## Quick start\n").expect("a Quick start") + 1;
    let rest = &readme[start..];
    let end = rest[1..].find("\n## ").map_or(rest.len(), |i| i + 1);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in rest[..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// Runs `script` in `bash -euo pipefail` in `dir`; its exit code (`None`
/// when it had to be killed after `limit`) and its stdout and stderr.
fn run_bash(script: &str, dir: &Path, limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_remove("PAYSANDBOX_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = format!(
        "--- stdout\n{}--- stderr\n{}",
        out.join().unwrap(),
        err.join().unwrap()
    );
    (code, output)
}

#[test]
fn the_readme_quick_start_runs_top_to_bottom_against_a_fresh_server() {
    // Arrange: a fresh server, and a directory where the README's
    // ./target/release/paysandbox is this build's binary.
    let server = start_binary(&[]);
    assert!(!server.base_url.is_empty(), "{}", server.ready_line);
    let dir = std::env::temp_dir().join(format!("paysandbox-quickstart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_paysandbox"),
        dir.join("target/release/paysandbox"),
    )
    .unwrap();
    let blocks = quick_start_blocks(include_str!("../../README.md"));
    assert!(
        blocks.len() >= 5,
        "the Quick start's sh blocks: {blocks:#?}"
    );
    let script = blocks
        .join("\n")
        .replace("http://127.0.0.1:8080", &server.base_url);

    // Act: every block in order, in one shell, so variables flow.
    let (code, output) = run_bash(&script, &dir, Duration::from_secs(120));

    // Assert
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "the Quick start failed:\n{output}");
    let expectations = [
        (r#""status":"paid""#, "the Softline order read back as paid"),
        (
            "303 https://shop.example/ok",
            "the hosted pages redirect to the success URL",
        ),
        (
            r#""status":5"#,
            "the IntellectMoney invoice paid (status 5)",
        ),
        (
            "PASSED:",
            "the IMSHOP run against the reference merchant passes",
        ),
        ("/objects/", "the timeline's URL on the dashboard"),
    ];
    for (expected, what) in expectations {
        assert!(
            output.contains(expected),
            "{what}: no {expected:?} in\n{output}"
        );
    }
}
