//! The QR image of the SBP page: a placeholder shaped like a QR code but
//! encoding nothing (the sandbox has no bank to pay through), the same for
//! the same invoice.

/// A 25×25 pattern with the three finder squares of a QR code and modules
/// drawn from the invoice id: recognisable, deterministic, not scannable.
pub fn qr_placeholder(seed: u64) -> String {
    const N: u64 = 25;
    let finder = |x: u64, y: u64| {
        let corner = |cx: u64, cy: u64| {
            (cx..cx + 7).contains(&x) && (cy..cy + 7).contains(&y) && {
                let (dx, dy) = (x - cx, y - cy);
                dx == 0
                    || dx == 6
                    || dy == 0
                    || dy == 6
                    || ((2..=4).contains(&dx) && (2..=4).contains(&dy))
            }
        };
        corner(0, 0) || corner(N - 7, 0) || corner(0, N - 7)
    };
    let near_finder = |x: u64, y: u64| (x < 8 && !(8..N - 8).contains(&y)) || (x >= N - 8 && y < 8);
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut cells = String::new();
    for y in 0..N {
        for x in 0..N {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let dark = if near_finder(x, y) {
                finder(x, y)
            } else {
                state % 2 == 0
            };
            if dark {
                cells.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"/>",
                    x + 2,
                    y + 2
                ));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\" width=\"232\" height=\"232\" shape-rendering=\"crispEdges\"><rect width=\"29\" height=\"29\" fill=\"#fff\"/><g fill=\"#1b1f24\">{cells}</g></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_placeholder_is_deterministic_and_has_its_finder_squares() {
        let a = qr_placeholder(3000000001);
        assert_eq!(a, qr_placeholder(3000000001));
        assert_ne!(a, qr_placeholder(3000000002));
        assert!(a.starts_with("<svg") && a.contains("<rect x=\"2\" y=\"2\""));
    }
}
