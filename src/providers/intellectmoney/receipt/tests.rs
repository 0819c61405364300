use super::*;
use serde_json::json;

/// Two positions adding up to 1500.00, as the SDK would send them.
fn receipt() -> Value {
    json!({
        "inn": "7700000000",
        "group": "Main",
        "skipAmountCheck": false,
        "content": {
            "type": 1,
            "customerContact": "buyer@example.com",
            "positions": [
                {"quantity": 2, "price": 500.0, "tax": 1, "text": "Чайник",
                 "paymentSubjectType": 1, "paymentMethodType": 4},
                {"quantity": 1.0, "price": "500.00", "tax": 6, "text": "Доставка"}
            ]
        }
    })
}

fn parse(value: &Value) -> Result<Receipt> {
    Receipt::parse(&value.to_string(), Amount::from_minor(150_000))
}

/// The receipt with one member replaced (`None` removes it).
fn with(pointer: &str, replacement: Option<Value>) -> Value {
    let mut value = receipt();
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let parent = value.pointer_mut(parent).unwrap();
    match (parent, replacement) {
        (Value::Object(o), Some(v)) => {
            o.insert(name.to_owned(), v);
        }
        (Value::Object(o), None) => {
            o.remove(name);
        }
        (Value::Array(a), Some(v)) => a[name.parse::<usize>().unwrap()] = v,
        (Value::Array(a), None) => {
            a.remove(name.parse::<usize>().unwrap());
        }
        _ => unreachable!(),
    }
    value
}

#[test]
fn a_receipt_as_the_sdk_sends_it_is_read_into_typed_values() {
    let receipt = parse(&receipt()).unwrap();

    assert_eq!(receipt.inn.as_deref(), Some("7700000000"));
    assert_eq!(receipt.doc_type.name, "In");
    assert_eq!(receipt.positions.len(), 2);
    let first = &receipt.positions[0];
    assert_eq!(first.quantity, Quantity::from_thousandths(2000));
    assert_eq!(first.price, Amount::from_minor(50_000));
    assert_eq!(first.tax.name, "Vat20");
    assert_eq!(first.payment_subject_type.map(|c| c.name), Some("Product"));
    assert_eq!(first.payment_method_type.map(|c| c.name), Some("Full"));
    assert_eq!(receipt.total(), Some(Amount::from_minor(150_000)));
    assert_eq!(
        receipt.summary(),
        "receipt: 2 positions, 1500.00, inn 7700000000"
    );
}

#[test]
fn each_defect_is_refused_naming_its_member() {
    let p = "MerchantReceipt.content.positions";
    let cases: Vec<(&str, Option<Value>, ReceiptError)> = vec![
        ("/inn", Some(json!("77000")), invalid("MerchantReceipt.inn")),
        (
            "/inn",
            Some(json!(7700000000u64)),
            invalid("MerchantReceipt.inn"),
        ),
        ("/group", Some(json!(1)), invalid("MerchantReceipt.group")),
        (
            "/skipAmountCheck",
            Some(json!("yes")),
            invalid("MerchantReceipt.skipAmountCheck"),
        ),
        ("/content", None, missing("MerchantReceipt.content")),
        (
            "/content",
            Some(json!([])),
            invalid("MerchantReceipt.content"),
        ),
        (
            "/content/type",
            None,
            missing("MerchantReceipt.content.type"),
        ),
        (
            "/content/type",
            Some(json!(0)),
            invalid("MerchantReceipt.content.type"),
        ),
        (
            "/content/type",
            Some(json!(5)),
            invalid("MerchantReceipt.content.type"),
        ),
        (
            "/content/customerContact",
            None,
            missing("MerchantReceipt.content.customerContact"),
        ),
        (
            "/content/customerContact",
            Some(json!(" ")),
            invalid("MerchantReceipt.content.customerContact"),
        ),
        ("/content/positions", None, missing(p)),
        ("/content/positions", Some(json!([])), invalid(p)),
        ("/content/positions", Some(json!({})), invalid(p)),
        (
            "/content/positions/1",
            Some(json!("x")),
            invalid(&format!("{p}[1]")),
        ),
        (
            "/content/positions/1/quantity",
            None,
            missing(&format!("{p}[1].quantity")),
        ),
        (
            "/content/positions/1/quantity",
            Some(json!(0)),
            invalid(&format!("{p}[1].quantity")),
        ),
        (
            "/content/positions/1/quantity",
            Some(json!(-1)),
            invalid(&format!("{p}[1].quantity")),
        ),
        (
            "/content/positions/1/quantity",
            Some(json!(0.0001)),
            invalid(&format!("{p}[1].quantity")),
        ),
        (
            "/content/positions/1/price",
            None,
            missing(&format!("{p}[1].price")),
        ),
        (
            "/content/positions/1/price",
            Some(json!(-5)),
            invalid(&format!("{p}[1].price")),
        ),
        (
            "/content/positions/1/price",
            Some(json!(1.005)),
            invalid(&format!("{p}[1].price")),
        ),
        (
            "/content/positions/1/price",
            Some(json!("5,00")),
            invalid(&format!("{p}[1].price")),
        ),
        (
            "/content/positions/1/price",
            Some(json!(true)),
            invalid(&format!("{p}[1].price")),
        ),
        (
            "/content/positions/1/tax",
            None,
            missing(&format!("{p}[1].tax")),
        ),
        (
            "/content/positions/1/tax",
            Some(json!(7)),
            invalid(&format!("{p}[1].tax")),
        ),
        (
            "/content/positions/1/tax",
            Some(json!(0)),
            invalid(&format!("{p}[1].tax")),
        ),
        (
            "/content/positions/1/text",
            None,
            missing(&format!("{p}[1].text")),
        ),
        (
            "/content/positions/1/text",
            Some(json!("")),
            invalid(&format!("{p}[1].text")),
        ),
        (
            "/content/positions/1/text",
            Some(json!("я".repeat(129))),
            invalid(&format!("{p}[1].text")),
        ),
        (
            "/content/positions/1/text",
            Some(json!(5)),
            invalid(&format!("{p}[1].text")),
        ),
        (
            "/content/positions/1/paymentSubjectType",
            Some(json!(28)),
            invalid(&format!("{p}[1].paymentSubjectType")),
        ),
        (
            "/content/positions/1/paymentMethodType",
            Some(json!(8)),
            invalid(&format!("{p}[1].paymentMethodType")),
        ),
        (
            "/content/positions/1/supplierInn",
            Some(json!("12345678901")),
            invalid(&format!("{p}[1].supplierInn")),
        ),
        (
            "/content/checkClose",
            Some(json!({"payments": []})),
            missing("MerchantReceipt.content.checkClose.taxationSystem"),
        ),
        (
            "/content/checkClose",
            Some(json!({"taxationSystem": 3})),
            invalid("MerchantReceipt.content.checkClose.taxationSystem"),
        ),
        (
            "/content/checkClose",
            Some(json!({"taxationSystem": 1, "payments": [{"type": 3, "amount": 1500.0}]})),
            invalid("MerchantReceipt.content.checkClose.payments[0].type"),
        ),
    ];
    for (pointer, replacement, expected) in cases {
        let result = parse(&with(pointer, replacement.clone()));
        assert_eq!(
            result.as_ref().map_err(ReceiptError::field),
            Err(expected.field()),
            "{pointer} = {replacement:?}"
        );
        assert_eq!(
            std::mem::discriminant(&result.unwrap_err()),
            std::mem::discriminant(&expected),
            "{pointer} = {replacement:?}"
        );
    }
}

