"""The standardized REDIAL protocol of Kostric & Balog, "A Standardized Re-evaluation of Conversational
Recommender Systems on the ReDial Dataset" (SIGIR '26; iai-group/redial-reproducibility).

Instances (their ``scripts/create_recommendation_dataset.py``, re-implemented here): walk the *unmerged*
messages of a dialogue; a message's movies are the ``movieMentions`` ids whose ``"@<id>"`` occurs in its text
(:class:`eval.datasets.Message`). Every recommender message with at least one movie and at least one earlier
message is one instance whose gold is all of its movies (*full*). The *dedup* variant (their
``--fresh-only``) keeps only the movies not mentioned in any earlier message, by either speaker, and drops an
instance left without movies.

Metrics (their Table 2 and Table 4 / README):

- R@K: the share of gold mentions (pooled over all instances) found in the top K of the instance's ranking;
- SR: the share of dialogues in which, at some instance, the top-1 item is a gold movie that the seeker
  liked or has seen (``initiatorQuestions``: ``liked == 1`` or ``seen == 1``);
- RDL: the mean over dialogues of ``reward / dialogue length``, where the reward sums, over the dialogue's
  instances, 1.0 when the top-1 item is a gold movie the seeker liked and 0.5 when it is one they have seen
  (not liked). Their text does not define "dialogue length"; ``rdl`` takes the dialogue's number of messages
  (with it our ``repeat_context`` baseline gives exactly their naive-repeat RDL, 0.009 on test, where the
  number of scored instances gives 0.040), and ``rdl_instances`` the number of the dialogue's instances in
  the variant (their systems' RDL / SR ratios, about 0.5, look like such a short length). SR and both RDLs
  run over the dialogues with at least one instance in the variant.

The rankings come from the classic pipeline (:func:`eval.evaluator.evaluate_dialog`): an instance takes the
ranking of the seeker turn before its (merged) recommender utterance, the same ranking the classic samples
of that utterance get. Confidence intervals resample dialogues (:func:`eval.metrics.dialog_bootstrap_ci`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eval.datasets import Dialog, MovieRef
from eval.metrics import dialog_bootstrap_ci

__all__ = [
    "PUBLISHED",
    "PUBLISHED_TEST_COUNTS",
    "RECALL_KS",
    "VARIANTS",
    "Instance",
    "iter_instances",
    "reward",
    "standardized_metrics",
    "summarize_standardized",
]

RECALL_KS: tuple[int, ...] = (1, 10, 50)
VARIANTS: tuple[str, ...] = ("full", "dedup")

#: Kostric & Balog (SIGIR '26), Tables 2 and 4: per system, ``full`` / ``dedup`` R@1, R@10, R@50, SR, RDL
#: (``None`` where the paper gives no number). "naive repeat" recommends the context's movies, most recent
#: first (our ``repeat_context`` baseline).
PUBLISHED: dict[str, dict[str, dict[str, float | None]]] = {
    name: {
        variant: dict(zip(("recall@1", "recall@10", "recall@50", "sr", "rdl"), values, strict=True))
        for variant, values in zip(VARIANTS, rows, strict=True)
    }
    for name, rows in {
        "KBRD": ((0.033, 0.177, 0.332, 0.103, 0.049), (0.017, 0.148, 0.300, 0.046, 0.036)),
        "KGSF": ((0.032, 0.177, 0.369, 0.093, 0.048), (0.016, 0.147, 0.327, 0.036, 0.036)),
        "UniCRS": ((0.049, 0.213, 0.421, 0.101, 0.041), (0.024, 0.180, 0.335, 0.048, 0.030)),
        "ECR": ((0.049, 0.220, 0.428, 0.104, 0.041), (0.026, 0.181, 0.337, 0.063, 0.033)),
        "MESE": ((0.032, 0.178, 0.381, 0.113, 0.051), (0.025, 0.159, 0.361, 0.051, 0.043)),
        "PECRS": ((0.044, 0.189, 0.383, 0.121, 0.053), (0.022, 0.143, 0.341, 0.052, 0.047)),
        "ReFICR": ((0.049, 0.270, 0.507, 0.151, 0.074), (0.018, 0.213, 0.465, 0.053, 0.053)),
        "naive repeat": ((0.043, 0.090, 0.090, 0.100, 0.009), (0.0, 0.0, 0.0, 0.0, 0.0)),
    }.items()
}

#: Their instance counts on the REDIAL test split (``data/dataset_statistics.txt``): (instances, gold mentions).
#: Their README evaluates on 3,617 (full) / 3,372 (dedup) rows, fewer than the script produces; it does not say
#: what removes the others.
PUBLISHED_TEST_COUNTS: dict[str, tuple[int, int]] = {"full": (4198, 4975), "dedup": (3838, 4472)}


@dataclass(frozen=True, slots=True)
class Instance:
    """One standardized instance: recommender message ``message_index`` (in merged utterance
    ``utterance_index``); ``gold`` its movies, ``earlier[i]`` whether ``gold[i]`` was mentioned before."""

    dialog_id: str
    message_index: int
    utterance_index: int
    gold: tuple[MovieRef, ...]
    earlier: tuple[bool, ...]

    @property
    def fresh(self) -> tuple[MovieRef, ...]:
        """The gold movies of the dedup variant (not mentioned in an earlier message)."""
        return tuple(m for m, e in zip(self.gold, self.earlier, strict=True) if not e)


def iter_instances(dialog: Dialog) -> Iterator[Instance]:
    """The full-variant instances of one dialogue, in message order (empty for a dialogue without messages)."""
    mentioned: set[tuple[str, str, int | None]] = set()
    for index, message in enumerate(dialog.messages):
        if message.role == "recommender" and message.movies and index > 0:
            yield Instance(
                dialog_id=dialog.dialog_id,
                message_index=index,
                utterance_index=message.utterance_index,
                gold=message.movies,
                earlier=tuple(m.key in mentioned for m in message.movies),
            )
        mentioned.update(m.key for m in message.movies)


def reward(dialog: Dialog, movie: MovieRef) -> float:
    """1.0 when the seeker's form says they liked ``movie``, 0.5 when only seen, else 0.0."""
    if movie.source_id in dialog.form_liked:
        return 1.0
    if movie.source_id in dialog.form_seen:
        return 0.5
    return 0.0


