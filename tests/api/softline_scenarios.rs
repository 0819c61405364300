//! Forced Softline outcomes, each by header and by arming, answered exactly
//! as the natural ones.

use serde_json::{Value, json};

use crate::helpers::{TestApp, location, spawn_app};
use crate::softline_support::{
    TOKEN, assert_errors, card, create_ok, create_payment, form_base, minimal_payment, order,
};

const CREATE_PAYMENT: [(&str, u32, &str); 10] = [
    ("110", 110, "JSON is not valid."),
    ("111", 111, "Invalid data format (Content-type)."),
    (
        "6000",
        6000,
        "Unable to generate payment. Please contact technical support.",
    ),
    ("6010", 6010, "Invalid field value: amount."),
    ("6020", 6020, "Locale not found."),
    (
        "6030",
        6030,
        "\u{0421}reation of zero-amount payments is not available. Enable recurring_indicator = true or set the amount strictly greater than zero.",
    ),
    (
        "6060",
        6060,
        "Email field is filled out incorrectly. Expected format: [name]@[domain].[zone]",
    ),
    (
        "6080",
        6080,
        "This payment method is not available. Change payment method (payment_method).",
    ),
    (
        "6090",
        6090,
        "This payment method is not available for this payment amount. Change payment method (payment_method).",
    ),
    (
        "6100",
        6100,
        "This payment method does not support recurring payments. Change payment method (payment_method).",
    ),
];

const AUTH: [(&str, u32, &str); 3] = [
    ("softline.auth.1007", 1007, "Your token is invalid."),
    ("softline.auth.1008", 1008, "Missing token."),
    ("softline.auth.1009", 1009, "Your token is expired."),
];

