"""``crsagent eval grounding``: named films and invented titles through the grounder (:mod:`eval.grounding`)."""

from __future__ import annotations

from pathlib import Path

from ui.cli.common import cli_settings, console, emit_json, require_index


def run_grounding(data_dir: Path | None, out: Path, json_out: bool) -> None:
    """Measure grounding coverage and false matches with the data under ``data_dir`` (the folder holding
    ``redial/`` and ``inspired/``, e.g. ../shared/data); write ``grounding.json`` and ``report.md`` to ``out``."""
    if data_dir is None:
        raise ValueError("--data-dir is required for grounding (the folder holding redial/ and inspired/)")
    for rel in ("redial/test_data.jsonl", "inspired/dev.tsv"):
        if not (data_dir / rel).is_file():
            raise ValueError(f"missing {data_dir / rel}: pass --data-dir pointing at ../shared/data")
    settings = cli_settings()
    require_index(settings)
    from eval.grounding import run_grounding_eval, write_report  # lazy: CLI start-up
    from tools.toolkit import Toolkit

    report = run_grounding_eval(Toolkit(settings).grounder, data_dir)
    write_report(report, out)
    if json_out:
        emit_json(report.figures)
        return
    f = report.figures
    console.print(
        f"grounding over {f['catalog_items']} items: REDIAL test {f['redial_test_label']['coverage']:.3f} "
        f"(title alone {f['redial_test_title']['coverage']:.3f}), INSPIRED dev {f['inspired_dev_label']['coverage']:.3f}; "
        f"false matches on invented titles {f['invented_with_year']['false_match_rate']:.3f} "
        f"(without a year {f['invented_title']['false_match_rate']:.3f}); ground p50 {f['ground_ms']['p50']} ms, "
        f"p95 {f['ground_ms']['p95']} ms\nwritten: {out / 'report.md'}"
    )
