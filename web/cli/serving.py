"""`tdkt serve` and `tdkt demo`: the web UI under waitress, the demo with its scheduler."""

from __future__ import annotations

import click
from flask import Flask

from models.migrate import upgrade
from web.cli.common import open_database
from web.cli.database import seed
from web.cli.deadlines import start_background_scheduler
from web.startup import settled_app


@click.command(help="Chạy giao diện web bằng máy chủ WSGI waitress (production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    _serve(settled_app(), host, port, threads)


def _serve(app: Flask, host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    click.echo(f"tdkt đang chạy tại http://{host}:{port}/ (Ctrl+C để dừng)")
    waitress_serve(app, host=host, port=port, threads=threads)


@click.command(help="Chạy bản demo: nâng cấp CSDL, nạp dữ liệu mẫu, mở giao diện web và "
                   "bộ lập lịch nhắc hạn.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    database = open_database(require_schema=False)
    upgrade(database.engine)
    seed(database)
    database.dispose()
    # The app is built and its heap set aside before the scheduler's first tick runs,
    # so nothing of a tick in flight is frozen with it.
    app = settled_app()
    scheduler = start_background_scheduler()
    click.echo("Bộ lập lịch nhắc hạn chạy cùng tiến trình demo.")
    try:
        _serve(app, host, port)
    finally:
        scheduler.shutdown(wait=False)