# ------------------------------------------------------------------------------------------ aggregation


def _variant_golds(record: dict[str, Any], variant: str) -> list[dict[str, Any]]:
    golds = record.get("golds", [])
    return list(golds) if variant == "full" else [g for g in golds if not g.get("earlier")]


def _hit_k(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def standardized_metrics(
    instances: Sequence[dict[str, Any]], system: str, variant: str, *, n_boot: int = 1000
) -> dict[str, Any]:
    """R@1/10/50, SR and RDL of ``system`` on instance records (see :func:`eval.evaluator.evaluate_dialog`),
    with counts and dialogue-level bootstrap 95% intervals (``ci95``)."""
    mention_dialogs: list[str] = []
    hits: dict[int, list[float]] = {k: [] for k in RECALL_KS}
    rewards: dict[str, list[float]] = defaultdict(list)  # per dialogue: one top-1 reward per instance
    lengths: dict[str, int] = {}  # per dialogue: its number of messages
    success: dict[str, bool] = defaultdict(bool)
    for rec in instances:
        golds = _variant_golds(rec, variant)
        if not golds:
            continue
        dialog_id = str(rec["dialog_id"])
        lengths[dialog_id] = max(1, int(rec.get("dialog_length", 1)))
        ranks = [g["ranks"].get(system) for g in golds]
        for rank in ranks:
            mention_dialogs.append(dialog_id)
            for k in RECALL_KS:
                hits[k].append(_hit_k(rank, k))
        top1 = [float(g.get("reward", 0.0)) for g, rank in zip(golds, ranks, strict=True) if rank == 1]
        rewards[dialog_id].append(max(top1, default=0.0))
        success[dialog_id] = success[dialog_id] or any(r > 0 for r in top1)
    dialogs = list(rewards)
    sr_values = [1.0 if success[d] else 0.0 for d in dialogs]
    rdl_values = [sum(rewards[d]) / lengths[d] for d in dialogs]
    rdl_inst_values = [sum(rewards[d]) / len(rewards[d]) for d in dialogs]
    n = len(mention_dialogs)
    metrics: dict[str, float] = {f"recall@{k}": round(sum(hits[k]) / n, 4) if n else 0.0 for k in RECALL_KS}
    metrics["sr"] = round(sum(sr_values) / len(dialogs), 4) if dialogs else 0.0
    metrics["rdl"] = round(sum(rdl_values) / len(dialogs), 4) if dialogs else 0.0
    metrics["rdl_instances"] = round(sum(rdl_inst_values) / len(dialogs), 4) if dialogs else 0.0
    ci = {
        f"recall@{k}": [round(x, 4) for x in dialog_bootstrap_ci(hits[k], mention_dialogs, n_boot)]
        for k in RECALL_KS
    }
    ci["sr"] = [round(x, 4) for x in dialog_bootstrap_ci(sr_values, dialogs, n_boot)]
    ci["rdl"] = [round(x, 4) for x in dialog_bootstrap_ci(rdl_values, dialogs, n_boot)]
    ci["rdl_instances"] = [round(x, 4) for x in dialog_bootstrap_ci(rdl_inst_values, dialogs, n_boot)]
    n_instances = sum(len(r) for r in rewards.values())
    return {
        "metrics": metrics,
        "ci95": ci,
        "n_instances": n_instances,
        "n_mentions": n,
        "n_dialogs": len(dialogs),
    }


def summarize_standardized(
    instances: Sequence[dict[str, Any]], systems: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``summary.json`` block ``standardized``, its ``details.json`` block) for ``systems``; the first
    system is ours (``agent``), the others are baselines."""
    details: dict[str, Any] = {
        system: {variant: standardized_metrics(instances, system, variant) for variant in VARIANTS}
        for system in systems
    }
    ours, *baselines = systems
    summary: dict[str, Any] = {variant: details[ours][variant]["metrics"] for variant in VARIANTS}
    for key in ("n_instances", "n_mentions", "n_dialogs"):
        summary[key] = {variant: details[ours][variant][key] for variant in VARIANTS}
    summary["baselines"] = {
        name: {variant: details[name][variant]["metrics"] for variant in VARIANTS} for name in baselines
    }
    return summary, details
