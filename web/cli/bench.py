"""`tdkt bench`: the benchmarks, imported only when asked for, from a source checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("bench", context_settings={"ignore_unknown_options": True,
                                         "help_option_names": []},
              help="Đo hiệu năng so với mức sàn của CSDL (benchmarks; --help for options).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    # Imported here: the benchmarks build their own data and sit above every layer. They are
    # not installed with the product; a source checkout has them beside `web/`.
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "benchmarks" / "cli.py").is_file():
        click.echo("tdkt bench chạy từ mã nguồn (git clone): không tìm thấy thư mục benchmarks/ "
                   "(the benchmarks ship with the source checkout, not the package).", err=True)
        sys.exit(2)
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    from benchmarks.cli import main as run_benchmarks

    sys.exit(run_benchmarks(list(args)))
