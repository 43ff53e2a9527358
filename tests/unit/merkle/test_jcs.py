"""RFC 8785 canonical JSON writer and the strict JSON reader."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchor.errors import InputError
from anchor.merkle.jcs import MAX_SAFE_INTEGER, JsonFormatError, canonical_json, loads_strict


def test_members_sorted_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3 example: the emoji (U+1F600 = D83D DE00) sorts before U+FB33 in
    # UTF-16 order, although its code point is larger.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


def test_string_escaping_matches_rfc8785() -> None:
    # RFC 8785 §3.2.2.2 example input "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"
    text = '\u20ac$\u000f\nA\'B"\\\\"/'
    assert canonical_json(text) == '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()
    controls = "".join(chr(c) for c in range(0x20))
    assert canonical_json(controls) == (
        b'"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r'
        b"\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
        b'\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"'
    )
    assert canonical_json("\x7f\u2028\u2029é") == '"\x7f\u2028\u2029é"'.encode()


def test_scalars_and_nesting() -> None:
    value = {"b": [1, -1, 0, True, False, None, MAX_SAFE_INTEGER], "a": {"z": [], "y": {}}}
    assert canonical_json(value) == (
        b'{"a":{"y":{},"z":[]},"b":[1,-1,0,true,false,null,9007199254740991]}'
    )
    assert canonical_json((1, "x")) == b'[1,"x"]'


@pytest.mark.parametrize(
    "value",
    [2**53, -(2**53), 1.0, float("nan"), b"bytes", {1: "x"}, {"a": {1, 2}}, "\ud800"],
)
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(JsonFormatError):
        canonical_json(value)


def test_deep_nesting_is_refused() -> None:
    value: object = []
    for _ in range(70):
        value = [value]
    with pytest.raises(JsonFormatError, match="deeper"):
        canonical_json(value)


json_scalars = st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
# BMP text without surrogates: here code-point order equals UTF-16 order.
bmp_text = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=8)
json_values = st.recursive(
    json_scalars | bmp_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(bmp_text, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_agrees_with_sorted_compact_json_dumps(value: object) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == expected.encode("utf-8")
    assert loads_strict(canonical_json(value)) == value


def test_loads_strict_accepts_any_formatting() -> None:
    assert loads_strict(b' { "a" : [ 1 , 2 ] ,\n "b" : null } ') == {"a": [1, 2], "b": None}
    assert loads_strict(b'"\\u00e9"') == "é"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate member name 'a'"),
        (b'{"a":1.5}', "non-integer number 1.5"),
        (b"[1e3]", "non-integer number 1e3"),
        (b"[NaN]", "NaN is not JSON"),
        (b"[-Infinity]", "-Infinity is not JSON"),
        (b'\xef\xbb\xbf{"a":1}', "byte-order mark"),
        (b'{"a":"\xff"}', "not UTF-8"),
        (b"[9007199254740992]", "outside"),
        (b'["\\ud800"]', "lone surrogate"),
        (b'{"\\udc00":1}', "lone surrogate"),
        (b"{", "not JSON"),
        (b"", "not JSON"),
        (b"[1] [2]", "not JSON"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_loads_strict_rejects(data: bytes, message: str) -> None:
    with pytest.raises(JsonFormatError, match=message.replace("[", r"\[")) as caught:
        loads_strict(data)
    assert isinstance(caught.value, InputError)
