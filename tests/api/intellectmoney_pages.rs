//! The buyer's pages: the invoice payment page and its card form, the
//! one-click outcomes, SBP and PayLate started from it, and the redirects.

use paysandbox::Settings;

use crate::helpers::{see_other, spawn_app, spawn_app_with, test_settings};
use crate::intellectmoney_support::*;

#[tokio::test]
async fn the_payment_page_carries_the_contract_test_ids_and_card_fields() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-1", &[]).await;

    let response = app.get(&format!("/intellectmoney/pay/{invoice}")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    let ids = test_ids(&html);
    for id in ["card-form", "approve", "decline"] {
        assert!(ids.contains(&id.to_owned()), "{id} in {ids:?}");
    }
    for field in ["card_number", "expiry", "cvc", "cardholder"] {
        assert!(html.contains(&format!("name=\"{field}\"")), "{field}");
        assert!(
            html.contains(&format!("<label for=\"{field}\"")),
            "a label for {field}"
        );
    }
    assert!(html.contains("autocomplete=\"cc-number\""));
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("10,00\u{a0}₽"));
    assert!(html.contains("Оплатить через СБП") && html.contains("PayLate"));
}

#[tokio::test]
async fn user_supplied_text_is_escaped_on_the_page() {
    let app = spawn_app().await;
    let invoice = create_invoice(
        &app,
        "<b>ORDER</b>",
        &[("serviceName", "<script>alert(1)</script>")],
    )
    .await;

    let html = app
        .get(&format!("/intellectmoney/pay/{invoice}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;")
    );
    assert!(!html.contains("<b>ORDER</b>"));
}

#[tokio::test]
async fn the_legacy_address_redirects_to_the_payment_page() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "LEGACY-1", &[]).await;

    let response = app
        .get(&format!("/intellectmoney/?InvoiceId={invoice}"))
        .await;
    let lower = app
        .get(&format!("/IntellectMoney?invoiceid={invoice}"))
        .await;

    assert_eq!(
        see_other(&response),
        format!("/intellectmoney/pay/{invoice}")
    );
    assert_eq!(see_other(&lower), format!("/intellectmoney/pay/{invoice}"));
}

#[tokio::test]
async fn an_unknown_invoice_page_is_a_404_page_with_an_error() {
    let app = spawn_app().await;

    let response = app.get("/intellectmoney/pay/3999999999").await;

    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(test_ids(&html).contains(&"error".to_owned()));
    assert!(html.contains("Счёт не найден"));
}

#[tokio::test]
async fn an_approved_card_on_the_page_pays_and_redirects_to_the_success_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-CARD", &[]).await;

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
    let state = poll(&app, invoice).await;
    let page = app
        .get(&format!("/intellectmoney/pay/{invoice}"))
        .await
        .text()
        .await
        .unwrap();

    assert_eq!(see_other(&response), "https://shop.example/success");
    assert_eq!(state["PaymentStep"], "Ok");
    assert!(page.contains("Счёт оплачен"), "the page now says so");
    assert!(!test_ids(&page).contains(&"card-form".to_owned()));
}

#[tokio::test]
async fn a_mistyped_card_is_refused_by_the_form_itself() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-LUHN", &[]).await;

    let response = app
        .post_form(
            &format!("/intellectmoney/pay/{invoice}/card"),
            &[
                ("card_number", "4111 1111 1111 1112"),
                ("expiry", "12/35"),
                ("cvc", "123"),
                ("cardholder", ""),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(test_ids(&html).contains(&"error".to_owned()));
    assert!(html.contains("Номер карты введён с ошибкой."), "{html}");
    assert!(
        html.contains("value=\"4111 1111 1111 1112\""),
        "what was typed is kept"
    );
    assert_eq!(
        poll(&app, invoice).await["PaymentStep"],
        "Created",
        "no payment was made"
    );
}

#[tokio::test]
async fn card_form_checks_expiry_and_cvc() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-EXP", &[]).await;
    let cases = [
        ("13/35", "123", "Срок действия указан неверно"),
        ("01/20", "123", "Срок действия карты истёк"),
        ("12/35", "12", "CVC/CVV"),
    ];
    for (expiry, cvc, text) in cases {
        let response = app
            .post_form(
                &format!("/intellectmoney/pay/{invoice}/card"),
                &[
                    ("card_number", "4111111111111111"),
                    ("expiry", expiry),
                    ("cvc", cvc),
                ],
            )
            .await;

        assert_eq!(response.status(), 422, "{expiry} {cvc}");
        assert!(
            response.text().await.unwrap().contains(text),
            "{expiry} {cvc}"
        );
    }
}

