"""Build hook for the one compiled part: anchor._blake2b (docs/adr/0007-native-blake2b.md).

Everything else is declared in pyproject.toml. The extension is optional: where it cannot
be compiled (no C compiler), the install still succeeds and anchor uses hashlib's BLAKE2b,
which gives the same digests more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("anchor._blake2b", sources=["anchor/_blake2b.c"], optional=True),
    ]
)
