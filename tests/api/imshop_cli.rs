//! `paysandbox imshop run` as a process: exit status, stdout summary,
//! stderr progress, the JUnit and JSON files.

use std::path::Path;
use std::process::Output;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use crate::helpers::binary;
use crate::imshop_support::{Quirk, merchant};

async fn imshop_run(args: &[&str]) -> Output {
    let mut command = binary();
    command.args(["imshop", "run"]).args(args);
    tokio::process::Command::from(command)
        .output()
        .await
        .expect("the binary runs")
}

/// One `<testcase>` of a JUnit file.
#[derive(Debug, PartialEq)]
struct Case {
    classname: String,
    name: String,
    failure: Option<String>,
}

/// Parses a JUnit file strictly (a malformed file fails the test) into its
/// testcases and the `<testsuites>` counts.
fn read_junit(path: &Path) -> (Vec<Case>, usize, usize) {
    let xml = std::fs::read_to_string(path).unwrap();
    let mut reader = Reader::from_str(&xml);
    reader.config_mut().check_end_names = true;
    let mut cases = Vec::new();
    let (mut tests, mut failures) = (0, 0);
    let mut in_failure = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == "testsuites" => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    let value: usize = a
                        .normalized_value(XmlVersion::Implicit1_0)
                        .unwrap()
                        .parse()
                        .unwrap_or(0);
                    match a.key.as_ref() {
                        "tests" => tests = value,
                        "failures" => failures = value,
                        _ => {}
                    }
                }
            }
            Event::Start(e) if e.name().as_ref() == "testcase" => {
                let attr = |key: &str| {
                    e.attributes()
                        .map(|a| a.unwrap())
                        .find(|a| a.key.as_ref() == key)
                        .map(|a| {
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap()
                };
                cases.push(Case {
                    classname: attr("classname"),
                    name: attr("name"),
                    failure: None,
                });
            }
            Event::Start(e) if e.name().as_ref() == "failure" => {
                in_failure = true;
                cases.last_mut().unwrap().failure = Some(String::new());
            }
            Event::End(e) if e.name().as_ref() == "failure" => in_failure = false,
            Event::CData(text) if in_failure => {
                let text = text.into_inner().into_owned();
                cases
                    .last_mut()
                    .unwrap()
                    .failure
                    .as_mut()
                    .unwrap()
                    .push_str(&text);
            }
            Event::Text(text) if in_failure => {
                let text = quick_xml::escape::unescape(&text.into_inner())
                    .unwrap()
                    .into_owned();
                cases
                    .last_mut()
                    .unwrap()
                    .failure
                    .as_mut()
                    .unwrap()
                    .push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, tests, failures)
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("paysandbox-imshop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_run_against_a_correct_merchant_exits_0_with_reports_and_progress() {
    // Arrange
    let shop = merchant(&[], "http://127.0.0.1:9/unused").await;
    let dir = temp_dir("pass");
    let (junit, json) = (dir.join("report.xml"), dir.join("report.json"));

    // Act
    let output = imshop_run(&[
        "--webhook",
        &shop.webhook,
        "--flow",
        "all",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .await;

    // Assert
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with(
            "paysandbox imshop run: merchants that answer pending report to http://127.0.0.1:"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("[card] create: POST"), "{stderr}");
    assert!(stdout.contains("PASSED: "), "{stdout}");
    assert!(
        stdout.contains("warning: card/create payment_url_absolute"),
        "{stdout}"
    );

    let (cases, tests, failures) = read_junit(&junit);
    assert_eq!((tests, failures), (cases.len(), 0));
    assert!(cases.contains(&Case {
        classname: "imshop.card.capture_repeat".into(),
        name: "capture_idempotent".into(),
        failure: None
    }));
    assert!(
        cases
            .iter()
            .any(|c| c.classname == "imshop.googlepay.androidpay")
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["status"], "passed");
    assert_eq!(report["summary"]["checks"], tests);
    assert_eq!(
        report["flows"],
        serde_json::json!(["card", "applepay", "googlepay"])
    );
    let mut json_names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut junit_names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    json_names.sort_unstable();
    junit_names.sort_unstable();
    assert_eq!(
        json_names, junit_names,
        "the JSON names checks as JUnit does"
    );
    assert!(json_names.contains(&"http_200"), "{json_names:?}");
}

#[tokio::test]
async fn a_checkout_run_from_the_command_line_reports_each_checkout_step() {
    // Arrange
    let shop = merchant(&[], "http://127.0.0.1:9/unused").await;
    let dir = temp_dir("checkout");
    let (junit, json) = (dir.join("report.xml"), dir.join("report.json"));

    // Act
    let output = imshop_run(&[
        "--webhook",
        &shop.webhook,
        "--methods",
        &shop.methods,
        "--deliveries",
        &shop.deliveries,
        "--orders",
        &shop.orders,
        "--flow",
        "checkout",
        "--key-placement",
        "both",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .await;

    // Assert
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("[card] order_export: POST"), "{stderr}");
    let (cases, _, failures) = read_junit(&junit);
    assert_eq!(failures, 0);
    for (classname, name) in [
        ("imshop.card.deliveries", "delivery_offered"),
        ("imshop.applepay.payment_methods", "payment_method_offered"),
        ("imshop.googlepay.order_export", "order_exported"),
        (
            "imshop.card.create_unknown_method",
            "unknown_method_refused",
        ),
    ] {
        assert!(
            cases
                .iter()
                .any(|c| c.classname == classname && c.name == name),
            "{classname} {name}"
        );
    }
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["checkout"]["orders"], shop.orders.as_str());
    assert_eq!(
        report["orders"][1]["checkout"]["payment_method_id"],
        "m-apple"
    );
}

#[tokio::test]
async fn a_failed_check_exits_1_and_the_junit_failure_carries_the_evidence() {
    let shop = merchant(&[Quirk::NeverCaptured], "http://127.0.0.1:9/unused").await;
    let dir = temp_dir("fail");
    let junit = dir.join("report.xml");

    let output = imshop_run(&[
        "--webhook",
        &shop.webhook,
        "--flow",
        "card",
        "--junit",
        junit.to_str().unwrap(),
    ])
    .await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED: card/capture payment_captured_agrees"),
        "{stdout}"
    );
    let (cases, _, failures) = read_junit(&junit);
    assert_eq!(failures, 1);
    let failed: Vec<&Case> = cases.iter().filter(|c| c.failure.is_some()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].classname.as_str(), failed[0].name.as_str()),
        ("imshop.card.capture", "payment_captured_agrees")
    );
    let evidence = failed[0].failure.as_deref().unwrap();
    assert!(
        evidence.contains("paymentCaptured: false, but the buyer paid"),
        "{evidence}"
    );
    assert!(
        evidence.contains(&format!("request: POST {}", shop.webhook)),
        "{evidence}"
    );
    assert!(evidence.contains("\"paymentCaptured\":false"), "{evidence}");
}

#[tokio::test]
async fn an_unreachable_webhook_exits_1_not_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();

    let output = imshop_run(&[
        "--webhook",
        &format!("http://{closed}/pay"),
        "--flow",
        "card",
    ])
    .await;

    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("FAILED: card/create answered_in_time")
    );
}

