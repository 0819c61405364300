//! The OpenAPI document (`/__sandbox/openapi.json`) as client generators
//! read it: one unique id per operation, and every operation it describes
//! answered by a route.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::spawn_app;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation of the served document: method, path and operation.
async fn operations() -> (crate::helpers::TestApp, Vec<(String, String, Value)>) {
    let app = spawn_app().await;
    let document = app.get_json("/__sandbox/openapi.json", 200).await;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_owned(), path.clone(), operation.clone()));
            }
        }
    }
    (app, operations)
}

#[tokio::test]
async fn every_operation_has_a_unique_id_that_begins_with_its_tag_and_a_summary() {
    let (_app, operations) = operations().await;
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut wrong = Vec::new();

    for (method, path, operation) in &operations {
        let at = format!("{} {path}", method.to_uppercase());
        let id = operation["operationId"].as_str().unwrap_or_default();
        let tag = operation["tags"][0].as_str().unwrap_or_default();
        seen.entry(id.to_owned()).or_default().push(at.clone());
        if tag.is_empty() || !id.starts_with(&format!("{tag}_")) {
            wrong.push(format!(
                "{at}: id {id:?} does not begin with its tag {tag:?}"
            ));
        }
        if operation["summary"].as_str().is_none_or(str::is_empty) {
            wrong.push(format!("{at}: no summary"));
        }
    }

    wrong.extend(
        seen.iter()
            .filter(|(_, places)| places.len() > 1)
            .map(|(id, places)| format!("{id} names {places:?}")),
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(operations.len() > 100, "{} operations", operations.len());
}

/// A value for a path parameter that routes (what it names need not
/// exist: "not found" in the provider's words is still a route).
fn sample(parameter: &str) -> &'static str {
    match parameter {
        "name" => "default",
        "hash" => "abc",
        "snapshot" => "before",
        "method" => "someMethod",
        _ => "1",
    }
}

/// `path` with each parameter filled in with its [`sample`].
fn filled_in(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(parameter) => sample(parameter.trim_end_matches('}')),
            None => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_operation_the_document_describes_is_answered_by_a_route() {
    let (app, operations) = operations().await;
    let mut unrouted = Vec::new();

    for (method, path, _) in &operations {
        let url = filled_in(path);
        let response = app
            .client
            .request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{url}", app.address),
            )
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        // What each namespace answers a path or method it has no route for.
        let no_route = status == 405
            || status >= 500
            || body.contains("No such endpoint")
            || body.contains("Invalid request URL.");
        if no_route {
            unrouted.push(format!(
                "{} {url}: {status} {body:.120}",
                method.to_uppercase()
            ));
        }
    }

    assert!(unrouted.is_empty(), "{}", unrouted.join("\n"));
}

