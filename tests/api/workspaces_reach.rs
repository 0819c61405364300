//! Workspaces, the last part: more ways a request names its workspace,
//! and the control plane's reach, the worker, limits and keys.

use paysandbox::core::outbox::DeliveryOutcome;
use serde_json::{Value, json};

use crate::helpers::{receiver, see_other, spawn_app, spawn_app_with, test_settings, wait_for};
use crate::intellectmoney_support::{
    Request, Shop, WIRES, form_action, form_field, invoice_params_for, merchant_hash, path_of,
    payment_params_for, payment_state_in, poll_until_settled_in, test_ids,
};
use crate::softline_support::{
    TOKEN, api_get_as, api_post_as, assert_errors, create_ok_as, minimal_payment, pay_with,
};

use crate::workspaces_support::*;

// ---------------------------------------------------------------------------
// More ways a request names its workspace

#[tokio::test]
async fn a_workspace_named_like_default_s_user_logs_in_with_its_own_password() {
    let app = spawn_app().await;
    let named = app.create_workspace("sandbox").await;

    let own = login_answer(
        &app,
        named["softline"]["username"].as_str().unwrap(),
        named["softline"]["password"].as_str().unwrap(),
    )
    .await;
    let default_s = login_answer(&app, "sandbox", "sandbox").await;

    assert_eq!(own.status(), 200, "the workspace's own user: {named}");
    let token = own.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (order_id, _) = create_ok_as(&app, &token, &minimal_payment("NAMED-1")).await;
    assert_eq!(
        search_as(&app, &softline_token(&named), &json!({})).await,
        [order_id],
        "made in the workspace"
    );
    assert_eq!(default_s.status(), 200, "default's user stays default's");
    let default_token = default_s.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        search_as(&app, &default_token, &json!({})).await,
        Vec::<u64>::new()
    );
}

#[tokio::test]
async fn a_workspace_s_token_works_in_authorization_jwt_too() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;

    let response = app
        .client
        .post(app.url("/softline/v1/payment"))
        .header("AuthorizationJWT", format!("Bearer {}", softline_token(&a)))
        .json(&minimal_payment("JWT-1"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let order_id = response.json::<Value>().await.unwrap()["order_id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        search_as(&app, &softline_token(&a), &json!({})).await,
        [order_id]
    );
    assert_eq!(search_as(&app, TOKEN, &json!({})).await, Vec::<u64>::new());
}

#[tokio::test]
async fn a_workspace_s_shop_is_found_by_its_eshop_id_in_every_wire_format_and_in_the_query() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let mut made = Vec::new();

    for (i, wire) in WIRES.into_iter().enumerate() {
        let body = Request::signed_by(
            &a,
            "createInvoice",
            invoice_params_for(&a, &format!("WIRE-{i}")),
        )
        .wire(wire)
        .envelope(&app)
        .await;
        assert_eq!(body["Result"]["State"]["Code"], 0, "{wire:?}: {body}");
        made.push(body["Result"]["InvoiceId"].as_u64().unwrap());
    }
    let signed = Request::signed_by(&a, "createInvoice", invoice_params_for(&a, "WIRE-GET"));
    let (params, sign) = (signed.params, signed.sign.unwrap());
    let query = serde_urlencoded::to_string(&params).unwrap();
    let by_get: Value = app
        .client
        .get(app.url(&format!("/intellectmoney/merchant/createInvoice?{query}")))
        .header("authorization", format!("Bearer {}", a.token))
        .header("sign", sign)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(by_get["Result"]["State"]["Code"], 0, "{by_get}");
    made.push(by_get["Result"]["InvoiceId"].as_u64().unwrap());
    for invoice in &made {
        let state = payment_state_in(&app, &a, *invoice).await;
        assert_eq!(state["Result"]["PaymentStep"], "Created", "{state}");
    }
    let workspace = app.get_json("/__sandbox/workspaces/a", 200).await;
    assert_eq!(workspace["objects"]["intellectmoney_invoices"], 4);
    let default = app.get_json("/__sandbox/workspaces/default", 200).await;
    assert_eq!(default["objects"]["intellectmoney_invoices"], 0);
}

