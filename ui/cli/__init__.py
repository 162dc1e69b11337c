"""The ``crsagent`` command line: :mod:`ui.cli.main` assembles the app from the command modules beside it,
which share :mod:`ui.cli.common`."""
