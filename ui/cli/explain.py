"""``crsagent eval explain``: the explanation audit (every claim of every shown item's "why", checked)."""

from __future__ import annotations

from pathlib import Path

from ui.cli.common import cli_settings, console, emit_json, require_index


def run_explain(
    data_dir: Path | None, n: int, out: Path, llm: str, json_out: bool, conversations: Path | None = None
) -> None:
    """Audit ``n`` item-showing REDIAL test turns (when ``data_dir`` is given) and the scripted newcomer
    conversations; write ``summary.json`` and ``claims.jsonl`` under ``out`` and print the summary."""
    from eval.explain import CONVERSATIONS_FILE  # lazy: CLI start-up (the agent, torch)
    from eval.gold import split_path
    from ui.service import explain_audit

    path = split_path("redial", data_dir, "test") if data_dir is not None else None
    if n < 1:
        raise ValueError(f"--n must be >= 1, got {n}")
    settings = cli_settings().model_copy(update={"llm": llm})
    require_index(settings)
    summary = explain_audit(settings, path, n, out, conversations or CONVERSATIONS_FILE)
    if json_out:
        emit_json({k: v for k, v in summary.items() if k != "false"} | {"n_false": len(summary["false"])})
        return
    lines = [
        f"explanation audit: {summary['turns']} turns {summary['sources']}, {summary['n_claims']} claims, "
        f"{summary['claims_true_rate']:.1%} true; same-title citations: {summary['same_title_citations']}"
    ]
    lines += [
        f"  {kind:<15} {v['true']:>5}/{v['total']:<5} {v['rate']:.1%}"
        for kind, v in summary["by_kind"].items()
    ]
    lines += [
        f"  FALSE [{f['source']}] {f['item']}: {f['kind']} {f['text']!r}: {f['detail']}"
        for f in summary["false"][:30]
    ]
    lines.append(f"written: {out / 'summary.json'}, {out / 'claims.jsonl'}")
    console.print("\n".join(lines), highlight=False)
