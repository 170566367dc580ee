"""The ``monitor`` command: a thin shell over the library, a few lines per command."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from monitor import __version__
from monitor.config import DEFAULT_CONFIG_TEXT, Config, load_config, prepare_parent_dir
from monitor.errors import ConfigError, MonitorError
from monitor.files import written_whole
from monitor.http import RedactSecrets
from monitor.models import EARLIEST_POST
from monitor.pipeline import BATCH_SIZE
from monitor.text import printable

if TYPE_CHECKING:
    from jobs.stopping import Stop
    from jobs.tasks import CollectOutcome
    from monitor.delivery.base import ChannelResult
    from monitor.formats.base import ImportOptions
    from monitor.labels import LabelSheet
    from monitor.models import Rejection
    from monitor.pipeline import IngestResult
    from monitor.store import Store

SHOWN_REJECTIONS = 20
# Longer plots have more periods than a chart can show (and take minutes to build).
MAX_PLOT_DAYS = {"D": 3660, "W": 3660 * 2, "M": 3660 * 5, "H": 92}


class _Context:
    """What every command needs: the config (with --db applied) and a way to the store."""

    def __init__(self, config_path: Path | None, db: Path | None, verbose: int) -> None:
        self.config_path, self.db, self.verbose = config_path, db, verbose

    @property
    def config(self) -> Config:
        config = load_config(self.config_path)
        if self.db is not None:
            prepare_parent_dir(self.db, "--db", config)
            config = replace(config, database=self.db)
            if config.path is None:  # no config file: the reports go beside that database
                config = replace(config, reports_dir=self.db.parent / "reports")
        return config

    def store(self, config: Config) -> Store:
        from monitor.wiring import open_store  # sqlite-utils loads pandas: a second, when needed

        return open_store(config)

    def chatty(self) -> bool:
        """Cron one-shots are quiet on success unless -v, or run at a terminal."""
        return self.verbose > 0 or sys.stdout.isatty()


pass_context = click.make_pass_decorator(_Context)


class _Failure(click.ClickException):
    """A MonitorError shown as one line, with its own exit status (2 for config errors)."""

    def __init__(self, error: MonitorError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code
        self.prefix = "config error" if isinstance(error, ConfigError) else "error"

    def show(self, file: object = None) -> None:
        click.echo(f"{self.prefix}: {printable(self.message, keep=chr(10))}", err=True)


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
    # Quiet by default (cron mails only failures, which the commands print themselves).
    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # no secret in any line, whoever logs it
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
    # Library chatter (each job added, each HTTP request) only at -vv.
    for noisy in ("apscheduler", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(level if verbose >= 2 else logging.WARNING)
    ctx.obj = _Context(config_path, db, verbose)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_context
def init(obj: _Context, force: bool) -> None:
    """Write a commented default config (tracking #WitkoffUkraine and #DiplomacyDebacle)."""
    path = obj.config_path or Path("monitor.toml")
    if path.exists() and not force:
        raise MonitorError(f"{path}: already exists (use --force to overwrite)")
    with written_whole(path) as staged:  # a config overwritten by --force: whole or not at all
        staged.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    for folder in ("data", "reports"):
        (path.parent / folder).mkdir(exist_ok=True)
    click.echo(f"wrote {path}")


class _UtcTime(click.ParamType):
    """A day or an ISO 8601 time, as typed or pasted: ``2025-11-20``, ``2025-11-20 12:00``,
    ``2025-11-20T12:00:00Z``, ``2025-11-20T14:00+02:00``; without an offset it is UTC."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(
                f"{value!r} is not a day or an ISO 8601 time (2025-11-20, 2025-11-20T12:00:00Z, "
                "2025-11-20T14:00+02:00)",
                param,
                ctx,
            )
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_options(command: Callable) -> Callable:
    """The options that fill and filter input records, which import and backfill take alike,
    handed to the command as one ``options`` (ImportOptions) beside ``format_name``."""

    @functools.wraps(command)
    def with_options(
        *args: Any,
        platform: str | None,
        tags: Sequence[str],
        time: datetime | None,
        add_tags: Sequence[str],
        since: datetime | None,
        until: datetime | None,
        subreddits: Sequence[str],
        match: str | None,
        **kwargs: Any,
    ) -> Any:
        from monitor.formats.base import ImportOptions

        options = ImportOptions(
            platform=platform,
            tags=tuple(tags),
            time=time,
            add_tags=tuple(add_tags),
            since=since.replace(tzinfo=UTC) if since else None,
            until=(until + timedelta(days=1)).replace(tzinfo=UTC) if until else None,
            subreddits=frozenset(subreddits),
            match=tuple((match or "").split()),
        )
        return command(*args, options=options, **kwargs)

    for option in reversed(
        [
            click.option("--format", "format_name", help="Read as this format (see --formats)."),
            click.option("--platform", help="Platform for records that have none."),
            click.option(
                "--tag", "tags", multiple=True, help="Tag for records with none (repeatable)."
            ),
            click.option(
                "--time",
                type=_UtcTime(),
                help="Time for records that have none (a labelled spreadsheet): a day or an ISO"
                " 8601 time, UTC unless it has an offset.",
            ),
            click.option(
                "--add-tag", "add_tags", multiple=True, help="Tag for every record (repeatable)."
            ),
            click.option(
                "--since", type=click.DateTime(["%Y-%m-%d"]), help="Skip posts before this UTC day."
            ),
            click.option(
                "--until", type=click.DateTime(["%Y-%m-%d"]), help="Skip posts after this UTC day."
            ),
            click.option(
                "--subreddit", "subreddits", multiple=True, help="Reddit: only these (repeatable)."
            ),
            click.option("--match", help="Only posts with any of these words or hashtags."),
        ]
    ):
        with_options = option(with_options)
    return with_options


@cli.command("import")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--formats", "list_formats", is_flag=True, help="List the formats and exit.")
@_record_options
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Posts per transaction: what a crash can cost; larger is faster.",
)
@pass_context
def import_(
    obj: _Context,
    files: tuple[Path, ...],
    format_name: str | None,
    list_formats: bool,
    options: ImportOptions,
    batch_size: int,
) -> None:
    """Import files: the monitor's own records, or the exports researchers hold (twarc2,
    Reddit dumps, Zeeschuimer, Mastodon, Bluesky Jetstream, 4CAT), plain, .gz or .zst; '-'
    reads standard input. The format is recognised from the content."""
    from monitor.formats import format_names
    from monitor.pipeline import import_files, import_scoring
    from monitor.wiring import active_scorer

    if list_formats:
        for name, title in format_names():
            click.echo(f"{name:<18} {title}")
        click.echo("(a CSV format reads a workbook's sheet too: .xlsx, .xls, .ods)")
        return
    if not files:
        raise click.UsageError("give one or more FILES (or --formats)")
    config = obj.config
    _untracked_tags_note(options, config)
    scorer = active_scorer(config)
    with (
        import_scoring(scorer, files) as pool,  # its workers start before the store's imports
        obj.store(config) as store,
        _progress_bar(obj, "import") as progress,
    ):
        result = import_files(
            store, files, scorer, options, format_name, batch_size, progress, pool
        )
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    _print_rejections(result.rejections, result.rejected)
    skipped = ", ".join(f"{n} {reason}" for reason, n in result.skipped.most_common())
    click.echo(
        f"{result.new} new, {result.duplicate} already present, "
        f"{result.skipped.total()} skipped{f' ({skipped})' if skipped else ''}, "
        f"{result.rejected} rejected ({result.scored} texts scored)"
        + (f", {result.deleted} deleted by their authors" if result.deleted else "")
    )
    if result.rejected:  # as collect: 3 some records were unusable, 1 none was usable
        raise SystemExit(3 if result.new + result.duplicate else 1)


def _untracked_tags_note(options: ImportOptions, config: Config) -> None:
    """Once, before a long import: the tags it was asked to store posts under that reports
    will not show, because the config does not track them."""
    from monitor.text import fold_tag

    asked = dict.fromkeys(fold_tag(t) for t in (*options.tags, *options.add_tags))
    untracked = [tag for tag in asked if tag not in config.tags]
    if untracked:
        click.echo(
            f"note: {', '.join('#' + t for t in untracked)} "
            f"{'is' if len(untracked) == 1 else 'are'} not among the tracked tags "
            f"({config.path or 'the default config'}: tags): the posts are stored, but reports "
            "and alerts leave them out until the tag is added there",
            err=True,
        )


def _print_rejections(rejections: Sequence[Rejection], total: int) -> None:
    """The first SHOWN_REJECTIONS rejections on stderr, each with where and why."""
    for rejection in rejections[:SHOWN_REJECTIONS]:
        click.echo(f"rejected {rejection.where}: {printable(rejection.reason)}", err=True)
    if total > SHOWN_REJECTIONS:
        click.echo(f"... and {total - SHOWN_REJECTIONS} more rejected", err=True)


def _label_sheet(path: Path, config: Config) -> LabelSheet:
    """A label sheet's usable rows; its rejected rows printed (the command exits 3 for them
    once it is done); none usable is an error."""
    from monitor.labels import read_labels

    sheet = read_labels(path, config.labels)
    _print_rejections(sheet.rejections, len(sheet.rejections))
    if not sheet.rows:
        raise MonitorError(f"{path}: no labelled row can be used")
    return sheet


@contextmanager
def _progress_bar(obj: _Context, what: str) -> Iterator[Callable[[IngestResult], None]]:
    """A progress bar on stderr (at a terminal, or with -v) for runs longer than two seconds:
    records read and their rate, stored, already present, skipped, rejected."""
    from tqdm import tqdm

    shown = obj.verbose > 0 or sys.stderr.isatty()
    with tqdm(desc=what, unit=" records", delay=2, disable=not shown, file=sys.stderr) as bar:

        def report(result: IngestResult) -> None:
            bar.update(result.read - bar.n)
            bar.set_postfix(progress_counts(result), refresh=False)

        yield report


def progress_counts(result: IngestResult) -> dict[str, str]:
    """The progress bar's counts, written out ("new=10,000"; tqdm prints a round 10,000 "1e+4")."""
    counts = {
        "new": result.new,
        "present": result.duplicate,
        "skipped": result.skipped.total(),
        "rejected": result.rejected,
    }
    return {name: f"{count:,}" for name, count in counts.items()}


