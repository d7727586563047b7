"""The RFC 8941 subset RFC 9421 headers use: dictionaries of inner lists and byte sequences."""

from __future__ import annotations

import pytest

from fediverse_ai.activitypub.structured_fields import (
    StructuredFieldError,
    parse_signature,
    parse_signature_input,
)


def test_signature_input_with_several_members_and_parameters() -> None:
    header = ('sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://a.example/u#k, 2";'
              'alg="rsa-v1_5-sha256", sig2=();created=5;tag="x"')
    parsed = parse_signature_input(header)
    assert parsed["sig1"].items == ("@method", "@target-uri", "content-digest")
    assert parsed["sig1"].params == {"created": 1618884473, "keyid": "https://a.example/u#k, 2",
                                     "alg": "rsa-v1_5-sha256"}
    assert parsed["sig1"].raw.startswith('("@method"') and parsed["sig1"].raw.endswith('alg="rsa-v1_5-sha256"')
    assert parsed["sig2"].items == () and parsed["sig2"].params == {"created": 5, "tag": "x"}


def test_signature_byte_sequences() -> None:
    assert parse_signature("sig1=:AQID:, sig2=:BAU=:") == {"sig1": b"\x01\x02\x03", "sig2": b"\x04\x05"}


@pytest.mark.parametrize("header", ['sig1=("@method"', 'sig1="@method"', 'sig1=("@query-param";name="a")',
                                    "=(\"a\")", 'sig1=("a") trailing'])
def test_malformed_signature_input(header: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_signature_input(header)


@pytest.mark.parametrize("header", ["sig1=AQID", "sig1=:not base64!:", "sig1"])
def test_malformed_signature(header: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_signature(header)
