//! Workspaces: whole sandboxes side by side in one paysandbox. Each test
//! acts in one workspace and checks that a neighbour (another workspace,
//! or `default`) saw nothing of it.

use std::collections::HashSet;

use paysandbox::core::outbox::DeliveryOutcome;
use paysandbox::core::signature::sha512_hex;
use serde_json::{Value, json};

use crate::helpers::{
    DAY, TestApp, receiver, run_finished, see_other, spawn_app, spawn_app_with, test_settings,
    wait_for,
};
use crate::imshop_support::{Quirk, merchant_with_key};
use crate::intellectmoney_support::{
    Request, Shop, WIRES, form_action, invoice_params_for, md5_hex, path_of, payment_params_for,
    test_ids,
};
use crate::softline_support::{
    TOKEN, api_get_as, api_post_as, assert_errors, create_ok_as, minimal_payment, pay_with,
};

// ---------------------------------------------------------------------------
// Helpers of this file

/// A workspace's Softline static token, from its creation answer.
fn softline_token(workspace: &Value) -> String {
    workspace["softline"]["token"].as_str().unwrap().to_owned()
}

/// `/__sandbox/workspaces/{name}{path}`: a workspace's control plane.
fn control(name: &str, path: &str) -> String {
    format!("/__sandbox/workspaces/{name}{path}")
}

/// Asserts the control plane's error envelope, exactly.
async fn assert_control_error(response: reqwest::Response, status: u16, code: &str, message: &str) {
    assert_eq!(response.status().as_u16(), status, "{code}: {message}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"code": code, "message": message}}),
        "the control envelope"
    );
}

/// `GET /softline/v1/order/{id}` with `token`, which must answer 200.
async fn order_as(app: &TestApp, token: &str, order_id: u64) -> Value {
    let response = api_get_as(app, token, &format!("/softline/v1/order/{order_id}")).await;
    assert_eq!(response.status(), 200, "order {order_id}");
    response.json().await.unwrap()
}

