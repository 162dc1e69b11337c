"""``crsagent eval grounding`` (eval/grounding.py): invented titles, and the real figures on ../shared/data."""

from __future__ import annotations

from pathlib import Path

from eval.grounding import invented_titles, run_grounding_eval, write_report
from tests.tools.grounding.small_catalog import ITEMS
from tools.catalog import Catalog
from tools.titles import normalize_title


def test_invented_titles_are_unknown_and_deterministic() -> None:
    catalog = Catalog.from_items(ITEMS)
    titles = invented_titles(catalog, 200, seed=3)
    assert len(titles) == 200 and len({normalize_title(t) for t, _ in titles}) == 200
    assert not {normalize_title(t) for t, _ in titles} & set(catalog.aliases)
    assert all(1950 <= y < 2020 for _, y in titles)
    assert titles == invented_titles(catalog, 200, seed=3)


def test_grounding_figures_on_the_shipped_catalog(settings, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The product's grounder over the shipped 64k-film catalog: REDIAL test labels ground to their film,
    INSPIRED dev labels (not a catalog source) mostly do, invented titles almost never ground."""
    from tools.toolkit import Toolkit

    report = run_grounding_eval(Toolkit(settings).grounder, shared_data, n_invented=300)
    f = report.figures
    assert f["catalog_items"] > 60000
    assert f["redial_test_label"]["titles"] > 1900 and f["redial_test_label"]["coverage"] >= 0.99
    assert f["inspired_dev_label"]["titles"] > 300 and f["inspired_dev_label"]["coverage"] >= 0.88
    assert f["invented_with_year"]["false_match_rate"] <= 0.01
    assert f["invented_title"]["false_match_rate"] <= 0.01
    write_report(report, tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Misses: inspired_dev_label" in text and (tmp_path / "grounding.json").is_file()
