//! The two Softline calls the reference merchant makes, over HTTP like any
//! merchant: create a payment, and look an order up.
//!
//! Softline docs: <https://docs.noventiq.com/en-en/payment/payment-api-create-payment>
//! and <https://docs.noventiq.com/en-en/payment/orders-api-get-order> (the
//! sandbox serves them under `{public_url}/softline`).

use serde::{Deserialize, Serialize};

use crate::core::http_client::{HttpClient, OutboundRequest};

/// A small Softline client: where the API is and the token to call it with.
pub struct SoftlineClient<'a> {
    pub http: &'a HttpClient,
    /// `{public_url}/softline`
    pub base_url: String,
    pub token: &'a str,
}

/// `POST /v1/payment`'s body (the fields the demo needs).
#[derive(Debug, Serialize)]
pub struct NewPayment<'a> {
    pub currency: &'a str,
    pub amount: &'a str,
    pub return_success_url: &'a str,
    pub payment_method: &'a str,
    /// The merchant's own id for the payment: the IMSHOP order id.
    pub payment_id: &'a str,
    pub customer: Customer<'a>,
}

#[derive(Debug, Serialize)]
pub struct Customer<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// What `POST /v1/payment` answers.
#[derive(Debug, Deserialize)]
pub struct CreatedPayment {
    /// The hosted payment form: the app's web view opens it.
    pub payment_url: String,
    /// Softline's number for the order: our `paymentId`.
    pub order_id: u64,
}

/// What `GET /v1/order/{id}` answers (the one field the demo reads).
#[derive(Debug, Deserialize)]
pub struct Order {
    /// `not paid`, `paid` or `deleted`.
    pub status: String,
}

/// Why a Softline call gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum SoftlineError {
    #[error("Softline is unreachable: {0}")]
    Unreachable(String),
    #[error("Softline answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("Softline's answer could not be read: {0}")]
    Unreadable(String),
}

impl SoftlineClient<'_> {
    pub async fn create_payment(
        &self,
        payment: &NewPayment<'_>,
    ) -> Result<CreatedPayment, SoftlineError> {
        let body =
            serde_json::to_vec(payment).map_err(|e| SoftlineError::Unreadable(e.to_string()))?;
        let request = OutboundRequest::post(
            format!("{}/v1/payment", self.base_url),
            "application/json",
            body,
        );
        self.call(request).await
    }

    pub async fn order(&self, order_id: u64) -> Result<Order, SoftlineError> {
        let request = OutboundRequest::get(format!("{}/v1/order/{order_id}", self.base_url));
        self.call(request).await
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: OutboundRequest,
    ) -> Result<T, SoftlineError> {
        let request = request
            .header("authorization", format!("Bearer {}", self.token))
            .header("accept", "application/json");
        let response = self
            .http
            .send(request)
            .await
            .map_err(|e| SoftlineError::Unreachable(e.to_string()))?;
        if response.status != 200 {
            let body: String = response.text().chars().take(300).collect();
            return Err(SoftlineError::Refused {
                status: response.status,
                body,
            });
        }
        serde_json::from_slice(&response.body).map_err(|e| SoftlineError::Unreadable(e.to_string()))
    }
}
