//! How a request to IntellectMoney names its workspace: the `EshopId` every
//! merchant call and payment form carries (in the query or the body), or
//! the invoice of a hosted page. Anything else belongs to `default`, which
//! answers it as the real service does (an unknown shop, an unknown
//! invoice).

use axum::http::Method;
use axum::http::request::Parts;

use super::MOUNT;
use crate::core::params;
use crate::provider::Addressee;

/// Shops, by `EshopId`.
pub const SHOP: &str = "intellectmoney.eshop";
/// The sequence `InvoiceId`s are drawn from.
pub const INVOICE: &str = "intellectmoney.invoice";

/// The hosted pages, each followed by an `InvoiceId`.
const PAGES: [&str; 4] = ["/pay/", "/3ds/", "/paylate/", "/sbp/"];

pub fn of_head(request: &Parts) -> Addressee {
    // Paths are case-insensitive here; only the mount's length matters.
    let path = request.uri.path().get(MOUNT.len()..).unwrap_or_default();
    let page = PAGES.iter().find_map(|page| {
        let head = path.get(..page.len())?;
        head.eq_ignore_ascii_case(page)
            .then(|| path[page.len()..].split('/').next())
            .flatten()
    });
    if let Some(id) = page {
        return id
            .parse()
            .map_or(Addressee::Nobody, |id| Addressee::Drawn(INVOICE, id));
    }
    let in_query = request
        .uri
        .query()
        .and_then(|query| params::parse_form(query).ok())
        .map_or(Addressee::Nobody, |query| shop(&query));
    match in_query {
        Addressee::Nobody if request.method == Method::POST => Addressee::InBody,
        found => found,
    }
}

/// The `EshopId` of a body in any format the service reads.
pub fn of_body(body: &[u8]) -> Addressee {
    params::parse(body).map_or(Addressee::Nobody, |fields| shop(&fields))
}

fn shop(fields: &params::Params) -> Addressee {
    fields
        .get("EshopId")
        .and_then(|id| id.trim().parse().ok())
        .map_or(Addressee::Nobody, |id| Addressee::Number(SHOP, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn head(method: &str, uri: &str) -> Parts {
        let request = Request::builder().method(method).uri(uri);
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_page_is_named_by_its_invoice_and_a_call_by_its_eshop_id_wherever_it_is() {
        assert_eq!(
            of_head(&head("GET", "/intellectmoney/PAY/3000000001/card")),
            Addressee::Drawn(INVOICE, 3_000_000_001)
        );
        assert_eq!(
            of_head(&head("GET", "/intellectmoney/sbp/3000000002")),
            Addressee::Drawn(INVOICE, 3_000_000_002)
        );
        assert_eq!(
            of_head(&head(
                "GET",
                "/intellectmoney/merchant/createInvoice?eshopId=451234"
            )),
            Addressee::Number(SHOP, 451_234)
        );
        assert_eq!(
            of_head(&head("POST", "/intellectmoney/merchant/createInvoice")),
            Addressee::InBody
        );
        assert_eq!(
            of_head(&head("GET", "/intellectmoney/merchant/createInvoice")),
            Addressee::Nobody
        );
        assert_eq!(
            of_body(b"orderId=1&ESHOPID=451234"),
            Addressee::Number(SHOP, 451_234)
        );
        assert_eq!(
            of_body(br#"{"eshopId": "451234"}"#),
            Addressee::Number(SHOP, 451_234)
        );
        assert_eq!(of_body(b"eshopId=shop"), Addressee::Nobody);
    }
}
