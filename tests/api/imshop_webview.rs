//! The web view on IntellectMoney's hosted pages: the card page, the
//! auto-submitting `Form3DS` and the PayLate page, each driven to the
//! invoice's SuccessUrl or FailUrl.

use std::time::Duration;

use axum::response::Html;
use paysandbox::core::http_client::HttpClient;
use paysandbox::providers::imshop::options::Outcome;
use paysandbox::providers::imshop::webview::{End, Navigation, Regexes, Trip, WebView, Which};
use regex::Regex;

use crate::helpers::{TestApp, spawn_app};
use crate::intellectmoney_support::{create_invoice, pay, poll_until_settled};

fn shop_regexes() -> Regexes {
    Regexes {
        success: Some(Regex::new("shop\\.example/(success|bnpl-ok)").unwrap()),
        failure: Some(Regex::new("shop\\.example/(fail|bnpl-fail)").unwrap()),
    }
}

async fn open(app: &TestApp, url: &str, outcome: Outcome) -> Trip {
    let client = HttpClient::new(Duration::from_secs(5), 1024 * 1024);
    let regexes = shop_regexes();
    let ignore = |_: Navigation<'_>| {};
    let view = WebView {
        client: &client,
        cards: &app.state.core.cards,
        outcome,
        regexes: &regexes,
        timeout: Duration::from_secs(5),
        max_hops: 20,
        expiry: "12/39".to_owned(),
        return_url: "imshop://payment/failed",
        on_navigation: &ignore,
    };
    view.open(reqwest::Url::parse(url).unwrap()).await
}

#[tokio::test]
async fn the_intellectmoney_payment_page_is_paid_or_declined_to_the_invoices_urls() {
    let app = spawn_app().await;
    let cases = [
        (
            Outcome::Success,
            Which::Success,
            "https://shop.example/success",
        ),
        (
            Outcome::Failure,
            Which::Failure,
            "https://shop.example/fail",
        ),
    ];
    for (i, (outcome, which, url)) in cases.into_iter().enumerate() {
        let invoice = create_invoice(&app, &format!("web-view-{i}"), &[]).await;

        let trip = open(
            &app,
            &app.url(&format!("/intellectmoney/pay/{invoice}")),
            outcome,
        )
        .await;

        assert_eq!(
            trip.end,
            End::Matched {
                which,
                url: url.to_owned()
            },
            "{outcome:?}: {:#?}",
            trip.hops
        );
        assert!(
            trip.hops[0].note.starts_with("card form filled"),
            "{:#?}",
            trip.hops
        );
    }
}

#[tokio::test]
async fn an_auto_submitting_form3ds_leads_to_the_paylate_page_whose_buttons_decide() {
    let app = spawn_app().await;
    for (i, (outcome, which)) in [
        (Outcome::Success, Which::Success),
        (Outcome::Failure, Which::Failure),
    ]
    .into_iter()
    .enumerate()
    {
        // Arrange: a BNPL payment whose Form3DS a merchant shows as its own page.
        let invoice = create_invoice(&app, &format!("bnpl-{i}"), &[]).await;
        let started = pay(&app, "bnplPayment", invoice, &[]).await;
        assert_eq!(started["OperationState"]["Code"], 0, "{started}");
        let (_, state) = poll_until_settled(&app, invoice).await;
        let form3ds = state["Form3DS"].as_str().unwrap().to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let page = format!("http://{}/pay", listener.local_addr().unwrap());
        let router = axum::Router::new().route(
            "/pay",
            axum::routing::get(move || async move { Html(form3ds) }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });

        // Act
        let trip = open(&app, &page, outcome).await;

        // Assert
        let notes: Vec<&str> = trip.hops.iter().map(|h| h.note.as_str()).collect();
        assert!(
            matches!(&trip.end, End::Matched { which: w, .. } if *w == which),
            "{outcome:?}: {:#?}",
            trip
        );
        assert_eq!(notes[0], "auto-submitting form posted", "{notes:#?}");
        let button = if outcome == Outcome::Success {
            "approve"
        } else {
            "decline"
        };
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&format!("{button} button pressed"))),
            "{notes:#?}"
        );
    }
}
