"""Trust sets: pins against the real NCA CA files, install, update, import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kabinet.pki.certificate import Certificate
from kabinet.pki.errors import FetchFailed, InputMalformed, TrustPinMismatch
from kabinet.pki.trust import (
    MANIFEST_NAME,
    MAX_CERTIFICATE_FILE_BYTES,
    TRUST_SETS,
    PinnedCertificate,
    TrustStore,
    import_trust_set,
    install_trust_set,
    load_trust,
    update_trust_set,
)
from tests import vectors
from tests.pki._guard import failing_instead_of_hanging
from tests.pki.revocation import _material

pytestmark = _material.QUIET_NAME_WARNINGS

VECTOR_FILES = {
    "root_gost_2022": "ca/prod/root_gost_2022.pem",
    "nca_gost_2022": "ca/prod/nca_gost_2022.pem",
    "root_rsa_2020": "ca/prod/root_rsa_2020.pem",
    "nca_rsa_2022": "ca/prod/nca_rsa_2022.pem",
    "root_test_gost_2022": "ca/test/root_test_gost_2022.pem",
    "nca_gost2022_test": "ca/test/nca_gost2022_test.pem",
    "root_rsa_test_2020": "ca/test/root_rsa_test_2020.pem",
    "nca_rsa_test_2023": "ca/test/nca_rsa_test_2023.pem",
}


def pem_files(name: str) -> list[bytes]:
    return [vectors.read(VECTOR_FILES[pin.name]) for pin in TRUST_SETS[name]]


class FakeFetcher:
    """Serves fixed bodies by URL; anything else fails like the network."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.bodies = bodies
        self.requested: list[str] = []

    def get(self, url: str) -> bytes:
        self.requested.append(url)
        if url not in self.bodies:
            raise FetchFailed(f"{url}: connection refused")
        return self.bodies[url]

    def post(self, url: str, body: bytes, content_type: str) -> bytes:
        raise FetchFailed("not used")


@pytest.mark.parametrize(
    ("set_name", "pin"),
    [(s, p) for s, pins in TRUST_SETS.items() for p in pins],
    ids=lambda value: getattr(value, "name", value),
)
def test_pin_is_the_der_sha256_of_the_published_certificate(
    set_name: str, pin: PinnedCertificate
) -> None:
    path = VECTOR_FILES[pin.name]
    certificate = Certificate.load(vectors.read(path))

    assert certificate.sha256 == pin.sha256
    # The manifest fingerprints the PEM file, which is a different thing.
    assert vectors.entry(path)["sha256"] != pin.sha256
    assert certificate.is_self_issued == pin.is_root
    assert all(url.startswith(("http://", "https://")) for url in pin.urls)


def test_trust_sets_have_one_root_and_one_issuing_ca_per_algorithm() -> None:
    for pins in TRUST_SETS.values():
        assert sum(p.is_root for p in pins) == 2
        assert sum(not p.is_root for p in pins) == 2


def test_test_set_leaves_out_the_gost_2004_hierarchy() -> None:
    fingerprints = {p.sha256 for p in TRUST_SETS["test"]}
    for path in ("ca/test/root_gost_test_2020.pem", "ca/test/nca_gost_test_2023.pem"):
        assert Certificate.load(vectors.read(path)).sha256 not in fingerprints


