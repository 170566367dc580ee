"""Config: defaults, the init template, and errors that name the file and the key."""

from pathlib import Path

import pytest

from monitor.config import DEFAULT_CONFIG_TEXT, Config, load_config
from monitor.errors import ConfigError


def test_without_a_file_the_built_in_defaults_apply(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    assert config == Config()
    assert config.tags == ("witkoffukraine", "diplomacydebacle")
    assert (config.labels.threshold, config.labels.negative, config.labels.positive) == (
        0.05,
        "skeptical",
        "supportive",
    )
    assert (config.collect.backfill_days, config.collect.max_pages) == (7, 10)


def test_init_template_loads_to_the_defaults_with_paths_beside_the_file(tmp_path):
    path = tmp_path / "monitor.toml"
    path.write_text(DEFAULT_CONFIG_TEXT)
    config = load_config(path)
    assert config.tags == Config().tags and config.labels == Config().labels
    assert config.database == tmp_path / "data" / "monitor.db"
    assert config.reports_dir == tmp_path / "reports"


def test_tags_accept_hash_and_case_and_are_deduplicated(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        'tags = ["#WitkoffUkraine", "witkoffukraine", "Peace"]\ntimezone = "Europe/Kyiv"\n'
    )
    config = load_config(path)
    assert config.tags == ("witkoffukraine", "peace") and config.timezone == "Europe/Kyiv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('tags = "WitkoffUkraine"', "tags: expected a list of strings, got 'WitkoffUkraine'"),
        ("tags = []", "tags: expected at least one hashtag, got []"),
        ('tags = ["two words"]', "tags[0]: expected a hashtag of letters, digits and '_'"),
        ('tagz = ["a"]', "tagz: unknown key (expected one of: tags, timezone"),
        ('timezone = "Mars/Olympus"', "timezone: expected an IANA time zone"),
        ("[labels]\nthreshold = 2", "labels.threshold: expected a number between 0 and 1, got 2"),
        ('[labels]\nthreshold = "x"', "labels.threshold: expected a number, got 'x'"),
        ("[labels]\ncolour = 1", "labels.colour: unknown key"),
        ("[collect]\nmax_pages = true", "collect.max_pages: expected an integer, got True"),
        ("[collect]\nbackfill_days = 0", "collect.backfill_days: expected 1 to 10000, got 0"),
        ("labels = 3", "labels: expected a table, got 3"),
        ("sources = { x = 1 }", "sources.x: expected a table, got 1"),
        (
            "[sources.tiktok]",
            "sources.tiktok: unknown source (expected one of: bluesky, mastodon, reddit, x)",
        ),
        ("[sources.mastodon]\nenabled = 1", "sources.mastodon.enabled: expected true or false"),
        ("[sources.mastodon]\ntoken = 1", "sources.mastodon.token: unknown key"),
        ("tags = [", "not valid TOML"),
        ('[schedule]\ncollect_every = "soon"', "schedule.collect_every: expected a duration"),
        ('[schedule]\nreport_at = "25:00"', "schedule.report_at: expected a time of day"),
        ('[schedule]\ntimezone = "Mars/Olympus"', "schedule.timezone: expected an IANA time"),
        ("[analysis]\nmin_posts = 0", "analysis.min_posts: expected 1 or more, got 0"),
        (
            "[analysis]\nmin_posts_adjusted = 0",
            "analysis.min_posts_adjusted: expected 1 or more, got 0",
        ),
        (
            '[schedule]\ncollect_every = "99999999999999999999d"',
            "schedule.collect_every: expected a duration such as '15m', '1h' or '90s', at most",
        ),
        ('[schedule]\nlock_wait = "400d"', "schedule.lock_wait: expected a duration"),
        (
            "[schedule]\nraw_retention_days = 99999999999",
            "schedule.raw_retention_days: expected 0 (keep) to 36500",
        ),
        (f'tags = ["{"a" * 300}"]', "tags[0]: expected a hashtag of letters, digits and '_'"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_cli_config_error_exits_2_with_one_line(run, tmp_path):
    Path("bad.toml").write_text("[labels]\nthreshold = -1\n")
    result = run("--config", "bad.toml", "report", ok=False)
    assert result.exit_code == 2
    assert result.stderr == (
        "config error: bad.toml: labels.threshold: expected a number between 0 and 1, got -1\n"
    )


def test_monitor_config_env_and_missing_file(run, monkeypatch):
    monkeypatch.setenv("MONITOR_CONFIG", "elsewhere.toml")
    result = run("report", ok=False)
    assert result.exit_code == 2
    assert "elsewhere.toml: no such config file (run 'monitor init' to write one)" in result.stderr


def test_init_writes_the_template_once(run):
    assert run("init").stdout == "wrote monitor.toml\n"
    assert Path("monitor.toml").read_text() == DEFAULT_CONFIG_TEXT
    assert Path("data").is_dir() and Path("reports").is_dir()
    again = run("init", ok=False)
    assert again.exit_code == 1 and "already exists (use --force" in again.stderr


def test_configured_database_in_a_missing_folder_is_an_error(run):
    Path("monitor.toml").write_text('database = "nowhere/m.db"\n')
    Path("p.jsonl").write_text("")
    result = run("import", "p.jsonl", ok=False)
    assert result.exit_code == 2
    assert "monitor.toml: database: folder" in result.stderr and "does not exist" in result.stderr


def test_a_report_folder_that_is_a_file_is_a_config_error(run):
    Path("not-a-folder").write_text("")
    Path("monitor.toml").write_text('reports_dir = "not-a-folder"\n')
    result = run("report", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("config error: monitor.toml: reports_dir:")
