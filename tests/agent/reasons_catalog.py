"""A tiny catalog for the reason and reply tests: a same-title pair (The Notebook 2004 / 2013), shared
directors and stars, an abbreviation in a title (Mrs. Doubtfire), and a hand-set ItemKNN model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tools.catalog import Catalog, Item
from tools.recommenders.knn import ItemKNN

NOTEBOOK, NOTEBOOK_2013, TITANIC, VOW, DOUBTFIRE, JUMANJI, HEAT, COLLATERAL, PSYCHO = range(1, 10)

ITEMS = [
    Item(
        NOTEBOOK,
        "The Notebook",
        2004,
        genres=("drama", "romance"),
        directors=("Nick Cassavetes",),
        stars=("Ryan Gosling", "Rachel McAdams"),
        plot="A poor yet passionate young man falls in love. More.",
    ),
    Item(
        NOTEBOOK_2013,
        "The Notebook",
        2013,
        genres=("drama", "war"),
        directors=("János Szász",),
        stars=("László Gyémánt",),
        plot="Twin siblings endure the harshness of WWII in a village.",
    ),
    Item(
        TITANIC,
        "Titanic",
        1997,
        genres=("drama", "romance"),
        directors=("James Cameron",),
        stars=("Leonardo DiCaprio", "Kate Winslet"),
        plot="A seventeen-year-old aristocrat falls in love aboard a ship.",
    ),
    Item(
        VOW,
        "The Vow",
        2012,
        genres=("drama", "romance"),
        directors=("Michael Sucsy",),
        stars=("Rachel McAdams", "Channing Tatum"),
    ),
    Item(
        DOUBTFIRE,
        "Mrs. Doubtfire",
        1993,
        genres=("comedy", "drama"),
        directors=("Chris Columbus",),
        stars=("Robin Williams", "Sally Field"),
        plot="After a bitter divorce, an actor disguises himself.",
    ),
    Item(
        JUMANJI,
        "Jumanji",
        1995,
        genres=("adventure", "comedy"),
        directors=("Joe Johnston",),
        stars=("Robin Williams", "Kirsten Dunst"),
    ),
    Item(
        HEAT,
        "Heat",
        1995,
        genres=("crime", "drama"),
        directors=("Michael Mann",),
        stars=("Al Pacino", "Robert De Niro"),
    ),
    Item(
        COLLATERAL,
        "Collateral",
        2004,
        genres=("crime", "thriller"),
        directors=("Michael Mann",),
        stars=("Tom Cruise", "Jamie Foxx"),
    ),
    Item(
        PSYCHO,
        "Psycho",
        1960,
        genres=("horror", "thriller"),
        directors=("Alfred Hitchcock",),
        stars=("Anthony Perkins",),
    ),
]

#: (a, b, similarity), symmetric: the Notebook namesake is the *closest* neighbour, on purpose
SIMS = [
    (NOTEBOOK, NOTEBOOK_2013, 0.30),
    (NOTEBOOK, TITANIC, 0.10),
    (NOTEBOOK, VOW, 0.01),  # below the threshold
    (HEAT, COLLATERAL, 0.05),
    (DOUBTFIRE, JUMANJI, 0.04),
]


def catalog() -> Catalog:
    """The tiny catalog."""
    return Catalog.from_items(ITEMS)


def knn() -> ItemKNN:
    """An ItemKNN over the tiny catalog with the similarities of :data:`SIMS`."""
    model = ItemKNN()
    ids = np.asarray(sorted(it.id for it in ITEMS), dtype=np.int64)
    model.item_ids = ids
    col = {int(i): n for n, i in enumerate(ids)}
    rows, cols, vals = [], [], []
    for a, b, s in SIMS:
        rows += [col[a], col[b]]
        cols += [col[b], col[a]]
        vals += [s, s]
    model.sim = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(ids.size, ids.size))
    return model
