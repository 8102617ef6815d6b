"""`brandpulse digest`: write the daily digest as HTML, or send it through the outbox."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import click

from brandpulse.context import AppContext, pass_app
from brandpulse.commands.options import selected_brands
from brandpulse.errors import domain_errors
from brandpulse.store.lock import StoreLocked, service_lock


@click.command("digest")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The day, in the digest's time zone.")
@click.option("--brand", default=None, help="Only this configured brand.")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the digest to this HTML file, sending nothing.")
@click.option("--send", is_flag=True, help="Queue the digest in the outbox and deliver it now (again if already sent); "
              "while the service runs, it delivers it.")
@pass_app
def digest_command(app: AppContext, day: datetime, brand: str | None, preview: Path | None, send: bool) -> None:
    """Build the daily digest of DATE: --preview writes it as HTML, --send emails it to the marketing recipients."""
    from brandpulse import digesting

    if not preview and not send:
        raise click.UsageError("give --preview FILE, --send, or both")
    brands = selected_brands([b.name for b in app.config.brands], brand)
    the_day: date = day.date()
    with domain_errors():
        db = app.pipeline.open()
        try:
            if preview:
                preview.write_text(digesting.preview(app.config, db, the_day, brands), encoding="utf-8")
                click.echo(f"digest for {the_day.isoformat()} written to {preview}")
            if send:
                now = datetime.now(timezone.utc)
                queued = digesting.queue(app.config, db, the_day, brands, now, again=True, channels=app.pipeline.channels)
        finally:
            db.close()
        if send:
            try:
                # On SQLite only one process may send from the outbox, or an email could go out twice.
                with service_lock(app.db_path):
                    report = app.pipeline.deliver(datetime.now(timezone.utc))
            except StoreLocked:
                click.echo(f"digest queued for {', '.join(queued) or 'no brand'}; the running service delivers it")
                return
            click.echo(f"digest queued for {', '.join(queued) or 'no brand'}; {len(report.sent)} email(s) delivered, "
                       f"{report.failed} waiting for retry")
