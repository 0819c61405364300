//! Every error envelope, exactly: the status, the content type and the body
//! each provider and the control plane answer, from the router in process
//! (`router(state).oneshot(request)`) with a fixed seed and a clock that
//! stands still, as inline snapshots.
//!
//! IntellectMoney answers its errors with HTTP 200 and the envelope, in JSON
//! or, when `Accept` asks for it first, in XML.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::helpers::{in_process, with};
use crate::intellectmoney_support::{self as im, invoice_params};
use crate::softline_support::{TOKEN, minimal_payment};

/// What a request got.
#[derive(Debug, Serialize)]
struct Answer {
    status: u16,
    content_type: String,
    /// JSON when the content type says so, the text otherwise.
    body: Value,
}

async fn answer(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if content_type.starts_with("application/json") {
        serde_json::from_slice(&bytes).unwrap()
    } else {
        Value::String(String::from_utf8(bytes.to_vec()).unwrap())
    };
    Answer {
        status,
        content_type,
        body,
    }
}

/// `POST path` with a JSON body and, if given, `Authorization: Bearer …`.
fn post_json(path: &str, bearer: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

/// A createInvoice in JSON, signed as a merchant signs it (its `Hash` from
/// `params` unless `params` has one), answered in `accept`.
fn create_invoice(params: Vec<(String, String)>, accept: &str) -> Request<Body> {
    let sign = im::sign("createInvoice", &params);
    let mut params = params;
    if !params.iter().any(|(k, _)| k == "hash") {
        params.push(("hash".to_owned(), im::hash("createInvoice", &params)));
    }
    let body: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Request::post("/intellectmoney/merchant/createInvoice")
        .header("content-type", "application/json")
        .header("accept", accept)
        .header("authorization", format!("Bearer {}", im::TOKEN))
        .header("sign", sign)
        .body(Body::from(Value::Object(body).to_string()))
        .unwrap()
}

#[tokio::test]
async fn softline_answers_6030_to_a_payment_with_zero_amount() {
    // Arrange
    let (router, _) = in_process();
    let zero = with(minimal_payment("ZERO-1"), "/amount", json!("0.00"));

    // Act
    let answer = answer(
        &router,
        post_json("/softline/v1/payment", Some(TOKEN), &zero.to_string()),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 400,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 6030,
            "message": "Сreation of zero-amount payments is not available. Enable recurring_indicator = true or set the amount strictly greater than zero."
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn softline_answers_1008_without_a_token_and_1007_to_an_unknown_one() {
    // Arrange
    let (router, _) = in_process();
    let body = minimal_payment("AUTH-1").to_string();

    // Act
    let missing = answer(&router, post_json("/softline/v1/payment", None, &body)).await;
    let unknown = answer(
        &router,
        post_json("/softline/v1/payment", Some("not-a-token"), &body),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(missing, @r#"
    {
      "status": 401,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 1008,
            "message": "Missing token."
          }
        ]
      }
    }
    "#);
    insta::assert_json_snapshot!(unknown, @r#"
    {
      "status": 401,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 1007,
            "message": "Your token is invalid."
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn softline_answers_1009_to_a_token_24_sandbox_hours_old() {
    // Arrange: a token from login_check, then a day on the sandbox clock.
    let (router, state) = in_process();
    let login = answer(
        &router,
        post_json(
            "/softline/v1/login_check",
            None,
            r#"{"username": "sandbox", "password": "sandbox"}"#,
        ),
    )
    .await;
    let token = login.body["token"].as_str().expect("a token").to_owned();
    state.core.clock.advance(time::Duration::hours(24));

    // Act
    let expired = answer(
        &router,
        post_json(
            "/softline/v1/payment",
            Some(&token),
            &minimal_payment("AUTH-2").to_string(),
        ),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(expired, @r#"
    {
      "status": 401,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 1009,
            "message": "Your token is expired."
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn softline_answers_404_to_an_unknown_path_and_405_to_a_known_path_with_another_method() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let unknown = answer(
        &router,
        Request::get("/softline/v1/nowhere")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let wrong_method = answer(
        &router,
        Request::delete("/softline/v1/payment")
            .body(Body::empty())
            .unwrap(),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(unknown, @r#"
    {
      "status": 404,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 404,
            "message": "Invalid request URL."
          }
        ]
      }
    }
    "#);
    insta::assert_json_snapshot!(wrong_method, @r#"
    {
      "status": 405,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 405,
            "message": "Method not allowed."
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn softline_answers_110_to_a_body_that_is_not_json() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let answer = answer(
        &router,
        post_json("/softline/v1/payment", Some(TOKEN), r#"{"currency": "#),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 400,
      "content_type": "application/json",
      "body": {
        "errors": [
          {
            "error": 110,
            "message": "JSON is not valid."
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn intellectmoney_answers_a_wrong_hash_with_http_200_and_result_state_4_in_json_and_in_xml() {
    // Arrange
    let (router, _) = in_process();
    let mut params = invoice_params("ENV-1");
    params.push(("hash".to_owned(), "0".repeat(32)));

    // Act
    let in_json = answer(&router, create_invoice(params.clone(), "application/json")).await;
    let in_xml = answer(&router, create_invoice(params, "application/xml")).await;

    // Assert
    insta::assert_json_snapshot!(in_json, @r#"
    {
      "status": 200,
      "content_type": "application/json; charset=utf-8",
      "body": {
        "EshopId": 450000,
        "OperationState": {
          "Code": 0,
          "Desc": "Успешно обработана"
        },
        "Result": {
          "State": {
            "Code": 4,
            "Desc": "Неверная подпись запроса (Hash)",
            "ErrorSourceParam": "Hash"
          }
        }
      }
    }
    "#);
    insta::assert_json_snapshot!(in_xml, @r#"
    {
      "status": 200,
      "content_type": "application/xml; charset=utf-8",
      "body": "<?xml version=\"1.0\" encoding=\"utf-8\"?><Response><OperationState><Code>0</Code><Desc>Успешно обработана</Desc></OperationState><EshopId>450000</EshopId><Result><State><Code>4</Code><Desc>Неверная подпись запроса (Hash)</Desc><ErrorSourceParam>Hash</ErrorSourceParam></State></Result></Response>"
    }
    "#);
}

#[tokio::test]
async fn intellectmoney_answers_an_unknown_eshop_id_with_http_200_and_result_state_6() {
    // Arrange: signed correctly, for a shop the fixtures do not have.
    let (router, _) = in_process();
    let params: Vec<(String, String)> = invoice_params("ENV-2")
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "eshopId" {
                "999999".to_owned()
            } else {
                v
            };
            (k, v)
        })
        .collect();

    // Act
    let answer = answer(&router, create_invoice(params, "application/json")).await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 200,
      "content_type": "application/json; charset=utf-8",
      "body": {
        "OperationState": {
          "Code": 0,
          "Desc": "Успешно обработана"
        },
        "Result": {
          "State": {
            "Code": 6,
            "Desc": "Магазин 999999 не найден",
            "ErrorSourceParam": "EshopId"
          }
        }
      }
    }
    "#);
}

#[tokio::test]
async fn intellectmoney_answers_a_malformed_body_with_http_200_and_operation_state_1() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let answer = answer(
        &router,
        post_json(
            "/intellectmoney/merchant/createInvoice",
            None,
            r#"{"EshopId":"450000","#,
        ),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 200,
      "content_type": "application/json; charset=utf-8",
      "body": {
        "OperationState": {
          "Code": 1,
          "Desc": "Неверный формат запроса: неверный JSON: EOF while parsing a value at line 1 column 20"
        },
        "Result": null
      }
    }
    "#);
}

#[tokio::test]
async fn intellectmoney_answers_an_unknown_method_with_http_200_and_operation_state_2() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let answer = answer(
        &router,
        Request::post("/intellectmoney/merchant/refundInvoice")
            .body(Body::empty())
            .unwrap(),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 200,
      "content_type": "application/json; charset=utf-8",
      "body": {
        "OperationState": {
          "Code": 2,
          "Desc": "Метод refundinvoice не найден"
        },
        "Result": null
      }
    }
    "#);
}

#[tokio::test]
async fn imshop_sync_answers_a_malformed_report_and_an_unknown_payment_in_its_shape() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let malformed = answer(&router, post_json("/imshop/sync", None, "{oops")).await;
    let unknown = answer(
        &router,
        post_json(
            "/imshop/sync",
            None,
            r#"{"orderId": "1", "paymentId": "nope", "success": true, "paymentCaptured": true}"#,
        ),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(malformed, @r#"
    {
      "status": 400,
      "content_type": "application/json",
      "body": {
        "error": "the body is not JSON: key must be a string at line 1 column 2",
        "success": false
      }
    }
    "#);
    insta::assert_json_snapshot!(unknown, @r#"
    {
      "status": 200,
      "content_type": "application/json",
      "body": {
        "error": "unknown payment: no run knows paymentId \"nope\" of orderId \"1\"",
        "success": false
      }
    }
    "#);
}

#[tokio::test]
async fn imshop_answers_404_to_an_unknown_run() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let answer = answer(
        &router,
        Request::get("/imshop/runs/no-such-run")
            .header("accept", "application/json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(answer, @r#"
    {
      "status": 404,
      "content_type": "application/json",
      "body": {
        "error": "no run no-such-run",
        "success": false
      }
    }
    "#);
}

#[tokio::test]
async fn the_control_plane_answers_an_unknown_path_and_a_bad_body_in_its_envelope() {
    // Arrange
    let (router, _) = in_process();

    // Act
    let unknown = answer(
        &router,
        Request::get("/__sandbox/nowhere")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let bad_body = answer(
        &router,
        post_json("/__sandbox/clock/advance", None, r#"{"seconds": "soon"}"#),
    )
    .await;

    // Assert
    insta::assert_json_snapshot!(unknown, @r#"
    {
      "status": 404,
      "content_type": "application/json",
      "body": {
        "error": {
          "code": "not_found",
          "message": "No such endpoint: /__sandbox/nowhere."
        }
      }
    }
    "#);
    insta::assert_json_snapshot!(bad_body, @r#"
    {
      "status": 400,
      "content_type": "application/json",
      "body": {
        "error": {
          "code": "bad_request",
          "message": "Failed to deserialize the JSON body into the target type: seconds: invalid type: string \"soon\", expected i64 at line 1 column 18"
        }
      }
    }
    "#);
}
