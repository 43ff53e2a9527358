"""evidence-anchor: public, independently verifiable time anchors for software releases (Label 309 on Cardano)."""

__version__ = "0.1.0"
