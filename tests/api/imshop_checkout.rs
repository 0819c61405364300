//! Runs with the checkout before the payment: deliveries, payment methods,
//! the order export, then the flow's payment with the chosen method and the
//! exported order number; against the reference merchant and against test
//! merchants broken in one step each.

use paysandbox::providers::imshop::checks::CheckStatus;
use paysandbox::providers::imshop::options::{FlowChoice, KeyPlacement, Outcome, RunRequest};
use serde_json::{Value, json};

use crate::helpers::{TestApp, run_finished, spawn_app};
use crate::imshop_support::{
    Quirk, checkout_against, checkout_request, failed, find, labels, merchant, message, request,
    run_engine, sync_url, warned,
};

/// A checkout run of `flow` against the reference merchant of `app`.
fn demo_checkout(app: &TestApp, flow: FlowChoice, outcome: Outcome) -> RunRequest {
    RunRequest {
        methods: Some(app.url("/demo/merchant/payment-methods")),
        deliveries: Some(app.url("/demo/merchant/deliveries")),
        orders: Some(app.url("/demo/merchant/orders")),
        ..request(&app.url("/demo/merchant/payments"), flow, outcome)
    }
}

#[tokio::test]
async fn a_full_checkout_against_the_reference_merchant_passes_for_every_flow_and_outcome() {
    let app = spawn_app().await;

    for outcome in [Outcome::Success, Outcome::Failure] {
        let report = run_engine(&app, demo_checkout(&app, FlowChoice::Checkout, outcome)).await;

        assert_eq!(
            failed(&report),
            Vec::<String>::new(),
            "{outcome:?}: {:#?}",
            report.checks
        );
        assert_eq!(
            warned(&report),
            ["card/create payment_url_absolute"],
            "{outcome:?}"
        );
        for step in [
            "card/deliveries delivery_offered",
            "card/payment_methods payment_method_offered",
            "card/payment_methods_again choice_still_offered",
            "card/deliveries_again choice_still_offered",
            "card/order_export order_exported",
            "card/order_export_repeat export_idempotent",
            "card/create_unknown_method unknown_method_refused",
            "card/create order_number_consistent",
            "applepay/payment_methods payment_method_offered",
            "googlepay/order_export order_exported",
        ] {
            assert_eq!(find(&report, step).status, CheckStatus::Passed, "{step}");
        }
    }
}

#[tokio::test]
async fn each_flow_pays_the_exported_order_with_the_method_offered_for_it() {
    let app = spawn_app().await;

    let report = run_engine(
        &app,
        demo_checkout(&app, FlowChoice::Checkout, Outcome::Success),
    )
    .await;

    let summary = serde_json::to_value(&report.orders).unwrap();
    let methods: Vec<&Value> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["checkout"]["payment_method_id"])
        .collect();
    assert_eq!(
        methods,
        [&json!("card"), &json!("applepay"), &json!("androidpay")]
    );
    for order in &report.orders {
        let checkout = order.checkout.as_ref().unwrap();
        assert_eq!(
            checkout.order_number.as_deref(),
            Some(order.order_id.as_str())
        );
        assert_eq!(checkout.delivery_id.as_deref(), Some("courier"));
    }
    assert_eq!(
        message(&report, "card/order_export order_exported"),
        format!(
            "the order got the number {:?} (publicId \"ЗКЗ-{}\")",
            report.orders[0].order_id, report.orders[0].order_id
        )
    );
}

#[tokio::test]
async fn the_payment_calls_carry_the_chosen_method_the_order_uuid_and_the_exported_number() {
    let (_app, shop, report) = checkout_against(&[], FlowChoice::Card).await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    let create = shop
        .commands()
        .into_iter()
        .rfind(|c| c["command"] == "create")
        .unwrap();
    let order = &report.orders[0];
    assert_eq!(create["paymentMethodId"], "m-card");
    assert_eq!(create["orderUuid"], order.order_uuid.as_str());
    assert_eq!(create["orderId"], "501");
    assert_eq!(order.order_id, "501");
}

#[tokio::test]
async fn a_payment_method_without_a_title_fails_required_fields_and_the_flow_stops() {
    let (_app, shop, report) =
        checkout_against(&[Quirk::MethodWithoutTitle], FlowChoice::Card).await;

    assert_eq!(
        message(&report, "card/payment_methods required_fields"),
        "payments[0].title is missing"
    );
    assert_eq!(
        message(&report, "card/payment_methods payment_method_offered"),
        "no usable payment method of type \"card\": the app would not offer this payment (types offered: \"card\", \"iOS\", \"android\")"
    );
    assert!(!shop.command_names().contains(&"create".to_owned()));
}

