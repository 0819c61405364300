//! The one application state. Handlers take the sub-state they need
//! (`State<softline::State>`, `State<Core>`), never the whole world; axum
//! derives the projections with `FromRef`.

use axum::extract::FromRef;

use crate::core::Core;
use crate::demo;
use crate::providers::{imshop, intellectmoney, softline};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub core: Core,
    pub softline: softline::State,
    pub intellectmoney: intellectmoney::State,
    pub imshop: imshop::State,
    pub demo: demo::State,
}

impl AppState {
    /// `POST /__sandbox/reset`: every payment, invoice, run, scenario, fault
    /// and journal entry forgotten; the clock back to real time. The core
    /// goes first so providers draw their id sequences from the reseeded
    /// generator.
    pub fn reset(&self) {
        self.core.reset();
        self.softline.reset();
        self.intellectmoney.reset();
        self.imshop.reset();
        self.demo.reset();
    }
}

impl AppState {
    /// Links a person wants next to an object's timeline: its export, and
    /// (filled in by the providers) its hosted page and API view.
    pub fn links_for(&self, id: &str) -> Vec<(String, String)> {
        let mut links = Vec::new();
        if let Ok(number) = id.parse::<u64>() {
            if let Some(path) = self.softline.form_path_of(number) {
                links.push(("Softline payment form".to_owned(), path));
            }
            if self.intellectmoney.invoices.contains(&number) {
                links.push((
                    "IntellectMoney payment page".to_owned(),
                    format!("/intellectmoney/pay/{number}"),
                ));
                links.push((
                    "Invoice (JSON)".to_owned(),
                    format!("/__sandbox/intellectmoney/invoices/{number}"),
                ));
            }
        }
        let export = serde_urlencoded::to_string([("object", id)]).unwrap_or_default();
        links.push((
            "Export as JSON".to_owned(),
            format!("/__sandbox/journal?{export}&download=true"),
        ));
        links
    }

    /// Objects held, for `/metrics`.
    pub fn stored_objects(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("softline_payments", self.softline.payment_count()),
            (
                "intellectmoney_invoices",
                self.intellectmoney.invoice_count(),
            ),
            ("imshop_runs", self.imshop.runs.len()),
            ("imshop_runs_capacity", self.imshop.runs.capacity()),
        ]
    }
}
