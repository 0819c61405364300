//! The QR image of the SBP page: a real QR code of the SBP payment URL
//! (`SbpQrCodeUrl`), so a phone that scans it opens the sandbox's SBP page,
//! where a bank app would open its own.

use qrcode::QrCode;
use qrcode::render::svg;
use qrcode::types::QrError;

/// Pixels a module is drawn with: a version 4 code of a sandbox URL comes out
/// a little above the page's 232×232 box, which the browser scales down.
const MODULE_PIXELS: u32 = 8;

/// The QR code of `text` as an SVG image with its quiet zone: dark modules
/// in the pages' ink colour on white, one `<path>` of rectangles.
pub fn qr_svg(text: &str) -> Result<String, QrError> {
    let code = QrCode::new(text.as_bytes())?;
    let svg = code
        .render::<svg::Color>()
        .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
        .dark_color(svg::Color("#1b1f24"))
        .light_color(svg::Color("#fff"))
        .build();
    // An image needs no XML declaration, and without one the SVG can also
    // stand inline in a page.
    Ok(svg
        .strip_prefix(XML_DECLARATION)
        .map_or_else(|| svg.clone(), str::to_owned))
}

/// What `qrcode`'s SVG renderer writes first.
const XML_DECLARATION: &str = r#"<?xml version="1.0" standalone="yes"?>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use qrcode::Color;

    /// Decodes a QR code from its module matrix, drawn as a greyscale bitmap
    /// with a four-module quiet zone: what a phone's camera would see.
    fn decode(code: &QrCode) -> String {
        let (width, colors) = (code.width(), code.to_colors());
        let scale = 4;
        let side = (width + 8) * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = ((x / scale).wrapping_sub(4), (y / scale).wrapping_sub(4));
            if mx < width && my < width && colors[my * width + mx] == Color::Dark {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_qr_code_decodes_back_to_the_url_it_was_made_from() {
        let url = "http://localhost:8080/intellectmoney/sbp/3000000001";

        let code = QrCode::new(url.as_bytes()).unwrap();

        assert_eq!(decode(&code), url);
    }

    #[test]
    fn the_svg_is_one_image_in_the_pages_colours() {
        let svg = qr_svg("http://localhost:8080/intellectmoney/sbp/3000000001").unwrap();

        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.contains("<path fill=\"#1b1f24\" d=\"M"), "{svg}");
        assert!(svg.ends_with("\"/></svg>"), "{svg}");
        assert_eq!(
            svg,
            qr_svg("http://localhost:8080/intellectmoney/sbp/3000000001").unwrap(),
            "the same URL draws the same image"
        );
    }
}
