from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """The error envelope of every error answer. Dots documents only `{"error": "..."}` (on
    404), so only `error` is required; this repository's sandbox always sends `code` too.

        Attributes:
            error (str): A human-readable message.
            code (str | Unset): A stable kebab-case code: `invalid-input`, `unauthorized`, `not-found`,
                `method-not-allowed`, `payment-intent-already-confirmed`, `payload-too-large`,
                `unsupported-media-type`, `service-unavailable` (a `503`: the server's database is
                unreachable), and `internal-error` for a bug in the server (a `500`, which no client
                input should ever cause).
            details (list[ErrorDetail] | Unset): For `invalid-input`, one entry per problem found.
    """

    error: str
    code: str | Unset = UNSET
    details: list[ErrorDetail] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        error = self.error

        code = self.code

        details: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = []
            for details_item_data in self.details:
                details_item = details_item_data.to_dict()
                details.append(details_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "error": error,
            }
        )
        if code is not UNSET:
            field_dict["code"] = code
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = {**src_dict}  # dots: not dict(src_dict), which reads a JSON array of pairs as an object
        error = d.pop("error")

        code = d.pop("code", UNSET)
        if code is None:
            code = UNSET

        if "details" in d and d["details"] is None:
            del d["details"]
        _details = d.pop("details", UNSET)
        details: list[ErrorDetail] | Unset = UNSET
        if _details is not UNSET:
            details = []
            for details_item_data in _details:
                details_item = ErrorDetail.from_dict(details_item_data)

                details.append(details_item)

        error = cls(
            error=error,
            code=code,
            details=details,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties


# dots: nested models are imported here, once, not inside every from_dict/to_dict call (the stock
# lazy import cost about 1 µs a call); an import cycle between models resolves here, since this
# module's class is defined by now.
from ..models.error_detail import ErrorDetail  # noqa: E402
