"""Preservation metadata: the record of an analysis (code, software, data, workflow, CI, run)
and its RO-Crate.

``model`` (plain data) and ``collect``/``inputs`` (from the files) import nothing heavy, so the
audit's PRES rules and the group catalogue use them freely; ``crate`` imports ro-crate-py
(the ``metadata`` extra) and only ``hepci metadata`` loads it.
"""
