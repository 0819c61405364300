//! The cost of reading Softline's documented full create-payment body, in
//! process: as a tree of members (`core::json::Object`, what every request
//! but a new payment reads) against straight into its members
//! (`PaymentBody`, the create path's one parse), each followed by the reads
//! the rules make of its top level; then the whole of the create path's
//! validation. Medians of 15 batches of 20 000, in ns per body.
//!
//! `cargo run --release --example parse_create_body`

use std::hint::black_box;
use std::time::Instant;

use paysandbox::core::json::Lookup;
use paysandbox::providers::softline::fixture::Fixture;
use paysandbox::providers::softline::validate::{self, PaymentBody};

const BODY: &str = r#"{"currency": "RUB", "amount": "112.50", "return_success_url": "https://shop.com/successful_payment", "payment_method": "CreditCard", "recurring_indicator": false, "payment_id": "TEST12025", "payment_description": "Тестовая оплата", "locale": "ru_RU", "customer": {"email": "customer@gmail.com", "first_name": "Иван", "last_name": "Петров", "phone": "7999991111", "vat_number": "12345654321", "company_name": "ООО Компания", "company_billing_address": "Москва, Ломоновоский проспект, 12", "company_delivery_address": "Москва, Ломоновоский проспект, 12", "kpp": "123456789"}, "additional_data": {"referer7": "test", "referer8": "testA", "referer9": "testB", "referer10": "testC", "referer11": "testD", "referer12": "testF"}}"#;
const JSON: Option<&str> = Some("application/json");
const BATCHES: usize = 15;
const PER_BATCH: u32 = 20_000;

/// The reads the rules make of a top level: each member by name, then the
/// names nobody asked for.
fn read_top_level(members: &dyn Lookup<'_>) -> usize {
    let found = PaymentBody::NAMES
        .iter()
        .filter(|name| members.member(name).is_some())
        .count();
    found + members.unknown_names(PaymentBody::NAMES).len()
}

fn median_ns(mut run: impl FnMut()) -> f64 {
    let mut batches: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_BATCH {
                run();
            }
            started.elapsed().as_nanos() as f64 / f64::from(PER_BATCH)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[BATCHES / 2]
}

fn main() {
    let fixture: Fixture =
        serde_json::from_str(include_str!("../fixtures/softline.json")).expect("fixture");
    let body = BODY.as_bytes();

    let tree = median_ns(|| {
        let object = validate::json_object(JSON, black_box(body), None).expect("an object");
        black_box(read_top_level(&object));
    });
    let members = median_ns(|| {
        let members = validate::payment_body(JSON, black_box(body), None).expect("an object");
        black_box(read_top_level(&members));
    });
    let create = median_ns(|| {
        let members = validate::payment_body(JSON, black_box(body), None).expect("an object");
        black_box(validate::new_payment(&members, &fixture, None).is_ok());
    });
    println!("read as a tree, top level looked up:       {tree:>7.0} ns");
    println!("read into its members, top level looked up: {members:>7.0} ns");
    println!("read into its members, every rule applied: {create:>7.0} ns");
}
