"""Faults the proxy injects: which calls get one, and the answer in the call's own protocol.

A throttling error is what each service sends when its rate limit is hit (``ThrottlingException``
in the JSON protocols, ``RequestLimitExceeded`` from EC2, ``SlowDown`` from S3, ``Throttling``
in the other query protocols); a server error is an HTTP 500 shaped the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from weft.local.proxy.call import Call


@dataclass(frozen=True)
class Faults:
    """Faults to inject: fractions of the calls answered with a throttling error or HTTP 500.

    ``only``: when not empty, faults hit only calls whose service (``ec2``) or ``service:Action``
    is listed.
    """

    throttle: float = 0.0
    server_error: float = 0.0
    only: frozenset[str] = frozenset()

    def applies(self, call: Call) -> bool:
        return not self.only or call.service in self.only or call.key in self.only


def choose_fault(faults: Faults, draw: float) -> str | None:
    """The fault for a call that drew ``draw`` (uniform in [0, 1)): ``throttle`` for the first
    ``faults.throttle`` of the range, ``server_error`` for the next ``faults.server_error``,
    else none."""
    if draw < faults.throttle:
        return "throttle"
    if draw < faults.throttle + faults.server_error:
        return "server_error"
    return None


def fault_response(call: Call, kind: str) -> tuple[int, dict[str, str], bytes]:
    """A throttling error (``kind="throttle"``) or a 500 in the call's own protocol."""
    request_id = str(uuid.uuid4())
    throttle = kind == "throttle"
    if call.protocol in ("json", "rest-json"):
        code = "ThrottlingException" if throttle else "InternalFailure"
        message = "Rate exceeded" if throttle else "An internal error occurred"
        body = f'{{"__type": "{code}", "message": "{message}"}}'.encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-ErrorType": code,
            "x-amzn-RequestId": request_id,
        }
        return (400 if throttle else 500), headers, body
    if call.protocol == "ec2":
        code = "RequestLimitExceeded" if throttle else "InternalError"
        text = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>"
            f"{'Request limit exceeded.' if throttle else 'An internal error has occurred'}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return (503 if throttle else 500), {"Content-Type": "text/xml"}, text.encode()
    if call.protocol == "s3":
        code = "SlowDown" if throttle else "InternalError"
        text = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>'
            f"{'Please reduce your request rate.' if throttle else 'Internal error.'}"
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return (503 if throttle else 500), {"Content-Type": "application/xml"}, text.encode()
    code = "Throttling" if throttle else "InternalFailure"
    text = (
        f"<ErrorResponse><Error><Type>{'Sender' if throttle else 'Receiver'}</Type>"
        f"<Code>{code}</Code><Message>{'Rate exceeded' if throttle else 'Internal failure'}"
        f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return (400 if throttle else 500), {"Content-Type": "text/xml"}, text.encode()