#[tokio::test]
async fn a_delivery_without_its_pickup_flag_is_no_delivery_and_nothing_is_paid() {
    let (_app, shop, report) =
        checkout_against(&[Quirk::DeliveryWithoutPickupFlag], FlowChoice::Card).await;

    assert_eq!(
        failed(&report)[..2],
        [
            "card/deliveries required_fields",
            "card/deliveries delivery_offered"
        ]
    );
    assert_eq!(
        message(&report, "card/deliveries required_fields"),
        "deliveries[0].hasPickupLocations is missing"
    );
    assert!(!shop.command_names().contains(&"create".to_owned()));
}

#[tokio::test]
async fn method_ids_that_change_between_requests_are_no_longer_offered_before_the_order() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::MethodIdsPerRequest], FlowChoice::Card).await;

    assert_eq!(
        message(&report, "card/payment_methods_again choice_still_offered"),
        "payments asked again before the order no longer offers \"m-card-1\" (offered: [\"m-card-2\", \"m-apple-2\", \"m-google-2\"]): the same request must give the same list"
    );
}

#[tokio::test]
async fn the_checkout_calls_are_journaled_under_the_order_uuid() {
    let (app, _shop, report) = checkout_against(&[], FlowChoice::Card).await;

    let uuid = &report.orders[0].order_uuid;
    let entries = app.journal(&format!("object={uuid}")).await;

    let summaries: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["summary"].as_str())
        .filter(|s| s.starts_with("run run-test: card/"))
        .collect();
    for step in [
        "deliveries",
        "payment_methods",
        "order_export",
        "order_export_repeat",
    ] {
        let summary = format!("run run-test: card/{step}");
        assert!(
            summaries.contains(&summary.as_str()),
            "{summary}: {summaries:?}"
        );
    }
}

#[tokio::test]
async fn an_order_number_sent_as_a_number_fails_required_fields() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::OrderNumberAsNumber], FlowChoice::Card).await;

    assert_eq!(
        failed(&report),
        [
            "card/order_export required_fields",
            "card/order_export order_exported"
        ]
    );
    assert_eq!(
        message(&report, "card/order_export required_fields"),
        "orders[0].id is a number (501), expected a string"
    );
}

#[tokio::test]
async fn an_order_number_that_changes_between_export_and_payment_fails() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::OrderNumberChanges], FlowChoice::Card).await;

    assert_eq!(failed(&report), ["card/create order_number_consistent"]);
    assert_eq!(
        message(&report, "card/create order_number_consistent"),
        "orderId \"501-2\" is not the number the order export answered, \"501\": the order number changed between the export and the payment"
    );
}

#[tokio::test]
async fn a_merchant_that_takes_any_payment_method_id_fails_its_own_line() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::AcceptsUnknownMethods], FlowChoice::Card).await;

    assert_eq!(
        failed(&report),
        ["card/create_unknown_method unknown_method_refused"]
    );
    assert!(
        message(&report, "card/create_unknown_method unknown_method_refused")
            .contains("which the payment-methods webhook never offered, was not refused"),
    );
}

#[tokio::test]
async fn a_repeated_export_that_makes_a_second_order_is_a_warning() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::NewOrderOnRepeat], FlowChoice::Card).await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    assert_eq!(
        warned(&report),
        [
            "card/order_export_repeat export_idempotent",
            "card/create payment_url_absolute"
        ]
    );
    assert_eq!(
        message(&report, "card/order_export_repeat export_idempotent"),
        format!(
            "the repeated export of {:?} answered the order number \"502\", not \"501\": the merchant created a second order for one IMSHOP order (look the order up by uuid)",
            report.orders[0].order_uuid
        )
    );
    // The run pays the first order.
    assert_eq!(report.orders[0].order_id, "501");
}

#[tokio::test]
async fn the_key_can_go_in_the_body_and_the_reference_merchant_takes_it_there() {
    let app = spawn_app().await;
    let mut req = demo_checkout(&app, FlowChoice::Card, Outcome::Success);
    req.key_placement = Some(KeyPlacement::Body);

    let report = run_engine(&app, req).await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    let create = find(&report, "card/create http_200");
    let exchange = create.evidence.exchange.as_ref().unwrap();
    let headers = exchange.request.headers();
    assert!(
        headers.iter().all(|(name, _)| name != "authorization"),
        "{headers:?}"
    );
    // The key is in the body, and masked there as in the header.
    let body = exchange.request.body();
    assert!(body.contains("\"key\""), "{body}");
    assert!(!body.contains("sandbox-imshop-key"), "{body}");
}

