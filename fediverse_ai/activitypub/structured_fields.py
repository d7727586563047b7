"""The slice of RFC 8941 structured fields that RFC 9421 signature headers use.

``Signature-Input`` is a dictionary whose members are inner lists of quoted component names
with parameters (``sig1=("@method" "@target-uri");created=1;keyid="k"``); ``Signature`` is a
dictionary of byte sequences (``sig1=:BASE64:``). We parse exactly that and refuse anything
else, keeping the serialized text of each member because the signature base must repeat it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

Param = str | int | bool


class StructuredFieldError(ValueError):
    pass


@dataclass(frozen=True)
class InnerList:
    items: tuple[str, ...]
    params: dict[str, Param]
    raw: str  # the member's text after "label=", as the signature base needs it


def _split_members(text: str) -> list[str]:
    """Split a dictionary at top-level commas (not inside quotes or parentheses)."""
    members, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            members.append(text[start:i].strip())
            start = i + 1
        i += 1
    if quoted or depth:
        raise StructuredFieldError("unbalanced quotes or parentheses")
    members.append(text[start:].strip())
    return [m for m in members if m]


def _read_string(text: str, i: int) -> tuple[str, int]:
    if text[i] != '"':
        raise StructuredFieldError(f"expected a quoted string at {text[i:]!r}")
    out, i = [], i + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise StructuredFieldError("unterminated string")


def _read_params(text: str, i: int) -> tuple[dict[str, Param], int]:
    params: dict[str, Param] = {}
    while i < len(text) and text[i] == ";":
        i += 1
        end = i
        while end < len(text) and (text[end].isalnum() or text[end] in "-_.*"):
            end += 1
        key = text[i:end]
        if not key:
            raise StructuredFieldError("empty parameter name")
        i = end
        if i < len(text) and text[i] == "=":
            i += 1
            if text[i:i + 1] == '"':
                value, i = _read_string(text, i)
                params[key] = value
            else:
                end = i
                while end < len(text) and text[end] not in ";, )":
                    end += 1
                token = text[i:end]
                params[key] = int(token) if token.lstrip("-").isdigit() else token
                i = end
        else:
            params[key] = True
    return params, i


def _label(member: str) -> tuple[str, str]:
    label, sep, value = member.partition("=")
    if not sep or not label.strip():
        raise StructuredFieldError(f"dictionary member without a value: {member!r}")
    return label.strip(), value.strip()


def parse_signature_input(text: str) -> dict[str, InnerList]:
    result: dict[str, InnerList] = {}
    for member in _split_members(text):
        label, value = _label(member)
        if not value.startswith("("):
            raise StructuredFieldError(f"{label}: expected an inner list")
        items, i = [], 1
        while True:
            while i < len(value) and value[i] == " ":
                i += 1
            if i >= len(value):
                raise StructuredFieldError(f"{label}: unterminated inner list")
            if value[i] == ")":
                i += 1
                break
            item, i = _read_string(value, i)
            item_params, i = _read_params(value, i)
            if item_params:
                raise StructuredFieldError(f"{label}: component parameters are not supported ({item})")
            items.append(item)
        params, i = _read_params(value, i)
        if i != len(value):
            raise StructuredFieldError(f"{label}: unexpected text {value[i:]!r}")
        result[label] = InnerList(tuple(items), params, value)
    return result


def parse_signature(text: str) -> dict[str, bytes]:
    result: dict[str, bytes] = {}
    for member in _split_members(text):
        label, value = _label(member)
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            raise StructuredFieldError(f"{label}: expected a byte sequence :...:")
        try:
            result[label] = base64.b64decode(value[1:-1], validate=True)
        except binascii.Error:
            raise StructuredFieldError(f"{label}: invalid base64") from None
    return result