@contextmanager
def _fit_progress(obj: _Context) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (at a terminal, or with -v) over calibrate's model fits."""
    from tqdm import tqdm

    shown = obj.verbose > 0 or sys.stderr.isatty()
    with tqdm(desc="calibrate", unit=" fits", disable=not shown, file=sys.stderr) as bar:

        def report(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield report


def _day_range(config: Config, since: datetime | None, until: datetime | None) -> tuple:
    """Unix-second bounds of local days ``since`` to ``until`` (either may be open)."""

    def midnight(day: date) -> int:
        return int(datetime.combine(day, datetime.min.time(), config.zone).timestamp())

    start = midnight(since.date()) if since else None
    return start, (midnight(until.date() + timedelta(days=1)) if until else None)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The label sheet to write: .csv, or .xlsx (Excel keeps long ids whole).",
)
@click.option("--n", "count", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--tag", "tags", multiple=True, help="Only posts with this tag (repeatable).")
@click.option("--platform", help="Only posts from this platform.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day.")
@click.option(
    "--seed", default=0, show_default=True, type=int, help="The same seed, the same sample."
)
@pass_context
def sample(
    obj: _Context,
    out: Path,
    count: int,
    tags: tuple[str, ...],
    platform: str | None,
    since: datetime | None,
    until: datetime | None,
    seed: int,
) -> None:
    """Write a random sample of stored posts (scored or not) to label in a spreadsheet."""
    from monitor.labels import draw, write_sample
    from monitor.models import LABELS
    from monitor.text import SPREADSHEET_DIGITS, fold_tag, long_number

    config = obj.config
    with obj.store(config) as store:
        ids = store.post_ids(
            [fold_tag(t) for t in tags], platform, *_day_range(config, since, until)
        )
        rows = store.posts_by_id(draw(ids, count, seed))
    for row in rows:  # the scorer's label is shown as predicted; 'label' is for the person
        row["lang"], row["predicted"], row["label"] = row["language"], row["label"] or "", ""
    choices = [config.labels.display(label) for label in LABELS]
    written = write_sample(rows, out, choices)
    click.echo(f"{written} of {len(ids)} matching posts written to {out}: fill in 'label'")
    if out.suffix.lower() != ".xlsx" and any(long_number(row["id"]) for row in rows):
        click.echo(
            f"note: ids of more than {SPREADSHEET_DIGITS} digits: Excel rounds them when it "
            "opens a CSV, and a sheet saved from it names no post; to label in Excel, write "
            "--out FILE.xlsx",
            err=True,
        )


@cli.command()
@click.argument("labels_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
def evaluate(obj: _Context, labels_file: Path, as_json: bool) -> None:
    """How the active scorer's labels agree with hand labels; kept in the database."""
    from monitor.evaluation import evaluate as evaluate_labels
    from monitor.wiring import active_scorer, share_method

    config = obj.config
    sheet = _label_sheet(labels_file, config)
    with obj.store(config) as store:
        scorer = active_scorer(config)
        result = evaluate_labels(store, scorer, sheet.rows)
        store.save_evaluation(str(labels_file), result)
        warning = share_method(config.scoring.shares, scorer, store).warning
    click.echo(json.dumps(result, indent=2) if as_json else describe_evaluation(result, config))
    if warning and not as_json:
        click.echo(f"warning: {warning}")
    if sheet.rejections:
        raise SystemExit(3)


def describe_evaluation(result: dict, config: Config) -> str:
    """An evaluation as a person reads it: headline figures, the split, the confusion."""
    from monitor.language import language_name
    from monitor.models import LABELS

    def interval(name: str) -> str:
        lo, hi = result["intervals"][name]
        return f"{result[name]:.3f} (95% {lo:.3f}-{hi:.3f})"

    names = {label: config.labels.display(label) for label in LABELS}
    not_read = result["not_scored_by_language"].items()
    lines = [
        f"scorer {result['scorer_version']}: {result['n']} of {result['labelled']} labelled "
        f"posts scored ({result['not_scored']} not scored: "
        + (", ".join(f"{language_name(code)} {n}" for code, n in not_read) or "none")
        + ")"
        + (f"; {result['period']}" if result.get("period") else ""),
        *(
            [f"{result['left_out']} labelled posts left out: the scorer was fitted on them"]
            if result["left_out"]
            else []
        ),
        f"accuracy {interval('accuracy')}, macro-F1 {interval('macro_f1')}, "
        f"share distance {interval('share_distance')}",
        f"{'':<12}" + "".join(f"{names[label]:>12}" for label in LABELS),
    ]
    for source in ("labelled", "predicted"):
        bounds = result["intervals"]["shares"][source]
        shown = [
            f"{result['shares'][source][label]:.0%} ±{(hi - lo) / 2:.0%}"
            for label, (lo, hi) in ((label, bounds[label]) for label in LABELS)
        ]
        lines.append(f"{source + ' %':<12}" + "".join(f"{text:>12}" for text in shown))
    lines.append("confusion (rows: hand label, columns: the scorer's)")
    for hand in LABELS:
        row = result["confusion"][hand]
        lines.append(f"{names[hand]:<12}" + "".join(f"{row[p]:>12}" for p in LABELS))
    return "\n".join(lines)


@cli.command()
@click.argument("labels_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Model file."
)
@click.option("--force", is_flag=True, help="Write the model even if it does not beat stock.")
@pass_context
def calibrate(obj: _Context, labels_file: Path, out: Path, force: bool) -> None:
    """Fit a scorer on hand labels; write it only if it beats stock VADER in cross-validation."""
    from monitor.calibration import calibrate as fit_on_labels
    from monitor.calibration import write_model

    config = obj.config
    sheet = _label_sheet(labels_file, config)
    with obj.store(config) as store, _fit_progress(obj) as progress:
        result = fit_on_labels(store, sheet.rows, progress=progress)
    click.echo(result.summary())
    if not result.beats_stock and not force:
        raise MonitorError(
            "the calibrated scorer does not beat stock VADER in cross-validation on these "
            "labels: label more posts (or --force to write it anyway)"
        )
    write_model(result.model, out)
    click.echo(
        f'wrote {out}; to use it, set [scoring] model = "{out}" in the config, then run '
        "'monitor rescore'"
    )
    if sheet.rejections:
        raise SystemExit(3)


@cli.command()
@pass_context
def rescore(obj: _Context) -> None:
    """Re-score posts that another scorer version scored (after a change of scorer, lexicon,
    languages or threshold)."""
    from monitor.pipeline import rescore as rescore_posts
    from monitor.wiring import active_scorer

    config = obj.config
    scorer = active_scorer(config)
    with obj.store(config) as store:
        click.echo(f"{rescore_posts(store, scorer)} posts re-scored with {scorer.version}")


def _print_collect(outcome: CollectOutcome) -> None:
    for result in outcome.results:
        if result.message:
            click.echo(f"{result.source:<9} {result.status}: {result.message}")
        for t in result.tags:
            click.echo(
                f"{t.source:<9} {t.instance}  #{t.tag}: {t.pages} pages, {t.new} new, "
                f"{t.duplicate} duplicates ({t.gained} newly tagged), {t.rejected} rejected, "
                f"waited {t.waited:.0f} s"
            )


def _print_deliveries(results: Sequence[ChannelResult], err: bool = False) -> None:
    for result in results:
        if result.status != "disabled":
            click.echo(f"deliver {result.channel:<8} {result.status}: {result.message}", err=err)


def _finish(outcome: CollectOutcome, summary: str | None) -> None:
    """Print as cron wants it: nothing on success unless asked; one line on failure; exit
    with the documented status."""
    if summary:
        click.echo(summary)
    if outcome.status:
        click.echo(outcome.summary(), err=True)
        raise SystemExit(outcome.status)


summary_option = click.option("--summary", is_flag=True, help="Print one summary line.")


@cli.command("collect")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only this tag (repeatable).")
@click.option("--max-pages", type=click.IntRange(1), help="Pages per source and tag this run.")
@click.option("--dry-run", is_flag=True, help="Fetch and count, but store nothing.")
@summary_option
@pass_context
def collect_(
    obj: _Context,
    sources: tuple[str, ...],
    tags: tuple[str, ...],
    max_pages: int | None,
    dry_run: bool,
    summary: bool,
) -> None:
    """Collect new posts for the tracked tags from every configured source.

    Exit status: 0 ok, 1 all sources failed, 3 some failed, 4 skipped (another collect runs)."""
    from jobs.stopping import stop_on_signals
    from jobs.tasks import collect_job
    from monitor.text import fold_tag

    folded = [fold_tag(t) for t in tags]
    with stop_on_signals() as stop:
        outcome = collect_job(obj.config, sources, folded, max_pages, dry_run, stop=stop.event)
    if obj.chatty():
        _print_collect(outcome)
        _print_deliveries(outcome.deliveries)
    _warn_nothing_enabled(outcome, "nothing was collected")
    _stopped(stop, "the collect stopped after the page it was storing; the next run resumes")
    _finish(outcome, outcome.summary() if summary else None)


@cli.command()
@summary_option
@pass_context
def daily(obj: _Context, summary: bool) -> None:
    """Collect, then write yesterday's report (written even when a source failed).

    Exit status as for collect; the report is written in every case, unless a SIGTERM or
    SIGINT stopped the run (the step in hand finishes; exit 128 + the signal's number)."""
    from jobs.stopping import stop_on_signals
    from jobs.tasks import daily_job

    with stop_on_signals() as stop:
        outcome, path = daily_job(obj.config, stop=stop.event)
    if obj.chatty():
        _print_collect(outcome)
        _print_deliveries(outcome.deliveries)
        if path:
            click.echo(path)
    _warn_nothing_enabled(
        outcome,
        "nothing was collected; the report is written from the stored posts but not "
        "sent ('monitor deliver' sends it)",
    )
    written = f"the report is written: {path}" if path else "no report written"
    _stopped(stop, f"stopped after the step in hand ({written}); the next run picks up")
    _finish(outcome, f"{outcome.summary()}; report: {path}" if summary else None)


def _warn_nothing_enabled(outcome: CollectOutcome, what: str) -> None:
    """Cron mails stderr: a setup that collects nothing is told, every run."""
    from jobs.tasks import NOTHING_ENABLED

    if outcome.nothing_enabled:
        click.echo(f"warning: {NOTHING_ENABLED}: {what}", err=True)


def _stopped(stop: Stop, what: str) -> None:
    """After a signal: one line on stderr and the signal's exit status."""
    if stop.signum:
        click.echo(f"{stop.name}: {what}", err=True)
        raise SystemExit(stop.exit_status)


@cli.command()
@click.option("--list", "list_only", is_flag=True, help="Print the jobs and their next runs.")
@pass_context
def schedule(obj: _Context, list_only: bool) -> None:
    """Run the collect, report and housekeeping jobs on the [schedule] until stopped."""
    from jobs.scheduler import next_runs, run_scheduler

    config = obj.config
    if list_only:
        for name, when in next_runs(config).items():
            zone = config.schedule_timezone
            click.echo(
                f"{name:<13} next {when.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S} "
                f"{zone}  ({_describe(config, name)})"
            )
        return
    if obj.verbose == 0:
        logging.getLogger().setLevel(logging.INFO)  # a daemon's log is its output
    run_scheduler(config)


def _describe(config: Config, job: str) -> str:
    return {
        "collect": f"every {config.schedule.collect_every}, and at start-up",
        "report": f"daily at {config.schedule.report_at}",
        "housekeeping": f"daily at {config.schedule.housekeeping_at}",
    }[job]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def status(obj: _Context, as_json: bool) -> None:
    """Collection health per source and tag, and the next scheduled runs."""
    from jobs.scheduler import next_runs
    from jobs.tasks import NOTHING_ENABLED
    from monitor.health import collection_health, delivery_health, scoring_state
    from monitor.language import language_name
    from monitor.wiring import active_scorer

    config = obj.config
    with obj.store(config) as store:
        health = collection_health(store, config)
        collects = store.runs("collect", 1)
        scoring = scoring_state(store, active_scorer(config), config.scoring.shares)
        channels = delivery_health(store, config)
    runs = {name: when.isoformat(timespec="seconds") for name, when in next_runs(config).items()}
    if as_json:
        state = {
            "sources": [h.as_dict() for h in health],
            "scoring": scoring,
            "delivery": channels,
            "next_runs": runs,
        }
        click.echo(json.dumps(state, indent=2, default=str))
        return
    click.echo(
        f"scoring: {scoring['version']} "
        f"(reads {', '.join(map(language_name, scoring['languages']))}); "
        f"{scoring['posts']} posts, {scoring['posts_with_stale_score']} with a stale score"
        + (" (run 'monitor rescore')" if scoring["posts_with_stale_score"] else "")
    )
    click.echo(f"shares: {scoring['shares_note']}")
    if scoring["shares_warning"]:
        click.echo(f"warning: {scoring['shares_warning']}")
    if health:
        click.echo(f"{'source':<9} {'tag':<20} {'state':<9} {'last success':<21} {'24h':>5}  note")
    elif collects:  # runs, but no source to show: none is enabled
        last = collects[0]
        click.echo(f"collect last ran {last['finished_at']} ({last['status']}): {NOTHING_ENABLED}")
    else:
        click.echo("no collect has run yet: the posts come from imports")
    for h in health:
        click.echo(
            f"{h.source:<9} #{h.tag:<19} {h.state:<9} {h.last_success or '-':<21} "
            f"{h.posts_24h:>5}  {h.warning or ''}"
        )
        if h.last_error:
            click.echo(f"{'':<9} last error {h.last_error_at}: {printable(h.last_error)}")
        for instance, cursor in h.cursors.items():
            click.echo(
                f"{'':<9} cursor {instance}: newest {cursor.get('newest')}"
                f"{' (walk in progress)' if cursor.get('walk') else ''}"
            )
    for channel in channels:
        state, failed = channel["state"], channel["state"] == "error"
        click.echo(
            f"deliver {channel['channel']:<8} "
            + (f"last {state} {channel['last_run_at']}" if state != "never" else "never ran")
            + (f": {printable(channel['last_error'])}" if failed else "")
            + (f"; {len(channel['waiting'])} waiting to be retried" if channel["waiting"] else "")
        )
    click.echo(
        "next runs (if 'monitor schedule' is running): "
        + ", ".join(f"{name} {when}" for name, when in runs.items())
    )


@cli.command()
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Report day [default: yesterday in the configured time zone].",
)
@click.option(
    "--days",
    type=click.IntRange(1, 1830),
    help="Days the charts cover [default: 14, or schedule.report_days].",
)
@summary_option
@pass_context
def report(obj: _Context, day: datetime | None, days: int | None, summary: bool) -> None:
    """Write the daily report; print where it is (at a terminal, with -v or --summary)."""
    from jobs.tasks import report_job

    earliest = EARLIEST_POST.date()
    if day is not None and not earliest <= day.date() <= date.today() + timedelta(days=1):
        raise click.BadParameter(
            f"{day.date()} is outside {earliest} to tomorrow: no post can be on it",
            param_hint="--date",
        )
    config = obj.config
    path = report_job(config, day.date() if day else None, days)
    click.echo(f"report: {path}" if summary else path)
    manifest = json.loads((path.parent / "manifest.json").read_text())
    first, last = manifest["date_range"]
    if not any(manifest["counts"]["posts_in_range"].values()):
        click.echo(f"warning: no posts from {first} to {last}: the report is empty", err=True)
    if date.fromisoformat(last) >= datetime.now(config.zone).date():
        click.echo(
            f"warning: {last} has not ended yet in {config.timezone}: its numbers will grow",
            err=True,
        )


@cli.command("deliver")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Report day [default: yesterday in the configured time zone].",
)
@click.option("--channel", "channels", multiple=True, help="Only this channel (repeatable).")
@click.option("--force", is_flag=True, help="Send again to channels that had this report.")
@pass_context
def deliver_(obj: _Context, day: datetime | None, channels: tuple[str, ...], force: bool) -> None:
    """Send the day's report to the enabled channels (writing it first if it is missing);
    print each channel's outcome (at a terminal, or with -v; failures always, on stderr).

    Exit status: 0 sent (or nothing to send), 3 a channel failed."""
    from jobs.tasks import PARTIAL, deliver_job
    from monitor.delivery import CHANNELS

    config = obj.config
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise click.BadParameter(
            f"unknown channel {unknown[0]!r} (expected one of: {', '.join(CHANNELS)})",
            param_hint="--channel",
        )
    disabled = [c for c in channels if not config.deliver[c].enabled]
    if disabled:
        where = f"{config.path}: " if config.path else ""
        raise click.BadParameter(
            f"{where}deliver.{disabled[0]}.enabled is false", param_hint="--channel"
        )
    path, results = deliver_job(config, day.date() if day else None, channels, force)
    if obj.chatty():
        _print_deliveries(results)
    else:  # as cron wants it: quiet on success, the failures on stderr
        _print_deliveries([r for r in results if r.status == "error"], err=True)
    if not any(config.deliver[name].enabled for name in CHANNELS):
        click.echo(
            f"no channel is enabled: set enabled = true under [deliver.*] ({path})", err=True
        )
    if any(r.status == "error" for r in results):
        raise SystemExit(PARTIAL)


