"""The local cloud's CloudWatch ``PutDashboard`` checks the name and the body as AWS does.

moto 5.2.5 stores any name and any body that parses as JSON. AWS refuses, with
``InvalidParameterInput`` (the only client error the operation has in botocore's model,
``DashboardInvalidInputError``):

- a ``DashboardName`` longer than 255 characters or with characters other than ``A-Z``,
  ``a-z``, ``0-9``, ``-`` and ``_`` ("PutDashboard", CloudWatch API Reference:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html:
  "The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"");
- a ``DashboardBody`` that is not a JSON object with a ``widgets`` array ("Dashboard Body
  Structure and Syntax", CloudWatch API Reference:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html:
  ``widgets``, "An array of widget objects", is required).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_NAME_LENGTH = 255
_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def name_problem(name: str | None) -> str | None:
    """Why AWS refuses ``name`` as a dashboard's name, or None."""
    if not name:
        return "The value for field DashboardName must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"The value for field DashboardName must be at most {MAX_NAME_LENGTH} characters"
    if not _NAME_RE.fullmatch(name):
        return (
            "The value for field DashboardName contains invalid characters. It can only contain "
            "alphanumerics, dash (-) and underscore (_)"
        )
    return None


def body_problem(body: str | None) -> str | None:
    """Why AWS refuses ``body`` as a dashboard's body, or None."""
    try:
        parsed = json.loads(body or "")
    except ValueError:
        return "The field DashboardBody must be a valid JSON object"
    if not isinstance(parsed, dict):
        return "The field DashboardBody must be a valid JSON object"
    if not isinstance(parsed.get("widgets"), list):
        return "The field DashboardBody must have a widgets array"
    return None


def apply() -> None:
    from moto.cloudwatch.exceptions import DashboardInvalidInputError
    from moto.cloudwatch.responses import CloudWatchResponse

    put_dashboard = CloudWatchResponse.put_dashboard

    def put_dashboard_as_aws(self: Any) -> Any:
        problem = name_problem(self._get_param("DashboardName")) or body_problem(
            self._get_param("DashboardBody")
        )
        if problem:
            raise DashboardInvalidInputError(problem)
        return put_dashboard(self)

    CloudWatchResponse.put_dashboard = put_dashboard_as_aws  # type: ignore[method-assign]