#[tokio::test]
async fn a_checkout_run_over_http_reports_the_steps_and_the_checkout_webhooks() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let body = json!({
        "webhook": shop.webhook, "flow": "checkout",
        "methods": shop.methods, "deliveries": shop.deliveries, "orders": shop.orders,
        "timeout_ms": 2000,
    });

    let id = app.start_run(&body).await;
    let run = app.wait_for_run(&id, run_finished).await;

    assert_eq!(run["status"], "passed", "{run:#}");
    assert_eq!(
        run["checkout"],
        json!({"methods": shop.methods, "deliveries": shop.deliveries, "orders": shop.orders})
    );
    let steps: Vec<String> = run["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["flow"] == "card")
        .map(|c| c["step"].as_str().unwrap().to_owned())
        .fold(Vec::new(), |mut steps, step| {
            if steps.last() != Some(&step) {
                steps.push(step);
            }
            steps
        });
    assert_eq!(
        steps[..8],
        [
            "deliveries",
            "payment_methods",
            "payment_methods_again",
            "deliveries_again",
            "order_export",
            "order_export_repeat",
            "create_unknown_method",
            "create"
        ]
    );
}

#[tokio::test]
async fn flow_checkout_without_the_orders_url_is_refused_with_400() {
    let app = spawn_app().await;
    let body = json!({"webhook": "http://127.0.0.1:1/pay", "flow": "checkout",
                      "methods": "http://127.0.0.1:1/methods"});

    let response = app.post_json("/imshop/runs", &body).await;

    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"success": false,
               "error": "flow checkout needs the methods and orders URLs (deliveries is optional)"})
    );
}

