"""`flask alerts-worker`: each pass queues the time-based alerts now due (scan) and sends the outbox's due rows; run
beside gunicorn, one or several (rows are claimed before sending, time-based events fire once)."""
import time

import click

from ..clock import utcnow
from ..extensions import db
from .scan import scan
from .sender import send_due


def register(app) -> None:
    @app.cli.command("alerts-worker")
    @click.option("--every", default=5.0, show_default=True, help="seconds between passes")
    @click.option("--once", is_flag=True, help="one pass, then stop")
    def alerts_worker(every, once):
        """Send queued group-chat alerts with retries, backoff and each robot's rate limit."""
        while True:
            try:
                now = utcnow()
                fired = scan(now)
                counts = {"fired": fired} | send_due(now)
                if any(counts.values()):
                    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
            except Exception as e:  # the database away for a moment: try again on the next pass
                click.echo(f"alerts-worker: {type(e).__name__}: {e}", err=True)
                if once:
                    raise
            finally:
                db.session.remove()
            if once:
                return
            time.sleep(every)