/// `POST /softline/v1/order/search` with `token` and `filter`; the ids.
async fn search_as(app: &TestApp, token: &str, filter: &Value) -> Vec<u64> {
    let response = api_post_as(app, token, "/softline/v1/order/search", filter).await;
    assert_eq!(response.status(), 200, "search {filter}");
    let body: Value = response.json().await.unwrap();
    body["ids"]
        .as_array()
        .unwrap_or_else(|| panic!("no ids in {body}"))
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// `login_check` with a username and password; the issued token.
async fn login(app: &TestApp, username: &str, password: &str) -> String {
    let response = app
        .post_json(
            "/softline/v1/login_check",
            &json!({"username": username, "password": password}),
        )
        .await;
    assert_eq!(response.status(), 200, "login of {username}");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// `login_check` with a username and password; the answer.
async fn login_answer(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/softline/v1/login_check",
        &json!({"username": username, "password": password}),
    )
    .await
}

/// Logs in with a workspace's own Softline user.
async fn login_to(app: &TestApp, workspace: &Value) -> String {
    login(
        app,
        workspace["softline"]["username"].as_str().unwrap(),
        workspace["softline"]["password"].as_str().unwrap(),
    )
    .await
}

/// Creates an invoice of 10.00 RUB for `order_id` in `shop`; the envelope.
async fn create_invoice_in(app: &TestApp, shop: &Shop, order_id: &str) -> Value {
    Request::signed_by(shop, "createInvoice", invoice_params_for(shop, order_id))
        .envelope(app)
        .await
}

/// Creates an invoice in `shop` that must succeed; its id.
async fn invoice_in(app: &TestApp, shop: &Shop, order_id: &str) -> u64 {
    let body = create_invoice_in(app, shop, order_id).await;
    assert_eq!(body["Result"]["State"]["Code"], 0, "createInvoice: {body}");
    body["Result"]["InvoiceId"].as_u64().unwrap()
}

/// One `getBankCardPaymentState` of `invoice_id` asked by `shop`; the
/// envelope.
async fn payment_state_in(app: &TestApp, shop: &Shop, invoice_id: u64) -> Value {
    Request::signed_by(
        shop,
        "getBankCardPaymentState",
        payment_params_for(shop, "getBankCardPaymentState", invoice_id),
    )
    .envelope(app)
    .await
}

/// Whether `s` is `len` lowercase hex digits.
fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------
// Making, listing and dropping workspaces

#[tokio::test]
async fn a_workspace_is_created_with_fresh_credentials_and_the_urls_to_use_them() {
    let app = spawn_app().await;

    let response = app
        .post_json("/__sandbox/workspaces", &json!({"name": "ci-42"}))
        .await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let a = &app.address;
    let softline = &created["softline"];
    assert_eq!(softline["base_url"], format!("{a}/softline"));
    assert_eq!(softline["username"], "ci-42");
    assert!(
        is_hex(softline["password"].as_str().unwrap(), 24),
        "{softline}"
    );
    assert!(
        is_hex(softline["token"].as_str().unwrap(), 32),
        "{softline}"
    );
    assert!(
        is_hex(softline["webhook_secret"].as_str().unwrap(), 32),
        "{softline}"
    );
    assert_eq!(softline.as_object().unwrap().len(), 5, "{softline}");
    let im = &created["intellectmoney"];
    assert_eq!(im["base_url"], format!("{a}/intellectmoney"));
    let eshop_id = im["eshop_id"].as_u64().unwrap();
    assert!((451_000..1_000_000).contains(&eshop_id), "{eshop_id}");
    assert!(is_hex(im["token"].as_str().unwrap(), 32), "{im}");
    assert!(is_hex(im["secret_key"].as_str().unwrap(), 24), "{im}");
    assert!(is_hex(im["sign_secret_key"].as_str().unwrap(), 24), "{im}");
    assert_eq!(im.as_object().unwrap().len(), 5, "{im}");
    let imshop = &created["imshop"];
    assert!(is_hex(imshop["key"].as_str().unwrap(), 32), "{imshop}");
    assert_eq!(
        imshop["sync_url"],
        format!("{a}/imshop/sync?workspace=ci-42")
    );
    assert_eq!(
        imshop["runs_url"],
        format!("{a}/imshop/runs?workspace=ci-42")
    );
    assert_eq!(created["name"], "ci-42");
    assert_eq!(
        created["control_url"],
        format!("{a}/__sandbox/workspaces/ci-42")
    );
    assert!(
        is_hex(created["control_key"].as_str().unwrap(), 32),
        "{created}"
    );
    assert_eq!(created["dashboard_url"], format!("{a}/?workspace=ci-42"));
    assert!(
        time::OffsetDateTime::parse(
            created["created_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok(),
        "{created}"
    );
    assert_eq!(created["objects"]["softline_payments"], 0);
    assert_eq!(created["objects"]["intellectmoney_invoices"], 0);
    assert_eq!(created["objects"]["imshop_runs"], 0);
}

#[tokio::test]
async fn the_list_holds_default_first_then_every_workspace_by_name_each_as_created() {
    let app = spawn_app().await;
    let zeta = app.create_workspace("zeta").await;
    let alpha = app.create_workspace("alpha").await;

    let list = app.get_json("/__sandbox/workspaces", 200).await;
    let one = app.get_json("/__sandbox/workspaces/alpha", 200).await;
    let default = app.get_json("/__sandbox/workspaces/default", 200).await;

    assert_eq!(list.as_object().unwrap().len(), 1, "{list}");
    let names: Vec<&str> = list["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "alpha", "zeta"]);
    assert_eq!(list["workspaces"][1], alpha);
    assert_eq!(list["workspaces"][2], zeta);
    assert_eq!(one, alpha);
    assert_eq!(
        default["softline"]["token"], TOKEN,
        "the built-in credentials"
    );
    assert_eq!(default["intellectmoney"]["eshop_id"], 450_000);
    assert_eq!(
        default["imshop"]["runs_url"],
        format!("{}/imshop/runs", app.address),
        "default is the sandbox at the bare URLs"
    );
    assert_eq!(
        default["control_url"],
        format!("{}/__sandbox/workspaces/default", app.address)
    );
    assert_ne!(alpha["softline"]["token"], zeta["softline"]["token"]);
    assert_ne!(
        alpha["intellectmoney"]["eshop_id"],
        zeta["intellectmoney"]["eshop_id"]
    );
    assert_ne!(alpha["imshop"]["key"], zeta["imshop"]["key"]);
}

#[tokio::test]
async fn a_taken_name_is_409_and_a_bad_name_400_in_the_control_envelope() {
    let app = spawn_app().await;
    app.create_workspace("ci-42").await;

    let taken = app
        .post_json("/__sandbox/workspaces", &json!({"name": "ci-42"}))
        .await;
    let default = app
        .post_json("/__sandbox/workspaces", &json!({"name": "default"}))
        .await;

    assert_control_error(taken, 409, "conflict", "a workspace named \"ci-42\" exists").await;
    assert_control_error(
        default,
        409,
        "conflict",
        "a workspace named \"default\" exists",
    )
    .await;
    for bad in ["CI-42", "-ci", "ci_42", "", &"a".repeat(64)] {
        let response = app
            .post_json("/__sandbox/workspaces", &json!({"name": bad}))
            .await;
        assert_control_error(
            response,
            400,
            "bad_request",
            &format!(
                "a workspace name is 1 to 63 characters a-z, 0-9 and '-', starting with a letter or digit; {bad:?} is not"
            ),
        )
        .await;
    }
    let list = app.get_json("/__sandbox/workspaces", 200).await;
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 2, "{list}");
}

#[tokio::test]
async fn a_workspace_created_without_a_name_gets_a_generated_one() {
    let app = spawn_app().await;

    let empty = app
        .client
        .post(app.url("/__sandbox/workspaces"))
        .send()
        .await
        .unwrap();
    let no_name = app.post_json("/__sandbox/workspaces", &json!({})).await;

    let mut names = Vec::new();
    for response in [empty, no_name] {
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let name = created["name"].as_str().unwrap().to_owned();
        let hex = name.strip_prefix("ws-").unwrap_or_else(|| panic!("{name}"));
        assert!(is_hex(hex, 8), "{name}");
        assert_eq!(created["softline"]["username"], name.as_str());
        app.get_json(&format!("/__sandbox/workspaces/{name}"), 200)
            .await;
        names.push(name);
    }
    assert_ne!(names[0], names[1]);
}

#[tokio::test]
async fn the_default_workspace_cannot_be_deleted_and_an_unknown_one_is_404() {
    let app = spawn_app().await;

    let default = app
        .client
        .delete(app.url("/__sandbox/workspaces/default"))
        .send()
        .await
        .unwrap();
    let unknown = app
        .client
        .delete(app.url("/__sandbox/workspaces/nope"))
        .send()
        .await
        .unwrap();
    let unknown_get = app.get("/__sandbox/workspaces/nope").await;
    let unknown_control = app.get("/__sandbox/workspaces/nope/clock").await;

    assert_control_error(
        default,
        409,
        "conflict",
        "the default workspace cannot be deleted",
    )
    .await;
    assert_control_error(unknown, 404, "not_found", "no workspace named \"nope\"").await;
    assert_control_error(unknown_get, 404, "not_found", "no workspace named \"nope\"").await;
    assert_control_error(
        unknown_control,
        404,
        "not_found",
        "no workspace named \"nope\"",
    )
    .await;
    let token_still_works = order_as_status(&app, TOKEN, 1).await;
    assert_eq!(token_still_works, 404, "default answers its own API still");
}

/// The status of `GET /softline/v1/order/{id}` with `token`.
async fn order_as_status(app: &TestApp, token: &str, order_id: u64) -> u16 {
    api_get_as(app, token, &format!("/softline/v1/order/{order_id}"))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_deleted_workspace_s_token_is_refused_its_pages_are_404_and_its_neighbour_stays() {
    let app = spawn_app().await;
    let gone = app.create_workspace("gone").await;
    let stays = app.create_workspace("stays").await;
    let (gone_token, stays_token) = (softline_token(&gone), softline_token(&stays));
    let issued = login_to(&app, &gone).await;
    let (order_id, payment_url) = create_ok_as(&app, &gone_token, &minimal_payment("GONE-1")).await;
    let (kept_id, kept_url) = create_ok_as(&app, &stays_token, &minimal_payment("STAYS-1")).await;
    let shop = Shop::of_workspace(&gone);
    let invoice = invoice_in(&app, &shop, "GONE-INV").await;
    assert_eq!(app.get(&payment_url).await.status(), 200, "shown before");
    assert_eq!(
        app.get(&format!("/intellectmoney/pay/{invoice}"))
            .await
            .status(),
        200
    );

    let response = app
        .client
        .delete(app.url("/__sandbox/workspaces/gone"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"deleted": "gone"})
    );
    for token in [&gone_token, &issued] {
        let refused = api_get_as(&app, token, &format!("/softline/v1/order/{order_id}")).await;
        assert_errors(refused, 401, &[(1007, "Your token is invalid.")]).await;
        let create = api_post_as(&app, token, "/softline/v1/payment", &minimal_payment("X")).await;
        assert_errors(create, 401, &[(1007, "Your token is invalid.")]).await;
    }
    let form = app.get(&payment_url).await;
    assert_eq!(form.status(), 404, "{payment_url}");
    assert!(
        form.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let im_page = app.get(&format!("/intellectmoney/pay/{invoice}")).await;
    assert_eq!(im_page.status(), 404);
    assert!(im_page.text().await.unwrap().contains("Счёт не найден"));
    let unknown_shop = create_invoice_in(&app, &shop, "GONE-INV-2").await;
    assert_eq!(
        unknown_shop["Result"]["State"],
        json!({"Code": 6, "Desc": format!("Магазин {} не найден", shop.eshop_id), "ErrorSourceParam": "EshopId"})
    );
    let get = app.get("/__sandbox/workspaces/gone").await;
    assert_control_error(get, 404, "not_found", "no workspace named \"gone\"").await;
    let control = app.get(&control("gone", "/clock")).await;
    assert_control_error(control, 404, "not_found", "no workspace named \"gone\"").await;
    assert_eq!(
        order_as(&app, &stays_token, kept_id).await["status"],
        "not paid"
    );
    assert_eq!(
        app.get(&kept_url).await.status(),
        200,
        "the neighbour's form"
    );
    let names: Vec<Value> = app.get_json("/__sandbox/workspaces", 200).await["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].clone())
        .collect();
    assert_eq!(names, [json!("default"), json!("stays")]);
}

#[tokio::test]
async fn a_name_is_free_again_once_its_workspace_is_deleted_and_the_new_one_starts_empty() {
    let app = spawn_app().await;
    let first = app.create_workspace("again").await;
    let (order_id, _) =
        create_ok_as(&app, &softline_token(&first), &minimal_payment("AGAIN-1")).await;
    app.client
        .delete(app.url("/__sandbox/workspaces/again"))
        .send()
        .await
        .unwrap();

    let second = app.create_workspace("again").await;

    let token = softline_token(&second);
    assert_eq!(order_as_status(&app, &token, order_id).await, 404);
    assert_eq!(search_as(&app, &token, &json!({})).await, Vec::<u64>::new());
    assert_eq!(second["objects"]["softline_payments"], 0);
}

// ---------------------------------------------------------------------------
// Softline

#[tokio::test]
async fn a_payment_created_in_one_workspace_is_404_to_another_s_token_and_to_default_s() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));

    let (order_id, _) = create_ok_as(&app, &a_token, &minimal_payment("ISO-1")).await;

    let own = order_as(&app, &a_token, order_id).await;
    assert_eq!(own["order_id"], order_id);
    assert_eq!(own["external_id"], "ISO-1");
    for token in [b_token.as_str(), TOKEN] {
        let response = api_get_as(&app, token, &format!("/softline/v1/order/{order_id}")).await;
        assert_errors(response, 404, &[(404, "Order not found.")]).await;
    }
}

#[tokio::test]
async fn search_in_one_workspace_lists_only_its_own_orders() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));
    let (a1, _) = create_ok_as(&app, &a_token, &minimal_payment("SEARCH-1")).await;
    let (a2, _) = create_ok_as(&app, &a_token, &minimal_payment("SEARCH-2")).await;
    let (b1, _) = create_ok_as(&app, &b_token, &minimal_payment("SEARCH-1")).await;

    let in_a = search_as(&app, &a_token, &json!({})).await;
    let in_b = search_as(&app, &b_token, &json!({})).await;
    let in_b_by_external = search_as(&app, &b_token, &json!({"external_id": "SEARCH-2"})).await;
    let in_default = search_as(&app, TOKEN, &json!({})).await;

    assert_eq!(in_a, [a2, a1]);
    assert_eq!(in_b, [b1]);
    assert_eq!(in_b_by_external, Vec::<u64>::new());
    assert_eq!(in_default, Vec::<u64>::new());
    assert!(![a1, a2].contains(&b1), "ids are unique across workspaces");
}

