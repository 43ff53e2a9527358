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


# --- the json-module fast path must agree byte for byte with the reference encoder ---------

# Any character at all in values (controls, U+007F, U+2028/2029, astral, lone surrogates);
# keys mostly ASCII (the fast path's condition), sometimes not (the fallback).
any_text = st.text(st.characters(), max_size=10)
ascii_keys = st.text(st.characters(max_codepoint=0x7F), max_size=6)
fast_path_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**54), 2**54)
    | any_text
    | st.sampled_from(["\x7f", "\u2028\u2029", "\U0001f600", '"\\/', "\x00\x1f\b\f\n\r\t"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(ascii_keys, inner, max_size=4)
        | st.dictionaries(ascii_keys | any_text, inner, max_size=3)
    ),
    max_leaves=16,
)


def _both(value: object) -> tuple[bytes | str, bytes | str]:
    """(public encoder result, reference result); an error is reported as its message."""
    from anchor.merkle.jcs import _reference

    results: list[bytes | str] = []
    for encode in (canonical_json, _reference):
        try:
            results.append(encode(value))
        except JsonFormatError as exc:
            results.append(f"error: {exc.message}")
    return results[0], results[1]


@settings(max_examples=400, deadline=None)
@given(fast_path_values)
def test_fast_path_agrees_with_reference_encoder(value: object) -> None:
    from anchor.merkle.jcs import _fast_encode, _is_plain

    fast, reference = _both(value)
    assert fast == reference
    if _is_plain(value, 0) and isinstance(reference, bytes):
        # plain values go through the json module; its text is the reference's exactly
        assert _fast_encode(value).encode("utf-8") == reference


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5},
        {"a": 2**53},
        [-(2**53)],
        {1: "x"},
        {"a": {True: 1}},
        {"\u00e9": 1, "e": 2},
        {"\U0001f600": 1, "\ufb33": 2},
        {"k": "\ud800"},
        {"k": bytearray(b"x")},
        [{"a": {1, 2}}],
    ],
)
def test_values_outside_the_fast_path_fall_back(value: object) -> None:
    from anchor.merkle.jcs import _is_plain

    is_plain = _is_plain(value, 0)
    fast, reference = _both(value)
    assert fast == reference
    # Only the lone surrogate passes the shape check; the json module then cannot encode it.
    assert is_plain == (value == {"k": "\ud800"})


def test_fast_path_depth_limit_matches_reference() -> None:
    leaves: tuple[object, ...] = ([], "x", 1, {})
    for depth in (63, 64, 65, 66):
        for leaf in leaves:
            value: object = leaf
            for _ in range(depth):
                value = [value]
            assert _both(value)[0] == _both(value)[1], (depth, leaf)
    nested: object = "x"
    for _ in range(64):
        nested = {"k": nested}
    assert canonical_json(nested).startswith(b'{"k":{"k":')
    with pytest.raises(JsonFormatError, match="deeper"):
        canonical_json({"k": nested})


def test_fast_path_escapes_exactly_like_rfc8785() -> None:
    text = "".join(chr(c) for c in range(0x80)) + "\u2028\u2029\ue000\uffff\U0001f600"
    value = {"s": text, "list": [text, (text,)]}
    expected = (
        '"'
        + "".join(
            {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r"}.get(
                c, "\\t" if c == 9 else (f"\\u{c:04x}" if c < 0x20 else chr(c))
            )
            for c in range(0x80)
        )
        + '\u2028\u2029\ue000\uffff\U0001f600"'
    )
    assert canonical_json(value) == (
        '{"list":[' + expected + ",[" + expected + ']],"s":' + expected + "}"
    ).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_quote_is_the_canonical_form_of_one_string(text: str) -> None:
    from anchor.merkle.jcs import quote

    _, reference = _both(text)
    if isinstance(reference, str):  # an error: a lone surrogate
        with pytest.raises(JsonFormatError, match="lone surrogate"):
            quote(text)
    else:
        assert quote(text).encode("utf-8") == reference
