"""The shipped data files, built from the raw datasets (``crsagent data build``).

:mod:`tools.data.sources` reads the raw files, :mod:`tools.data.normalise` cleans their values,
:mod:`tools.data.matching` matches titles across them, :mod:`tools.data.catalog_build` builds the catalog,
:mod:`tools.data.interactions` the training interactions, and :mod:`tools.data.build` writes the files.
"""

from tools.data.build import build_data
from tools.data.sources import DataBuildError

__all__ = ["DataBuildError", "build_data"]