#[tokio::test]
async fn a_token_issued_by_login_check_in_one_workspace_works_there_and_reaches_nothing_elsewhere()
{
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let b_token = softline_token(&b);
    let (b_order, _) = create_ok_as(&app, &b_token, &minimal_payment("B-1")).await;
    let (default_order, _) = create_ok_as(&app, TOKEN, &minimal_payment("D-1")).await;

    let issued = login_to(&app, &a).await;
    let (a_order, _) = create_ok_as(&app, &issued, &minimal_payment("A-1")).await;

    assert_ne!(issued, softline_token(&a));
    assert_eq!(
        order_as(&app, &softline_token(&a), a_order).await["external_id"],
        "A-1",
        "made in A"
    );
    assert_eq!(search_as(&app, &issued, &json!({})).await, [a_order]);
    for other in [b_order, default_order] {
        let response = api_get_as(&app, &issued, &format!("/softline/v1/order/{other}")).await;
        assert_errors(response, 404, &[(404, "Order not found.")]).await;
    }
    assert_eq!(search_as(&app, &b_token, &json!({})).await, [b_order]);
    assert_eq!(search_as(&app, TOKEN, &json!({})).await, [default_order]);
}

#[tokio::test]
async fn a_workspace_s_login_is_its_own_and_another_s_password_is_invalid_credentials() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;

    let a_with_b_password =
        login_answer(&app, "a", b["softline"]["password"].as_str().unwrap()).await;
    let a_with_default_password = login_answer(&app, "a", "sandbox").await;
    let default_with_a_password =
        login_answer(&app, "sandbox", a["softline"]["password"].as_str().unwrap()).await;
    let a_right = login_answer(&app, "a", a["softline"]["password"].as_str().unwrap()).await;

    assert_errors(a_with_b_password, 401, &[(401, "Invalid credentials.")]).await;
    assert_errors(
        a_with_default_password,
        401,
        &[(401, "Invalid credentials.")],
    )
    .await;
    assert_errors(
        default_with_a_password,
        401,
        &[(401, "Invalid credentials.")],
    )
    .await;
    assert_eq!(a_right.status(), 200);
}

