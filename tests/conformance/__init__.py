"""The standard's conformance vectors, read from its data folder (see tests/conftest.py).

``CASES`` is how many tests pytest collects under tests/conformance with the data at the
pinned commit (anchor/label309/standard.py), out-of-scope skips included; ``DATA_FREE`` is how
many of them run without it. A run without the data says, in one line at its top and bottom,
that ``CASES - DATA_FREE`` cases did not run. tests/conformance/test_case_count.py and
tests/packaging/test_clean_clone.py check both numbers.
"""

CASES = 1495
DATA_FREE = 1