#[tokio::test]
async fn the_3ds_card_on_the_page_goes_through_the_challenge_to_the_success_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-3DS", &[]).await;

    let card = app
        .post_form(
            &format!("/intellectmoney/pay/{invoice}/card"),
            &[
                ("card_number", "4000 0000 0000 3220"),
                ("expiry", "12/35"),
                ("cvc", "123"),
            ],
        )
        .await;
    let challenge = see_other(&card);
    let page = app.get(&challenge).await.text().await.unwrap();
    let confirmed = app
        .post_form(&format!("{challenge}/confirm"), &[("code", "123456")])
        .await;

    assert_eq!(challenge, format!("/intellectmoney/3ds/{invoice}"));
    assert!(test_ids(&page).contains(&"challenge-form".to_owned()));
    assert_eq!(see_other(&confirmed), "https://shop.example/success");
}

#[tokio::test]
async fn one_click_decline_and_approve_go_to_the_merchants_urls_byte_for_byte() {
    let app = spawn_app().await;
    // No path (a URL parser would add `/`) and a query no parser may touch.
    let success_url = "https://shop.ru";
    let fail_url = "https://shop.ru?b=2&a=%7e&c=x+y";
    let invoice = create_invoice(
        &app,
        "PAGE-QUICK",
        &[("successUrl", success_url), ("failUrl", fail_url)],
    )
    .await;

    let declined = app
        .post_form(&format!("/intellectmoney/pay/{invoice}/decline"), &[])
        .await;
    let approved = app
        .post_form(&format!("/intellectmoney/pay/{invoice}/approve"), &[])
        .await;

    assert_eq!(see_other(&declined), fail_url);
    assert_eq!(see_other(&approved), success_url);
}

#[tokio::test]
async fn without_a_fail_url_a_decline_is_shown_on_the_page_in_its_language() {
    let app = spawn_app().await;
    let cases = [
        ("ru", "Оплата не прошла: отказ банка-эмитента."),
        ("en", "The payment failed: the issuing bank declined it."),
    ];
    for (language, error) in cases {
        let invoice = create_invoice(
            &app,
            &format!("PAGE-NOFAIL-{language}"),
            &[("failUrl", ""), ("language", language)],
        )
        .await;

        let response = app
            .post_form(&format!("/intellectmoney/pay/{invoice}/decline"), &[])
            .await;

        assert_eq!(response.status(), 422, "{language}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("role=\"alert\">{error}</div>")),
            "{language}: {html}"
        );
        assert!(
            test_ids(&html).contains(&"card-form".to_owned()),
            "{language}: the buyer may try again"
        );
    }
}

#[tokio::test]
async fn sbp_and_paylate_start_from_the_payment_page() {
    let app = spawn_app().await;
    let sbp_invoice = create_invoice(&app, "PAGE-SBP", &[]).await;
    let bnpl_invoice = create_invoice(&app, "PAGE-BNPL", &[]).await;

    let sbp = app
        .post_form(&format!("/intellectmoney/pay/{sbp_invoice}/sbp"), &[])
        .await;
    let bnpl = app
        .post_form(&format!("/intellectmoney/pay/{bnpl_invoice}/paylate"), &[])
        .await;
    let sbp_page = see_other(&sbp);
    let bnpl_page = see_other(&bnpl);
    let paylate_html = app.get(&bnpl_page).await.text().await.unwrap();
    let sbp_html = app.get(&sbp_page).await.text().await.unwrap();
    let sbp_done = app.post_form(&format!("{sbp_page}/approve"), &[]).await;
    let bnpl_done = app.post_form(&format!("{bnpl_page}/decline"), &[]).await;

    assert_eq!(sbp_page, format!("/intellectmoney/sbp/{sbp_invoice}"));
    assert_eq!(bnpl_page, format!("/intellectmoney/paylate/{bnpl_invoice}"));
    assert!(sbp_html.contains(&format!("/intellectmoney/sbp/{sbp_invoice}/qr.svg")));
    assert!(
        paylate_html.contains("сегодня") && paylate_html.contains("2,50\u{a0}₽"),
        "{paylate_html}"
    );
    assert_eq!(see_other(&sbp_done), "https://shop.example/success");
    assert_eq!(see_other(&bnpl_done), "https://shop.example/fail");
}

