"""Cadence publishing: many jobs add items, one publisher anchors each window exactly once.

Layers, lowest first (none imports pycardano at import time):

* :mod:`.machine` — the pure state machine: states, allowed transitions, cadences,
  input rules, and the decisions a publish pass takes from what the chain shows;
* :mod:`.store` — storage behind one interface (:class:`.store.Store`), with the
  SQLite (:mod:`.sqlite`) and PostgreSQL (:mod:`.postgres`) backends;
* :mod:`.export` — the window's evidence bundle (an ordinary ``anchor collect`` bundle);
* :mod:`.publisher` — one publish pass: seal due windows, sign, submit, confirm;
* :mod:`.faults` — ``ANCHOR_FAULTPOINT`` crash injection for the exactly-once tests;
* :mod:`.service` (with :mod:`.auth`) — `spool serve`: adds over HTTP, the source from
  the verified OIDC token; :mod:`.client` — `spool add --server`.
"""