def test_installed_set_loads_as_roots_and_intermediates(tmp_path: Path) -> None:
    written = install_trust_set("test", pem_files("test"), tmp_path)

    assert [p.name for p in written] == [f"{p.name}.pem" for p in TRUST_SETS["test"]]
    assert all(p.parent == tmp_path / "test" for p in written)
    store = load_trust("test", trust_home=tmp_path)
    assert len(store.roots) == 2
    assert len(store.intermediates) == 2
    manifest = json.loads((tmp_path / "test" / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["trust_set"] == "test"
    assert [e["sha256"] for e in manifest["certificates"]] == [
        p.sha256 for p in TRUST_SETS["test"]
    ]


def test_unpinned_certificate_is_refused_and_old_set_kept(tmp_path: Path) -> None:
    install_trust_set("test", pem_files("test"), tmp_path)
    before = sorted(p.name for p in (tmp_path / "test").iterdir())
    offered = [*pem_files("test"), vectors.read("ca/test/root_gost_test_2020.pem")]

    with pytest.raises(TrustPinMismatch) as caught:
        install_trust_set("test", offered, tmp_path)

    assert caught.value.code == "trust_pin_mismatch"
    assert sorted(p.name for p in (tmp_path / "test").iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["test"]


def test_production_certificate_is_refused_for_the_test_set(tmp_path: Path) -> None:
    offered = [*pem_files("test")[:3], vectors.read("ca/prod/nca_gost_2022.pem")]

    with pytest.raises(TrustPinMismatch) as caught:
        install_trust_set("test", offered, tmp_path)

    assert caught.value.code == "trust_pin_mismatch"
    assert not (tmp_path / "test").exists()


def test_incomplete_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TrustPinMismatch) as caught:
        install_trust_set("production", pem_files("production")[:3], tmp_path)

    assert caught.value.code == "trust_pin_mismatch"
    assert "nca_rsa_2022" in caught.value.message
    assert not (tmp_path / "production").exists()


def test_reinstall_replaces_the_set_without_leftovers(tmp_path: Path) -> None:
    install_trust_set("production", pem_files("production"), tmp_path)
    (tmp_path / "production" / "stale.txt").write_text("from an older install")

    install_trust_set("production", reversed(pem_files("production")), tmp_path)

    assert [p.name for p in tmp_path.iterdir()] == ["production"]
    assert not (tmp_path / "production" / "stale.txt").exists()
    assert len(load_trust("production", trust_home=tmp_path)) == 4


def test_import_reads_pem_and_der_files_from_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "download"
    source.mkdir()
    for index, data in enumerate(pem_files("test")):
        certificate = Certificate.load(data)
        if index % 2:
            (source / f"ca{index}.cer").write_bytes(certificate.der)
        else:
            (source / f"ca{index}.pem").write_text(certificate.to_pem())
    (source / "README.txt").write_text("not a certificate")
    home = tmp_path / "home"

    written = import_trust_set("test", source, home)

    assert len(written) == 4
    assert len(load_trust("test", trust_home=home)) == 4


def test_import_reads_a_pem_bundle(tmp_path: Path) -> None:
    source = tmp_path / "bundle"
    source.mkdir()
    bundle = "".join(Certificate.load(d).to_pem() for d in pem_files("production"))
    (source / "nca.pem").write_text(bundle)

    written = import_trust_set("production", source, tmp_path / "home")

    assert len(written) == 4


def test_import_refuses_a_folder_with_a_foreign_certificate(tmp_path: Path) -> None:
    source = tmp_path / "download"
    source.mkdir()
    for index, data in enumerate(pem_files("test")):
        (source / f"ca{index}.pem").write_bytes(data)
    (source / "extra.pem").write_bytes(vectors.read("ca/test/nca_rsa_test_2019.pem"))

    with pytest.raises(TrustPinMismatch) as caught:
        import_trust_set("test", source, tmp_path / "home")

    assert caught.value.code == "trust_pin_mismatch"
    assert not (tmp_path / "home" / "test").exists()


def test_import_refuses_a_file_that_is_not_a_certificate(tmp_path: Path) -> None:
    source = tmp_path / "download"
    source.mkdir()
    (source / "broken.cer").write_bytes(b"\x30\x03\x02\x01")

    with pytest.raises(InputMalformed) as caught:
        import_trust_set("test", source, tmp_path / "home")

    assert caught.value.code == "malformed_input"
    assert "broken.cer" in caught.value.message


def test_update_downloads_each_pin_and_falls_back_to_a_mirror(tmp_path: Path) -> None:
    bodies = {}
    for pin, data in zip(
        TRUST_SETS["production"], pem_files("production"), strict=True
    ):
        der = Certificate.load(data).der
        # The primary URL of the GOST root is down: its mirror answers.
        bodies[pin.mirrors[0] if pin.name == "root_gost_2022" else pin.url] = der
    fetcher = FakeFetcher(bodies)

    written = update_trust_set("production", tmp_path, fetcher=fetcher)

    assert len(written) == 4
    assert "https://pki.gov.kz/cert/root_gost_2022.cer" in fetcher.requested
    assert "http://root.gov.kz/cert/root_gost2015_2022.cer" in fetcher.requested
    assert len(load_trust("production", trust_home=tmp_path).roots) == 2


def test_update_refuses_a_download_that_does_not_match_the_pin(tmp_path: Path) -> None:
    bodies = {
        pin.url: Certificate.load(data).der
        for pin, data in zip(TRUST_SETS["test"], pem_files("test"), strict=True)
    }
    impostor = _material.make_ca(
        "НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022", key_label="x"
    )
    bodies[TRUST_SETS["test"][0].url] = impostor.certificate.der

    with pytest.raises(TrustPinMismatch) as caught:
        update_trust_set("test", tmp_path, fetcher=FakeFetcher(bodies))

    assert caught.value.code == "trust_pin_mismatch"
    assert not (tmp_path / "test").exists()


def test_update_without_network_fails_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(FetchFailed) as caught:
        update_trust_set("test", tmp_path, fetcher=FakeFetcher({}))

    assert caught.value.code == "fetch_failed"
    assert list(tmp_path.iterdir()) == []


def test_tampered_installed_set_is_refused_on_load(tmp_path: Path) -> None:
    install_trust_set("test", pem_files("test"), tmp_path)
    impostor = _material.make_ca("IMPOSTOR ROOT", key_label="x")
    (tmp_path / "test" / "extra.pem").write_text(impostor.certificate.to_pem())

    with pytest.raises(TrustPinMismatch) as caught:
        load_trust("test", trust_home=tmp_path)

    assert caught.value.code == "trust_pin_mismatch"


def test_installed_file_bundling_a_foreign_certificate_is_refused_on_load(
    tmp_path: Path,
) -> None:
    written = install_trust_set("test", pem_files("test"), tmp_path)
    impostor = _material.make_ca("IMPOSTOR ROOT", key_label="x")
    pinned = written[0].read_text()
    written[0].write_text(pinned + impostor.certificate.to_pem())

    with pytest.raises(TrustPinMismatch) as caught:
        load_trust("test", trust_home=tmp_path)

    assert caught.value.code == "trust_pin_mismatch"
    assert "IMPOSTOR ROOT" in caught.value.message


def test_installed_file_swapped_for_a_link_to_a_foreign_certificate_is_refused(
    tmp_path: Path,
) -> None:
    written = install_trust_set("test", pem_files("test"), tmp_path)
    impostor = _material.make_ca("IMPOSTOR ROOT", key_label="x")
    elsewhere = tmp_path / "elsewhere.pem"
    elsewhere.write_text(impostor.certificate.to_pem())
    written[0].unlink()
    written[0].symlink_to(elsewhere)

    with pytest.raises(TrustPinMismatch) as caught:
        load_trust("test", trust_home=tmp_path)

    assert caught.value.code == "trust_pin_mismatch"


def test_import_refuses_a_file_of_unterminated_pem_headers(tmp_path: Path) -> None:
    source = tmp_path / "download"
    source.mkdir()
    line = b"-----BEGIN CERTIFICATE-----\n"
    (source / "junk.pem").write_bytes(line * (MAX_CERTIFICATE_FILE_BYTES // len(line)))

    with failing_instead_of_hanging(60), pytest.raises(InputMalformed) as caught:
        import_trust_set("test", source, tmp_path / "home")

    assert type(caught.value) is InputMalformed
    assert "junk.pem" in caught.value.message
    assert not (tmp_path / "home" / "test").exists()


def test_installed_set_missing_a_file_is_refused_on_load(tmp_path: Path) -> None:
    written = install_trust_set("production", pem_files("production"), tmp_path)
    written[1].unlink()

    with pytest.raises(TrustPinMismatch) as caught:
        load_trust("production", trust_home=tmp_path)

    assert "incomplete" in caught.value.message


def test_set_that_is_not_installed_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="kabinet pki trust update production"):
        load_trust("production", trust_home=tmp_path)


def test_folder_spec_loads_any_certificates_without_pins(tmp_path: Path) -> None:
    root = _material.make_ca("ROOT", key_label="root")
    ca = _material.make_ca("CA", key_label="ca", issuer=root)
    (tmp_path / "root.pem").write_text(root.certificate.to_pem())
    (tmp_path / "ca.der").write_bytes(ca.certificate.der)

    store = load_trust(str(tmp_path), trust_home=tmp_path / "unused")

    assert store.roots == (root.certificate,)
    assert store.intermediates == (ca.certificate,)


def test_issuers_are_narrowed_by_key_identifier() -> None:
    first = _material.make_ca("SAME NAME", key_label="root")
    second = _material.make_ca("SAME NAME", key_label="ca")
    leaf = _material.make_leaf("LEAF", issuer=second)
    store = TrustStore.from_certificates([first.certificate, second.certificate])

    assert store.issuers_of(leaf.certificate) == (second.certificate,)


def test_issuers_without_key_identifier_are_all_candidates() -> None:
    first = _material.make_ca("SAME NAME", key_label="root")
    second = _material.make_ca("SAME NAME", key_label="ca")
    leaf = _material.make_leaf("LEAF", issuer=second, with_aki=False)
    store = TrustStore.from_certificates([first.certificate, second.certificate])

    assert set(store.issuers_of(leaf.certificate)) == {
        first.certificate,
        second.certificate,
    }


def test_store_dedupes_a_certificate_given_as_root_and_intermediate() -> None:
    root = _material.make_ca("ROOT", key_label="root")

    store = TrustStore.from_certificates([root.certificate], [root.certificate])

    assert store.roots == (root.certificate,)
    assert store.intermediates == ()


def test_missing_trust_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        TrustStore.from_directory(tmp_path / "absent")