#[tokio::test]
async fn the_hosted_form_of_a_workspace_s_order_pays_that_order_only() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));
    let (a_order, a_url) = create_ok_as(&app, &a_token, &minimal_payment("FORM-1")).await;
    let (b_order, _) = create_ok_as(&app, &b_token, &minimal_payment("FORM-1")).await;
    let (d_order, _) = create_ok_as(&app, TOKEN, &minimal_payment("FORM-1")).await;

    let (status, page) = app.html_page(&a_url).await;
    let response = pay_with(&app, &a_url, "4111 1111 1111 1111").await;

    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("A{a_order:010}")),
        "the form shows A's order"
    );
    assert_eq!(see_other(&response), "https://shop.com/successful_payment");
    let paid = order_as(&app, &a_token, a_order).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payment"]["card_last_4"], "1111");
    assert_eq!(
        order_as(&app, &b_token, b_order).await["status"],
        "not paid"
    );
    assert_eq!(order_as(&app, TOKEN, d_order).await["status"], "not paid");
}

// ---------------------------------------------------------------------------
// IntellectMoney

#[tokio::test]
async fn an_order_id_repeats_freely_across_shops_but_not_inside_one() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let default = Shop::builtin();

    let in_a = create_invoice_in(&app, &a, "SAME-1").await;
    let in_default = create_invoice_in(&app, &default, "SAME-1").await;
    let again_in_a = create_invoice_in(&app, &a, "SAME-1").await;

    assert_eq!(in_a["Result"]["State"]["Code"], 0, "{in_a}");
    assert_eq!(in_a["EshopId"].to_string(), a.eshop_id, "{in_a}");
    assert_eq!(in_default["Result"]["State"]["Code"], 0, "{in_default}");
    assert_eq!(in_default["EshopId"], 450_000);
    assert_ne!(
        in_a["Result"]["InvoiceId"],
        in_default["Result"]["InvoiceId"]
    );
    assert_eq!(
        again_in_a["Result"]["State"],
        json!({"Code": 8, "Desc": "Номер покупки SAME-1 уже использован в этом магазине", "ErrorSourceParam": "OrderId"})
    );
}

