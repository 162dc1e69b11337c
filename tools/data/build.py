"""Build the shipped movie catalog and training interactions from the raw datasets in ``../shared/data``.

``build_data(source, out)`` reads REDIAL, INSPIRED (train, dev and its small KG), MovieLens and TMDB files
(see each ``PROVENANCE.md``; :mod:`tools.data.sources`) and writes, reproducibly (sorted output, gzip with
``mtime=0``):

- ``catalog.jsonl.gz``: one movie per line (:mod:`tools.data.catalog_build`).
- ``interactions.csv.gz``: ``user,item_id,weight,source,kind`` from REDIAL and INSPIRED *training* dialogs and
  MovieLens ml-latest-small ratings (>= 3.5 stars) (:mod:`tools.data.interactions`).
- ``manifest.json``: sha256 of every source file read, counts and coverage, the generation command.
- ``quality.json``: the data-quality choices (years and genres resolved by the sources' agreement, duplicate
  entries of one film, conflicts left as they are; :mod:`tools.data.quality`).
- ``NOTICE.md``: sources, licenses and attribution.

Run: ``crsagent data build --source ../shared/data``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tools.catalog import CATALOG_FILE, INTERACTIONS_FILE
from tools.data.catalog_build import build_catalog, fill_ratings_from_movielens
from tools.data.interactions import collect_interactions
from tools.data.quality import QualityLog
from tools.data.sources import DataBuildError, Sources
from tools.qualifiers import QUALIFIERS

log = logging.getLogger(__name__)

GENERATOR = "tools/data/"
GENERATION_COMMAND = "crsagent data build --source ../shared/data"
MANIFEST_FILE = "manifest.json"
NOTICE_FILE = "NOTICE.md"
QUALITY_FILE = "quality.json"
ORIGINS = ("redial", "inspired", "movielens")
OUTPUT_FILES = (CATALOG_FILE, INTERACTIONS_FILE, MANIFEST_FILE, NOTICE_FILE, QUALITY_FILE)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no file name, mtime 0)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def catalog_bytes(records: list[dict[str, Any]]) -> bytes:
    """The catalog as JSON lines (one compact object per line, in the given order)."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


def coverage(records: list[dict[str, Any]]) -> dict[str, float]:
    """Share of items with genres / plot / people / keywords / each id."""
    n = max(len(records), 1)

    def share(pred: Any) -> float:
        return round(sum(1 for r in records if pred(r)) / n, 4)

    return {
        "genres": share(lambda r: r["genres"]),
        "plot": share(lambda r: r["plot"]),
        "people": share(lambda r: r["directors"] or r["writers"] or r["stars"]),
        "keywords": share(lambda r: r["keywords"]),
        "year": share(lambda r: r["year"] is not None),
        "imdb_id": share(lambda r: r["imdb_id"]),
        "movielens_id": share(lambda r: r["movielens_id"] is not None),
        "tmdb_id": share(lambda r: r["tmdb_id"] is not None),
        "qualifiers": share(lambda r: r.get("qualifiers")),
        "runtime": share(lambda r: r.get("runtime") is not None),
        "country": share(lambda r: r.get("country")),
    }


def qualifier_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """Items per qualifier, in vocabulary order."""
    counts: dict[str, int] = dict.fromkeys((q.name for q in QUALIFIERS), 0)
    for r in records:
        for name in r.get("qualifiers") or ():
            counts[name] = counts.get(name, 0) + 1
    return counts


