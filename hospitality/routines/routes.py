"""Routines beyond every day: the cleaners' rota the lead ticks, and linen sent to the laundry and back."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..errors import messages
from ..forms import idem
from ..htmx import wants_fragment
from ..i18n import text as _
from ..models import ChecklistTemplate
from ..models.linen import LINEN_KINDS, LinenBatch
from ..permissions import requires
from . import bp, reads, services


def _rota_page(errors=None, status=200):
    site = current_site()
    return render_template("routines/cleaning.html", rota=reads.rota(site), day=site.today(),
                           errors=errors or {}), status


@bp.get("/cleaning")
@requires("routines.cleaning")
def cleaning():
    """The cleaners' rota: today's, this week's, this half-month's and this month's tasks, and any missed."""
    return _rota_page()


@bp.post("/cleaning/<int:template_id>/done")
@requires("routines.cleaning")
def cleaning_done(template_id):
    """Tick a cleaners' task done for its period, on their behalf; a second tap changes nothing."""
    template = site_get_or_404(ChecklistTemplate, template_id)
    site = current_site()
    try:
        services.tick_for_cleaners(site, current_user, template, request.form.get("slot", ""))
    except services.RoutineError as e:
        if wants_fragment():
            return render_template("routines/_rota_row.html", row=_row(site, template), error=e.message), 422
        flash(e.message, "error")
        return redirect(url_for(".cleaning"))
    if wants_fragment():
        return render_template("routines/_rota_row.html", row=_row(site, template))
    flash(_("%(name)s: done for the cleaners.", name=template.label))
    return redirect(url_for(".cleaning"))


def _row(site, template):
    rows = [r for section in reads.rota(site).values() for r in section if r.status.template.id == template.id]
    return rows[0] if rows else None


@bp.post("/cleaning/setup")
@requires("routines.cleaning")
def cleaning_setup():
    """One tap for a site made before the rota: the cleaners' tasks of seed 002."""
    added = services.set_up_rota(current_site(), current_user)
    flash(_("The cleaners' rota is set up: %(n)d tasks.", n=added) if added else _("The rota is set up already."))
    return redirect(url_for(".cleaning"))


# Linen


def _linen_page(errors=None, form=None, status=200):
    site = current_site()
    return render_template("routines/linen.html", **reads.linen_page(site.id), kinds=LINEN_KINDS,
                           errors=errors or {}, form=form or {}), status


@bp.get("/linen")
@requires("linen.view")
def linen():
    """What is at the laundry, batch by batch, and the form to count a batch out."""
    return _linen_page()


def _quantities(form) -> dict[str, str]:
    return {kind: form.get(f"qty-{kind}", "") for kind in LINEN_KINDS}


@bp.post("/linen")
@requires("linen.move")
def linen_send():
    f = request.form
    try:
        services.send_linen(current_site(), current_user, f.get("location_id", type=int), _quantities(f),
                            f.get("note"), idem())
    except services.RoutineError as e:
        return _linen_page(messages(e), f, 422)
    flash(_("Linen counted out to the laundry."))
    return redirect(url_for(".linen"))


def _batch_page(batch, errors=None, form=None, status=200):
    kinds = reads.batch_kinds(batch.id)
    rows = [(k, LINEN_KINDS.get(k, k), sent, back, sent - back) for k, (sent, back) in kinds.items()]
    return render_template("routines/linen_batch.html", batch=batch, rows=rows, errors=errors or {},
                           form=form or {}), status


@bp.get("/linen/<int:batch_id>")
@requires("linen.view")
def linen_batch(batch_id):
    return _batch_page(site_get_or_404(LinenBatch, batch_id))


@bp.post("/linen/<int:batch_id>/back")
@requires("linen.move")
def linen_back(batch_id):
    """Count pieces of a batch back in: a part now, the rest when it comes; more than is away is refused."""
    batch = site_get_or_404(LinenBatch, batch_id)
    f = request.form
    try:
        batch = services.return_linen(current_site(), current_user, batch, _quantities(f), idem())
    except services.RoutineError as e:
        return _batch_page(batch, messages(e), f, 422)
    flash(_("All linen of this batch is back.") if batch.closed_at else _("Counted back in: the rest stays away."))
    return redirect(url_for(".linen"))
