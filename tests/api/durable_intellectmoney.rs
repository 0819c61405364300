//! IntellectMoney with durable state (`--data-dir`): invoices in their
//! states, their payments, the OrderIds shops refuse to repeat and where
//! `InvoiceId`s stand survive `kill -9` and a restart on the same
//! directory, and the API answers as it did before.

use serde_json::{Value, json};

use crate::durable_state::{data_dir, kill_9, serve_on};
use crate::helpers::{RunningBinary, start_binary};
use crate::intellectmoney_support::{Request, invoice_params, payment_params};

/// [`serve_on`] with a fixed seed: a restarted sandbox's fresh `InvoiceId`
/// sequence starts where the first one's did, so only what was kept can
/// move it on.
fn serve_seeded_on(dir: &std::path::Path) -> RunningBinary {
    start_binary(&["--data-dir", dir.to_str().unwrap(), "--seed", "7"])
}

/// A merchant of the sandbox at `base`.
struct Merchant {
    client: reqwest::Client,
    base: String,
}

impl Merchant {
    fn of(base: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    /// Sends a signed request; its envelope, asserting HTTP 200.
    async fn envelope(&self, request: Request) -> Value {
        let response = request.send_at(&self.client, &self.base).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// CreateInvoice of a 10.00 RUB invoice with `extra` parameters; its id.
    async fn create(&self, order_id: &str, extra: &[(&str, &str)]) -> u64 {
        let mut params = invoice_params(order_id);
        for (k, v) in extra {
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
        let body = self
            .envelope(Request::signed("createInvoice", params))
            .await;
        assert_eq!(body["Result"]["State"]["Code"], 0, "createInvoice: {body}");
        body["Result"]["InvoiceId"].as_u64().unwrap()
    }

    /// One payment method call with the test card or the documented
    /// defaults; its envelope.
    async fn pay(&self, method: &str, invoice: u64) -> Value {
        self.envelope(Request::signed(method, payment_params(method, invoice)))
            .await
    }

    /// One GetBankCardPaymentState; its envelope.
    async fn payment_state(&self, invoice: u64) -> Value {
        let params = payment_params("getBankCardPaymentState", invoice);
        self.envelope(Request::signed("getBankCardPaymentState", params))
            .await
    }

    /// Polls until the payment has ended; the last step.
    async fn poll_until_settled(&self, invoice: u64) -> String {
        for _ in 0..10 {
            let state = self.payment_state(invoice).await;
            let step = state["Result"]["PaymentStep"].as_str().unwrap().to_owned();
            if step != "Created" && step != "InProcess" {
                return step;
            }
        }
        panic!("invoice {invoice}: still not settled after 10 polls");
    }

    /// The control plane's view of an invoice.
    async fn view(&self, invoice: u64) -> Value {
        let url = format!("{}/__sandbox/intellectmoney/invoices/{invoice}", self.base);
        let response = self.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "invoice {invoice}");
        response.json().await.unwrap()
    }

    /// A move of the control plane (`capture`, `cancel`, `refund`): its
    /// status and answer.
    async fn control(&self, invoice: u64, action: &str) -> (u16, Value) {
        let url = format!(
            "{}/__sandbox/intellectmoney/invoices/{invoice}/{action}",
            self.base
        );
        let response = self.client.post(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// What the API and the control plane answer of an invoice whose
    /// payment has ended or never started (asking changes nothing).
    async fn answers(&self, invoice: u64) -> Value {
        json!({
            "payment_state": self.payment_state(invoice).await,
            "view": self.view(invoice).await,
        })
    }
}

#[tokio::test]
async fn after_a_kill_9_and_a_restart_every_invoice_answers_as_before_and_a_held_one_can_still_be_captured()
 {
    // Arrange: an open invoice, one paid by card, one paid and held, one
    // cancelled, and a PayLate payment polled once.
    let dir = data_dir("intellectmoney-states");
    let running = serve_on(&dir);
    let before = Merchant::of(&running.base_url);
    let open = before.create("DUR-OPEN", &[]).await;
    let paid = before.create("DUR-PAID", &[]).await;
    before.pay("bankCardPayment", paid).await;
    let paid_step = before.poll_until_settled(paid).await;
    let held = before.create("DUR-HELD", &[("holdMode", "1")]).await;
    before.pay("bankCardPayment", held).await;
    let held_step = before.poll_until_settled(held).await;
    let cancelled = before.create("DUR-CANCELLED", &[]).await;
    let (cancel_status, _) = before.control(cancelled, "cancel").await;
    let bnpl = before.create("DUR-BNPL", &[]).await;
    before.pay("bnplPayment", bnpl).await;
    let first_poll = before.payment_state(bnpl).await;
    let mut answered = Vec::new();
    for invoice in [open, paid, held, cancelled] {
        answered.push(before.answers(invoice).await);
    }
    let bnpl_view = before.view(bnpl).await;

    // Act
    kill_9(running);
    let restarted = serve_on(&dir);
    let after = Merchant::of(&restarted.base_url);

    // Assert
    assert_eq!((paid_step.as_str(), held_step.as_str()), ("Ok", "Ok"));
    assert_eq!(cancel_status, 200);
    let statuses: Vec<&Value> = answered.iter().map(|a| &a["view"]["status"]).collect();
    assert_eq!(statuses, [&json!(3), &json!(5), &json!(6), &json!(4)]);
    let moved = |value: &Value| -> Value {
        let text = value.to_string().replace(&before.base, &after.base);
        serde_json::from_str(&text).unwrap()
    };
    for (invoice, expected) in [open, paid, held, cancelled].into_iter().zip(&answered) {
        assert_eq!(
            after.answers(invoice).await,
            moved(expected),
            "invoice {invoice}"
        );
    }
    assert_eq!(after.view(bnpl).await, moved(&bnpl_view));
    assert_eq!(first_poll["Result"]["PaymentStep"], "Created");
    assert_eq!(
        after.payment_state(bnpl).await["Result"]["PaymentStep"],
        "InProcess",
        "the poll before the kill counts"
    );
    let (status, captured) = after.control(held, "capture").await;
    assert_eq!(status, 200);
    assert_eq!(
        (&captured["status"], &captured["status_text"]),
        (&json!(5), &json!("оплачен"))
    );
    assert_eq!(after.create("DUR-NEXT", &[]).await, bnpl + 1);
}

#[tokio::test]
async fn invoices_created_after_the_last_control_request_keep_their_order_ids_and_move_the_next_invoice_id_past_them()
 {
    // Arrange: no control-plane request, so no head is written after the
    // creates; only the invoices' rows tell how far ids went.
    let dir = data_dir("intellectmoney-ids");
    let running = serve_seeded_on(&dir);
    let before = Merchant::of(&running.base_url);
    let first = before.create("DUR-FIRST", &[]).await;
    let second = before.create("DUR-SECOND", &[]).await;

    // Act
    kill_9(running);
    let restarted = serve_seeded_on(&dir);
    let after = Merchant::of(&restarted.base_url);
    let third = after.create("DUR-THIRD", &[]).await;
    let repeated = after
        .envelope(Request::signed(
            "createInvoice",
            invoice_params("DUR-FIRST"),
        ))
        .await;

    // Assert
    assert_eq!(second, first + 1);
    assert_eq!(third, second + 1);
    assert_eq!(
        repeated["Result"]["State"],
        json!({"Code": 8, "Desc": "Номер покупки DUR-FIRST уже использован в этом магазине", "ErrorSourceParam": "OrderId"}),
        "the OrderId index is rebuilt from the kept invoices"
    );
}
