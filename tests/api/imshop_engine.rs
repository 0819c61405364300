//! The run engine against small merchants served in the test: a correct
//! one passes every check, and each broken one fails exactly the checks
//! that describe what is wrong.

use paysandbox::providers::imshop::checks::CheckStatus;
use paysandbox::providers::imshop::options::{FlowChoice, Outcome};

use crate::helpers::spawn_app;
use crate::imshop_support::{
    Quirk, assert_no_failure, failed, find, hop_notes, labels, merchant, message, request,
    run_against, run_engine, sync_url, warned,
};

#[tokio::test]
async fn a_correct_merchant_passes_every_flow_with_only_the_plain_http_warning() {
    // Arrange
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;

    // Act
    let report = run_engine(
        &app,
        request(&shop.webhook, FlowChoice::All, Outcome::Success),
    )
    .await;

    // Assert
    assert_no_failure(&report);
    assert_eq!(warned(&report), ["card/create payment_url_absolute"]);
    assert_eq!(
        shop.command_names(),
        [
            "create",
            "capture",
            "capture",
            "applepay",
            "androidpay",
            "capture"
        ]
    );
    let checks = labels(&report);
    for expected in [
        "card/create answered_in_time",
        "card/create http_200",
        "card/create json_body",
        "card/create success_boolean",
        "card/create required_fields",
        "card/create payment_created",
        "card/create regexes_valid",
        "card/web_view payment_page_driven",
        "card/web_view redirect_matched",
        "card/capture payment_id_consistent",
        "card/capture payment_captured_agrees",
        "card/capture_repeat capture_idempotent",
        "applepay/applepay payment_captured_agrees",
        "googlepay/androidpay payment_captured_agrees",
        "run/unknown_capture unknown_payment_refused",
    ] {
        assert!(
            checks.contains(&expected.to_owned()),
            "{expected} missing from {checks:#?}"
        );
    }
}

#[tokio::test]
async fn a_correct_merchant_passes_every_flow_for_a_declined_payment() {
    let (_app, shop, report) = run_against(&[], FlowChoice::All, Outcome::Failure).await;

    assert_no_failure(&report);
    assert!(message(&report, "card/web_view redirect_matched").contains("matched failureRegex"));
    assert_eq!(
        message(&report, "card/capture error_text"),
        "error: \"not paid\""
    );
    // The cryptogram of a failure run says `decline` once decoded.
    let applepay = &shop.commands()[3];
    assert_eq!(applepay["command"], "applepay");
    assert_eq!(applepay["paymentMethodId"], "sandbox/applepay");
    assert!(applepay["orderUuid"].as_str().unwrap().len() == 36);
}

#[tokio::test]
async fn the_commands_carry_the_documented_fields_and_the_bearer_key() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.order_id = Some("12345".into());
    req.order_uuid = Some("cbc85e53-8067-4f13-a708-11d9aea71bf3".into());

    let report = run_engine(&app, req).await;

    assert_eq!(failed(&report), Vec::<String>::new());
    let commands = shop.commands();
    assert_eq!(
        commands[0],
        serde_json::json!({"command": "create", "paymentMethodId": "sandbox/card",
            "orderUuid": "cbc85e53-8067-4f13-a708-11d9aea71bf3", "orderId": "12345",
            "returnUrl": "imshop://payment/failed"})
    );
    assert_eq!(
        commands[1],
        serde_json::json!({"command": "capture", "paymentMethodId": "sandbox/card", "paymentId": "pay-1"})
    );
    assert_eq!(report.orders[0].payment_ids, ["pay-1"]);
}

