//! Workspaces, continued: scenarios, faults, the clock, webhooks, the
//! journal, reset, IMSHOP, load, and the control plane's reach, each with a
//! neighbour that must see nothing of it.

use std::collections::HashSet;

use paysandbox::core::outbox::DeliveryOutcome;
use paysandbox::core::signature::sha512_hex;
use serde_json::{Value, json};

use crate::helpers::{DAY, receiver, run_finished, spawn_app};
use crate::imshop_support::{Quirk, merchant_with_key};
use crate::intellectmoney_support::{Shop, payment_state_in};
use crate::softline_support::{
    TOKEN, api_get_as, api_post_as, assert_errors, create_ok_as, minimal_payment, pay_with,
};

use crate::workspaces_support::*;

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

    let id = app
        .start_run_at(
            &runs_url,
            &json!({"webhook": shop.webhook, "flow": "applepay"}),
        )
        .await;
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

    let id = app
        .start_run_at(
            runs_url,
            &json!({"webhook": shop.webhook, "flow": "applepay"}),
        )
        .await;
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
    let id = app
        .start_run_at(
            runs_url,
            &json!({"webhook": shop.webhook, "flow": "applepay"}),
        )
        .await;

    let run = app.wait_for_run(&id, run_finished).await;
    let page = app.html(&format!("/imshop/runs/{id}")).await;

    assert_eq!(run["sync_url"], sync_url, "the report");
    assert!(
        page.contains(&sync_url.replace('&', "&amp;")),
        "the run's page shows where to report"
    );
}
