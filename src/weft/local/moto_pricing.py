"""The local cloud's AWS Price List API (``pricing:GetProducts``), served from weft's price
snapshot, in the Price List API's own response format.

moto 5.2.5 has no pricing service. weft reads prices with ``GetProducts`` (AWS Price List API
Reference, https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html);
so that the code path users run against AWS is the one tested, the local cloud answers it:

- only at the Price List API's endpoints' Regions, us-east-1, eu-central-1 and ap-south-1
  ("AWS Price List Query API endpoints": other Regions have no endpoint); a request signed for
  another Region is refused;
- ``Filters`` as AWS applies them: ``TERM_MATCH`` / ``EQUALS`` (the field equals the value),
  ``CONTAINS``, ``ANY_OF`` / ``NONE_OF`` (comma-separated values); fields are the product's
  attributes, plus ``productFamily`` and ``sku``;
- each ``PriceList`` entry is a JSON *string* holding ``product`` (``productFamily``,
  ``attributes``, ``sku``), ``serviceCode``, ``terms.OnDemand.<sku>.<term>.priceDimensions.<sku>.
  <term>.<rate>.pricePerUnit.USD``, ``version`` and ``publicationDate``; paged with
  ``MaxResults`` (at most 100) and ``NextToken``.

The prices are the snapshot's (``weft/price_snapshot.json``), each with its provenance; the
``version`` of every item served here says it comes from that snapshot, not from AWS.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TARGET_PREFIX = "AWSPriceListService."
ENDPOINT_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/")
ON_DEMAND_TERM = "JRTCKXETXF"
PRICE_RATE = "6YS6EN2CT7"


def snapshot() -> dict[str, Any]:
    text = resources.files("weft").joinpath("price_snapshot.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def _field(product: dict[str, Any], name: str) -> str | None:
    if name == "productFamily":
        return str(product["productFamily"])
    if name == "sku":
        return sku_of(product)
    value = product["attributes"].get(name)
    return None if value is None else str(value)


def matches(product: dict[str, Any], filters: list[dict[str, str]]) -> bool:
    for f in filters:
        value = _field(product, f["Field"])
        wanted = str(f["Value"])
        kind = f.get("Type", "TERM_MATCH")
        if kind in ("TERM_MATCH", "EQUALS"):
            ok = value is not None and value.lower() == wanted.lower()
        elif kind == "CONTAINS":
            ok = value is not None and wanted.lower() in value.lower()
        elif kind == "ANY_OF":
            ok = value is not None and value.lower() in [
                v.strip().lower() for v in wanted.split(",")
            ]
        elif kind == "NONE_OF":
            ok = value is None or value.lower() not in [
                v.strip().lower() for v in wanted.split(",")
            ]
        else:
            raise ValueError(f"Invalid filter type {kind}")
        if not ok:
            return False
    return True


def sku_of(product: dict[str, Any]) -> str:
    key = json.dumps([product["serviceCode"], product["productFamily"], product["attributes"]])
    return hashlib.sha256(key.encode()).hexdigest()[:16].upper()


def price_item(product: dict[str, Any]) -> str:
    """One ``PriceList`` entry (a JSON string) for a snapshot product."""
    sku = sku_of(product)
    term = f"{sku}.{ON_DEMAND_TERM}"
    rate = f"{term}.{PRICE_RATE}"
    item = {
        "product": {
            "productFamily": product["productFamily"],
            "attributes": {**product["attributes"], "servicecode": product["serviceCode"]},
            "sku": sku,
        },
        "serviceCode": product["serviceCode"],
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": {
                        rate: {
                            "unit": product["unit"],
                            "endRange": "Inf",
                            "description": f"{product['source']} ({product['provenance']})",
                            "appliesTo": [],
                            "rateCode": rate,
                            "beginRange": "0",
                            "pricePerUnit": {"USD": product["usd"]},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": f"{product['date']}T00:00:00Z",
                    "offerTermCode": ON_DEMAND_TERM,
                    "termAttributes": {},
                }
            }
        },
        "version": f"weft-snapshot-{product['provenance']}",
        "publicationDate": f"{product['date']}T00:00:00Z",
    }
    return json.dumps(item)


def get_products(request: dict[str, Any]) -> dict[str, Any]:
    service = str(request.get("ServiceCode") or "")
    filters = list(request.get("Filters") or [])
    size = int(request.get("MaxResults") or 100)
    if not 1 <= size <= 100:
        raise ValueError("MaxResults must be between 1 and 100")
    found = [
        p for p in snapshot()["products"] if p["serviceCode"] == service and matches(p, filters)
    ]
    start = int(request.get("NextToken") or 0)
    page = found[start : start + size]
    out: dict[str, Any] = {
        "FormatVersion": request.get("FormatVersion") or "aws_v1",
        "PriceList": [price_item(p) for p in page],
    }
    if start + size < len(found):
        out["NextToken"] = str(start + size)
    return out


def _answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def wrap(app: WsgiApp) -> WsgiApp:
    """The moto WSGI application, answering the Price List API's ``GetProducts``."""

    def endpoint(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        if not target.startswith(TARGET_PREFIX):
            return app(environ, start_response)
        scope = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION") or ""))
        region = scope.group(1) if scope else ""
        if region not in ENDPOINT_REGIONS:
            return _answer(
                start_response,
                "400 Bad Request",
                {
                    "__type": "UnrecognizedClientException",
                    "message": "The AWS Price List API has no endpoint in "
                    f"{region or 'this Region'}"
                    f" (it has {', '.join(ENDPOINT_REGIONS)})",
                },
            )
        action = target[len(TARGET_PREFIX) :]
        if action != "GetProducts":
            return _answer(
                start_response,
                "400 Bad Request",
                {
                    "__type": "InvalidAction",
                    "message": f"{action} is not served by the local cloud",
                },
            )
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(size) or b"{}")
            return _answer(start_response, "200 OK", get_products(request))
        except (ValueError, KeyError, TypeError) as exc:
            return _answer(
                start_response,
                "400 Bad Request",
                {"__type": "InvalidParameterException", "message": str(exc)},
            )

    return endpoint