#[tokio::test]
async fn back_to_shop_redirects_to_the_back_url() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-BACK", &[]).await;

    let html = app
        .get(&format!("/intellectmoney/pay/{invoice}"))
        .await
        .text()
        .await
        .unwrap();
    let back = app
        .get(&format!("/intellectmoney/pay/{invoice}/back"))
        .await;

    assert!(html.contains(&format!("href=\"/intellectmoney/pay/{invoice}/back\"")));
    assert_eq!(see_other(&back), "https://shop.example/back");
}

#[tokio::test]
async fn a_page_of_a_payment_still_in_process_says_so() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-EARLY", &[]).await;
    pay(&app, "bnplPayment", invoice, &[]).await;

    let response = app.get(&format!("/intellectmoney/paylate/{invoice}")).await;

    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("Платёж ещё обрабатывается"));
    assert!(test_ids(&html).contains(&"error".to_owned()));
}

#[tokio::test]
async fn an_invoice_created_in_english_gets_english_pages() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-EN", &[("language", "en")]).await;

    let html = app
        .get(&format!("/intellectmoney/pay/{invoice}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Card number") && html.contains("10.00 RUB"));
}

#[tokio::test]
async fn a_preference_limits_the_ways_to_pay() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-PREF", &[("preference", "Sbp")]).await;

    let html = app
        .get(&format!("/intellectmoney/pay/{invoice}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("Оплатить через СБП"));
    assert!(!test_ids(&html).contains(&"card-form".to_owned()));
    assert!(!html.contains("PayLate"));
}

#[tokio::test]
async fn page_views_land_on_the_invoices_timeline() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-JOURNAL", &[]).await;
    app.get(&format!("/intellectmoney/pay/{invoice}")).await;

    let entries = app.journal(&format!("object={invoice}&kind=inbound")).await;

    assert!(
        entries
            .iter()
            .any(|e| e["url"] == format!("/intellectmoney/pay/{invoice}"))
    );
}

/// The legacy HTML form's fields, `hash` the PurchaseHash of the first five.
fn purchase_form(order_id: &str) -> Vec<(String, String)> {
    let mut fields = owned(&[
        ("eshopId", ESHOP_ID),
        ("orderId", order_id),
        ("serviceName", "Заказ из WooCommerce"),
        ("recipientAmount", "1500.00"),
        ("recipientCurrency", "RUB"),
        ("userName", "Иван Петров"),
        ("user_email", "buyer@example.com"),
        ("successUrl", "https://shop.example/success"),
        ("failUrl", "https://shop.example/fail"),
    ]);
    let signed: Vec<&str> = fields.iter().take(5).map(|(_, v)| v.as_str()).collect();
    let hash = md5_hex(&format!("{}::{SECRET_KEY}", signed.join("::")));
    fields.push(("hash".to_owned(), hash));
    fields
}

async fn post_purchase_form(
    app: &crate::helpers::TestApp,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(path, &pairs).await
}

#[tokio::test]
async fn the_legacy_html_form_opens_an_invoice_and_sends_the_buyer_to_its_page() {
    let app = spawn_app().await;

    let response = post_purchase_form(&app, "/intellectmoney/ru/", &purchase_form("WOO-1")).await;

    let page = see_other(&response);
    let invoice: u64 = page
        .strip_prefix("/intellectmoney/pay/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a payment page: {page}"));
    let view = app
        .get_json(
            &format!("/__sandbox/intellectmoney/invoices/{invoice}"),
            200,
        )
        .await;
    assert_eq!(view["order_id"], "WOO-1");
    assert_eq!(view["amount"], "1500.00");
    assert_eq!(view["status"], 3);
    let stored = app.state.intellectmoney.invoice(&invoice).unwrap();
    assert_eq!(stored.terms.email, "buyer@example.com");
    assert_eq!(app.get(&page).await.status(), 200);
}

