"""Cardano access: networks, providers (Blockfrost; readers for verify), keys, tx building.

pycardano is imported only inside :mod:`anchor.chain.txbuild`, lazily.
"""