fn invalid(field: &str) -> ReceiptError {
    ReceiptError::Invalid {
        field: field.to_owned(),
        reason: String::new(),
    }
}

fn missing(field: &str) -> ReceiptError {
    ReceiptError::Missing(field.to_owned())
}

#[test]
fn text_that_is_not_a_json_object_is_refused_as_the_parameter() {
    for text in ["not json", "[1]", "\"text\""] {
        let error = Receipt::parse(text, Amount::from_minor(100)).unwrap_err();
        assert_eq!(error.field(), "MerchantReceipt", "{text}");
    }
}

#[test]
fn positions_not_adding_up_to_the_invoice_are_refused_with_both_sums() {
    let value = with("/content/positions/1/price", Some(json!(400)));

    let error = parse(&value).unwrap_err();

    assert_eq!(
        error.to_string(),
        "Неверное значение параметра MerchantReceipt.content.positions: сумма позиций 1400.00 не равна сумме счёта 1500.00"
    );
}

#[test]
fn skip_amount_check_accepts_positions_that_do_not_add_up() {
    let mut value = with("/content/positions/1/price", Some(json!(400)));
    value["skipAmountCheck"] = json!(true);

    let receipt = parse(&value).unwrap();

    assert!(receipt.skip_amount_check);
    assert_eq!(
        receipt.summary(),
        "receipt: 2 positions, 1400.00, inn 7700000000, skipAmountCheck"
    );
}

#[test]
fn a_fractional_quantity_is_rounded_half_up_to_the_kopeck() {
    // 0.333 × 10.01 = 3.33333 → 3.33; 1.5 × 0.01 = 0.015 → 0.02.
    let cases = [(333, 1001, 333), (1500, 1, 2), (1000, 150_000, 150_000)];
    for (thousandths, price, expected) in cases {
        let position = Position {
            text: "x".into(),
            quantity: Quantity::from_thousandths(thousandths),
            price: Amount::from_minor(price),
            tax: Code {
                value: 6,
                name: "None",
            },
            payment_subject_type: None,
            payment_method_type: None,
            supplier_inn: None,
        };
        assert_eq!(
            position.amount(),
            Some(Amount::from_minor(expected)),
            "{thousandths} × {price}"
        );
    }
}

#[test]
fn quantities_are_positive_with_at_most_three_decimals() {
    let cases = [
        ("2", Some(2000)),
        ("1.0", Some(1000)),
        ("0.5", Some(500)),
        ("1.250", Some(1250)),
        ("0.001", Some(1)),
        ("0", None),
        ("0.0001", None),
        ("-1", None),
        ("1e3", None),
        (".5", None),
    ];
    for (text, expected) in cases {
        assert_eq!(Quantity::parse(text).map(|q| q.0), expected, "{text}");
    }
    assert_eq!(Quantity::from_thousandths(1250).to_string(), "1.25");
    assert_eq!(Quantity::from_thousandths(2000).to_string(), "2");
}

#[test]
fn enumerations_take_their_number_its_text_or_the_sdk_name_in_any_case() {
    let path = Path("x".into());
    for value in [json!(1), json!("1"), json!("Vat20"), json!("vat20")] {
        assert_eq!(
            code(&value, &path, VAT_RATES).map(|c| c.value),
            Ok(1),
            "{value}"
        );
    }
}

#[test]
fn members_are_found_in_any_letter_case_and_null_is_absent() {
    let mut value = receipt();
    value["INN"] = value["inn"].take();
    value["Group"] = Value::Null;
    value.as_object_mut().unwrap().remove("group");

    let receipt = parse(&value).unwrap();

    assert_eq!(receipt.inn.as_deref(), Some("7700000000"));
    assert_eq!(receipt.group, None);
}
