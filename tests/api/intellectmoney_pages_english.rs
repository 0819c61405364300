//! The buyer's pages of an invoice created with `Language=en`: every page
//! family and every message page speaks English, with no Cyrillic letter a
//! buyer could read; "not found", which has no invoice, follows the
//! request's hint and is Russian without one.

use scraper::{Html, Selector};

use crate::helpers::{DAY, TestApp, spawn_app};
use crate::intellectmoney_support::*;

/// An English invoice whose own words (the service name) are English too.
async fn english_invoice(app: &TestApp, order_id: &str, extra: &[(&str, &str)]) -> u64 {
    let mut params = vec![
        ("language", "en"),
        ("serviceName", "Order at the test shop"),
    ];
    params.extend_from_slice(extra);
    create_invoice(app, order_id, &params).await
}

/// What a buyer reads on a page: its text (the title included) and the
/// words of `alt`, `placeholder`, `title` and `aria-label` attributes.
fn visible_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let mut words: Vec<String> = document.root_element().text().map(str::to_owned).collect();
    let attributes = ["alt", "placeholder", "title", "aria-label"];
    let with_words = Selector::parse("[alt], [placeholder], [title], [aria-label]").unwrap();
    for element in document.select(&with_words) {
        words.extend(
            attributes
                .iter()
                .filter_map(|name| element.value().attr(name))
                .map(str::to_owned),
        );
    }
    words.join(" ")
}

/// Asserts that `html` is an English page: `lang="en"` and not one
/// Cyrillic letter in what the buyer reads.
fn assert_english(what: &str, html: &str) {
    let text = visible_text(html);
    let cyrillic: String = text
        .chars()
        .filter(|c| ('\u{400}'..='\u{4ff}').contains(c))
        .collect();
    assert!(html.contains("<html lang=\"en\">"), "{what}: {html}");
    assert_eq!(cyrillic, "", "{what} has Cyrillic letters in: {text}");
}

#[tokio::test]
async fn the_payment_page_of_an_english_invoice_is_all_english() {
    let app = spawn_app().await;
    let invoice = english_invoice(&app, "EN-PAY", &[]).await;

    let (status, html) = app
        .html_page(&format!("/intellectmoney/pay/{invoice}"))
        .await;

    assert_eq!(status, 200);
    assert_english("the payment page", &html);
    for words in [
        "Card number",
        "Pay with SBP",
        "Pay in parts — PayLate",
        "3-D Secure: code 123456 approves, any other declines",
        "declined: insufficient funds",
    ] {
        assert!(html.contains(words), "{words} in {html}");
    }
}

#[tokio::test]
async fn the_card_forms_checks_speak_english_on_an_english_invoice() {
    let app = spawn_app().await;
    let invoice = english_invoice(&app, "EN-FORM", &[]).await;
    let cases = [
        (
            "4111 1111 1111 1112",
            "12/35",
            "123",
            "The card number is mistyped.",
        ),
        ("4111", "12/35", "123", "A card number has 12 to 19 digits."),
        (
            "4111111111111111",
            "13/35",
            "123",
            "The expiry date is wrong: write it as MM/YY.",
        ),
        ("4111111111111111", "01/20", "123", "The card has expired."),
        (
            "4111111111111111",
            "12/35",
            "12",
            "CVC/CVV is the 3 or 4 digits on the back of the card.",
        ),
    ];
    for (card, expiry, cvc, error) in cases {
        let response = app
            .post_form(
                &format!("/intellectmoney/pay/{invoice}/card"),
                &[("card_number", card), ("expiry", expiry), ("cvc", cvc)],
            )
            .await;

        assert_eq!(response.status(), 422, "{card} {expiry} {cvc}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("role=\"alert\">{error}</div>")),
            "{card} {expiry} {cvc}: {html}"
        );
        assert_english(error, &html);
    }
}

