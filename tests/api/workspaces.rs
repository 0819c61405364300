//! Workspaces: whole sandboxes side by side in one paysandbox. Each test
//! acts in one workspace and checks that a neighbour (another workspace,
//! or `default`) saw nothing of it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, see_other, spawn_app};
use crate::intellectmoney_support::{Shop, payment_state_in, test_ids};
use crate::softline_support::{
    TOKEN, api_get_as, api_post_as, assert_errors, create_ok_as, minimal_payment, pay_with,
};

use crate::workspaces_support::*;

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
