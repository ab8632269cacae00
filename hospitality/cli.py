"""flask commands: upgrade the database, seed the demo, create a user, back up and restore, move photos."""
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
        """Write an archive of the database, the photos kept in instance/ and the secret key (safe while the
        app serves)."""
        from .backup import BackupError, write
        try:
            target = write(Path(dest) if dest else None)
        except BackupError as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"backup written to {target}")

    @app.cli.command("restore")
    @click.argument("archive", type=click.Path(dir_okay=False))
    @click.option("--replace", is_flag=True, help="overwrite a database that holds data (stop every server first)")
    def restore_cmd(archive, replace):
        """Put a backup back: the database, the photos and the secret key (the app stopped)."""
        from .backup import BackupError, restore, row_counts
        try:
            meta = restore(Path(archive), replace=replace)
        except BackupError as e:
            raise click.ClickException(str(e)) from None
        now = row_counts()
        differ = {t: (n, now.get(t)) for t, n in meta["rows"].items() if now.get(t) != n}
        if differ:
            raise click.ClickException(f"restored, but the row counts differ from the backup's: {differ}")
        click.echo(f"restored {archive}: {sum(now.values())} rows in {len(now)} tables, as backed up at "
                   f"{meta['created_at']}")

    @app.cli.command("photos-to-store")
    def photos_to_store():
        """Move the photos of instance/uploads/ into the S3 store (S3_BUCKET): each is uploaded, checked, then
        deleted here; run it again after a failure, it goes on where it stopped."""
        from . import photo_store
        store = photo_store.current()
        if store is None:
            raise click.ClickException("no photo store configured: set S3_BUCKET (and S3_ENDPOINT_URL, keys)")
        uploads = Path(current_app.instance_path) / "uploads"
        moved = 0
        for path in sorted(uploads.glob("*/*.jpg")) if uploads.is_dir() else []:
            kind = path.parent.name
            data = path.read_bytes()
            try:
                store.put(kind, path.name, data)
                if store.size(kind, path.name) != len(data):
                    raise click.ClickException(f"{kind}/{path.name}: the store holds another size; kept here")
            except photo_store.StoreDown as e:
                raise click.ClickException(f"the store refused {kind}/{path.name} ({e}); {moved} moved so far") \
                    from None
            path.unlink()
            moved += 1
        click.echo(f"{moved} photos moved to {store.bucket}")


    from .alerts.worker import register as register_alerts_worker
    register_alerts_worker(app)