#[tokio::test]
async fn an_invoice_of_one_shop_is_unknown_to_another() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let b = Shop::of_workspace(&app.create_workspace("b").await);
    let invoice = invoice_in(&app, &a, "OWN-1").await;

    let own = payment_state_in(&app, &a, invoice).await;
    let from_b = payment_state_in(&app, &b, invoice).await;
    let from_default = payment_state_in(&app, &Shop::builtin(), invoice).await;

    assert_eq!(own["Result"]["PaymentStep"], "Created", "{own}");
    for body in [from_b, from_default] {
        assert_eq!(
            body["Result"]["State"],
            json!({"Code": 7, "Desc": format!("Счёт {invoice} не найден"), "ErrorSourceParam": "InvoiceId"}),
            "{body}"
        );
    }
}

#[tokio::test]
async fn another_shop_s_key_or_token_is_refused_by_a_workspace_s_shop() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let default = Shop::builtin();
    let foreign_key = Shop {
        secret_key: default.secret_key.clone(),
        ..a.clone()
    };
    let foreign_token = Shop {
        token: default.token.clone(),
        ..a.clone()
    };

    let hashed = create_invoice_in(&app, &foreign_key, "FOREIGN-1").await;
    let authorized = create_invoice_in(&app, &foreign_token, "FOREIGN-2").await;

    assert_eq!(
        hashed["Result"]["State"],
        json!({"Code": 4, "Desc": "Неверная подпись запроса (Hash)", "ErrorSourceParam": "Hash"})
    );
    assert_eq!(
        authorized["Result"]["State"],
        json!({"Code": 5, "Desc": "Ошибка авторизации: неверный токен", "ErrorSourceParam": "Authorization"})
    );
    invoice_in(&app, &a, "FOREIGN-1").await;
    invoice_in(&app, &a, "FOREIGN-2").await;
}

#[tokio::test]
async fn a_workspace_s_payment_page_is_found_by_its_invoice_id_and_pays_that_invoice_only() {
    let app = spawn_app().await;
    let a = Shop::of_workspace(&app.create_workspace("a").await);
    let default = Shop::builtin();
    let invoice = invoice_in(&app, &a, "PAGE-1").await;
    let neighbour = invoice_in(&app, &default, "PAGE-1").await;

    let page = app.html(&format!("/intellectmoney/pay/{invoice}")).await;
    let response = app
        .post_form(
            &format!("/intellectmoney/pay/{invoice}/card"),
            &[
                ("card_number", "4111 1111 1111 1111"),
                ("expiry", "12/35"),
                ("cvc", "123"),
                ("cardholder", "IVAN PETROV"),
            ],
        )
        .await;

    assert!(test_ids(&page).contains(&"card-form".to_owned()));
    assert!(page.contains("10,00\u{a0}₽"));
    assert_eq!(see_other(&response), "https://shop.example/success");
    let paid = payment_state_in(&app, &a, invoice).await;
    assert_eq!(paid["Result"]["PaymentStep"], "Ok", "{paid}");
    let untouched = payment_state_in(&app, &default, neighbour).await;
    assert_eq!(untouched["Result"]["PaymentStep"], "Created", "{untouched}");
}

// ---------------------------------------------------------------------------
// Scenarios, faults, clock

#[tokio::test]
async fn a_scenario_armed_in_one_workspace_forces_only_that_workspace_s_next_create() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));
    let armed = app
        .post_json(
            &control("a", "/scenarios"),
            &json!({"id": "softline.create_payment.6090", "times": 1}),
        )
        .await;
    assert_eq!(armed.status(), 201);

    let in_b = api_post_as(
        &app,
        &b_token,
        "/softline/v1/payment",
        &minimal_payment("S-B"),
    )
    .await;
    let in_default =
        api_post_as(&app, TOKEN, "/softline/v1/payment", &minimal_payment("S-D")).await;
    let in_a = api_post_as(
        &app,
        &a_token,
        "/softline/v1/payment",
        &minimal_payment("S-A"),
    )
    .await;
    let in_a_again = api_post_as(
        &app,
        &a_token,
        "/softline/v1/payment",
        &minimal_payment("S-A2"),
    )
    .await;

    assert_eq!(in_b.status(), 200, "B is not affected");
    assert_eq!(in_default.status(), 200, "default is not affected");
    assert_errors(
        in_a,
        400,
        &[(
            6090,
            "This payment method is not available for this payment amount. Change payment method (payment_method).",
        )],
    )
    .await;
    assert_eq!(in_a_again.status(), 200, "used up after one request");
}

