"""``report.md`` of ``crsagent eval nlu``: per slot type and per category tables, exact match, the top error
examples, and REDIAL stance beside the figure the REDIAL paper reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: What the REDIAL paper (Li et al. 2018, "Towards Deep Conversational Recommendations", NeurIPS) reports for
#: its sentiment analysis of the "liked" question. ``None`` while the figure has not been found in a source
#: that could be cited; the report then says so instead of printing a number.
REDIAL_PAPER: dict[str, Any] | None = None

N_ERRORS = 30


def _f(x: float) -> str:
    return f"{x:.3f}"


def _split_section(name: str, split: dict[str, Any]) -> list[str]:
    parsers = split["parsers"]
    names = list(parsers)
    lines = [f"## {name} ({split['n']} utterances, `{split['file']}`)", ""]
    lines += [
        "| parser | precision | recall | micro F1 | exact match | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in names:
        o, lat = parsers[p]["overall"], parsers[p]["latency_ms"]
        lines.append(
            f"| {p} | {_f(o['precision'])} | {_f(o['recall'])} | **{_f(o['f1'])}** | **{_f(o['exact_match'])}** "
            f"| {lat['p50']} | {lat['p95']} |"
        )
    slots: list[str] = []
    for p in names:
        slots += [s for s in parsers[p]["slots"] if s not in slots]
    lines += ["", "### Per slot type", ""]
    lines.append("| slot | " + " | ".join(f"{p} P | {p} R | {p} F1 | {p} tp/fp/fn" for p in names) + " |")
    lines.append("|---|" + "---|---|---|---|" * len(names))
    for slot in slots:
        cells = []
        for p in names:
            m = parsers[p]["slots"].get(slot)
            cells.append(
                f"{_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} | {m['tp']}/{m['fp']}/{m['fn']}"
                if m
                else "– | – | – | –"
            )
        lines.append(f"| {slot} | " + " | ".join(cells) + " |")
    cats: list[str] = []
    for p in names:
        cats += [c for c in parsers[p]["categories"] if c not in cats]
    lines += ["", "### Per category", ""]
    lines.append("| category | n | " + " | ".join(f"{p} F1 | {p} exact" for p in names) + " |")
    lines.append("|---|---|" + "---|---|" * len(names))
    for cat in cats:
        first = parsers[names[0]]["categories"].get(cat, {})
        cells = []
        for p in names:
            m = parsers[p]["categories"].get(cat)
            cells.append(f"{_f(m['f1'])} | {_f(m['exact_match'])}" if m else "– | –")
        lines.append(f"| {cat} | {first.get('n', 0)} | " + " | ".join(cells) + " |")
    for p in names:
        errors = parsers[p]["errors"]
        lines += [
            "",
            f"### Errors of `{p}` ({len(errors)} utterances not exact; first {min(N_ERRORS, len(errors))})",
            "",
        ]
        lines += ["| id | text | missing | extra |", "|---|---|---|---|"]
        for e in errors[:N_ERRORS]:
            lines.append(
                f"| {e['id']} | {_cell(e['text'])} | {_cell('; '.join(e['missing']))} | "
                f"{_cell('; '.join(e['extra']))} |"
            )
    return lines + [""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "–"


def _redial_section(redial: dict[str, Any]) -> list[str]:
    lines = [f"## Stance on REDIAL (`{redial['file']}`)", ""]
    lines += [
        "For every movie a seeker mentions, the parser's stance read from the seeker's own messages that "
        "mention it, against the seeker's form (`initiatorQuestions`; liked 1 = like, 0 = dislike, "
        "2 = did not say → neutral). Labels are heavily skewed to *liked*: compare accuracy with the "
        "majority baseline and read balanced accuracy and macro-F1.",
        "",
        "| parser | mentions | scored | not grounded | liked-vs-not acc. | majority baseline | balanced acc. "
        "| macro-F1 (like/dislike/neutral) | seen acc. | seen baseline |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in redial["parsers"].items():
        b, s = m["liked_binary"], m["seen"]
        lines.append(
            f"| {name} | {m['n_mentions']} | {m['n_scored']} | {m['n_not_grounded']} | **{_f(b['accuracy'])}** "
            f"| {_f(b['majority_baseline'])} | {_f(b['balanced_accuracy'])} | **{_f(m['liked_3class']['macro_f1'])}** "
            f"| {_f(s['accuracy'])} | {_f(s['majority_baseline'])} |"
        )
    lines += ["", "### Beside the REDIAL paper", ""]
    if REDIAL_PAPER is None:
        lines.append(
            "The figure of the original REDIAL paper (Li et al. 2018, *Towards Deep Conversational "
            "Recommendations*, NeurIPS, arXiv:1812.07617) for its sentiment analysis of the *liked* question "
            "was not found in the sources searched: the stored copies of the paper (ar5iv, deepai.org, "
            "sciencestack.ai, pdfslide.net) were reachable only up to the abstract and introduction, and the "
            "authors' code (github.com/RaymondLi0/conversational-recommendations) states no results. No number "
            "is given here rather than an unverified one. Note also that the paper's model reads the *whole "
            "dialogue* (both speakers) and was trained on REDIAL's forms, while this parser reads each seeker "
            "message alone, untrained."
        )
    else:
        lines.append(
            f"| source | metric | value |\n|---|---|---|\n| {REDIAL_PAPER['source']} | {REDIAL_PAPER['metric']} | "
            f"{REDIAL_PAPER['value']} |"
        )
    for name, m in redial["parsers"].items():
        lines += ["", f"### Confusion matrix of `{name}` (rows: label, columns: parser)", ""]
        lines += ["| label \\ parser | like | dislike | neutral |", "|---|---|---|---|"]
        for g, row in m["confusion"].items():
            lines.append(f"| {g} | {row['like']} | {row['dislike']} | {row['neutral']} |")
        per = m["liked_3class"]["per_class"]
        lines += [
            "",
            "Per class: "
            + ", ".join(
                f"{c} P {_f(v['precision'])} R {_f(v['recall'])} F1 {_f(v['f1'])} (n {v['support']})"
                for c, v in per.items()
            ),
            f"Predicted stances: {m['predicted_stances']}; forms used: {m['forms']}; unmapped movies left out: "
            f"{m['n_unmapped']}. Seen: {m['seen']['rule']}.",
        ]
        if m.get("examples"):
            lines += ["", "| movie | liked | parser | seeker's words |", "|---|---|---|---|"]
            for e in m["examples"]:
                lines.append(
                    f"| {_cell(e['movie'])} | {e['liked']} | {e['stance']} | {_cell(e['text'][:300])} |"
                )
    return lines + [""]


def write_report(metrics: dict[str, Any], path: Path) -> None:
    """Write the markdown report of :func:`eval.nlu.run.run_nlu`'s metrics."""
    lines = [
        "# Understanding benchmark (`crsagent eval nlu`)",
        "",
        "Each reading is a set of (slot, value) pairs (eval/data/NLU.md, *Scoring*); titles compare by catalog "
        "item (twins count as one), items in the shown list by position. Micro P/R/F1 over pairs; exact match "
        "= the two sets are equal.",
        f"Parsers: {', '.join(metrics['parsers'])}.",
        "",
    ]
    if metrics.get("unresolved_titles"):
        lines += [
            f"**Gold titles not in the catalog** (they can only be missed): {', '.join(metrics['unresolved_titles'])}",
            "",
        ]
    if metrics.get("gold_warnings"):
        lines += ["**Gold readings off the schema** (NLU.md):", ""]
        lines += [f"- {w}" for w in metrics["gold_warnings"]] + [""]
    if metrics.get("llm"):
        llm = metrics["llm"]
        lines += [
            f"LLM `{llm['model']}`: {llm['calls']} calls, {llm['fallbacks']} fallbacks to the rules {llm['errors']}.",
            "",
        ]
    for name, split in metrics.get("splits", {}).items():
        lines += _split_section(name, split)
    if metrics.get("redial"):
        lines += _redial_section(metrics["redial"])
    path.write_text("\n".join(lines), encoding="utf-8")
