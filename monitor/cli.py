"""The ``monitor`` command: a thin shell over the library, a few lines per command."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from monitor import __version__
from monitor.config import DEFAULT_CONFIG_TEXT, Config, load_config, prepare_parent_dir
from monitor.errors import ConfigError, MonitorError
from monitor.store import Store

SHOWN_REJECTIONS = 20


class _Context:
    """What every command needs: the config (with --db applied) and a way to the store."""

    def __init__(self, config_path: Path | None, db: Path | None) -> None:
        self.config_path, self.db = config_path, db

    @property
    def config(self) -> Config:
        config = load_config(self.config_path)
        if self.db is not None:
            config = replace(config, database=self.db)
        return config

    def store(self, config: Config) -> Store:
        prepare_parent_dir(config.database, "--db" if self.db else "database", config)
        return Store(config.database)


pass_context = click.make_pass_decorator(_Context)


class _Failure(click.ClickException):
    """A MonitorError shown as one line, with its own exit status (2 for config errors)."""

    def __init__(self, error: MonitorError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code
        self.prefix = "config error" if isinstance(error, ConfigError) else "error"

    def show(self, file: object = None) -> None:
        click.echo(f"{self.prefix}: {self.message}", err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise _Failure(exc) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="MONITOR_CONFIG",
    help="Config file [default: ./monitor.toml if present; env MONITOR_CONFIG].",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite database, overriding the config's 'database'.",
)
@click.option("-v", "--verbose", count=True, help="-v for progress, -vv for debug detail.")
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, db: Path | None, verbose: int) -> None:
    """Social-media sentiment monitor: tracked hashtags in, daily trend reports out."""
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = _Context(config_path, db)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_context
def init(obj: _Context, force: bool) -> None:
    """Write a commented default config (tracking #WitkoffUkraine and #DiplomacyDebacle)."""
    path = obj.config_path or Path("monitor.toml")
    if path.exists() and not force:
        raise MonitorError(f"{path}: already exists (use --force to overwrite)")
    path.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    for folder in ("data", "reports"):
        (path.parent / folder).mkdir(exist_ok=True)
    click.echo(f"wrote {path}")


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--platform", help="Platform for records that have none.")
@click.option("--tag", "tags", multiple=True, help="Tag for records that have none (repeatable).")
@pass_context
def import_(
    obj: _Context, files: tuple[Path, ...], platform: str | None, tags: tuple[str, ...]
) -> None:
    """Import JSON Lines or CSV files of canonical post records."""
    from monitor.pipeline import import_files

    config = obj.config
    with obj.store(config) as store:
        result = import_files(store, files, platform, tags, config.labels.threshold)
    for rejection in result.rejections[:SHOWN_REJECTIONS]:
        click.echo(f"rejected {rejection.where}: {rejection.reason}", err=True)
    if result.rejected > SHOWN_REJECTIONS:
        click.echo(f"... and {result.rejected - SHOWN_REJECTIONS} more rejected", err=True)
    click.echo(
        f"{result.new} new, {result.duplicate} already present, "
        f"{result.rejected} rejected ({result.scored} texts scored)"
    )


@cli.command()
@pass_context
def rescore(obj: _Context) -> None:
    """Re-score posts that another scorer version scored."""
    from monitor.pipeline import rescore as rescore_posts

    config = obj.config
    with obj.store(config) as store:
        click.echo(f"{rescore_posts(store)} posts re-scored")


@cli.command("collect")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only this tag (repeatable).")
@click.option("--max-pages", type=click.IntRange(1), help="Pages per source and tag this run.")
@click.option("--dry-run", is_flag=True, help="Fetch and count, but store nothing.")
@pass_context
def collect_(
    obj: _Context,
    sources: tuple[str, ...],
    tags: tuple[str, ...],
    max_pages: int | None,
    dry_run: bool,
) -> None:
    """Collect new posts for the tracked tags from every configured source.

    Exit status: 0 every source ran or was skipped, 3 some sources failed, 1 all failed."""
    from monitor.collect import collect, exit_status
    from monitor.text import fold_tag

    config = obj.config
    with obj.store(config) as store:
        results = collect(store, config, sources, [fold_tag(t) for t in tags], max_pages, dry_run)
    for result in results:
        if result.message:
            click.echo(f"{result.source:<9} {result.status}: {result.message}")
        for t in result.tags:
            click.echo(
                f"{t.source:<9} {t.instance}  #{t.tag}: {t.pages} pages, {t.new} new, "
                f"{t.duplicate} duplicates, {t.rejected} rejected, waited {t.waited:.0f} s"
            )
    status = exit_status(results)
    if status:
        raise SystemExit(status)


@cli.command()
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Report day [default: yesterday in the configured time zone].",
)
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Days covered by the charts.",
)
@pass_context
def report(obj: _Context, day: date | None, days: int) -> None:
    """Write the daily report and print where it is."""
    from monitor.report import write_report

    config = obj.config
    prepare_parent_dir(config.reports_dir / "x", "reports_dir", config)
    with obj.store(config) as store:
        click.echo(write_report(store, config, day.date() if day else None, days))


@cli.command()
@click.option("--days", default=14, show_default=True, type=click.IntRange(8, 60))
@pass_context
def demo(obj: _Context, days: int) -> None:
    """Load a synthetic scenario into data/demo.db and report it into reports/demo/."""
    from monitor.demo import run_demo

    path = run_demo(obj.config, Path("data"), Path("reports") / "demo", days)
    click.echo(f"Synthetic demo report: {path.resolve()}")
    click.echo(f"Open it with: xdg-open {path.resolve()}  (or any browser)")


main = cli