#[tokio::test]
async fn a_workspace_s_3ds_challenge_page_is_found_by_its_invoice_and_confirms_that_payment() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let invoice = invoice_in(&app, &a, "3DS-1").await;
    let mut params = payment_params_for(&a, "bankCardPayment", invoice);
    params.retain(|(k, _)| k != "pan");
    params.push(("pan".into(), "4000000000003220".into()));
    let started = Request::signed_by(&a, "bankCardPayment", params)
        .envelope(&app)
        .await;
    assert_eq!(started["Result"]["State"]["Code"], 0, "{started}");
    let (steps, result) = poll_until_settled_in(&app, &a, invoice).await;
    assert_eq!(steps.last().unwrap(), "SendTo3DS");

    let action = path_of(&app, &form_action(result["Form3DS"].as_str().unwrap()));
    let page = app.post_form(&action, &[("data", "x")]).await;
    let html = page.text().await.unwrap();
    let confirmed = app
        .post_form(&format!("{action}/confirm"), &[("code", "123456")])
        .await;

    assert_eq!(action, format!("/intellectmoney/3ds/{invoice}"));
    assert!(
        test_ids(&html).contains(&"challenge-form".to_owned()),
        "{html}"
    );
    assert_eq!(see_other(&confirmed), "https://shop.example/3ds-return");
    assert_eq!(
        payment_state_in(&app, &a, invoice).await["Result"]["PaymentStep"],
        "Ok"
    );
}

#[tokio::test]
async fn a_workspace_s_result_notifications_carry_its_shop_and_its_hash() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let server = receiver().await;
    let mut params = invoice_params_for(&a, "NOTE-1");
    params.push(("resultUrl".into(), format!("{}/result", server.uri())));
    let body = Request::signed_by(&a, "createInvoice", params)
        .envelope(&app)
        .await;
    let invoice = body["Result"]["InvoiceId"].as_u64().unwrap();

    let nothing_in_default = app.deliver_pending_webhooks().await;
    let outcomes = app.deliver_pending_webhooks_of("a").await;

    assert!(nothing_in_default.is_empty(), "{nothing_in_default:?}");
    assert!(
        matches!(outcomes[..], [DeliveryOutcome::Delivered(_)]),
        "{outcomes:?}"
    );
    let requests = server.received_requests().await.unwrap();
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&requests[0].body).unwrap();
    let field = |name: &str| form_field(&form, name).to_owned();
    let eshop_id: u64 = a.eshop_id.parse().unwrap();
    assert_eq!(field("eshopId"), a.eshop_id);
    assert_eq!(field("paymentId"), invoice.to_string());
    assert_eq!(field("eshopAccount"), (eshop_id * 10_000 + 1).to_string());
    assert_eq!(field("paymentStatus"), "3");
    assert_eq!(field("hash"), merchant_hash(&form, &a.secret_key));
}

#[tokio::test]
async fn a_recurring_payment_in_one_workspace_cannot_charge_another_s_order() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let a_token = softline_token(&a);
    let recurring = with_recurring(minimal_payment("REC-D"));
    let (parent, parent_url) = create_ok_as(&app, TOKEN, &recurring).await;
    pay_with(&app, &parent_url, "4111 1111 1111 1111").await;
    let charge = json!({"parent_order_id": parent, "payment_id": "REC-CHILD", "currency": "RUB", "amount": "99.90"});

    let from_a = api_post_as(&app, &a_token, "/softline/v1/payment/recurring", &charge).await;
    let from_default = api_post_as(&app, TOKEN, "/softline/v1/payment/recurring", &charge).await;

    assert_errors(
        from_a,
        400,
        &[(6010, "Invalid field value: parent_order_id.")],
    )
    .await;
    assert_eq!(from_default.status(), 200, "default charges its own order");
    assert_eq!(
        search_as(&app, &a_token, &json!({})).await,
        Vec::<u64>::new()
    );
}