#[tokio::test]
async fn each_broken_merchant_fails_exactly_the_checks_that_name_its_fault() {
    let app = spawn_app().await;
    let cases: Vec<(Vec<Quirk>, Outcome, Vec<&str>)> = vec![
        (
            vec![Quirk::MissingField("paymentUrl")],
            Outcome::Success,
            vec![
                "card/create required_fields",
                "card/create payment_url_absolute",
            ],
        ),
        (
            vec![Quirk::PaymentIdAsNumber],
            Outcome::Success,
            vec!["card/create required_fields"],
        ),
        (
            vec![Quirk::InvalidRegex],
            Outcome::Success,
            vec![
                "card/create regexes_valid",
                "card/web_view redirect_matched",
            ],
        ),
        (
            vec![Quirk::RegexesNeverMatch],
            Outcome::Success,
            vec!["card/web_view redirect_matched"],
        ),
        (
            vec![Quirk::NeverCaptured],
            Outcome::Success,
            vec!["card/capture payment_captured_agrees"],
        ),
        (
            vec![Quirk::HtmlAnswers],
            Outcome::Success,
            vec!["card/create json_body", "run/unknown_capture json_body"],
        ),
        (
            vec![Quirk::ServerError],
            Outcome::Success,
            vec![
                "card/create http_200",
                "card/create json_body",
                "run/unknown_capture http_200",
                "run/unknown_capture json_body",
            ],
        ),
        (
            vec![Quirk::OtherPaymentIdInCapture],
            Outcome::Success,
            vec![
                "card/capture payment_id_consistent",
                "card/capture_repeat payment_id_consistent",
            ],
        ),
        (
            vec![Quirk::AcceptsUnknownPayments],
            Outcome::Success,
            vec!["run/unknown_capture unknown_payment_refused"],
        ),
        (
            vec![Quirk::ForeignPage],
            Outcome::Success,
            vec!["card/web_view payment_page_driven"],
        ),
    ];
    for (quirks, outcome, expected) in cases {
        let shop = merchant(&quirks, &sync_url(&app)).await;

        let report = run_engine(&app, request(&shop.webhook, FlowChoice::Card, outcome)).await;

        assert_eq!(failed(&report), expected, "merchant with {quirks:?}");
    }
}

#[tokio::test]
async fn a_decline_sent_to_a_deep_link_closes_the_screen_and_capture_follows() {
    let cases = [
        (
            Quirk::DeclineToReturnUrl,
            "no regex matched and the buyer leaves at imshop://payment/failed (the page sent the \
             buyer to returnUrl, the app's own deep link for a cancelled payment: the screen \
             closes), as in the app; capture must say not captured",
        ),
        (
            Quirk::DeclineToAppLink("shopapp://orders/declined"),
            "no regex matched and the buyer leaves at shopapp://orders/declined (a shopapp: link \
             is no web page but a deep link the app catches: the screen closes), as in the app; \
             capture must say not captured",
        ),
    ];
    for (quirk, expected) in cases {
        let (_app, shop, report) = run_against(
            std::slice::from_ref(&quirk),
            FlowChoice::Card,
            Outcome::Failure,
        )
        .await;

        assert_eq!(failed(&report), Vec::<String>::new(), "{quirk:?}");
        assert_eq!(
            message(&report, "card/web_view redirect_matched"),
            expected,
            "{quirk:?}"
        );
        assert_eq!(
            shop.command_names()[..2],
            ["create", "capture"],
            "{quirk:?}: the capture follows"
        );
    }
}

#[tokio::test]
async fn a_refusal_without_error_only_warns_since_the_documentation_calls_error_optional() {
    let (_app, _shop, report) = run_against(
        &[Quirk::RefusalWithoutError],
        FlowChoice::Card,
        Outcome::Failure,
    )
    .await;

    assert_no_failure(&report);
    assert_eq!(
        warned(&report),
        [
            "card/create payment_url_absolute",
            "card/capture error_text",
            "card/capture_repeat error_text",
            "run/unknown_capture unknown_payment_refused",
        ]
    );
    assert_eq!(
        message(&report, "card/capture error_text"),
        "success is false and error is missing: the app will have nothing to show the buyer"
    );
    assert_eq!(
        message(&report, "run/unknown_capture unknown_payment_refused"),
        "refused, but error is missing: the app will have nothing to show the buyer"
    );
}

#[tokio::test]
async fn a_create_refused_for_a_valid_order_fails_payment_created_even_for_a_failure_run() {
    // The reference merchant refuses every command sent with a wrong key.
    let app = spawn_app().await;
    let mut req = request(
        &app.url("/demo/merchant/payments"),
        FlowChoice::Card,
        Outcome::Failure,
    );
    req.key = Some("wrong".into());

    let report = run_engine(&app, req).await;

    assert_eq!(
        failed(&report),
        [
            "card/create http_200",
            "card/create payment_created",
            "run/unknown_capture http_200"
        ]
    );
    assert_eq!(
        message(&report, "card/create payment_created"),
        "create refused the order (error: \"invalid API key\"): the buyer never reaches a payment page"
    );
}

