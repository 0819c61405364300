//! The snapshot format's promise (`docs/snapshots.md`): a document written
//! by format 1 keeps loading. `tests/fixtures/snapshot-v1.json` was exported
//! from the binary once and is never regenerated: if this test fails, a
//! change broke the documents people commit next to their tests.
//!
//! What the fixture holds: Softline orders 5136644 (`DOC-PAID`, paid by a
//! Visa ending 1111), 5136645 (`DOC-UNPAID`, not paid) and 5136646 (paid
//! in the IMSHOP run), a `login_check` token; IntellectMoney invoices
//! 3501408885 (`DOC-HELD`, held) and 3501408886 (`DOC-IM-PAID`, paid); the
//! passed IMSHOP run `run-06a431732dcd` (card flow against the reference
//! merchant) and the merchant's payment of it; one armed scenario, one
//! fault and a clock one hour ahead when it was taken.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::spawn_app;
use crate::intellectmoney_support::{SECRET_KEY, SIGN_SECRET_KEY, Shop, payment_state_in};
use crate::softline_support::{api_get_as, create_ok, minimal_payment, order};

const FORMAT_1: &str = include_str!("../fixtures/snapshot-v1.json");

/// The token `login_check` issued before the fixture was exported.
const ISSUED_TOKEN: &str = "dfcb3632c48fc6fb18268360cec62352";

/// When the fixture was taken.
fn taken_at() -> OffsetDateTime {
    let document: Value = serde_json::from_str(FORMAT_1).unwrap();
    OffsetDateTime::parse(document["taken_at"].as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn a_document_written_by_format_1_keeps_loading() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let imported = app
        .import_snapshot("/__sandbox", "format-1", FORMAT_1)
        .await;
    let restored = app.restore_snapshot("/__sandbox", "format-1").await;

    // Assert
    assert_eq!(imported.status(), 201);
    assert_eq!(restored.status(), 200);
    let summary: Value = restored.json().await.unwrap();
    assert_eq!(
        summary["objects"],
        json!({
            "demo": {"payments": 1},
            "imshop": {"runs": 1},
            "intellectmoney": {"invoices": 2},
            "softline": {"payments": 3, "tokens": 1}
        })
    );
    let clock = app.get_json("/__sandbox/clock", 200).await;
    let now = OffsetDateTime::parse(clock["now"].as_str().unwrap(), &Rfc3339).unwrap();
    let drift = now - taken_at();
    assert!(
        drift >= time::Duration::ZERO && drift < time::Duration::seconds(5),
        "the clock stands where it stood when the fixture was taken: {drift}"
    );
    assert_eq!(
        app.get_json("/__sandbox/scenarios", 200).await,
        json!({"armed": [{
            "handle": 1, "id": "softline.create_payment.6090",
            "match": {"payment_id": "QA-42"}, "remaining": 2, "times": 2
        }]})
    );
    assert_eq!(
        app.get_json("/__sandbox/faults", 200).await,
        json!({"faults": [{
            "handle": 1, "provider": "intellectmoney", "direction": "inbound",
            "path": "/merchant/createInvoice", "method": "POST", "status": 503,
            "drop": false, "times": 3, "remaining": 3, "applied": 0
        }]})
    );
    let paid = order(&app, 5_136_644).await;
    assert_eq!(
        (
            &paid["status"],
            &paid["external_id"],
            &paid["payment"]["card_type"],
            &paid["payment"]["card_last_4"]
        ),
        (
            &json!("paid"),
            &json!("DOC-PAID"),
            &json!("Visa"),
            &json!("1111")
        )
    );
    let run = app.get_json("/imshop/runs/run-06a431732dcd", 200).await;
    assert_eq!(run["status"], "passed");
    assert_eq!(run["flows"], json!(["card"]));
    assert_eq!(
        run["summary"],
        json!({"checks": 29, "passed": 28, "warnings": 1, "failed": 0})
    );
    assert_eq!(run["orders"][0]["order_id"], "29581681");
    assert_eq!(run["orders"][0]["payment_ids"], json!(["5136646"]));
    assert_eq!(order(&app, 5_136_646).await["status"], "paid");
}

#[tokio::test]
async fn a_format_1_document_restores_its_hold_and_token_however_long_ago_it_was_taken() {
    // Arrange: a restore puts the clock back to when the fixture was
    // taken, so its hold and its token are as they were, whenever this runs.
    let app = spawn_app().await;
    assert_eq!(
        app.import_snapshot("/__sandbox", "format-1", FORMAT_1)
            .await
            .status(),
        201
    );

    // Act
    let restored = app.restore_snapshot("/__sandbox", "format-1").await;

    // Assert
    assert_eq!(restored.status(), 200);
    let unpaid = api_get_as(&app, ISSUED_TOKEN, "/softline/v1/order/5136645").await;
    assert_eq!(unpaid.status(), 200, "the issued token is accepted");
    let unpaid: Value = unpaid.json().await.unwrap();
    assert_eq!(unpaid["status"], "not paid");
    let (next, _) = create_ok(&app, &minimal_payment("AFTER-RESTORE")).await;
    assert_eq!(next, 5_136_647, "order ids go on from the document's");

    let held = app
        .get_json("/__sandbox/intellectmoney/invoices/3501408885", 200)
        .await;
    assert_eq!(
        (&held["order_id"], &held["status"], &held["status_text"]),
        (&json!("DOC-HELD"), &json!(6), &json!("сумма заблокирована"))
    );
    let state = payment_state_in(&app, &Shop::builtin(), 3_501_408_885).await;
    assert_eq!(state["Result"]["PaymentStep"], "Ok", "{state}");
    assert_eq!(state["Result"]["Rrn"], "815113103217", "{state}");
    let im_paid = app
        .get_json("/__sandbox/intellectmoney/invoices/3501408886", 200)
        .await;
    assert_eq!(im_paid["status"], 5);
}

#[test]
fn the_format_1_fixture_holds_no_secret() {
    let secrets = [
        SECRET_KEY,
        SIGN_SECRET_KEY,
        "sandbox-webhook-secret",
        "sandbox-imshop-key",
        crate::intellectmoney_support::TOKEN,
    ];
    for secret in secrets {
        assert!(!FORMAT_1.contains(secret), "{secret} is in the fixture");
    }
}
