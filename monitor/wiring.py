"""What the config sets up, above the plug-in packages: the store it names, the scorer it
chooses and how that scorer's shares are published. Plug-ins never read the config; this is
where their settings meet it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config import Config, prepare_parent_dir
from monitor.quantify import Rates
from monitor.scoring import SCORERS
from monitor.scoring.base import Scorer
from monitor.store import Store


def open_store(config: Config) -> Store:
    """The config's database, its folder checked (or, for the default, created), with the runs
    of processes that died marked interrupted."""
    prepare_parent_dir(config.database, "database", config)
    store = Store(config.database)
    store.mark_interrupted()
    return store


def active_scorer(config: Config) -> Scorer:
    """The scorer ``[scoring] scorer`` names (by default the calibrated one when a model file
    is set, else VADER), set up from the config."""
    name = config.scoring.scorer or ("calibrated" if config.scoring.model else "vader")
    return SCORERS[name].from_settings(
        config.scoring, config.labels, config.lexicon, str(config.path or "config")
    )


@dataclass(frozen=True)
class ShareMethod:
    """How the published shares are made, and what the page says of it."""

    name: str  # "adjusted" or "count"
    rates: Rates | None  # the misclassification rates adjusted by (None: counted)
    note: str
    warning: str | None = None  # what the page must say above all else of these shares


BLIND = (
    "The scorer's misclassification rates do not tell the labels apart beyond their own "
    "sampling error: it labels these posts little better than chance, so no share can be told "
    "from its labels. Every share's interval is 0-100% and no share alert or difference is "
    "raised. Label more posts, or use a scorer that reads these posts."
)


def share_method(setting: str, scorer: Scorer, store: Store) -> ShareMethod:
    """``[scoring] shares`` for the active scorer: adjusted counts when its misclassification
    rates are known (a held-out check of this scorer version by ``monitor evaluate`` and the
    cross-validated rates a calibrated model keeps, pooled), unless the setting asks to count."""
    if setting == "count":
        return ShareMethod("count", None, "counted from the scorer's labels ([scoring] shares)")
    rates = measured_rates(scorer, store)
    if rates is None or not rates.usable:
        why = (
            "no misclassification rates for this scorer: run 'monitor evaluate' on hand labels"
            if rates is None
            else f"its misclassification rates ({rates.source}) have no hand label "
            + " or ".join(repr(label) for label in rates.missing)
            + ": adjusting needs posts of every label; label some and run 'monitor evaluate'"
        )
        return ShareMethod("count", None, f"counted from the scorer's labels ({why})")
    weighed = (
        "the scorer's label probabilities summed per day (PACC)"
        if rates.probabilities is not None
        else "the scorer's labels"
    )
    return ShareMethod(
        "adjusted",
        rates,
        f"adjusted counts: {weighed} corrected by its misclassification rates, "
        f"measured by {rates.source}",
        None if rates.tell_labels_apart else BLIND,
    )


def measured_rates(scorer: Scorer, store: Store) -> Rates | None:
    """The misclassification counts of ``scorer``'s version: those its model keeps from
    cross-validation and those of its newest held-out check (``monitor evaluate``), pooled
    when there are both. Pooled rather than the check alone: on tuning rows a check on 150
    new labels alone gave a larger error than the 500 cross-validated ones (0.100 against
    0.089) and pooling beat both (0.083, intervals 0.41-0.55 wide against 0.74-0.91;
    docs/shares.md)."""
    kept = scorer.measured_rates()
    evaluation = store.latest_evaluation(scorer.version)
    if not (evaluation and held_out(evaluation["result"], scorer)):
        return kept
    result = evaluation["result"]
    period = f"; {result['period']}" if result.get("period") else ""
    checked = Rates.from_table(
        result["confusion"],
        f"a held-out check on {result['n']} hand labels ({evaluation['source']}, "
        f"{evaluation['created_at'][:10]}{period})",
        result.get("probabilities"),
    )
    return checked.pooled(kept) if kept is not None else checked


def held_out(result: dict[str, Any], scorer: Scorer) -> bool:
    """Whether an evaluation's labels are all ones the scorer was not fitted on (an
    evaluation from before the check was kept counts only for a scorer fitted on none)."""
    return bool(result.get("held_out", not scorer.fitted_on))