#[tokio::test]
async fn a_failed_check_says_what_was_expected_and_what_came() {
    let app = spawn_app().await;
    let shop = merchant(
        &[
            Quirk::PaymentIdAsNumber,
            Quirk::MissingField("failureRegex"),
        ],
        &sync_url(&app),
    )
    .await;

    let report = run_engine(
        &app,
        request(&shop.webhook, FlowChoice::Card, Outcome::Success),
    )
    .await;

    assert_eq!(
        message(&report, "card/create required_fields"),
        "paymentId is a number, expected a string; failureRegex is missing"
    );
    let check = find(&report, "card/create required_fields");
    let exchange = check.evidence.exchange.as_ref().unwrap();
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.url, shop.webhook);
    assert_eq!(exchange.status, Some(200));
    assert!(exchange.request.body().contains("\"command\":\"create\""));
    assert!(
        exchange
            .response
            .as_ref()
            .unwrap()
            .body()
            .contains("\"paymentId\":1")
    );
    // The key is masked in evidence.
    assert!(
        exchange
            .request
            .headers()
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer ****-key")
    );
}

#[tokio::test]
async fn regexes_that_never_match_fail_a_success_run_and_pass_a_failure_run_as_the_app_would() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::RegexesNeverMatch], &sync_url(&app)).await;

    let success = run_engine(
        &app,
        request(&shop.webhook, FlowChoice::Card, Outcome::Success),
    )
    .await;
    let failure = run_engine(
        &app,
        request(&shop.webhook, FlowChoice::Card, Outcome::Failure),
    )
    .await;

    let msg = message(&success, "card/web_view redirect_matched");
    assert!(
        msg.starts_with("no URL matched successRegex; the web view stopped at http://"),
        "{msg}"
    );
    assert!(msg.contains("/payment/pay-1/success"), "{msg}");
    assert_eq!(failed(&failure), Vec::<String>::new());
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_fails_answered_in_time_and_stops_the_flow() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::SlowCreate(1_500)], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.timeout_ms = Some(300);

    let report = run_engine(&app, req).await;

    assert_eq!(failed(&report), ["card/create answered_in_time"]);
    assert_eq!(
        message(&report, "card/create answered_in_time"),
        "no answer within the 300 ms timeout"
    );
    assert_eq!(
        shop.command_names(),
        ["create", "capture"],
        "no capture after a create without answer"
    );
}

#[tokio::test]
async fn an_unreachable_webhook_is_a_failed_check() {
    let app = spawn_app().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };

    let report = run_engine(
        &app,
        request(
            &format!("http://{closed}/pay"),
            FlowChoice::Card,
            Outcome::Success,
        ),
    )
    .await;

    assert_eq!(
        failed(&report),
        [
            "card/create answered_in_time",
            "run/unknown_capture answered_in_time"
        ]
    );
    assert_eq!(
        message(&report, "card/create answered_in_time"),
        format!(
            "connection refused: nothing listens at http://{closed}/pay \
             (is the service running, is the URL right?)"
        )
    );
}

#[tokio::test]
async fn pending_is_resolved_by_repeating_capture_on_the_back_off() {
    let (_app, shop, report) = run_against(
        &[Quirk::PendingCaptures(2)],
        FlowChoice::Card,
        Outcome::Success,
    )
    .await;

    assert_no_failure(&report);
    assert_eq!(
        shop.command_names(),
        [
            "create", "capture", "capture", "capture", "capture", "capture"
        ]
    );
    assert!(
        message(&report, "card/pending pending_resolved")
            .starts_with("capture settled it after 3 calls")
    );
    assert!(labels(&report).contains(&"card/capture_3 payment_captured_agrees".to_owned()));
}

#[tokio::test]
async fn pending_is_resolved_by_the_merchants_post_to_the_sync_url() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::PendingThenSync], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.pending_backoff_ms = Some(vec![]);

    let report = run_engine(&app, req).await;

    assert_no_failure(&report);
    assert!(
        message(&report, "card/pending pending_resolved")
            .starts_with("the merchant reported it on the sync URL")
    );
    assert_eq!(
        message(&report, "card/sync payment_captured_agrees"),
        "the sync report says paymentCaptured true: the paid order is captured"
    );
    assert_eq!(
        message(&report, "card/sync payment_id_consistent"),
        "paymentId \"pay-1\", as create answered"
    );
    // The sync call is on the journal under the order and the payment.
    let entries = app.journal("object=pay-1&provider=imshop").await;
    assert!(
        entries
            .iter()
            .any(|e| e["url"] == "/imshop/sync" && e["status"] == 200),
        "{entries:#?}"
    );
}