#[tokio::test]
async fn a_fault_armed_in_one_workspace_hits_only_its_requests() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));
    let added = app
        .post_json(
            &control("a", "/faults"),
            &json!({"provider": "softline", "path": "/v1/payment", "method": "POST", "status": 503}),
        )
        .await;
    assert_eq!(added.status(), 201);

    let in_a = api_post_as(
        &app,
        &a_token,
        "/softline/v1/payment",
        &minimal_payment("F-A"),
    )
    .await;
    let in_b = api_post_as(
        &app,
        &b_token,
        "/softline/v1/payment",
        &minimal_payment("F-B"),
    )
    .await;
    let in_default =
        api_post_as(&app, TOKEN, "/softline/v1/payment", &minimal_payment("F-D")).await;

    assert_eq!(in_a.status(), 503);
    assert!(in_a.bytes().await.unwrap().is_empty(), "a bare status");
    assert_eq!(in_b.status(), 200);
    assert_eq!(in_default.status(), 200);
    assert_eq!(
        app.get_json(&control("b", "/faults"), 200).await["faults"],
        json!([])
    );
    assert_eq!(
        app.get_json("/__sandbox/faults", 200).await["faults"],
        json!([])
    );
    assert_eq!(
        app.get_json(&control("a", "/faults"), 200).await["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn advancing_one_workspace_s_clock_moves_only_it_and_another_s_token_does_not_expire() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let a_issued = login_to(&app, &a).await;
    let b_issued = login_to(&app, &b).await;
    let default_issued = login(&app, "sandbox", "sandbox").await;

    let advanced = app
        .post_json(
            &control("a", "/clock/advance"),
            &json!({"seconds": DAY + 60}),
        )
        .await;

    assert_eq!(advanced.status(), 200);
    assert_eq!(
        app.get_json(&control("a", "/clock"), 200).await["offset_seconds"],
        DAY + 60
    );
    assert_eq!(
        app.get_json(&control("b", "/clock"), 200).await["offset_seconds"],
        0
    );
    assert_eq!(
        app.get_json("/__sandbox/clock", 200).await["offset_seconds"],
        0
    );
    let expired = api_post_as(
        &app,
        &a_issued,
        "/softline/v1/payment",
        &minimal_payment("C-A"),
    )
    .await;
    assert_errors(expired, 401, &[(1009, "Your token is expired.")]).await;
    for token in [&b_issued, &default_issued] {
        let response =
            api_post_as(&app, token, "/softline/v1/payment", &minimal_payment("C-B")).await;
        assert_eq!(response.status(), 200, "a neighbour's token stays valid");
    }
}

// ---------------------------------------------------------------------------
// Webhooks, journal, reset

#[tokio::test]
async fn a_workspace_s_webhooks_go_to_its_target_signed_with_its_secret_and_nowhere_else() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let a_receiver = receiver().await;
    let put = app
        .client
        .put(app.url(&control("a", "/softline/webhook")))
        .json(&json!({"url": format!("{}/hook", a_receiver.uri())}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (order_id, payment_url) =
        create_ok_as(&app, &softline_token(&a), &minimal_payment("HOOK-A")).await;
    create_ok_as(&app, &softline_token(&b), &minimal_payment("HOOK-B")).await;
    create_ok_as(&app, TOKEN, &minimal_payment("HOOK-D")).await;
    pay_with(&app, &payment_url, "4111 1111 1111 1111").await;

    let outcomes = app.deliver_pending_webhooks_of("a").await;

    assert!(
        matches!(
            outcomes[..],
            [DeliveryOutcome::Delivered(_), DeliveryOutcome::Delivered(_)]
        ),
        "{outcomes:?}"
    );
    let secret = a["softline"]["webhook_secret"].as_str().unwrap();
    let settings = app.get_json(&control("a", "/softline/webhook"), 200).await;
    assert_eq!(settings["url"], format!("{}/hook", a_receiver.uri()));
    assert_eq!(settings["secret"], secret);
    let requests = a_receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let paid: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(paid["event"], "order.payment.succeeded");
    assert_eq!(paid["order_id"], order_id);
    assert_eq!(paid["external_id"], "HOOK-A");
    let expected = sha512_hex(&format!(
        "{secret};order.payment.succeeded;{order_id};{};CreditCard;RUB;customer@gmail.com",
        paid["create_date"].as_str().unwrap()
    ));
    assert_eq!(requests[1].headers["signature"].to_str().unwrap(), expected);
    assert_eq!(
        app.get_json(&control("b", "/webhooks"), 200).await["deliveries"],
        json!([])
    );
    assert_eq!(
        app.get_json("/__sandbox/webhooks", 200).await["deliveries"],
        json!([])
    );
    assert!(app.state.core.outbox.list().is_empty());
    assert_eq!(
        app.get_json(&control("b", "/softline/webhook"), 200).await["url"],
        Value::Null
    );
    assert_eq!(
        app.get_json("/__sandbox/softline/webhook", 200).await["url"],
        Value::Null
    );
}

#[tokio::test]
async fn a_workspace_s_journal_holds_only_its_own_exchanges() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let (a_order, _) = create_ok_as(&app, &softline_token(&a), &minimal_payment("J-A")).await;
    let (d_order, _) = create_ok_as(&app, TOKEN, &minimal_payment("J-D")).await;
    api_get_as(
        &app,
        &softline_token(&a),
        &format!("/softline/v1/order/{a_order}"),
    )
    .await;

    let in_a = app.get_json(&control("a", "/journal"), 200).await["entries"]
        .as_array()
        .unwrap()
        .clone();
    let in_default = app.journal("").await;

    let objects = |entries: &[Value]| -> HashSet<String> {
        entries
            .iter()
            .flat_map(|e| e["objects"].as_array().cloned().unwrap_or_default())
            .map(|o| o.as_str().unwrap().to_owned())
            .collect()
    };
    let urls = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["url"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        objects(&in_a),
        HashSet::from([a_order.to_string()]),
        "{in_a:#?}"
    );
    assert_eq!(
        objects(&in_default),
        HashSet::from([d_order.to_string()]),
        "{in_default:#?}"
    );
    assert_eq!(in_a.len(), 2, "{:?}", urls(&in_a));
    assert_eq!(in_default.len(), 1, "{:?}", urls(&in_default));
    assert!(
        urls(&in_a).contains(&format!("/softline/v1/order/{a_order}")),
        "{:?}",
        urls(&in_a)
    );
    let a_text = serde_json::to_string(&in_a).unwrap();
    assert!(
        !a_text.contains("J-D"),
        "default's payment is not in A's journal"
    );
    let default_text = serde_json::to_string(&in_default).unwrap();
    assert!(
        !default_text.contains("J-A"),
        "A's payment is not in default's journal"
    );
}

#[tokio::test]
async fn resetting_one_workspace_forgets_its_objects_and_keeps_its_neighbours() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let (a_token, b_token) = (softline_token(&a), softline_token(&b));
    let (a_order, _) = create_ok_as(&app, &a_token, &minimal_payment("R-A")).await;
    let (b_order, _) = create_ok_as(&app, &b_token, &minimal_payment("R-B")).await;
    let (d_order, _) = create_ok_as(&app, TOKEN, &minimal_payment("R-D")).await;
    let a_shop = Shop::of_workspace(&a);
    let b_shop = Shop::of_workspace(&b);
    let a_invoice = invoice_in(&app, &a_shop, "R-A").await;
    let b_invoice = invoice_in(&app, &b_shop, "R-B").await;
    app.post_json(&control("a", "/clock/advance"), &json!({"seconds": 60}))
        .await;

    let response = app.post_json(&control("a", "/reset"), &json!({})).await;

    assert_eq!(response.status(), 200);
    let gone = api_get_as(&app, &a_token, &format!("/softline/v1/order/{a_order}")).await;
    assert_errors(gone, 404, &[(404, "Order not found.")]).await;
    assert_eq!(
        search_as(&app, &a_token, &json!({})).await,
        Vec::<u64>::new()
    );
    assert_eq!(
        payment_state_in(&app, &a_shop, a_invoice).await["Result"]["State"]["Code"],
        7
    );
    assert_eq!(
        app.get_json(&control("a", "/clock"), 200).await["offset_seconds"],
        0
    );
    assert_eq!(
        app.get_json("/__sandbox/workspaces/a", 200).await["objects"]["softline_payments"],
        0
    );
    assert_eq!(
        order_as(&app, &b_token, b_order).await["status"],
        "not paid"
    );
    assert_eq!(order_as(&app, TOKEN, d_order).await["status"], "not paid");
    assert_eq!(
        payment_state_in(&app, &b_shop, b_invoice).await["Result"]["PaymentStep"],
        "Created"
    );
    assert_eq!(
        app.get_json("/__sandbox/workspaces/b", 200).await["objects"]["softline_payments"],
        1
    );
    let again = api_post_as(
        &app,
        &a_token,
        "/softline/v1/payment",
        &minimal_payment("R-A2"),
    )
    .await;
    assert_eq!(again.status(), 200, "A's static token survives its reset");
}

