"""htmx helpers: one URL serves a page and its fragment."""
from flask import render_template, request


def is_htmx() -> bool:
    """True for a request made by htmx (and not a history restore, which wants the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get(
        "HX-History-Restore-Request") != "true"


def wants_fragment() -> bool:
    """An htmx request that swaps a part of the page: not a boosted link or form, which navigates and
    swaps the whole body (it must get the page, header and menu included)."""
    return is_htmx() and request.headers.get("HX-Boosted") != "true"


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **ctx):
    """Render the full page on a plain GET or a boosted navigation, the fragment for htmx."""
    return render_template(fragment if wants_fragment() else page, **ctx), status


def init_app(app):
    @app.after_request
    def _vary(response):
        # Pages and fragments share URLs, so caches must key on the header.
        if response.mimetype == "text/html":
            response.headers.add("Vary", "HX-Request, HX-Boosted")
        return response
