"""Each post's today screen and the routines board of every post."""
from flask import render_template
from flask_login import current_user

from ..access import current_site
from ..forms import arg_date
from ..hq.page import comparison_page
from ..htmx import render_page_or_fragment
from ..permissions import can, requires
from . import bp, reads


@bp.get("/")
@requires("today.view")
def index():
    if can(current_user, "hq.view"):  # head office works no site's screen: its "today" is the comparison
        return comparison_page()
    # The user itself, not the current_user proxy: the screen's reads ask for its post and id some fifty times.
    template, ctx = reads.screen(current_site(), current_user._get_current_object())
    return render_template(template, **ctx)


@bp.get("/board")
@requires("today.board")
def board():
    site = current_site()
    today = site.today()
    day = arg_date("date", today)
    return render_page_or_fragment("today/board.html", "today/_board.html", rows=reads.board(site, day), day=day,
                                   today=today)
