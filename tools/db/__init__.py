"""The database layer: the declarative base (:mod:`tools.db.base`), the engine (:mod:`tools.db.engine`) and the
versioned schema (:mod:`tools.db.schema`, Alembic scripts in ``tools/db/migrations``).

The tables themselves live with the code that owns them (``tools.catalog``, ``memory``), declared on the one
:class:`tools.db.base.Base`; this package imports none of them.
"""
