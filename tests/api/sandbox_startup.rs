//! Start-up, health, graceful shutdown and fixtures, as a user of the binary
//! sees them.

use std::time::Duration;

use crate::helpers::{binary, spawn_app, start_binary, wait_for};

#[tokio::test]
async fn the_ready_line_names_the_real_port_when_listening_on_port_0() {
    let running = start_binary(&[]);

    let re = regex::Regex::new(r"^paysandbox listening on http://127\.0\.0\.1:(\d+)\n$").unwrap();
    let caps = re.captures(&running.ready_line).expect("one ready line");
    let port: u16 = caps[1].parse().unwrap();
    assert_ne!(port, 0);

    let health = reqwest::get(format!("{}/healthz", running.base_url))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn healthz_answers_200_with_status_ok() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
}

#[tokio::test]
async fn the_healthcheck_command_exits_0_for_a_healthy_server_and_1_for_none() {
    let running = start_binary(&[]);

    let healthy = binary()
        .args(["healthcheck", &running.base_url])
        .output()
        .unwrap();
    let unreachable = binary()
        .args(["healthcheck", "http://127.0.0.1:9"])
        .output()
        .unwrap();

    assert_eq!(healthy.status.code(), Some(0));
    assert_eq!(unreachable.status.code(), Some(1));
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully_with_exit_status_0() {
    let mut running = start_binary(&[]);

    let status = std::process::Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_for("the exit after SIGTERM", async || {
        running.child.try_wait().unwrap()
    })
    .await;

    assert_eq!(exit.code(), Some(0));
}

#[test]
fn a_malformed_fixture_stops_start_up_naming_the_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("paysandbox-bad-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = include_str!("../../fixtures/softline.json").replace(
        "\"token_lifetime_hours\": 24",
        "\"token_lifetime_hours\": \"a day\"",
    );
    std::fs::write(dir.join("softline.json"), bad).unwrap();

    let output = binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--fixtures"])
        .arg(&dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("softline.json: line 6, column"), "{stderr}");
    assert!(stderr.contains("field `token_lifetime_hours`"), "{stderr}");
    assert!(
        stderr.contains("invalid type: string \"a day\""),
        "{stderr}"
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error_with_exit_status_2() {
    let output = binary().args(["serve", "--no-such-flag"]).output().unwrap();

    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn two_runs_with_the_same_seed_hand_out_the_same_ids_and_other_seeds_do_not() {
    let with_seed = |seed| {
        let mut settings = crate::helpers::test_settings();
        settings.seed = Some(seed);
        crate::helpers::spawn_app_with(settings)
    };
    let (first, second, other) = (with_seed(7).await, with_seed(7).await, with_seed(8).await);

    let draw =
        |app: &crate::helpers::TestApp| (app.state.core.ids.uuid(), app.state.core.ids.hex(32));

    assert_eq!(draw(&first), draw(&second));
    assert_ne!(draw(&first), draw(&other));
}

#[tokio::test]
async fn a_request_in_flight_at_sigterm_still_gets_its_answer() {
    let mut running = start_binary(&[]);
    let client = reqwest::Client::new();
    // A latency fault keeps the request in flight while the signal arrives.
    client
        .post(format!("{}/__sandbox/faults", running.base_url))
        .json(&serde_json::json!({"provider": "softline", "latency_ms": 800, "status": 418}))
        .send()
        .await
        .unwrap();
    let url = format!("{}/softline/v1/order/1", running.base_url);
    let pending = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    std::process::Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .unwrap();
    let answer = pending
        .await
        .unwrap()
        .expect("an answer, not a dropped connection");
    let exit = running.child.wait().unwrap();

    assert_eq!(answer.status(), 418);
    assert_eq!(exit.code(), Some(0));
}

/// A fresh directory for one test's fixtures.
fn fixture_dir(test: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("paysandbox-fixtures-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `serve --fixtures DIR`, to its exit.
fn serve_with_fixtures(dir: &std::path::Path) -> std::process::Output {
    binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--fixtures"])
        .arg(dir)
        .output()
        .unwrap()
}

const KNOWN_NAMES: &str =
    "(the known fixture names are cards.json, imshop.json, intellectmoney.json, softline.json)";

/// The stderr of a `serve` that refused to start (exit status 1, as for a
/// malformed fixture, and no ready line).
fn refusal(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no ready line");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_fixture_directory_that_does_not_exist_stops_start_up_naming_it_and_the_known_names() {
    // Arrange
    let dir = std::env::temp_dir().join("paysandbox-no-such-fixtures");

    // Act
    let output = serve_with_fixtures(&dir);

    // Assert
    let stderr = refusal(&output);
    let expected = format!(
        "paysandbox cannot start: fixture directory {} does not exist {KNOWN_NAMES}",
        dir.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_file_given_as_the_fixture_directory_stops_start_up_naming_it_and_the_known_names() {
    let dir = fixture_dir("file-not-dir");
    let file = dir.join("softline.json");
    std::fs::write(&file, include_str!("../../fixtures/softline.json")).unwrap();

    let output = serve_with_fixtures(&file);

    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = refusal(&output);
    let expected = format!(
        "paysandbox cannot start: fixture directory {} is not a directory {KNOWN_NAMES}",
        file.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_json_file_of_no_fixture_s_name_stops_start_up_naming_it_and_the_known_names() {
    let dir = fixture_dir("misspelt");
    let softline = include_str!("../../fixtures/softline.json");
    std::fs::write(dir.join("sofltine.json"), softline).unwrap();

    let output = serve_with_fixtures(&dir);

    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = refusal(&output);
    let expected = format!(
        "paysandbox cannot start: fixture directory {}: sofltine.json is no fixture's name {KNOWN_NAMES}",
        dir.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn start_up_logs_which_fixtures_came_from_the_directory() {
    // Arrange
    use std::io::BufRead;
    let dir = fixture_dir("overrides");
    std::fs::write(
        dir.join("softline.json"),
        include_str!("../../fixtures/softline.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("cards.json"),
        include_str!("../../fixtures/cards.json"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a fixture, left alone").unwrap();

    // Act
    let mut child = binary()
        .args(["serve", "--listen", "127.0.0.1:0", "--fixtures"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready_line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready_line)
        .unwrap();
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();

    // Assert
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        ready_line.starts_with("paysandbox listening on "),
        "{ready_line}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "fixtures from {}: cards.json, softline.json; built in: imshop.json, intellectmoney.json",
        dir.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn the_imshop_run_refuses_a_fixture_directory_of_unknown_names_with_exit_status_2() {
    let dir = fixture_dir("imshop-misspelt");
    std::fs::write(dir.join("imshpo.json"), "{}").unwrap();

    let output = binary()
        .args([
            "imshop",
            "run",
            "--webhook",
            "http://127.0.0.1:9/pay",
            "--fixtures",
        ])
        .arg(&dir)
        .output()
        .unwrap();

    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "paysandbox imshop run: fixture directory {}: imshpo.json is no fixture's name {KNOWN_NAMES}",
        dir.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