#[tokio::test]
async fn pending_without_any_resolution_fails_pending_resolved_after_the_wait() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::PendingCaptures(100)], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.pending_backoff_ms = Some(vec![20, 20]);
    req.sync_wait_ms = Some(200);

    let report = run_engine(&app, req).await;

    assert_eq!(failed(&report), ["card/pending pending_resolved"]);
    assert!(
        message(&report, "card/pending pending_resolved")
            .starts_with("still pending after 3 captures")
    );
}

#[tokio::test]
async fn a_sync_report_with_retry_restarts_the_flow_at_create_once() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::RetryOnce], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.pending_backoff_ms = Some(vec![]);

    let report = run_engine(&app, req).await;

    assert_no_failure(&report);
    let creates = shop
        .command_names()
        .iter()
        .filter(|c| *c == "create")
        .count();
    assert_eq!(creates, 2);
    let checks = labels(&report);
    assert!(
        checks.contains(&"card/create required_fields (attempt 2)".to_owned()),
        "{checks:#?}"
    );
    assert!(
        checks.contains(&"card/capture payment_captured_agrees (attempt 2)".to_owned()),
        "{checks:#?}"
    );
    assert_eq!(report.orders[0].payment_ids, ["pay-1", "pay-2"]);
}

#[tokio::test]
async fn a_decline_shown_on_the_form_ends_as_the_app_would_and_capture_must_say_not_captured() {
    let (_app, _shop, report) =
        run_against(&[Quirk::DeclineOnForm], FlowChoice::Card, Outcome::Failure).await;

    assert_no_failure(&report);
    let msg = message(&report, "card/web_view redirect_matched");
    assert!(
        msg.contains("no regex matched and the buyer leaves"),
        "{msg}"
    );
    assert!(msg.contains("Card declined by the issuer"), "{msg}");
}

#[tokio::test]
async fn a_three_d_secure_challenge_is_answered_with_the_approving_code() {
    let (_app, shop, report) =
        run_against(&[Quirk::Challenge], FlowChoice::Card, Outcome::Success).await;

    assert_no_failure(&report);
    let notes = hop_notes(&report, "card/web_view redirect_matched");
    let gateway = shop.webhook.trim_end_matches("/payments");
    assert_eq!(
        notes,
        [
            "card form filled with the approved card 4111111111111111".to_owned(),
            "3-D Secure code 123456 entered".to_owned(),
            format!("redirect to {gateway}/payment/pay-1/success"),
        ]
    );
}

#[tokio::test]
async fn a_foreign_payment_page_is_reported_with_its_url() {
    let (_app, shop, report) =
        run_against(&[Quirk::ForeignPage], FlowChoice::Card, Outcome::Success).await;

    let check = find(&report, "card/web_view payment_page_driven");
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(
        check
            .message
            .contains("/foreign/pay-1 is not a paysandbox page"),
        "{}",
        check.message
    );
    assert!(check.message.contains("needs_browser"));
    let page = report
        .needs_browser
        .as_ref()
        .expect("the report names the page");
    assert!(page.url.ends_with("/foreign/pay-1"), "{}", page.url);
    assert_eq!(
        serde_json::to_value(&report).unwrap()["needs_browser"],
        serde_json::json!({"flow": "card", "url": page.url})
    );
    assert_eq!(
        shop.command_names(),
        ["create", "capture"],
        "no capture without a finished page"
    );
}

#[tokio::test]
async fn every_call_to_the_merchant_is_on_the_journal_under_the_run_and_the_order() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let mut req = request(&shop.webhook, FlowChoice::Card, Outcome::Success);
    req.order_id = Some("777".into());

    run_engine(&app, req).await;

    let entries = app.journal("object=777").await;
    let calls: Vec<(String, String)> = entries
        .iter()
        .filter(|e| e["kind"] == "outbound")
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["url"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let base = shop.webhook.trim_end_matches("/payments");
    assert_eq!(
        calls,
        [
            ("POST".to_owned(), shop.webhook.clone()),
            ("GET".to_owned(), format!("{base}/gateway/pay-1")),
            ("POST".to_owned(), format!("{base}/gateway/pay-1/pay")),
            ("POST".to_owned(), shop.webhook.clone()),
            ("POST".to_owned(), shop.webhook.clone()),
        ]
    );
    let by_run = app.journal("object=run-test").await;
    assert_eq!(
        by_run.iter().filter(|e| e["kind"] == "outbound").count(),
        6,
        "and the unknown capture"
    );
}