fn with_recurring(mut body: Value) -> Value {
    body["recurring_indicator"] = json!(true);
    body
}

// ---------------------------------------------------------------------------
// The control plane's reach, the worker, limits and keys

#[tokio::test]
async fn resetting_default_keeps_every_workspace_s_objects_and_clock() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let a_token = softline_token(&a);
    let (a_order, a_url) = create_ok_as(&app, &a_token, &minimal_payment("RD-A")).await;
    let (d_order, _) = create_ok_as(&app, TOKEN, &minimal_payment("RD-D")).await;
    app.post_json(&control("a", "/clock/advance"), &json!({"seconds": 600}))
        .await;

    let response = app.post_json("/__sandbox/reset", &json!({})).await;

    assert_eq!(response.status(), 200);
    let gone = api_get_as(&app, TOKEN, &format!("/softline/v1/order/{d_order}")).await;
    assert_errors(gone, 404, &[(404, "Order not found.")]).await;
    assert_eq!(
        order_as(&app, &a_token, a_order).await["external_id"],
        "RD-A"
    );
    assert_eq!(
        app.get(&a_url).await.status(),
        200,
        "A's form is still there"
    );
    assert_eq!(
        app.get_json(&control("a", "/clock"), 200).await["offset_seconds"],
        600
    );
    assert_eq!(
        app.get_json(&control("a", "/journal"), 200).await["entries"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "A's journal is kept"
    );
}

#[tokio::test]
async fn a_control_plane_moves_only_its_own_workspace_s_objects() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let a_token = softline_token(&a);
    let (a_order, a_url) = create_ok_as(&app, &a_token, &minimal_payment("CP-A")).await;
    pay_with(&app, &a_url, "4111 1111 1111 1111").await;
    let a_shop = Shop::of_workspace(&a);
    let invoice = invoice_in(&app, &a_shop, "CP-A").await;
    let refund_path = format!("/softline/orders/{a_order}/refund");

    let from_default = app
        .post_json(&format!("/__sandbox{refund_path}"), &json!({}))
        .await;
    let invoice_from_default = app
        .get(&format!("/__sandbox/intellectmoney/invoices/{invoice}"))
        .await;
    let invoice_from_a = app
        .get(&control(
            "a",
            &format!("/intellectmoney/invoices/{invoice}"),
        ))
        .await;
    let from_a = app.post_json(&control("a", &refund_path), &json!({})).await;

    assert_control_error(
        from_default,
        404,
        "not_found",
        &format!("no Softline order {a_order}"),
    )
    .await;
    assert_control_error(
        invoice_from_default,
        404,
        "not_found",
        &format!("no IntellectMoney invoice {invoice}"),
    )
    .await;
    assert_eq!(invoice_from_a.status(), 200);
    assert_eq!(from_a.status(), 200);
    assert_eq!(order_as(&app, &a_token, a_order).await["status"], "deleted");
}

#[tokio::test]
async fn with_the_worker_running_a_workspace_created_later_delivers_its_own_webhooks() {
    let app = spawn_app_with(paysandbox::Settings {
        deliver_webhooks: true,
        ..test_settings()
    })
    .await;
    let a = app.create_workspace("a").await;
    let a_receiver = receiver().await;
    let default_receiver = receiver().await;
    for (prefix, server) in [
        (control("a", ""), &a_receiver),
        ("/__sandbox".to_owned(), &default_receiver),
    ] {
        let put = app
            .client
            .put(app.url(&format!("{prefix}/softline/webhook")))
            .json(&json!({"url": format!("{}/hook", server.uri())}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200, "{prefix}");
    }

    let (order_id, _) = create_ok_as(&app, &softline_token(&a), &minimal_payment("W-A")).await;

    let delivered = wait_for("A's order.created", async || {
        let requests = a_receiver.received_requests().await.unwrap();
        (!requests.is_empty()).then_some(requests)
    })
    .await;
    let event: Value = serde_json::from_slice(&delivered[0].body).unwrap();
    assert_eq!(event["event"], "order.created");
    assert_eq!(event["order_id"], order_id);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        default_receiver
            .received_requests()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get_json(&control("a", "/webhooks"), 200).await["deliveries"][0]["state"],
        "delivered"
    );
}

