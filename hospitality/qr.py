"""QR codes (a patrol checkpoint's, a visit's feedback page), drawn on the server as inline SVG (segno: no network,
no image files)."""
import segno


def svg(url: str) -> str:
    """An inline <svg> of the code for this URL, sized by CSS (medium error correction: a smudged sticker scans)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, border=2, omitsize=True)