NOTICE_TEXT = """\
# Data notice — `data/` of crsagent

The files in this folder (`catalog.jsonl.gz`, `interactions.csv.gz`, `manifest.json`) are **derived** from the
public datasets below by `{generator}` (`{command}`). They are shipped for research and
non-commercial use only: several sources forbid commercial use. The project's own Apache-2.0 license covers the
code, not this data. `manifest.json` lists the sha256 of every source file read.

## Sources, licenses and attribution

- **ReDial** (Li et al., 2018) — movie list, train dialogs (movie mentions and seeker "liked" answers), and the
  movie metadata files distributed with it. License: **CC BY 4.0** (https://redialdata.github.io/website/).
  Changes: titles cleaned, movies re-numbered, dialogs reduced to (dialog, movie, weight) rows.
  Cite: Raymond Li, Samira Ebrahimi Kahou, Hannes Schulz, Vincent Michalski, Laurent Charlin, Chris Pal.
  "Towards Deep Conversational Recommendations". NeurIPS 2018.
- **INSPIRED** (Hayati et al., 2020; github.com/sweetpeach/Inspired) — movie titles and mentions of the train
  dialogs, and the people and genres of the small movie/person/genre KG of the CFCRS copy (for films already in
  the catalog; dev and test titles are not a source). **No license is stated** by the
  dataset; used for research with citation: Shirley Anugrah Hayati, Dongyeop Kang, Qingxiaoyang Zhu, Weiyan Shi,
  Zhou Yu. "INSPIRED: Toward Sociable Recommendation Dialog Systems". EMNLP 2020. The INSPIRED test split is not used.
  INSPIRED2 (GPL-3.0) is **not** used.
- **Processed copies** from the MIT-licensed repositories iEvaLM-CRS (github.com/RUCAIBox/iEvaLM-CRS: `id2info.json`,
  REDIAL `valid_data.jsonl`), CFCRS (github.com/wxl1999/CFCRS: INSPIRED KG and dev) and UniCRS
  (github.com/wxl1999/UniCRS: INSPIRED train format). Copyright (c) their authors, MIT License.
- **MovieLens** (GroupLens Research, University of Minnesota) — ml-25m movie list (every film is in the catalog),
  genres, user-tag keywords and links; ml-latest-small ratings. Used under the **MovieLens usage license**: research use, no endorsement by the
  University of Minnesota or GroupLens, redistribution (including transformations) under the same terms, and
  **no commercial or revenue-bearing use without permission**. Cite: F. Maxwell Harper and Joseph A. Konstan. 2015.
  "The MovieLens Datasets: History and Context". ACM Transactions on Interactive Intelligent Systems 5(4):19.
  The keyword column of `movies_w_keywords.csv` was added by iai-group/UserSimCRS (Apache-2.0).
- **TMDB** — popularity, vote ratings, genres (REDIAL `movies.json`), overviews, cast and keywords
  (`movielens_movies_tmdb.csv`). This product uses the TMDB API but is not endorsed or certified by TMDB.
  TMDB terms of use apply (attribution; non-commercial use).
- **IMDb-derived fields** — plots, genres, directors, writers and stars of `id2info.json` and
  `combined_metadata.csv` (github.com/ahtsham58/CRB-CRS) come from IMDb. IMDb data is for personal and
  non-commercial use only.
- **Wikipedia / DBpedia** movie links in the INSPIRED train format are not shipped.

## Fields and where they come from

- `title`, `year`, `redial_id`: ReDial movie list (year from TMDB when the name has none), INSPIRED train titles
  or the MovieLens ml-25m list. `origin`: which of the three put the film in the catalog. `listed: false`: a
  MovieLens-only film without a year, a genre and three keywords, found by name but never recommended unprompted.
- `plot`, `directors`, `writers`, `stars`, `genres`: IMDb via `id2info.json`; otherwise TMDB (`movies.json`,
  `movielens_movies_tmdb.csv`), `combined_metadata.csv`, MovieLens genres, or the INSPIRED KG.
- `keywords`: MovieLens user tags, then TMDB keywords. `popularity`, `rating`: TMDB (rating falls back to the
  MovieLens mean rating x 2).
- `qualifiers`: topics, moods and content (`tools/qualifiers.py`) mapped from the MovieLens ml-25m keywords,
  the ml-latest-small user tags (`tags.csv`) and the TMDB keywords by `tools/data/qualifier_map.py`.
- `runtime` (minutes): TMDB `movielens_movies_tmdb.csv`. `country`: `combined_metadata.csv` (IMDb-derived).
- `duplicate_of`: the entry kept for a film REDIAL lists under several ids. Years and genres on which the
  sources disagree are decided by their agreement; `quality.json` records every choice.
- `imdb_id`, `movielens_id`, `tmdb_id`: MovieLens `links.csv` and `id2info.json`.
- `interactions.csv.gz`: ReDial train dialogs (`redial:<conversationId>`), INSPIRED train dialogs
  (`inspired:<line>`), MovieLens ml-latest-small ratings >= 3.5 (`ml:<userId>`, weight = rating - 3).
"""