#[tokio::test]
async fn a_run_that_cannot_start_exits_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--webhook", "http://127.0.0.1:9/", "--flow", "nonsense"],
            "invalid value 'nonsense'",
        ),
        (
            &["--webhook", "ftp://shop.example/pay"],
            "webhook \"ftp://shop.example/pay\" is not an absolute http(s) URL",
        ),
        (
            &["--webhook", "http://127.0.0.1:9/", "--timeout-ms", "0"],
            "timeout_ms must be between",
        ),
        (
            &[
                "--webhook",
                "http://127.0.0.1:9/",
                "--junit",
                "/nonexistent-dir/report.xml",
            ],
            "cannot write /nonexistent-dir/report.xml",
        ),
        (
            &["--flow", "card"],
            "webhook is required unless methods, deliveries or orders are given",
        ),
        (
            &[
                "--webhook",
                "http://127.0.0.1:9/",
                "--flow",
                "checkout",
                "--methods",
                "http://127.0.0.1:9/methods",
            ],
            "flow checkout needs the methods and orders URLs",
        ),
    ];
    for (args, message) in cases {
        let output = imshop_run(args).await;

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_cli_serves_the_sync_url_for_merchants_that_answer_pending() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sync = format!("http://127.0.0.1:{port}/imshop/sync");
    let shop = merchant(&[Quirk::PendingThenSync], &sync).await;

    let output = imshop_run(&[
        "--webhook",
        &shop.webhook,
        "--flow",
        "card",
        "--sync-listen",
        &format!("127.0.0.1:{port}"),
    ])
    .await;

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains(&format!("report to {sync}")), "{stderr}");
    assert!(stdout.contains("card/sync"), "{stdout}");
}
