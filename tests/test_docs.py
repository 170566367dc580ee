"""The README is the user's manual: short, and naming every command, option and config key;
its links lead somewhere."""

import re
from dataclasses import fields, is_dataclass

import click

from monitor.cli import cli
from monitor.config import Config
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_manual_not_a_diary():
    assert len(README.splitlines()) < 400


def test_every_command_and_option_is_in_the_readme():
    missing = []
    for name, command in {"monitor": cli, **cli.commands}.items():
        if name != "monitor" and f"`{name}" not in README:
            missing.append(name)
        for param in command.params:
            longs = [o for o in param.opts if o.startswith("--") and o != "--help"]
            if isinstance(param, click.Option) and longs and not any(o in README for o in longs):
                missing.append(f"{name} {longs[0]}")
    assert missing == []


def test_every_config_key_is_in_the_readme():
    missing = []
    for f in fields(Config):
        if f.metadata.get("internal"):
            continue
        if not re.search(rf"(^|\[){f.name}\b", README, re.M):
            missing.append(f.name)
        section = f.default if is_dataclass(f.default) else None
        for key in fields(section) if section else ():
            if not re.search(rf"^{key.name} = ", README, re.M):
                missing.append(f"{f.name}.{key.name}")
    for table, settings in (("sources", Config().sources), ("deliver", Config().deliver)):
        for name, values in settings.items():
            for key in fields(values):
                if f"`{key.name.rstrip('_')}`" not in README:
                    missing.append(f"{table}.{name}.{key.name}")
    assert missing == []


def test_every_link_to_the_docs_leads_to_a_page():
    for text in [README, *(p.read_text() for p in (REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\((docs/[^)#]+|[a-z]+\.md)\)", text):
            path = REPO / target if target.startswith("docs/") else REPO / "docs" / target
            assert path.exists(), target