#[tokio::test]
async fn the_legacy_form_with_a_wrong_hash_opens_nothing_and_says_why() {
    let app = spawn_app().await;
    let mut fields = purchase_form("WOO-2");
    fields.last_mut().unwrap().1 = "0".repeat(32);

    let response = post_purchase_form(&app, "/intellectmoney/ru/", &fields).await;

    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(test_ids(&html).contains(&"error".to_owned()));
    assert!(html.contains("Неверная подпись запроса (Hash)."), "{html}");
    assert_eq!(app.state.intellectmoney.invoice_count(), 0);
}

#[tokio::test]
async fn posting_the_legacy_form_twice_leads_to_the_same_invoice() {
    let app = spawn_app().await;

    let first = post_purchase_form(&app, "/intellectmoney/ru/", &purchase_form("WOO-3")).await;
    // Plugins write the address with and without the slash.
    let again = post_purchase_form(&app, "/intellectmoney/ru", &purchase_form("WOO-3")).await;

    assert_eq!(see_other(&first), see_other(&again));
    assert_eq!(app.state.intellectmoney.invoice_count(), 1);
}

/// The QR code in an SVG drawn as `qr.rs` draws it (one `<path>` of
/// `M{x} {y}h{w}v{h}…` rectangles), decoded as a phone would read it.
fn decode_qr_svg(svg: &str) -> String {
    let number = |name: &str| -> usize {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
    };
    let (width, height) = (number("width"), number("height"));
    let mut dark = vec![false; width * height];
    let rects = regex::Regex::new(r"M(\d+) (\d+)h(\d+)v(\d+)").unwrap();
    for rect in rects.captures_iter(svg) {
        let [x, y, w, h] = [1, 2, 3, 4].map(|i| rect[i].parse::<usize>().unwrap());
        for row in y..y + h {
            dark[row * width + x..row * width + x + w].fill(true);
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark[y * width + x] { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in {svg}");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_sbp_qr_code_scans_to_the_payment_url_the_page_shows() {
    let app = spawn_app().await;
    let invoice = create_invoice(&app, "PAGE-QR", &[]).await;
    pay(&app, "sbpPayment", invoice, &[]).await;
    let (_, result) = poll_until_settled(&app, invoice).await;
    let form: serde_json::Value =
        serde_json::from_str(result["Form3DS"].as_str().unwrap()).unwrap();
    let url = form["SbpQrCodeUrl"].as_str().unwrap().to_owned();

    let html = app.html(&path_of(&app, &url)).await;
    let qr = app
        .get(&path_of(&app, form["SbpQrCodeImage"].as_str().unwrap()))
        .await;

    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert_eq!(decode_qr_svg(&qr.text().await.unwrap()), url);
    assert!(
        html.contains(&format!(
            "<a href=\"{url}\" data-testid=\"sbp-url\">{url}</a>"
        )),
        "{html}"
    );
}

#[tokio::test]
async fn the_test_card_table_shows_the_challenge_code_of_the_cards_fixture() {
    let fixtures = std::env::temp_dir().join(format!("paysandbox-im-cards-{}", std::process::id()));
    std::fs::create_dir_all(&fixtures).unwrap();
    let cards = include_str!("../../fixtures/cards.json").replace("\"123456\"", "\"424242\"");
    std::fs::write(fixtures.join("cards.json"), cards).unwrap();
    let app = spawn_app_with(Settings {
        fixtures: Some(fixtures.clone()),
        ..test_settings()
    })
    .await;
    let invoice = create_invoice(&app, "PAGE-CODE", &[]).await;

    let html = app.html(&format!("/intellectmoney/pay/{invoice}")).await;

    std::fs::remove_dir_all(&fixtures).unwrap();
    assert!(
        html.contains("<td>3-D Secure: код 424242 — успех, другой — отказ</td>"),
        "{html}"
    );
    assert!(!html.contains("123456"), "{html}");
}
