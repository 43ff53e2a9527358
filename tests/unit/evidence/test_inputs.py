"""Input expansion: names, ordering, globs, directories, symlinks, hidden files, errors."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from anchor.errors import InputError
from anchor.evidence.inputs import (
    EmptyInputError,
    MissingInputError,
    NameCollisionError,
    OutsideRootError,
    UnreadableInputError,
    expand_inputs,
)


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _names(root: Path, *args: str, **kw: object) -> list[str]:
    return [f.name for f in expand_inputs(list(args), str(root), **kw)]  # type: ignore[arg-type]


def test_directory_walk_is_recursive_sorted_by_utf8_and_relative_to_root(tmp_path: Path) -> None:
    _tree(tmp_path, {"dist/b.tgz": b"b", "dist/a.tgz": b"a", "dist/sub/Z": b"z", "é.txt": b"e"})
    files = expand_inputs([str(tmp_path)], str(tmp_path))
    assert [f.name for f in files] == ["dist/a.tgz", "dist/b.tgz", "dist/sub/Z", "é.txt"]
    assert [f.size for f in files] == [1, 1, 1, 1]
    assert files[0].path == str(tmp_path / "dist" / "a.tgz")


def test_utf8_byte_order_not_locale_order(tmp_path: Path) -> None:
    _tree(
        tmp_path, {"a.txt": b"", "B.txt": b"", "\u00e9.txt": b"", "\uff41.txt": b"", "z.txt": b""}
    )
    assert _names(tmp_path, str(tmp_path)) == ["B.txt", "a.txt", "z.txt", "é.txt", "ａ.txt"]


def test_relative_arguments_with_default_cwd_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path, {"dist/app.tgz": b"x", "logs/build.log": b"y"})
    monkeypatch.chdir(tmp_path)
    assert _names(Path("."), "dist", "./logs/build.log") == ["dist/app.tgz", "logs/build.log"]


def test_glob_patterns_are_expanded_by_the_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(
        tmp_path,
        {
            "a.sigstore.json": b"1",
            "b.sigstore.json": b"2",
            "c.json": b"3",
            "d/e.sigstore.json": b"4",
        },
    )
    monkeypatch.chdir(tmp_path)
    assert _names(tmp_path, "*.sigstore.json") == ["a.sigstore.json", "b.sigstore.json"]
    assert _names(tmp_path, "**/*.sigstore.json") == [
        "a.sigstore.json",
        "b.sigstore.json",
        "d/e.sigstore.json",
    ]


def test_literal_name_with_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    _tree(tmp_path, {"weird[1].txt": b"x", "weird1.txt": b"y"})
    assert _names(tmp_path, str(tmp_path / "weird[1].txt")) == ["weird[1].txt"]


def test_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"no files match .*\*\.zip"):
        expand_inputs([str(tmp_path / "*.zip")], str(tmp_path))


def test_overlapping_arguments_name_a_file_once(tmp_path: Path) -> None:
    _tree(tmp_path, {"dist/a.tgz": b"a"})
    args = [
        str(tmp_path / "dist"),
        str(tmp_path / "dist" / "a.tgz"),
        str(tmp_path / "dist/../dist/a.tgz"),
    ]
    assert _names(tmp_path, *args) == ["dist/a.tgz"]


def test_hidden_entries_skipped_in_walks_unless_asked(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": b"", ".hidden": b"", ".git/config": b"", "d/.env": b""})
    assert _names(tmp_path, str(tmp_path)) == ["a"]
    assert _names(tmp_path, str(tmp_path), include_hidden=True) == [
        ".git/config",
        ".hidden",
        "a",
        "d/.env",
    ]
    # explicitly named hidden files are always taken
    assert _names(tmp_path, str(tmp_path / ".hidden")) == [".hidden"]


def test_symlinks_files_followed_directories_not_entered_in_walks(tmp_path: Path) -> None:
    _tree(tmp_path, {"real/f.bin": b"data", "other/g.bin": b"g"})
    os.symlink(tmp_path / "real" / "f.bin", tmp_path / "real" / "link.bin")
    os.symlink(tmp_path / "other", tmp_path / "real" / "linkdir")
    files = expand_inputs([str(tmp_path / "real")], str(tmp_path))
    assert [f.name for f in files] == ["real/f.bin", "real/link.bin"]
    assert files[1].size == 4
    # a symlinked directory named explicitly is entered; names keep the link's path
    assert _names(tmp_path, str(tmp_path / "real" / "linkdir")) == ["real/linkdir/g.bin"]


def test_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    os.symlink(tmp_path / "gone", tmp_path / "d" / "broken")
    with pytest.raises(UnreadableInputError, match="dangling symlink"):
        expand_inputs([str(tmp_path / "d")], str(tmp_path))
    with pytest.raises(UnreadableInputError, match="dangling symlink"):
        expand_inputs([str(tmp_path / "d" / "broken")], str(tmp_path))


def test_special_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UnreadableInputError, match="not a regular file"):
        expand_inputs([str(tmp_path)], str(tmp_path))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"no such file or directory: .*nope"):
        expand_inputs([str(tmp_path / "nope")], str(tmp_path))


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / ".only-hidden").write_bytes(b"")
    with pytest.raises(EmptyInputError, match="no files to collect"):
        expand_inputs([str(tmp_path / "empty")], str(tmp_path))


def test_input_outside_root(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/x": b"", "b/y": b""})
    with pytest.raises(OutsideRootError, match="outside the root"):
        expand_inputs([str(tmp_path / "b" / "y")], str(tmp_path / "a"))
    assert _names(tmp_path / "a", str(tmp_path / "a" / "x")) == ["x"]


def test_unicode_normalisation_collision(tmp_path: Path) -> None:
    nfc = unicodedata.normalize("NFC", "café.txt")
    nfd = unicodedata.normalize("NFD", "café.txt")
    (tmp_path / nfc).write_bytes(b"1")
    (tmp_path / nfd).write_bytes(b"2")
    with pytest.raises(NameCollisionError, match=r"two inputs have the name café\.txt"):
        expand_inputs([str(tmp_path)], str(tmp_path))


def test_nfd_name_is_recorded_in_nfc(tmp_path: Path) -> None:
    (tmp_path / unicodedata.normalize("NFD", "é.txt")).write_bytes(b"x")
    assert _names(tmp_path, str(tmp_path)) == [unicodedata.normalize("NFC", "é.txt")]


def test_case_only_collision(tmp_path: Path) -> None:
    _tree(tmp_path, {"README": b"1", "readme": b"2"})
    with pytest.raises(NameCollisionError, match="differ only in case"):
        expand_inputs([str(tmp_path)], str(tmp_path))


def test_output_directory_and_its_temporaries_are_not_walked(tmp_path: Path) -> None:
    _tree(tmp_path, {"a": b"", "out/manifest.json": b"{}", ".out.tmp-x1/f": b"", "outer/b": b""})
    out = str(tmp_path / "out")
    assert _names(tmp_path, str(tmp_path), exclude=[out], include_hidden=True) == ["a", "outer/b"]
    with pytest.raises(InputError, match="inside the output directory"):
        expand_inputs([str(tmp_path / "out" / "manifest.json")], str(tmp_path), exclude=[out])


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match=r"root .* is not a directory"):
        expand_inputs([str(tmp_path)], str(tmp_path / "missing"))


def test_walked_names_match_per_file_names_in_nested_non_ascii_directories(
    tmp_path: Path,
) -> None:
    # Directory and file names in NFD, nested, below the root: every name is the NFC form
    # of the path relative to the root, exactly as naming each file explicitly gives.
    nfd_dir = unicodedata.normalize("NFD", "répertoire")
    nfd_file = unicodedata.normalize("NFD", "naïve.txt")
    _tree(
        tmp_path,
        {
            f"rel/{nfd_dir}/sub/{nfd_file}": b"1",
            f"rel/{nfd_dir}/plain.bin": b"22",
            "rel/ascii/deeper/x.y": b"333",
        },
    )
    walked = expand_inputs([str(tmp_path / "rel")], str(tmp_path))
    assert [f.name for f in walked] == [
        "rel/ascii/deeper/x.y",
        unicodedata.normalize("NFC", "rel/répertoire/plain.bin"),
        unicodedata.normalize("NFC", "rel/répertoire/sub/naïve.txt"),
    ]
    explicit = expand_inputs([f.path for f in walked], str(tmp_path))
    assert [(f.name, f.path, f.size) for f in explicit] == [
        (f.name, f.path, f.size) for f in walked
    ]
    assert [f.size for f in walked] == [3, 2, 1]


def test_walked_directory_outside_the_root_names_its_first_file(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/x": b"", "b/c/z": b"", "b/y": b""})
    with pytest.raises(OutsideRootError, match=r"b/c/z is outside the root"):
        expand_inputs([str(tmp_path / "b")], str(tmp_path / "a"))


def test_output_directory_nested_deeper_is_not_walked(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "d/e/out/manifest.json": b"{}",
            "d/e/.out.old-1/f": b"",
            "d/e/.out.tmp-2/f": b"",
            "d/e/outside": b"",
            "d/out/kept": b"",
        },
    )
    out = str(tmp_path / "d" / "e" / "out")
    assert _names(tmp_path, str(tmp_path), exclude=[out], include_hidden=True) == [
        "d/e/outside",
        "d/out/kept",
    ]