#[tokio::test]
async fn the_3ds_paylate_and_sbp_pages_of_an_english_invoice_are_all_english() {
    let app = spawn_app().await;
    let card = english_invoice(&app, "EN-3DS", &[]).await;
    let bnpl = english_invoice(&app, "EN-BNPL", &[]).await;
    let sbp = english_invoice(&app, "EN-SBP", &[]).await;
    app.post_form(
        &format!("/intellectmoney/pay/{card}/card"),
        &[
            ("card_number", "4000 0000 0000 3220"),
            ("expiry", "12/35"),
            ("cvc", "123"),
        ],
    )
    .await;
    app.post_form(&format!("/intellectmoney/pay/{bnpl}/paylate"), &[])
        .await;
    app.post_form(&format!("/intellectmoney/pay/{sbp}/sbp"), &[])
        .await;

    let (_, three_ds) = app.html_page(&format!("/intellectmoney/3ds/{card}")).await;
    let no_code = app
        .post_form(
            &format!("/intellectmoney/3ds/{card}/confirm"),
            &[("code", "")],
        )
        .await;
    let (_, paylate) = app
        .html_page(&format!("/intellectmoney/paylate/{bnpl}"))
        .await;
    let (_, sbp_page) = app.html_page(&format!("/intellectmoney/sbp/{sbp}")).await;

    assert_english("the 3-D Secure page", &three_ds);
    assert!(three_ds.contains("Confirm your payment"), "{three_ds}");
    assert!(three_ds.contains("In the sandbox the code is <code>123456</code>."));
    assert_eq!(no_code.status(), 422);
    let no_code = no_code.text().await.unwrap();
    assert!(
        no_code.contains("role=\"alert\">Enter the confirmation code.</div>"),
        "{no_code}"
    );
    assert_english("the 3-D Secure page without a code", &no_code);
    assert_english("the PayLate page", &paylate);
    assert!(paylate.contains("<td>today</td>"), "{paylate}");
    assert_english("the SBP page", &sbp_page);
    assert!(sbp_page.contains("Payment link:"), "{sbp_page}");
}

#[tokio::test]
async fn the_message_pages_of_an_english_invoice_are_all_english() {
    let app = spawn_app().await;
    let finished = english_invoice(&app, "EN-DONE", &[]).await;
    let processing = english_invoice(&app, "EN-EARLY", &[]).await;
    let untouched = english_invoice(&app, "EN-NONE", &[]).await;
    app.post_form(&format!("/intellectmoney/pay/{finished}/sbp"), &[])
        .await;
    app.post_form(&format!("/intellectmoney/sbp/{finished}/approve"), &[])
        .await;
    pay(&app, "bnplPayment", processing, &[]).await;
    let cases = [
        (
            format!("/intellectmoney/sbp/{finished}"),
            409,
            "The payment is already finished",
            "This payment is already finished.",
        ),
        (
            format!("/intellectmoney/paylate/{processing}"),
            409,
            "The payment is still in progress",
            "The payment is still in progress. Refresh the page in a few seconds.",
        ),
        (
            format!("/intellectmoney/3ds/{untouched}"),
            404,
            "Payment not found",
            "This invoice has no payment waiting to be confirmed here.",
        ),
    ];
    for (path, status, title, text) in cases {
        let (got, html) = app.html_page(&path).await;

        assert_eq!(got, status, "{path}");
        assert!(
            html.contains(&format!("<h1>{title}</h1>")),
            "{path}: {html}"
        );
        assert!(
            html.contains(&format!("role=\"alert\">{text}</div>")),
            "{path}: {html}"
        );
        assert!(html.contains(">To the payment page</a>"), "{path}: {html}");
        assert_english(&path, &html);
    }
}

#[tokio::test]
async fn an_expired_english_invoice_says_so_in_english() {
    let app = spawn_app().await;
    let invoice = english_invoice(&app, "EN-EXPIRED", &[]).await;
    app.advance_clock(181 * DAY).await;

    let (status, html) = app
        .html_page(&format!("/intellectmoney/pay/{invoice}"))
        .await;

    assert_eq!(status, 200);
    assert!(
        html.contains("role=\"alert\">The invoice has expired.</div>"),
        "{html}"
    );
    assert_english("the expired invoice's page", &html);
}

#[tokio::test]
async fn the_not_found_page_is_russian_unless_the_request_hints_at_english() {
    let app = spawn_app().await;
    let path = "/intellectmoney/pay/3999999999";

    let (_, plain) = app.html_page(path).await;
    let (_, by_query) = app.html_page(&format!("{path}?lang=en")).await;
    let by_header = app
        .client
        .get(app.url(path))
        .header("accept-language", "en-US,en;q=0.9,ru;q=0.8")
        .send()
        .await
        .unwrap();

    assert!(plain.contains("<h1>Счёт не найден</h1>"), "{plain}");
    assert!(plain.contains("<html lang=\"ru\">"));
    assert_eq!(by_header.status(), 404);
    let by_header = by_header.text().await.unwrap();
    for html in [&by_query, &by_header] {
        assert!(html.contains("<h1>Invoice not found</h1>"), "{html}");
        assert!(
            html.contains("There is no invoice with this number. Check the payment link."),
            "{html}"
        );
        assert_english("the not-found page", html);
    }
}
