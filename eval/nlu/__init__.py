"""The understanding benchmark (``crsagent eval nlu``): gold readings (eval/data/NLU.md) and parser readings as
``(slot, value)`` pairs, slot-level scores, and stance on REDIAL. See :func:`eval.nlu.run.run_nlu`."""