// ---------------------------------------------------------------------------
// IMSHOP

#[tokio::test]
async fn a_run_started_at_a_workspace_s_runs_url_is_listed_there_and_not_at_default_s() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let b = app.create_workspace("b").await;
    let runs_url = a["imshop"]["runs_url"].as_str().unwrap().to_owned();
    let sync_url = a["imshop"]["sync_url"].as_str().unwrap().to_owned();
    let key = a["imshop"]["key"].as_str().unwrap().to_owned();
    let shop = merchant_with_key(&[], &sync_url, &key).await;

    let response = app
        .post_json(
            &runs_url,
            &json!({"webhook": shop.webhook, "flow": "applepay"}),
        )
        .await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let run = app.wait_for_run(&id, run_finished).await;
    assert_eq!(run["status"], "passed", "{run:#}");
    let listed = app.get_json(&runs_url, 200).await;
    let ids: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    assert_eq!(app.get_json("/imshop/runs", 200).await["runs"], json!([]));
    assert_eq!(
        app.get_json(b["imshop"]["runs_url"].as_str().unwrap(), 200)
            .await["runs"],
        json!([])
    );
    let unknown = app.get("/imshop/runs?workspace=nope").await;
    assert_eq!(unknown.status(), 404);
}

// ---------------------------------------------------------------------------
// Load

