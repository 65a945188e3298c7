"""The observability part of a fabric file: what weft watches the fabric with.

::

    observability:
      dashboard: true

On by default and cheap by default: ``dashboard`` (default true) makes one CloudWatch dashboard
per fabric from the metrics AWS publishes for free (the load balancers', databases', caches',
NAT gateways' and the EKS control plane's); a dashboard costs $3 a month beyond the first three
of an account. Node and pod widgets need Container Insights, which is priced per observation and
is not turned on here.
"""

from __future__ import annotations

from pydantic import BaseModel

from weft.fabricfile.checks import MODEL_CONFIG

__all__ = ["Observability"]


class Observability(BaseModel):
    """What weft makes to watch the fabric."""

    model_config = MODEL_CONFIG

    #: one CloudWatch dashboard of the fabric (``weft dashboard`` prints its address)
    dashboard: bool = True
