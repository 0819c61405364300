//! How a payment's unchanging text is kept in memory.
//!
//! A payment is given a dozen texts at creation that never change
//! ([`Details`]: its ids, method, description, return URL, the buyer,
//! additional data). As `String`s they are a dozen heap allocations per
//! payment, which made the bulk of the memory of a million stored payments;
//! [`PackedDetails`] keeps them in one exact-size allocation
//! ([`PackedText`]) and reads each back as a `&str` without copying. Only
//! this file knows the order they are packed in.

use super::types::{Customer, CustomerView, Details, PaymentId, ReturnUrl};
use crate::core::packed::PackedText;

/// The slots of a payment's packed text, in order; additional data follows
/// the last one as key, value, key, value...
mod slot {
    pub const HASH: usize = 0;
    pub const EXTERNAL_ID: usize = 1;
    pub const PAYMENT_METHOD: usize = 2;
    pub const LOCALE: usize = 3;
    pub const RETURN_URL: usize = 4;
    pub const DESCRIPTION: usize = 5;
    pub const EMAIL: usize = 6;
    pub const FIRST_NAME: usize = 7;
    pub const LAST_NAME: usize = 8;
    pub const PHONE: usize = 9;
    pub const VAT_NUMBER: usize = 10;
    pub const COMPANY_NAME: usize = 11;
    pub const BILLING_ADDRESS: usize = 12;
    pub const DELIVERY_ADDRESS: usize = 13;
    pub const KPP: usize = 14;
    pub const ADDITIONAL_DATA: usize = 15;
}

/// A payment's [`Details`], borrowed from where they are packed.
#[derive(Debug, Clone)]
pub struct DetailsView<'a> {
    pub hash: &'a str,
    pub external_id: &'a str,
    pub payment_method: &'a str,
    pub description: &'a str,
    pub locale: Option<&'a str>,
    pub return_success_url: &'a str,
    pub customer: CustomerView<'a>,
    pub additional_data: Vec<(&'a str, &'a str)>,
}

/// A payment's [`Details`], packed into one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedDetails(PackedText);

impl PackedDetails {
    /// One allocation of exactly the size the texts need.
    pub fn pack(details: &Details) -> Self {
        let c = &details.customer;
        Self::pack_view(&DetailsView {
            hash: &details.hash,
            external_id: details.external_id.as_str(),
            payment_method: &details.payment_method,
            description: &details.description,
            locale: details.locale.as_deref(),
            return_success_url: details.return_success_url.as_str(),
            customer: CustomerView {
                email: &c.email,
                first_name: &c.first_name,
                last_name: &c.last_name,
                phone: c.phone.as_deref(),
                vat_number: c.vat_number.as_deref(),
                company_name: c.company_name.as_deref(),
                company_billing_address: c.company_billing_address.as_deref(),
                company_delivery_address: c.company_delivery_address.as_deref(),
                kpp: c.kpp.as_deref(),
            },
            additional_data: details
                .additional_data
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        })
    }

    /// The same from borrowed texts (a new payment's, from its request).
    pub fn pack_view(details: &DetailsView<'_>) -> Self {
        let c = &details.customer;
        let fixed = [
            Some(details.hash),
            Some(details.external_id),
            Some(details.payment_method),
            details.locale,
            Some(details.return_success_url),
            Some(details.description),
            Some(c.email),
            Some(c.first_name),
            Some(c.last_name),
            c.phone,
            c.vat_number,
            c.company_name,
            c.company_billing_address,
            c.company_delivery_address,
            c.kpp,
        ];
        let additional = details
            .additional_data
            .iter()
            .flat_map(|&(k, v)| [Some(k), Some(v)]);
        Self(PackedText::pack(fixed.into_iter().chain(additional)))
    }

