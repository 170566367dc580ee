"""Scorers, one module each (the contract is ``base.Scorer``); every ``Scorer`` subclass in
this package is registered by its ``name``, so adding a scorer means adding one file. Which one
labels posts is the config's choice (``monitor.wiring.active_scorer``)."""

from __future__ import annotations

from monitor.plugins import discover
from monitor.scoring.base import Scorer

SCORERS: dict[str, type[Scorer]] = discover(__name__, Scorer)
