"""Social-media sentiment monitor: collect posts for tracked hashtags, score them with VADER,
keep them in SQLite and report daily trends.

The library is usable on its own (from a notebook, say); ``monitor.cli`` is a thin shell over it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sentiment-monitor")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
