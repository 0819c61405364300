//! Accessibility basics on every hosted page, measured in the browser:
//! `lang` on `<html>`, a mobile viewport and no sideways overflow, a label
//! for every input, a name for every button and image, text contrast of at
//! least 4.5:1 (computed from `getComputedStyle`, backgrounds composited up
//! the tree), nothing loaded from another origin, and forms that submit
//! from the keyboard (Enter in a field, Enter on a focused button).

use serde_json::Value;

use crate::browser::{Browser, Outcome, run_journey, tid};
use crate::browser_intellectmoney::merchant_invoice;
use crate::browser_merchant::Merchant;
use crate::browser_softline::{fill_card, merchant_payment};
use crate::ensure;
use crate::helpers::spawn_app;

/// Runs in the page; returns `{problems: [..], measured: {kind: count}}`.
const AUDIT: &str = r#"
var problems = [];
var measured = {text: 0, label: 0, button: 0, error: 0, placeholder: 0};
var html = document.documentElement;
if (!(html.getAttribute('lang') || '').trim()) problems.push('<html> has no lang');
var viewport = document.querySelector('meta[name=viewport]');
if (!viewport || !/width=device-width/.test(viewport.content)) {
  problems.push('no <meta name=viewport content=width=device-width>');
}
// A page wider than the phone makes the web view zoom out (innerWidth
// grows past the layout width): everything gets small.
var wide = Math.max(html.scrollWidth, window.innerWidth);
if (wide > html.clientWidth + 1) {
  problems.push('the page is ' + wide + ' px wide on a ' + html.clientWidth + ' px screen');
}
// A web view may be offline from the internet: nothing from elsewhere.
performance.getEntriesByType('resource').forEach(function (r) {
  if (r.name.indexOf(location.origin + '/') !== 0 && r.name.indexOf('data:') !== 0) {
    problems.push('loads ' + r.name + ' from elsewhere');
  }
});
function describe(el) {
  return el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ +/g, '.') : '') +
    ' "' + el.textContent.trim().slice(0, 40) + '"';
}
document.querySelectorAll('input, select, textarea').forEach(function (el) {
  if (el.type === 'hidden') return;
  var named = (el.labels && el.labels.length && el.labels[0].textContent.trim()) ||
    el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!named) problems.push('input ' + (el.name || el.id) + ' has no label');
});
document.querySelectorAll('button, a').forEach(function (el) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label')) problems.push(describe(el) + ' has no name');
});
document.querySelectorAll('img').forEach(function (el) {
  if (!el.hasAttribute('alt')) problems.push('an <img> without alt');
});
document.querySelectorAll('form').forEach(function (form) {
  if (form.querySelector('input:not([type=hidden])') && !form.querySelector('button[type=submit], button:not([type]), input[type=submit]')) {
    problems.push('a form with fields but no submit button: Enter cannot submit it');
  }
});