def _local_date(value: datetime | None, default: date) -> date:
    return value.date() if value else default


@cli.command()
@click.option(
    "--tag", "tags", multiple=True, help="Tag to plot (repeatable) [default: all tracked]."
)
@click.option(
    "--platform", "platforms", multiple=True, help="Only posts from this platform (repeatable)."
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day [default: until - 13].")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day [default: today].")
@click.option(
    "--freq",
    type=click.Choice(["D", "W", "M", "H"]),
    default="D",
    show_default=True,
    help="Days, ISO weeks, calendar months or hours (in the configured time zone).",
)
@click.option(
    "--by",
    type=click.Choice(["tag", "platform", "language"]),
    default="tag",
    show_default=True,
    help="One series or panel per tag, or per platform or detected language (for one tag).",
)
@click.option(
    "--kind",
    type=click.Choice(["split", "volume", "sentiment"]),
    default="split",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Image file: .png or .svg (by extension).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the numbers behind the chart.",
)
@pass_context
def plot(
    obj: _Context,
    tags: tuple[str, ...],
    platforms: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    freq: str,
    by: str,
    kind: str,
    out: Path,
    csv_path: Path | None,
) -> None:
    """Draw an ad-hoc trend chart (and its numbers) for any tags, platforms and dates; print
    which tags or platforms differ beyond chance over the period."""
    from monitor.analysis import compare_groups
    from monitor.notebook import Monitor
    from monitor.text import fold_platform, fold_tag

    config = obj.config
    if out.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter("the file must end in .png or .svg", param_hint="--out")
    asked = tuple(fold_tag(t) for t in tags)
    tags = asked or config.tags
    if by != "tag" and len(tags) != 1:
        raise click.BadParameter(f"--by {by} compares {by}s for one --tag", param_hint="--by")
    end = _local_date(until, datetime.now(config.zone).date())
    start = _local_date(since, end - timedelta(days=13))
    if start > end:
        raise click.BadParameter(f"{start} is after --until {end}", param_hint="--since")
    longest = MAX_PLOT_DAYS[freq]
    if (end - start).days + 1 > longest:
        raise click.BadParameter(
            f"{start} to {end} is more than {longest} days at --freq {freq}", param_hint="--since"
        )
    chosen = [fold_platform(p) for p in platforms] or None
    with Monitor(config) as monitor:
        if asked:
            _known("--tag", asked, monitor.store.tags())
        if chosen:
            _known("--platform", chosen, monitor.store.platforms())
        frame, figure = monitor.plot(kind, tags, start, end, freq, by, chosen)
        method, rules = monitor.share_method, monitor.rules
    if not frame["n"].sum():
        where = f" on {', '.join(chosen)}" if chosen else ""
        raise MonitorError(
            f"no posts with {', '.join('#' + t for t in tags)}{where} from {start} to {end}: "
            f"nothing to draw, {out} not written"
        )
    with written_whole(out) as staged:
        figure.savefig(staged, dpi=110, format=out.suffix[1:].lower())
    if csv_path:
        with written_whole(csv_path) as staged:
            frame.to_csv(staged, index=False, float_format="%.6g")
    click.echo(f"wrote {out}" + (f" and {csv_path}" if csv_path else ""))
    if method.warning:
        click.echo(f"warning: {method.warning}")
    display = {label: config.labels.display(label) for label in ("negative", "positive")}
    for difference in compare_groups(frame, by, rules, method.rates):
        click.echo(f"{start} to {end}: {difference.describe(display)}")


