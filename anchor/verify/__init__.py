"""The Label 309 public verifier: pipeline, report, per-file checks and the single egress wrapper.

Entry points live in :mod:`anchor.verify.pipeline` (``verify_tx``, ``verify_tx_bytes``,
``verify_record_bytes``) and :mod:`anchor.verify.run` (one ``anchor verify`` run). This
package never imports pycardano; httpx is imported only when an online run sends a request.
"""
