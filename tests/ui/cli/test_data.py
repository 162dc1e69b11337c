"""``crsagent data vectors``: the shipped item vectors are regenerated from a catalog file."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tools.embeddings import Embedder
from tools.settings import PACKAGED_DATA_DIR, load_settings
from tools.shipped_vectors import VECTORS_FILE, ShippedVectors, load_reusable


def test_data_vectors_writes_vectors_the_index_reuses(
    crsagent: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with gzip.open(PACKAGED_DATA_DIR / "catalog.jsonl.gz", "rt", encoding="utf-8") as fh:
        head = [next(fh) for _ in range(12)]
    with gzip.open(data / "catalog.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(head)
    result = crsagent(["data", "vectors", "--data-dir", str(data)], tmp_path / "home")
    assert result.exit_code == 0, result.output
    assert "12 items" in result.stdout
    written = ShippedVectors.read(data / VECTORS_FILE)
    shipped = ShippedVectors.read(PACKAGED_DATA_DIR / VECTORS_FILE)
    assert len(written.ids) == 12 and written.model == shipped.model
    same = {int(i): r for r, i in enumerate(shipped.ids)}
    for r, item_id in enumerate(written.ids):  # the same text with the same model: the shipped vector
        assert written.hashes[r] == shipped.hashes[same[int(item_id)]]
        assert abs(written.matrix[r] - shipped.matrix[same[int(item_id)]]).max() < 1e-4
    assert load_reusable(data, Embedder(load_settings(home=tmp_path / "home"))) is not None