async fn create_with_header(app: &TestApp, scenario: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/softline/v1/payment"))
        .bearer_auth(TOKEN)
        .header("X-Sandbox-Scenario", scenario)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_catalogue_lists_every_softline_outcome_that_can_be_forced() {
    let app = spawn_app().await;

    let catalogue = app.get_json("/__sandbox/scenarios/catalogue", 200).await;

    let ids: Vec<&str> = catalogue["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .filter(|id| id.starts_with("softline."))
        .collect();
    let mut expected: Vec<String> = AUTH.iter().map(|(id, ..)| (*id).to_owned()).collect();
    expected.push("softline.login_check.401".to_owned());
    expected.extend(
        CREATE_PAYMENT
            .iter()
            .map(|(code, ..)| format!("softline.create_payment.{code}")),
    );
    expected.extend(
        [
            "softline.recurring.declined",
            "softline.payment.declined",
            "softline.payment.insufficient_funds",
            "softline.payment.challenge",
        ]
        .map(str::to_owned),
    );
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn each_create_payment_code_is_forced_by_header_on_a_valid_request() {
    let app = spawn_app().await;

    for (code, error, message) in CREATE_PAYMENT {
        let scenario = format!("softline.create_payment.{code}");
        let response = create_with_header(&app, &scenario, &minimal_payment("SCN-1")).await;
        assert_eq!(response.status(), 400, "{scenario}");
        assert_errors(response, 400, &[(error, message)]).await;
    }
}

#[tokio::test]
async fn each_create_payment_code_is_forced_by_arming_for_the_matching_payment_only_and_times() {
    let app = spawn_app().await;

    for (code, error, message) in CREATE_PAYMENT {
        let payment_id = format!("SCN-{code}");
        app.arm_scenario(&json!({"id": format!("softline.create_payment.{code}"), "times": 1, "match": {"payment_id": payment_id}}),
        )
        .await;

        let other = create_payment(&app, &minimal_payment("SCN-OTHER")).await;
        let forced = create_payment(&app, &minimal_payment(&payment_id)).await;
        let again = create_payment(&app, &minimal_payment(&payment_id)).await;

        assert_eq!(
            other.status(),
            200,
            "{code}: another payment is not affected"
        );
        assert_errors(forced, 400, &[(error, message)]).await;
        assert_eq!(again.status(), 200, "{code}: used up after one request");
    }
}

#[tokio::test]
async fn a_forced_second_group_code_joins_the_natural_problems() {
    let app = spawn_app().await;
    let body = crate::helpers::with(minimal_payment("SCN-2"), "/locale", json!("xx_XX"));

    let response = create_with_header(&app, "softline.create_payment.6090", &body).await;

    assert_errors(
        response,
        400,
        &[
            (6020, "Locale not found."),
            (6090, "This payment method is not available for this payment amount. Change payment method (payment_method)."),
        ],
    )
    .await;
}

#[tokio::test]
async fn each_auth_code_is_forced_by_header_even_with_a_valid_token() {
    let app = spawn_app().await;

    for (scenario, error, message) in AUTH {
        let response = create_with_header(&app, scenario, &minimal_payment("AUTH-1")).await;
        assert_errors(response, 401, &[(error, message)]).await;
        let lookup = app
            .client
            .get(app.url("/softline/v1/order/5000000"))
            .bearer_auth(TOKEN)
            .header("X-Sandbox-Scenario", scenario)
            .send()
            .await
            .unwrap();
        assert_errors(lookup, 401, &[(error, message)]).await;
    }
}

#[tokio::test]
async fn each_auth_code_is_forced_by_arming() {
    let app = spawn_app().await;

    for (scenario, error, message) in AUTH {
        app.arm_scenario(&json!({"id": scenario, "match": {"payment_id": "AUTH-ARMED"}}))
            .await;

        let other = create_payment(&app, &minimal_payment("AUTH-OTHER")).await;
        let forced = create_payment(&app, &minimal_payment("AUTH-ARMED")).await;
        let again = create_payment(&app, &minimal_payment("AUTH-ARMED")).await;

        assert_eq!(other.status(), 200, "{scenario}");
        assert_errors(forced, 401, &[(error, message)]).await;
        assert_eq!(again.status(), 200, "{scenario}");
    }
}

#[tokio::test]
async fn a_login_failure_is_forced_by_header_and_by_arming() {
    let app = spawn_app().await;
    let credentials = json!({"username": "sandbox", "password": "sandbox"});

    let by_header = app
        .client
        .post(app.url("/softline/v1/login_check"))
        .header("X-Sandbox-Scenario", "softline.login_check.401")
        .json(&credentials)
        .send()
        .await
        .unwrap();
    app.arm_scenario(&json!({"id": "softline.login_check.401", "times": 1}))
        .await;
    let armed = app
        .post_json("/softline/v1/login_check", &credentials)
        .await;
    let after = app
        .post_json("/softline/v1/login_check", &credentials)
        .await;

    assert_errors(by_header, 401, &[(401, "Invalid credentials.")]).await;
    assert_errors(armed, 401, &[(401, "Invalid credentials.")]).await;
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn a_recurring_decline_is_forced_by_arming() {
    let app = spawn_app().await;
    let body = crate::helpers::with(
        minimal_payment("PARENT-9"),
        "/recurring_indicator",
        json!(true),
    );
    let (parent, payment_url) = create_ok(&app, &body).await;
    crate::softline_support::pay_with(&app, &payment_url, "4111 1111 1111 1111").await;
    app.arm_scenario(
        &json!({"id": "softline.recurring.declined", "match": {"payment_id": "AUTO-FAIL"}}),
    )
    .await;
    let charge = |payment_id: &str| json!({"parent_order_id": parent, "payment_id": payment_id, "currency": "RUB", "amount": "10"});

    let ok = crate::softline_support::api_post(
        &app,
        "/softline/v1/payment/recurring",
        &charge("AUTO-OK"),
    )
    .await;
    let failing = crate::softline_support::api_post(
        &app,
        "/softline/v1/payment/recurring",
        &charge("AUTO-FAIL"),
    )
    .await;
    let ok_id = ok.json::<Value>().await.unwrap()["order_id"]
        .as_u64()
        .unwrap();
    let failing_id = failing.json::<Value>().await.unwrap()["order_id"]
        .as_u64()
        .unwrap();
    app.advance_clock(5).await;

    assert_eq!(order(&app, ok_id).await["status"], "paid");
    assert_eq!(order(&app, failing_id).await["status"], "not paid");
}

/// Pays with a card that is approved naturally, with a scenario header.
async fn pay_forced(app: &TestApp, payment_url: &str, scenario: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/card?lang=en_EN", form_base(payment_url)))
        .form(&card("4111 1111 1111 1111"));
    if let Some(scenario) = scenario {
        request = request.header("X-Sandbox-Scenario", scenario);
    }
    request.send().await.unwrap()
}

/// What a forced card outcome must look like.
async fn assert_card_outcome(
    app: &TestApp,
    scenario: &str,
    response: reqwest::Response,
    order_id: u64,
    payment_url: &str,
) {
    match scenario {
        "softline.payment.challenge" => {
            assert_eq!(response.status(), 303, "{scenario}");
            assert_eq!(
                location(&response),
                format!("{}/3ds?lang=en_EN", form_base(payment_url))
            );
        }
        _ => {
            assert_eq!(response.status(), 200, "{scenario}");
            let html = response.text().await.unwrap();
            let reason = if scenario.ends_with("insufficient_funds") {
                "Insufficient funds on the card. Please try another card."
            } else {
                "The payment was declined by the card issuer. Please try another card."
            };
            assert!(html.contains(reason), "{scenario}");
        }
    }
    assert_eq!(
        order(app, order_id).await["status"],
        "not paid",
        "{scenario}"
    );
}

const PAYMENT: [&str; 3] = [
    "softline.payment.declined",
    "softline.payment.insufficient_funds",
    "softline.payment.challenge",
];

#[tokio::test]
async fn each_hosted_form_outcome_is_forced_by_header_whatever_the_card() {
    let app = spawn_app().await;

    for scenario in PAYMENT {
        let (order_id, payment_url) = create_ok(&app, &minimal_payment("FORM-H")).await;
        let response = pay_forced(&app, &payment_url, Some(scenario)).await;
        assert_card_outcome(&app, scenario, response, order_id, &payment_url).await;
    }
}

#[tokio::test]
async fn each_hosted_form_outcome_is_forced_by_arming_for_the_matching_payment_id() {
    let app = spawn_app().await;

    for scenario in PAYMENT {
        let (other_id, other_url) = create_ok(&app, &minimal_payment("FORM-OTHER")).await;
        let (order_id, payment_url) = create_ok(&app, &minimal_payment("FORM-ARMED")).await;
        app.arm_scenario(&json!({"id": scenario, "match": {"payment_id": "FORM-ARMED"}}))
            .await;

        let other = pay_forced(&app, &other_url, None).await;
        let forced = pay_forced(&app, &payment_url, None).await;

        assert_eq!(other.status(), 303, "{scenario}");
        assert_eq!(order(&app, other_id).await["status"], "paid");
        assert_card_outcome(&app, scenario, forced, order_id, &payment_url).await;
    }
}