#[tokio::test]
async fn the_junit_report_has_a_testcase_per_checkout_step() {
    let (_app, _shop, report) = checkout_against(&[], FlowChoice::Card).await;

    let junit = report.to_junit();

    for (step, name) in [
        ("deliveries", "delivery_offered"),
        ("payment_methods", "payment_method_offered"),
        ("order_export", "order_exported"),
        ("order_export_repeat", "export_idempotent"),
    ] {
        let case = format!("classname=\"imshop.card.{step}\" name=\"{name}\"");
        assert!(junit.contains(&case), "{case}: {junit}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_checkout_fields_and_the_merchants_webhooks() {
    let app = spawn_app().await;

    let doc = app.get_json("/__sandbox/openapi.json", 200).await;

    let fields = &doc["components"]["schemas"]["RunRequest"]["properties"];
    for field in ["methods", "deliveries", "orders", "key_placement"] {
        assert!(fields.get(field).is_some(), "{field}: {fields:#}");
    }
    let flows = doc["components"]["schemas"]["FlowChoice"].to_string();
    assert!(flows.contains("checkout"), "{flows}");
    for path in [
        "/demo/merchant/payment-methods",
        "/demo/merchant/deliveries",
        "/demo/merchant/orders",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
}

#[tokio::test]
async fn the_start_form_starts_a_checkout_run_whose_page_shows_the_steps_in_order() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;

    let response = app
        .post_form(
            "/imshop/runs",
            &[
                ("webhook", shop.webhook.as_str()),
                ("flow", "card"),
                ("timeout_ms", "2000"),
                ("methods", shop.methods.as_str()),
                ("deliveries", ""),
                ("orders", shop.orders.as_str()),
                ("key_placement", "both"),
            ],
        )
        .await;
    let id = crate::helpers::see_other(&response)
        .strip_prefix("/imshop/runs/")
        .unwrap()
        .to_owned();
    let run = app.wait_for_run(&id, run_finished).await;
    let page = app.html(&format!("/imshop/runs/{id}")).await;

    assert_eq!(run["status"], "passed", "{run:#}");
    assert_eq!(
        run["checkout"],
        json!({"methods": shop.methods, "orders": shop.orders})
    );
    assert!(page.contains(&format!(
        "<dt>Order export</dt><dd><code>{}</code></dd>",
        shop.orders
    )));
    assert!(
        page.contains("card: order 501, paymentMethodId m-card, uuid "),
        "{page}"
    );
    let at = |title: &str| {
        page.find(&format!("<h3 class=\"run-step\">{title}</h3>"))
            .unwrap_or_else(|| panic!("{title}: {page}"))
    };
    assert!(at("card · payment_methods") < at("card · order_export"));
    assert!(at("card · order_export") < at("card · create_unknown_method"));
    assert!(at("card · create_unknown_method") < at("card · create"));
}

/// An app whose `imshop.json` reads the checkout's ambiguous points as
/// `checkout` says.
async fn app_reading(name: &str, checkout: Value) -> TestApp {
    let dir = std::env::temp_dir().join(format!("paysandbox-imshop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut fixture: Value =
        serde_json::from_str(include_str!("../../fixtures/imshop.json")).unwrap();
    fixture["checkout"] = checkout;
    std::fs::write(dir.join("imshop.json"), fixture.to_string()).unwrap();
    crate::helpers::spawn_app_with(paysandbox::Settings {
        fixtures: Some(dir),
        ..crate::helpers::test_settings()
    })
    .await
}

#[tokio::test]
async fn under_the_prefixed_reading_the_payment_calls_send_webhook_and_the_method_id() {
    let app = app_reading(
        "prefixed",
        json!({"payment_method_id": "webhook_prefixed", "order_message": "per_order"}),
    )
    .await;

    // The reference merchant reads either form of the id.
    let report = run_engine(
        &app,
        demo_checkout(&app, FlowChoice::Card, Outcome::Success),
    )
    .await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    assert_eq!(
        report.orders[0]
            .checkout
            .as_ref()
            .unwrap()
            .payment_method_id
            .as_deref(),
        Some("webhook/card")
    );
    assert_eq!(
        message(&report, "card/order_export message_placement"),
        "message, if any, is where this fixture's reading looks"
    );
}

#[tokio::test]
async fn a_merchant_that_knows_only_its_raw_method_ids_refuses_the_prefixed_reading() {
    let app = app_reading(
        "prefixed-strict",
        json!({"payment_method_id": "webhook_prefixed"}),
    )
    .await;
    let shop = merchant(&[], &sync_url(&app)).await;

    let report = run_engine(
        &app,
        checkout_request(&shop, FlowChoice::Card, Outcome::Success),
    )
    .await;

    assert!(
        failed(&report).contains(&"card/create payment_created".to_owned()),
        "{:#?}",
        labels(&report)
    );
    let create = shop
        .commands()
        .into_iter()
        .rfind(|c| c["command"] == "create")
        .unwrap();
    assert_eq!(create["paymentMethodId"], "webhook/m-card");
}

#[tokio::test]
async fn without_the_payments_webhook_a_run_tests_the_checkout_webhooks_only() {
    let app = spawn_app().await;
    let req = RunRequest {
        webhook: String::new(),
        ..demo_checkout(&app, FlowChoice::Checkout, Outcome::Success)
    };

    let report = run_engine(&app, req).await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    let steps: std::collections::BTreeSet<&str> =
        report.checks.iter().map(|c| c.step.as_str()).collect();
    assert_eq!(
        steps.into_iter().collect::<Vec<_>>(),
        [
            "deliveries",
            "deliveries_again",
            "order_export",
            "order_export_repeat",
            "payment_methods",
            "payment_methods_again"
        ]
    );
    assert_eq!(report.orders.len(), 3);
    assert!(
        report
            .to_text()
            .starts_with("IMSHOP run run-test against the checkout webhooks only\n"),
        "{}",
        report.to_text()
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["webhook"], "");
    assert_eq!(
        json["orders"][2]["checkout"]["payment_method_id"],
        "androidpay"
    );
}

#[tokio::test]
async fn a_legal_entity_checkout_sends_legal_entity_mode_and_the_company() {
    let app = spawn_app().await;
    let shop = merchant(&[], &sync_url(&app)).await;
    let mut req = checkout_request(&shop, FlowChoice::Card, Outcome::Success);
    req.legal_entity = Some(true);

    let report = run_engine(&app, req).await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    let body = |step: &str| -> Value {
        let check = find(&report, &format!("card/{step} http_200"));
        serde_json::from_str(&check.evidence.exchange.as_ref().unwrap().request.body()).unwrap()
    };
    assert_eq!(body("payment_methods")["legalEntityMode"], true);
    assert_eq!(body("deliveries")["legalEntityMode"], true);
    assert_eq!(
        body("order_export")["orders"][0]["legalEntity"]["legalEntityName"],
        "ООО ВЕКТОР"
    );
}

#[tokio::test]
async fn a_late_report_on_the_sync_url_names_the_exported_order_number() {
    let app = spawn_app().await;
    let shop = merchant(&[Quirk::PendingThenSync], &sync_url(&app)).await;

    let report = run_engine(
        &app,
        checkout_request(&shop, FlowChoice::Card, Outcome::Success),
    )
    .await;

    assert_eq!(
        failed(&report),
        Vec::<String>::new(),
        "{:#?}",
        labels(&report)
    );
    assert_eq!(
        message(&report, "card/sync order_number_consistent"),
        "orderId \"501\" is the number the export answered"
    );
}

#[tokio::test]
async fn a_payments_webhook_that_refuses_the_offered_method_id_says_so_in_its_own_line() {
    let (_app, _shop, report) =
        checkout_against(&[Quirk::ForgetsOfferedMethods], FlowChoice::Card).await;

    assert_eq!(
        failed(&report),
        [
            "card/create payment_method_accepted",
            "card/create payment_created"
        ]
    );
    assert_eq!(
        message(&report, "card/create payment_method_accepted"),
        "refused paymentMethodId \"m-card\", which its payment-methods webhook offered (\"unknown payment method\"): the payments webhook must take the ids that webhook hands out (see the fixture's payment_method_id reading: raw or webhook_prefixed)"
    );
}