#[tokio::test]
async fn eight_workspaces_creating_a_hundred_payments_each_at_once_see_exactly_their_own() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        let workspace = app.create_workspace(&format!("load-{i}")).await;
        tokens.push(softline_token(&workspace));
    }

    let creates = tokens.iter().enumerate().flat_map(|(w, token)| {
        let app = &app;
        (0..100).map(move |n| async move {
            let body = minimal_payment(&format!("LOAD-{w}-{n}"));
            let response = api_post_as(app, token, "/softline/v1/payment", &body).await;
            assert_eq!(response.status(), 200, "workspace {w}, payment {n}");
            let created: Value = response.json().await.unwrap();
            (w, created["order_id"].as_u64().unwrap())
        })
    });
    let made = futures_util::future::join_all(creates).await;

    let mut all = HashSet::new();
    for (w, token) in tokens.iter().enumerate() {
        let mine: HashSet<u64> = made
            .iter()
            .filter(|(owner, _)| *owner == w)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(mine.len(), 100, "workspace {w}");
        let found: HashSet<u64> = search_as(&app, token, &json!({"limit": 1000}))
            .await
            .into_iter()
            .collect();
        assert_eq!(found, mine, "workspace {w} sees exactly its own orders");
        let order = order_as(&app, token, *mine.iter().next().unwrap()).await;
        assert!(
            order["external_id"]
                .as_str()
                .unwrap()
                .starts_with(&format!("LOAD-{w}-")),
            "{order}"
        );
        all.extend(mine);
    }
    assert_eq!(all.len(), 800, "every order id is distinct");
    assert_eq!(search_as(&app, TOKEN, &json!({})).await, Vec::<u64>::new());
}

#[tokio::test]
async fn a_merchant_reporting_to_a_workspace_s_sync_url_settles_that_workspace_s_pending_run() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let runs_url = a["imshop"]["runs_url"].as_str().unwrap();
    let sync_url = a["imshop"]["sync_url"].as_str().unwrap();
    let key = a["imshop"]["key"].as_str().unwrap();
    let shop = merchant_with_key(&[Quirk::PendingThenSync], sync_url, key).await;

    let response = app
        .post_json(
            runs_url,
            &json!({"webhook": shop.webhook, "flow": "applepay"}),
        )
        .await;

    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = app.wait_for_run(&id, run_finished).await;
    assert_eq!(run["status"], "passed", "{run:#}");
}

#[tokio::test]
async fn a_run_in_a_workspace_names_that_workspace_s_sync_url_to_the_merchant() {
    let app = spawn_app().await;
    let a = app.create_workspace("a").await;
    let runs_url = a["imshop"]["runs_url"].as_str().unwrap();
    let sync_url = a["imshop"]["sync_url"].as_str().unwrap();
    let key = a["imshop"]["key"].as_str().unwrap();
    let shop = merchant_with_key(&[], sync_url, key).await;
    let id = {
        let response = app
            .post_json(
                runs_url,
                &json!({"webhook": shop.webhook, "flow": "applepay"}),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let run = app.wait_for_run(&id, run_finished).await;
    let page = app.html(&format!("/imshop/runs/{id}")).await;

    assert_eq!(run["sync_url"], sync_url, "the report");
    assert!(
        page.contains(&sync_url.replace('&', "&amp;")),
        "the run's page shows where to report"
    );
}

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
    let mut result = payment_state_in(&app, &a, invoice).await["Result"].clone();
    for _ in 0..10 {
        if result["PaymentStep"] == "SendTo3DS" {
            break;
        }
        result = payment_state_in(&app, &a, invoice).await["Result"].clone();
    }

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
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or_else(|| panic!("no {name} in {form:?}"), |(_, v)| v.clone())
    };
    let eshop_id: u64 = a.eshop_id.parse().unwrap();
    assert_eq!(field("eshopId"), a.eshop_id);
    assert_eq!(field("paymentId"), invoice.to_string());
    assert_eq!(field("eshopAccount"), (eshop_id * 10_000 + 1).to_string());
    assert_eq!(field("paymentStatus"), "3");
    let names = [
        "eshopId",
        "orderId",
        "serviceName",
        "eshopAccount",
        "recipientAmount",
        "recipientCurrency",
        "paymentStatus",
        "userName",
        "userEmail",
        "paymentData",
    ];
    let mut parts: Vec<String> = names.iter().map(|n| field(n)).collect();
    parts.push(a.secret_key.clone());
    assert_eq!(field("hash"), md5_hex(&parts.join("::")));
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
