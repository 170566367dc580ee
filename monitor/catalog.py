"""Every plug-in as the README lists it, made from the plug-ins themselves (their names, titles,
settings and secret variables), so the manual cannot drift from the code:
``python -m monitor.catalog README.md`` rewrites the block between the markers."""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

from monitor.delivery import CHANNELS
from monitor.formats import format_names
from monitor.plugins import Configurable
from monitor.scoring import SCORERS
from monitor.sources import SOURCES

BEGIN = "<!-- plug-ins: made by `python -m monitor.catalog README.md`; do not edit -->"
END = "<!-- end of plug-ins -->"


def _keys(cls: type[Configurable]) -> str:
    return ", ".join(f"`{f.name.rstrip('_')}`" for f in fields(cls.Settings))


def _secrets(cls: type[Configurable]) -> str:
    return ", ".join(f"`{name}`" for name in cls.secret_envs()) or "(named by you)"


def markdown() -> str:
    """The plug-in tables, in Markdown."""
    lines = [
        "| source | `[sources.<name>]` keys | secrets from |",
        "|---|---|---|",
        *(f"| `{n}` | {_keys(c)} | {_secrets(c)} |" for n, c in SOURCES.items()),
        "",
        "| import format (`--format`) | what it reads |",
        "|---|---|",
        *(f"| `{name}` | {title} |" for name, title in format_names()),
        "",
        "| scorer (`[scoring] scorer`) | what it is |",
        "|---|---|",
        *(f"| `{n}` | {c.title} |" for n, c in SCORERS.items()),
        "",
        "| delivery channel | `[deliver.<name>]` keys | secrets from |",
        "|---|---|---|",
        *(f"| `{n}` | {_keys(c)} | {_secrets(c)} |" for n, c in CHANNELS.items()),
    ]
    return "\n".join(lines)


def block() -> str:
    return f"{BEGIN}\n{markdown()}\n{END}"


def rewrite(path: Path) -> None:
    """Replace the catalog block in a Markdown file with the current one."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + block() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))