    /// Everything packed, as owned values.
    pub fn unpack(&self) -> Details {
        let view = self.view();
        let owned = |t: Option<&str>| t.map(str::to_owned);
        let c = view.customer;
        Details {
            hash: view.hash.to_owned(),
            external_id: PaymentId::stored(view.external_id.to_owned()),
            payment_method: view.payment_method.to_owned(),
            description: view.description.to_owned(),
            locale: owned(view.locale),
            return_success_url: ReturnUrl::stored(view.return_success_url.to_owned()),
            customer: Customer {
                email: c.email.to_owned(),
                first_name: c.first_name.to_owned(),
                last_name: c.last_name.to_owned(),
                phone: owned(c.phone),
                vat_number: owned(c.vat_number),
                company_name: owned(c.company_name),
                company_billing_address: owned(c.company_billing_address),
                company_delivery_address: owned(c.company_delivery_address),
                kpp: owned(c.kpp),
            },
            additional_data: view
                .additional_data
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// Everything packed, borrowed: what a row needs, without a copy of
    /// each text.
    pub fn view(&self) -> DetailsView<'_> {
        // Decoded once: reading each slot by its index would decode every
        // slot before it again (a quarter of a durable create's row).
        let slots: Vec<Option<&str>> = self.0.iter().collect();
        let t = Slots(&slots);
        let mut additional = slots.iter().skip(slot::ADDITIONAL_DATA);
        let mut additional_data = Vec::new();
        while let (Some(k), Some(v)) = (additional.next(), additional.next()) {
            additional_data.push((k.unwrap_or(""), v.unwrap_or("")));
        }
        DetailsView {
            hash: t.text(slot::HASH),
            external_id: t.text(slot::EXTERNAL_ID),
            payment_method: t.text(slot::PAYMENT_METHOD),
            description: t.text(slot::DESCRIPTION),
            locale: t.get(slot::LOCALE),
            return_success_url: t.text(slot::RETURN_URL),
            customer: CustomerView {
                email: t.text(slot::EMAIL),
                first_name: t.text(slot::FIRST_NAME),
                last_name: t.text(slot::LAST_NAME),
                phone: t.get(slot::PHONE),
                vat_number: t.get(slot::VAT_NUMBER),
                company_name: t.get(slot::COMPANY_NAME),
                company_billing_address: t.get(slot::BILLING_ADDRESS),
                company_delivery_address: t.get(slot::DELIVERY_ADDRESS),
                kpp: t.get(slot::KPP),
            },
            additional_data,
        }
    }

    /// The last segment of the form's URL.
    pub fn hash(&self) -> &str {
        self.0.text(slot::HASH)
    }

    /// The merchant's `payment_id`.
    pub fn external_id(&self) -> &str {
        self.0.text(slot::EXTERNAL_ID)
    }

    pub fn payment_method(&self) -> &str {
        self.0.text(slot::PAYMENT_METHOD)
    }

    pub fn locale(&self) -> Option<&str> {
        self.0.get(slot::LOCALE)
    }

    pub fn description(&self) -> &str {
        self.0.text(slot::DESCRIPTION)
    }

    /// The buyer's `customer.email`.
    pub fn email(&self) -> &str {
        self.0.text(slot::EMAIL)
    }

    /// A URL that passed [`ReturnUrl::parse`] when it was packed.
    pub fn return_success_url(&self) -> &str {
        self.0.text(slot::RETURN_URL)
    }

    /// Bytes of text held (for memory accounting).
    pub fn len_bytes(&self) -> usize {
        self.0.len_bytes()
    }
}

/// Slots decoded once, read as [`PackedText`] reads them.
struct Slots<'a, 'b>(&'b [Option<&'a str>]);

impl<'a> Slots<'a, '_> {
    fn get(&self, index: usize) -> Option<&'a str> {
        self.0.get(index).copied().flatten()
    }

    fn text(&self, index: usize) -> &'a str {
        self.get(index).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(customer: Customer, locale: Option<&str>) -> Details {
        Details {
            hash: "1a97507".to_owned(),
            external_id: PaymentId::parse("TEST12025").unwrap(),
            payment_method: "CreditCard".to_owned(),
            description: "Тестовая оплата".to_owned(),
            locale: locale.map(str::to_owned),
            return_success_url: ReturnUrl::parse("https://shop.com/ok").unwrap(),
            customer,
            additional_data: vec![
                ("referer7".to_owned(), "test".to_owned()),
                ("referer8".to_owned(), String::new()),
            ],
        }
    }

    #[test]
    fn details_come_back_as_they_were_packed_with_every_text_given_or_none() {
        let full = Customer {
            email: "customer@mail.ru".to_owned(),
            first_name: "Иван".to_owned(),
            last_name: "Петров".to_owned(),
            phone: Some("7999991111".to_owned()),
            vat_number: Some("12345654321".to_owned()),
            company_name: Some("ООО Компания".to_owned()),
            company_billing_address: Some("Москва".to_owned()),
            company_delivery_address: Some("Санкт-Петербург".to_owned()),
            kpp: Some("123456789".to_owned()),
        };
        let bare = Customer {
            phone: None,
            vat_number: None,
            company_name: None,
            company_billing_address: None,
            company_delivery_address: None,
            kpp: None,
            ..full.clone()
        };

        for original in [details(full, Some("ru_RU")), details(bare, None)] {
            let packed = PackedDetails::pack(&original);

            assert_eq!(packed.unpack(), original);
            assert_eq!(packed.hash(), "1a97507");
            assert_eq!(packed.external_id(), "TEST12025");
            assert_eq!(packed.payment_method(), "CreditCard");
            assert_eq!(packed.locale(), original.locale.as_deref());
            assert_eq!(packed.description(), "Тестовая оплата");
            assert_eq!(packed.email(), "customer@mail.ru");
            assert_eq!(packed.return_success_url(), "https://shop.com/ok");
        }
    }
}