def build_data(source: Path, out: Path) -> dict[str, Any]:
    """Build ``catalog.jsonl.gz``, ``interactions.csv.gz``, ``manifest.json`` and ``NOTICE.md`` into ``out``.

    Reads the raw datasets under ``source`` (``../shared/data``). Outputs are written to a temporary directory
    and moved into ``out`` only when every file was produced. Returns the manifest (a dict).
    Raises :class:`DataBuildError` naming the file when a source file is missing or unparsable.
    """
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise DataBuildError(f"missing source directory {source}: pass --source pointing at ../shared/data")
    src = Sources(source)
    log.info("building catalog from %s", source)
    quality = QualityLog()
    drafts, stats = build_catalog(src, quality)
    records = [d.record() for d in sorted(drafts, key=lambda d: d.id)]
    collected = collect_interactions(src, drafts)
    fill_ratings_from_movielens(records, collected.ml_ratings)

    catalog_gz = gzip_bytes(catalog_bytes(records))
    interactions_gz = gzip_bytes(collected.table.to_csv())
    manifest: dict[str, Any] = {
        "generated_by": GENERATOR,
        "command": GENERATION_COMMAND,
        "files": {
            CATALOG_FILE: {"sha256": hashlib.sha256(catalog_gz).hexdigest(), "bytes": len(catalog_gz)},
            INTERACTIONS_FILE: {
                "sha256": hashlib.sha256(interactions_gz).hexdigest(),
                "bytes": len(interactions_gz),
            },
        },
        "items": {
            "total": len(records),
            **{origin: sum(1 for r in records if r["origin"] == origin) for origin in ORIGINS},
            "listed": sum(1 for r in records if r.get("listed", True) and (r["year"] or r["genres"])),
        },
        "interactions": {"total": len(collected.table.rows), "by_source": collected.table.counts()},
        "coverage": coverage([r for r in records if r["origin"] != "movielens"]),  # the dialogue films
        "coverage_movielens_only": coverage([r for r in records if r["origin"] == "movielens"]),
        "qualifiers": qualifier_counts(records),
        "details": {
            "catalog": dict(sorted(stats.items())),
            "redial_dialogs": collected.redial_stats,
            "inspired_dialogs": collected.inspired_stats,
            "movielens_ratings": collected.ml_stats,
        },
        "sources": {rel: src.read[rel] for rel in sorted(src.read)},
    }
    manifest_bytes = (json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )
    quality_bytes = (json.dumps(quality.as_dict(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    notice_bytes = NOTICE_TEXT.format(generator=GENERATOR, command=GENERATION_COMMAND).encode("utf-8")
    _write_atomically(
        out,
        {
            CATALOG_FILE: catalog_gz,
            INTERACTIONS_FILE: interactions_gz,
            MANIFEST_FILE: manifest_bytes,
            NOTICE_FILE: notice_bytes,
            QUALITY_FILE: quality_bytes,
        },
    )
    log.info(
        "wrote %d items and %d interactions to %s (coverage %s)",
        len(records),
        len(collected.table.rows),
        out,
        manifest["coverage"],
    )
    return manifest


def _write_atomically(out: Path, files: dict[str, bytes]) -> None:
    """Write every file into a temporary directory beside ``out``, then move them into place."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".data-build-", dir=out.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