def _known(option: str, asked: Sequence[str], stored: list[str]) -> None:
    """An option naming something the database never held is a usage error listing what is."""
    unknown = [name for name in asked if name not in stored]
    if unknown:
        raise click.BadParameter(
            f"no posts {'tagged #' if option == '--tag' else 'from '}{unknown[0]}; the database "
            f"holds {', '.join(stored[:30]) or 'no posts'}",
            param_hint=option,
        )


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="FILE.csv (opens in Excel), FILE.jsonl or FILE.parquet.",
)
@click.option("--tag", "tags", multiple=True, help="Only posts with this tag (repeatable).")
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day on (local).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Up to this day (local).")
@pass_context
def export(
    obj: _Context,
    out: Path,
    tags: tuple[str, ...],
    platforms: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Export stored posts with scores, labels, languages and tags (streamed)."""
    from monitor.export import export_posts
    from monitor.models import LABELS
    from monitor.text import fold_platform, fold_tag

    config = obj.config
    start, end = _day_range(config, since, until)
    chosen = [fold_platform(p) for p in platforms]
    with obj.store(config) as store:
        names = {label: config.labels.display(label) for label in LABELS}
        count = export_posts(store, out, [fold_tag(t) for t in tags], chosen, start, end, names)
    click.echo(f"wrote {count} posts to {out}")


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the Parquet output (day=YYYY-MM-DD/ partitions).",
)
@_record_options
@click.option("--workers", type=click.IntRange(1, 512), help="Local worker processes [default: 1].")
@click.option("--scheduler", help="An existing Dask cluster, tcp://host:8786.")
@pass_context
def backfill(
    obj: _Context,
    files: tuple[str, ...],
    out: Path,
    format_name: str | None,
    options: ImportOptions,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Run the import's reading, filters, parsing, language gate and scoring over many files
    as Dask tasks, writing the scored posts as Parquet by day (then: monitor import OUT).
    FILES are local paths or fsspec URLs the workers can read.

    Exit status: 0 every file done, 3 some failed (named on stderr) or records were rejected
    (the first few named, with why), 1 all failed or every record read was rejected."""
    from monitor.backfill import backfill as run_backfill
    from monitor.wiring import active_scorer

    if workers and scheduler:
        raise click.BadParameter("give --workers or --scheduler, not both", param_hint="--workers")
    result = run_backfill(
        [str(f) for f in files],
        out,
        active_scorer(obj.config),
        options,
        format_name,
        workers,
        scheduler,
        progress=sys.stderr.isatty(),
        tell=click.echo,
    )
    for failed in result.failed:
        click.echo(f"failed {failed.path}: {failed.error}", err=True)
    _print_rejections(result.rejections, result.rejected)
    click.echo(result.summary())
    everything_failed = len(result.failed) == len(result.files) > 0
    if everything_failed or (result.rejected and not result.matched):  # nothing usable
        raise SystemExit(1)
    if result.failed or result.rejected:  # as import: some files or records were unusable
        raise SystemExit(3)


@cli.command()
@click.argument("query")
@click.option("--tag", help="Only posts with this tag.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only posts from this day on.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1), help="Which page.")
@click.option("--fts", is_flag=True, help="QUERY is SQLite FTS5 syntax (phrases, OR, NOT, pre*).")
@pass_context
def search(
    obj: _Context,
    query: str,
    tag: str | None,
    since: datetime | None,
    limit: int,
    page: int,
    fts: bool,
) -> None:
    """Posts holding every word of QUERY, as typed; with --fts, SQLite FTS5 syntax ("phrases",
    OR, NOT, prefix*), newest first, --limit a page; how many match goes to stderr. Times are
    shown in the configured time zone."""
    from monitor.text import fold_tag

    config = obj.config
    since_ts = None
    if since:
        since_ts = int(datetime.combine(since.date(), datetime.min.time(), config.zone).timestamp())
    folded = fold_tag(tag) if tag else None
    first = (page - 1) * limit
    with obj.store(config) as store:
        total = store.count_matches(query, folded, since_ts, fts)
        rows = store.search(query, folded, since_ts, limit, fts, offset=first)
    for row in rows:
        if row["label"]:
            score = f"{row['compound']:+.3f} {config.labels.display(row['label']):<10}"
        else:
            score = f"not scored ({row['language'] or '?'})".ljust(17)
        text = printable(" ".join(row["text"].split()))
        when = datetime.fromisoformat(row["created_at"]).astimezone(config.zone)
        click.echo(
            f"{when:%Y-%m-%d %H:%M %Z}  {printable(row['platform']):<8} {score} "
            f"{text[:120]}{'…' if len(text) > 120 else ''}"
        )
        if row["url"]:
            click.echo(f"{'':>4}{printable(row['url'])}")
    click.echo(_matches_line(total, first, len(rows), page), err=True)


def _matches_line(total: int, first: int, shown: int, page: int) -> str:
    """'132 posts match; showing 21-40 (--page 3 for more)', and the like."""
    line = f"{total} post{'s' * (total != 1)} match{'es' * (total == 1)}"
    if total == 0 or shown == total:
        return line
    if not shown:
        return f"{line}; page {page} is past the last"
    more = f" (--page {page + 1} for more)" if first + shown < total else ""
    return f"{line}; showing {first + 1}-{first + shown}{more}"


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