function rgba(text) {
  var m = /rgba?\(([^)]+)\)/.exec(text);
  if (!m) return null;
  var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) {
  return [0, 1, 2].map(function (k) { return top[k] * top[3] + under[k] * (1 - top[3]); });
}
function background(el) {
  var layers = [];
  for (var e = el; e; e = e.parentElement) {
    var c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  var out = [255, 255, 255];
  for (var i = layers.length - 1; i >= 0; i--) out = over(layers[i], out);
  return out;
}
function luminance(c) {
  var a = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
}
function contrast(color, el) {
  var bg = background(el);
  var fg = rgba(color);
  fg = fg[3] < 1 ? over(fg, bg) : fg.slice(0, 3);
  var l1 = luminance(fg), l2 = luminance(bg);
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}
function visible(el) {
  var r = el.getBoundingClientRect();
  var s = getComputedStyle(el);
  return r.width > 2 && r.height > 2 && s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
}
function kind(el) {
  if (el.matches('[data-testid=error], .error')) return 'error';
  if (el.matches('label')) return 'label';
  if (el.matches('button, a.button')) return 'button';
  return 'text';
}
var texts = 'h1, h2, h3, p, li, td, th, caption, label, button, a, summary, .merchant, .amount, .currency, ' +
  '.badge, .description, .error, [data-testid=error], .sandbox-note, .im-brand, code, span, div';
document.querySelectorAll(texts).forEach(function (el) {
  // Only elements that hold text of their own, shown on the page.
  var own = Array.prototype.some.call(el.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
  if (!own || !visible(el)) return;
  var k = kind(el);
  measured[k] += 1;
  var ratio = contrast(getComputedStyle(el).color, el);
  if (ratio < 4.5) problems.push(k + ' ' + describe(el) + ': contrast ' + ratio.toFixed(2) + ':1');
});
document.querySelectorAll('input:not([type=hidden])[placeholder]').forEach(function (el) {
  if (!visible(el)) return;
  measured.placeholder += 1;
  var ratio = contrast(getComputedStyle(el, '::placeholder').color, el);
  if (ratio < 4.5) problems.push('placeholder of ' + (el.name || el.id) + ': contrast ' + ratio.toFixed(2) + ':1');
});
return {problems: problems, measured: measured};
"#;

/// Audits the page the browser shows; `expect` names what must have been
/// measured on it (`label`, `button`, `error`, ...).
pub async fn audit(b: &Browser, page: &str, expect: &[&str]) -> Outcome {
    let report = b.execute(AUDIT, Value::Null).await?;
    let problems: Vec<String> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    ensure!(
        problems.is_empty(),
        "{page} ({}):\n  {}",
        b.url().await,
        problems.join("\n  ")
    );
    for kind in ["text"].iter().chain(expect) {
        let count = report["measured"][kind].as_u64().unwrap_or(0);
        ensure!(count > 0, "{page}: no {kind} was measured: {report}");
    }
    Ok(())
}

#[tokio::test]
#[cfg_attr(
    not(e2e_browser),
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver)"
)]
async fn every_hosted_page_has_labels_a_mobile_viewport_readable_contrast_and_submits_from_the_keyboard()
 {
    let app = spawn_app().await;
    let shop = Merchant::start().await;
    let (_, card_url, card_success) = merchant_payment(&app, &shop, "e2e-a11y-card", |b| b).await;
    let (_, error_url, _) = merchant_payment(&app, &shop, "e2e-a11y-error", |b| b).await;
    let (_, challenge_url, challenge_success) =
        merchant_payment(&app, &shop, "e2e-a11y-3ds", |b| b).await;
    let card_invoice = merchant_invoice(&app, &shop, "e2e-a11y-im-card").await;
    let error_invoice = merchant_invoice(&app, &shop, "e2e-a11y-im-error").await;
    let bnpl_invoice = merchant_invoice(&app, &shop, "e2e-a11y-im-bnpl").await;
    let sbp_invoice = merchant_invoice(&app, &shop, "e2e-a11y-im-sbp").await;

    run_journey("accessibility", |b| async move {
        let card_form = tid("card-form");

        // Softline: the card form, submitted with Enter in the CVC field.
        b.goto(&card_url).await?;
        audit(
            &b,
            "Softline card form",
            &["label", "button", "placeholder"],
        )
        .await?;
        fill_card(&b, "4111 1111 1111 1111").await?;
        b.press_enter(&format!("{card_form} [name=cvc]")).await?;
        shop.landed(&b, &card_success).await?;

        // The form with a decline shown.
        b.goto(&error_url).await?;
        b.click(&tid("decline")).await?;
        b.find(&tid("error")).await?;
        audit(
            &b,
            "Softline card form with an error",
            &["label", "button", "error"],
        )
        .await?;

        // The 3-D Secure challenge, submitted with Enter in the code field.
        b.goto(&challenge_url).await?;
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.press_enter(&format!("{card_form} [name=card_number]"))
            .await?;
        b.find(&tid("challenge-form")).await?;
        audit(&b, "Softline 3-D Secure page", &["label", "button"]).await?;
        b.type_into("#code", "123456").await?;
        b.press_enter("#code").await?;
        shop.landed(&b, &challenge_success).await?;

        // The page of an unknown payment.
        b.goto(&format!("{}x", challenge_url.trim_end_matches('/')))
            .await?;
        audit(&b, "Softline page not found", &[]).await?;

        // IntellectMoney: the invoice page, then its 3-D Secure page, both
        // submitted with Enter.
        b.goto(&app.url(&format!("/intellectmoney/pay/{card_invoice}")))
            .await?;
        audit(
            &b,
            "IntellectMoney payment page",
            &["label", "button", "placeholder"],
        )
        .await?;
        fill_card(&b, "4000 0000 0000 3220").await?;
        b.press_enter(&format!("{card_form} [name=cardholder]"))
            .await?;
        b.find(&tid("challenge-form")).await?;
        audit(&b, "IntellectMoney 3-D Secure page", &["label", "button"]).await?;
        b.type_into("#code", "123456").await?;
        b.press_enter("#code").await?;
        shop.landed(&b, "/orders/e2e-a11y-im-card/success").await?;

        // The payment page with a mistyped card number.
        b.goto(&app.url(&format!("/intellectmoney/pay/{error_invoice}")))
            .await?;
        fill_card(&b, "4111 1111 1111 1112").await?;
        b.press_enter(&format!("{card_form} [name=expiry]")).await?;
        b.find(&tid("error")).await?;
        b.snapshot("intellectmoney_pay_error").await;
        audit(
            &b,
            "IntellectMoney payment page with an error",
            &["label", "button", "error"],
        )
        .await?;

        // PayLate and SBP, chosen on the payment page, have buttons only:
        // Enter on the focused button.
        for (page, invoice, order, name) in [
            (
                "paylate",
                bnpl_invoice,
                "e2e-a11y-im-bnpl",
                "IntellectMoney PayLate page",
            ),
            (
                "sbp",
                sbp_invoice,
                "e2e-a11y-im-sbp",
                "IntellectMoney SBP page",
            ),
        ] {
            b.goto(&app.url(&format!("/intellectmoney/pay/{invoice}")))
                .await?;
            b.press_enter(&tid(&format!("pay-{page}"))).await?;
            b.wait_for_url(name, |u| {
                u.ends_with(&format!("/intellectmoney/{page}/{invoice}"))
            })
            .await?;
            b.snapshot(&format!("intellectmoney_{page}")).await;
            audit(&b, name, &["button"]).await?;
            b.press_enter(&tid("approve")).await?;
            shop.landed(&b, &format!("/orders/{order}/success")).await?;
        }
        Ok(())
    })
    .await;
}
