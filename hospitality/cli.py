"""flask commands: upgrade the database, seed the demo, create a user, back up."""
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import select

from .database import write_tx
from .extensions import db
from .models import Site
from .models.core import POSTS


def register_cli(app):
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database to the newest migration."""
        upgrade()
        click.echo("database is up to date")

    @app.cli.command("seed-demo")
    def seed_demo_cmd():
        """Create the demo site and one login per post, if the database is empty."""
        from .seed import seed_demo
        with write_tx():
            created = seed_demo()
        click.echo("demo data created" if created else "database has data already: nothing seeded")

    @app.cli.command("create-user")
    @click.option("--site", "site_code", required=True, help="site code, e.g. DEMO")
    @click.option("--username", required=True)
    @click.option("--name", required=True)
    @click.option("--badge", required=True)
    @click.option("--post", type=click.Choice(list(POSTS)), required=True)
    @click.option("--phone", default="")
    @click.password_option()
    def create_user(site_code, username, name, badge, post, phone, password):
        """Create a login on a site."""
        from .admin.services import AdminError, create_staff
        site = db.session.scalar(select(Site).where(Site.code == site_code))
        if site is None:
            raise click.ClickException(f"no site with code {site_code}")
        try:
            # The command line speaks English, like click's own messages.
            with force_locale("en"):
                user = create_staff(site, None, username=username, name=name, badge_no=badge,
                                    phone=phone, post=post, password=password)
        except AdminError as e:
            raise click.ClickException(e.message) from None
        click.echo(f"created user {user.username} (id {user.id})")

    @app.cli.command("backup")
    @click.argument("dest", required=False)
    def backup(dest):
        """Write a consistent copy of the live database (safe while the app serves)."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        url = db.engine.url
        backups = Path(current_app.instance_path) / "backups"
        if url.get_backend_name() == "sqlite":
            target = Path(dest) if dest else backups / f"hospitality-{stamp}.sqlite"
            target.parent.mkdir(parents=True, exist_ok=True)
            src = sqlite3.connect(url.database)
            dst = sqlite3.connect(target)
            with dst:
                src.backup(dst)  # SQLite's online backup API: a consistent snapshot
            src.close()
            dst.close()
        else:
            if not shutil.which("pg_dump"):
                raise click.ClickException("pg_dump is not installed")
            target = Path(dest) if dest else backups / f"hospitality-{stamp}.dump"
            target.parent.mkdir(parents=True, exist_ok=True)
            plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
            subprocess.run(["pg_dump", "--format=custom", "--file", str(target), plain], check=True)
        click.echo(f"backup written to {target}")


    from .alerts.worker import register as register_alerts_worker
    register_alerts_worker(app)
