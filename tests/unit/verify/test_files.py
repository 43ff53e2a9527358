"""Per-file inclusion: proof sources, lookup order and the files[] codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.hashes import sha256
from anchor.verify.chainfacts import Observation
from anchor.verify.files import ProofIndex, check_file, sha256_file
from anchor.verify.pipeline import Evidence, VerifyConfig, verify_tx_bytes
from anchor.verify.run import VerifyRequest, run_verify
from tests.unit.verify.kit import SAMPLE_FILES, Published, make_tx, publish_bundle, sign_body

FACTS = [Observation("t", 10, "ab" * 32, 1, 1000, tip_height=100)]


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_bundle(tmp_path_factory.mktemp("files"), SAMPLE_FILES)


@pytest.fixture
def pub(origin: Published, tmp_path: Path) -> Published:
    bundle = tmp_path / "b"
    shutil.copytree(origin.bundle, bundle)
    return Published(
        bundle, origin.source, origin.names, origin.tx_hash, origin.tx, origin.record, origin.root
    )


def _run(pub: Published, *names: str) -> dict[str, object]:
    files = tuple(str(pub.file(n)) for n in names)
    return run_verify(VerifyRequest(files=files, bundle=str(pub.bundle))).to_json()


def test_proofs_dir_without_manifest_is_scanned_by_digest(pub: Published) -> None:
    (pub.bundle / "manifest.json").unlink()
    (pub.bundle / "leaves.cbor").unlink()
    doc = _run(pub, "logs/build.log")
    assert doc["files"][0]["leaf_index"] == 3 and doc["files"][0]["inclusion_ok"] is True  # type: ignore[index]
    assert doc["verdict"] == "valid"
    assert [i["code"] for i in doc["issues"]] == ["MERKLE_LEAVES_UNAVAILABLE"]  # type: ignore[union-attr]
    assert doc["issues"][0]["severity"] == "warning"  # type: ignore[index]


def test_leaves_list_alone_proves_inclusion(pub: Published) -> None:
    shutil.rmtree(pub.bundle / "proofs")
    doc = _run(pub, "README.txt", "sbom/app.cdx.json")
    assert [(f["leaf_index"], f["proofSource"]) for f in doc["files"]] == [
        (0, "leaves.cbor"),
        (4, "leaves.cbor"),
    ]  # type: ignore[union-attr]
    assert doc["verdict"] == "valid"


def test_nothing_to_prove_with_is_unverifiable(pub: Published) -> None:
    shutil.rmtree(pub.bundle / "proofs")
    (pub.bundle / "leaves.cbor").unlink()
    doc = _run(pub, "README.txt")
    assert doc["verdict"] == "unverifiable"
    assert doc["files"][0]["code"] == "FILE_PROOF_UNAVAILABLE"  # type: ignore[index]
    assert [(i["code"], i["severity"]) for i in doc["issues"]] == [
        ("MERKLE_LEAVES_UNAVAILABLE", "warning")
    ]  # type: ignore[union-attr]


def test_empty_bundle_hits_the_commitment_floor(pub: Published) -> None:
    for name in ("manifest.json", "leaves.cbor"):
        (pub.bundle / name).unlink()
    shutil.rmtree(pub.bundle / "proofs")
    doc = run_verify(VerifyRequest(bundle=str(pub.bundle), manifest_only=True)).to_json()
    assert doc["verdict"] == "unverifiable"
    assert [(i["code"], i["severity"]) for i in doc["issues"]] == [
        ("MERKLE_LEAVES_UNAVAILABLE", "error")
    ]  # type: ignore[union-attr]


def test_unreadable_bundle_proof_is_an_invalid_proof(pub: Published) -> None:
    (pub.bundle / "proofs" / "README.txt.proof.json").write_bytes(b"{not json")
    doc = _run(pub, "README.txt")
    assert doc["files"][0]["code"] == "INCLUSION_PROOF_INVALID"  # type: ignore[index]
    assert doc["verdict"] == "failed"


def test_item_only_record_matches_files_by_item_digest(tmp_path: Path) -> None:
    artifact = tmp_path / "single.bin"
    artifact.write_bytes(b"single-file PoE")
    body = cbor.encode(
        CborMap(
            [
                ("v", 1),
                (
                    "items",
                    [CborMap([("hashes", CborMap([("sha2-256", sha256(artifact.read_bytes()))]))])],
                ),
            ]
        )
    )
    tx_hash, tx = make_tx(sign_body(body))
    files = [("single.bin", sha256_file(artifact)), ("other", sha256(b"other"))]
    report = verify_tx_bytes(
        tx_hash, tx, FACTS, config=VerifyConfig(network="preview"), evidence=Evidence(files=files)
    )
    assert [(f.inclusion_ok, f.code, f.proof_source) for f in report.files] == [
        (True, None, "items[0]"),
        (False, "FILE_PROOF_UNAVAILABLE", None),
    ]
    assert report.verdict == "unverifiable"


def test_check_file_without_commitment_or_proofs() -> None:
    entry = check_file("x", sha256(b"x"), ProofIndex(), None)
    assert (entry.inclusion_ok, entry.code) == (False, "FILE_PROOF_UNAVAILABLE")


def test_proof_lookup_never_leaves_the_bundle_proofs_folder(pub: Published, tmp_path: Path) -> None:
    """Names come from the (untrusted) manifest and the command line: ``../x`` or an
    absolute name must not make the verifier read a ``.proof.json`` outside ``proofs/``."""
    genuine = pub.bundle / "proofs" / "README.txt.proof.json"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "README.txt.proof.json").write_bytes(genuine.read_bytes())
    genuine.unlink()
    digest = sha256(SAMPLE_FILES["README.txt"])
    escape = str(outside / "README.txt")
    relative = "../../elsewhere/README.txt"
    assert (pub.bundle / "proofs" / (relative + ".proof.json")).resolve().is_file()
    for name in (escape, relative):
        index = ProofIndex(proofs_dir=pub.bundle / "proofs", manifest_names={digest: [name]})
        assert index.paths_for_digest(digest) == []
        assert index.proof_path(name) is None


def test_an_argument_that_adds_no_file_is_refused_before_anything_is_read(
    pub: Published, tmp_path: Path
) -> None:
    from anchor.errors import InputError
    from anchor.verify.run import expand_files

    (tmp_path / "empty" / "sub").mkdir(parents=True)
    readme = str(pub.file("README.txt"))
    assert expand_files([readme]) == [(readme, Path(readme))]
    for arg in (str(tmp_path / "empty"), str(tmp_path / "empty" / "s*")):
        with pytest.raises(InputError, match=r"^.*: no files to verify in it$") as caught:
            expand_files([readme, arg])
        assert str(caught.value).startswith(f"{arg}: ")
        with pytest.raises(InputError, match="no files to verify in it"):
            run_verify(VerifyRequest(files=(readme, arg), bundle=str(tmp_path / "no-bundle")))
