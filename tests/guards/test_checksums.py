from __future__ import annotations

from collections.abc import Callable

import pytest

from switchgear.guards import checksums


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (checksums.credit_card, "4111111111111111", "4111111111111112"),
        (checksums.iban, "DE89370400440532013000", "DE89370400440532013001"),
        (checksums.iban, "GB82WEST12345698765432", "GB82WEST12345698765433"),
        (checksums.us_ssn, "138731034", "666731034"),
        (checksums.uk_nino, "AB123456C", "QQ123456C"),
        (checksums.de_steuer_id, "65929970489", "65929970488"),
        (checksums.de_steuer_id, "86095742719", "86095742718"),
        (checksums.fr_nir, "172023201312126", "172023201312127"),
        (checksums.fr_nir, "269059915001284", "269059915001285"),
        (checksums.fr_nir, "26905" + "2A" + "15001213", "26905" + "2A" + "15001214"),  # Corsica
        (checksums.es_dni, "74446788C", "74446788D"),
        (checksums.es_dni, "Z7805218N", "Z7805218M"),
        (checksums.it_codice_fiscale, "BCCFRC15M25E852P", "BCCFRC15M25E852Q"),
        (checksums.nl_bsn, "214035797", "214035798"),
        (checksums.uk_nhs, "9434765919", "9434765918"),
    ],
)
def test_valid_checksums_pass_and_altered_ones_fail(
    check: Callable[[str], bool], good: str, bad: str
) -> None:
    assert check(good)
    assert not check(bad)