/// The routes that answer the API are the document's own (`startup`'s
/// `documented_routes` builds both from the same `routes!`); only the
/// dashboard's HTML pages are routed with plain axum (and `imshop run`'s
/// own small server, which serves the documented `POST /imshop/sync` in the
/// command's process), so a plain route anywhere else would be an endpoint
/// no generated client knows.
#[test]
fn only_the_dashboards_pages_are_routed_outside_the_document() {
    let mut outside = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let name = path.display().to_string();
            let dashboard = name.contains("dashboard")
                || name.ends_with("panel.rs")
                || name.ends_with("cli/imshop.rs");
            for (number, line) in text.lines().enumerate() {
                if line.contains(".route(") && !dashboard {
                    outside.push(format!("{name}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }

    assert!(outside.is_empty(), "{}", outside.join("\n"));
}

#[tokio::test]
async fn the_documented_softline_error_examples_are_what_the_api_answers() {
    let app = spawn_app().await;
    let document = app.get_json("/__sandbox/openapi.json", 200).await;
    let responses = &document["paths"]["/softline/v1/payment"]["post"]["responses"];
    let mut zero = crate::softline_support::minimal_payment("DOC-1");
    zero["amount"] = serde_json::json!("0");

    let zero_amount = app
        .client
        .post(format!("{}/softline/v1/payment", app.address))
        .bearer_auth(crate::softline_support::TOKEN)
        .json(&zero)
        .send()
        .await
        .unwrap();
    let no_token = app
        .client
        .post(format!("{}/softline/v1/payment", app.address))
        .json(&crate::softline_support::minimal_payment("DOC-2"))
        .send()
        .await
        .unwrap();

    assert_eq!(
        zero_amount.json::<Value>().await.unwrap(),
        responses["400"]["content"]["application/json"]["examples"]["6030 zero amount"]["value"]
    );
    assert_eq!(
        no_token.json::<Value>().await.unwrap(),
        responses["401"]["content"]["application/json"]["examples"]["1008 missing token"]["value"]
    );
}

/// The JSON example `name` of the documented answer `status` of `method
/// path` (or its only example when `name` is `None`).
fn documented<'a>(
    document: &'a Value,
    method: &str,
    path: &str,
    status: u16,
    name: Option<&str>,
) -> &'a Value {
    let content = &document["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"];
    match name {
        Some(name) => &content["examples"][name]["value"],
        None => &content["example"],
    }
}

#[tokio::test]
async fn the_documented_intellectmoney_error_examples_are_what_the_api_answers() {
    let app = spawn_app().await;
    let document = app.get_json("/__sandbox/openapi.json", 200).await;
    let create = "/intellectmoney/merchant/createInvoice";
    let unsigned = serde_json::json!({"EshopId": "450000", "RecipientCurrency": "RUB"});
    let cases = [
        (create, serde_json::json!({}), "2 EshopId missing"),
        (
            create,
            serde_json::json!({"EshopId": "1"}),
            "6 unknown shop",
        ),
        (create, unsigned.clone(), "5 no Authorization"),
        (
            "/intellectmoney/merchant/getBankCardPaymentState",
            serde_json::json!({"EshopId": "450000", "InvoiceId": "3999999999"}),
            "7 unknown invoice",
        ),
        (
            "/intellectmoney/merchant/bankCardPayment",
            serde_json::json!({"EshopId": "450000", "InvoiceId": "3999999999"}),
            "7 unknown invoice",
        ),
    ];

    for (path, body, example) in cases {
        let answer = app.post_json(path, &body).await;
        assert_eq!(answer.status(), 200, "{path} {body}");

        assert_eq!(
            &answer.json::<Value>().await.unwrap(),
            documented(&document, "post", path, 200, Some(example)),
            "{path} {body}: example {example:?}"
        );
    }

    // The answer names the method as routed, in lower case.
    let unknown = app
        .post_json(
            "/intellectmoney/merchant/someMethod",
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(
        &unknown.json::<Value>().await.unwrap(),
        documented(
            &document,
            "post",
            "/intellectmoney/merchant/{method}",
            200,
            None
        )
    );
    let as_xml = app
        .client
        .post(app.url(create))
        .header("accept", "application/xml")
        .json(&unsigned)
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_xml.text().await.unwrap(),
        document["paths"][create]["post"]["responses"]["200"]["content"]["application/xml"]
            ["example"]
            .as_str()
            .unwrap()
    );
}

#[tokio::test]
async fn the_documented_refusals_of_the_control_plane_imshop_and_the_demo_are_what_they_answer() {
    let app = spawn_app().await;
    let document = app.get_json("/__sandbox/openapi.json", 200).await;
    let empty = serde_json::json!({});
    let no_order = serde_json::json!({"paymentId": "p", "success": true, "paymentCaptured": true});
    let unknown_payment = serde_json::json!({"orderId": "12345", "paymentId": "7d05", "success": true, "paymentCaptured": true});
    let cases = [
        ("delete", "/__sandbox/scenarios/{handle}", None, 404, None),
        ("delete", "/__sandbox/faults/{handle}", None, 404, None),
        (
            "post",
            "/__sandbox/webhooks/{id}/redeliver",
            None,
            404,
            None,
        ),
        ("get", "/__sandbox/snapshots/{snapshot}", None, 404, None),
        (
            "post",
            "/__sandbox/softline/orders/{order_id}/refund",
            None,
            404,
            None,
        ),
        ("post", "/imshop/sync", Some(&no_order), 400, None),
        (
            "post",
            "/imshop/sync",
            Some(&unknown_payment),
            200,
            Some("unknown payment"),
        ),
        ("get", "/imshop/runs/{id}", None, 404, None),
        ("post", "/demo/merchant/orders", Some(&empty), 401, None),
    ];

    for (method, path, body, status, example) in cases {
        let url = filled_in(path);
        let mut request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(&url));
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), status, "{method} {url}");

        assert_eq!(
            &answer.json::<Value>().await.unwrap(),
            documented(&document, method, path, status, example),
            "{method} {url}"
        );
    }
}