#[tokio::test]
async fn past_max_workspaces_a_create_is_refused_until_one_is_deleted() {
    let app = spawn_app_with(paysandbox::Settings {
        max_workspaces: 2,
        ..test_settings()
    })
    .await;
    app.create_workspace("one").await;
    app.create_workspace("two").await;

    let third = app
        .post_json("/__sandbox/workspaces", &json!({"name": "three"}))
        .await;
    app.client
        .delete(app.url("/__sandbox/workspaces/one"))
        .send()
        .await
        .unwrap();
    let after_delete = app
        .post_json("/__sandbox/workspaces", &json!({"name": "three"}))
        .await;

    assert_control_error(
        third,
        429,
        "workspace_limit",
        "2 workspaces exist, the most this instance keeps (--max-workspaces); delete one first",
    )
    .await;
    assert_eq!(after_delete.status(), 201);
}

#[tokio::test]
async fn with_an_admin_token_a_workspace_s_control_key_opens_its_own_prefix_only() {
    let app = spawn_app_with(paysandbox::Settings {
        admin_token: Some(paysandbox::config::AdminToken("admin-secret".to_owned())),
        ..test_settings()
    })
    .await;
    let create = |name: &'static str| {
        app.client
            .post(app.url("/__sandbox/workspaces"))
            .bearer_auth("admin-secret")
            .json(&json!({ "name": name }))
            .send()
    };
    let a: Value = create("a").await.unwrap().json().await.unwrap();
    let b: Value = create("b").await.unwrap().json().await.unwrap();
    let a_key = a["control_key"].as_str().unwrap();
    let clock = |path: String, key: &str| {
        app.client
            .get(app.url(&path))
            .bearer_auth(key.to_owned())
            .send()
    };

    let own = clock(control("a", "/clock"), a_key).await.unwrap();
    let neighbour = clock(control("b", "/clock"), a_key).await.unwrap();
    let default = clock("/__sandbox/clock".to_owned(), a_key).await.unwrap();
    let listing = clock("/__sandbox/workspaces".to_owned(), a_key)
        .await
        .unwrap();
    let provider = api_post_as(
        &app,
        &softline_token(&b),
        "/softline/v1/payment",
        &minimal_payment("ADMIN-1"),
    )
    .await;

    assert_eq!(own.status(), 200);
    assert_control_error(
        neighbour,
        401,
        "unauthorized",
        "this needs Authorization: Bearer with the admin token or the workspace's control key",
    )
    .await;
    assert_control_error(
        default,
        401,
        "unauthorized",
        "this needs Authorization: Bearer with the admin token",
    )
    .await;
    assert_control_error(
        listing,
        401,
        "unauthorized",
        "this needs Authorization: Bearer with the admin token",
    )
    .await;
    assert_eq!(
        provider.status(),
        200,
        "provider APIs never need the admin token"
    );
}

#[tokio::test]
async fn concurrent_creates_of_one_name_make_one_workspace() {
    let app = spawn_app().await;

    let body = json!({"name": "race"});
    let answers = futures_util::future::join_all(
        (0..20).map(|_| app.post_json("/__sandbox/workspaces", &body)),
    )
    .await;

    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let list = app.get_json("/__sandbox/workspaces", 200).await;
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 2);
}
