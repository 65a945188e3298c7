"""The fabric file's ``cost:`` section: the monthly volumes ``weft cost`` and ``weft plan``
assume for the usage-billed items (every key optional, each 0 or more)::

    cost:
      nat_gb: 100             # GB a month through the NAT gateways
      lb_capacity_units: 1    # load balancer capacity units in use, on average
      log_gb: 5               # GB a month into each CloudWatch log group
      bucket_gb: 10           # GB stored in each bucket
      auto_mode_instances: 2  # instances an EKS Auto Mode cluster runs, on average
      alarm_notifications: 30 # alarm notifications a month (each e-mailed to every address)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from weft.fabricfile.checks import MODEL_CONFIG

Volume = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CostVolumes(BaseModel):
    """Monthly volumes of the usage-billed items (the defaults are the estimate's)."""

    model_config = MODEL_CONFIG

    nat_gb: Volume = 100.0
    lb_capacity_units: Volume = 1.0
    log_gb: Volume = 5.0
    bucket_gb: Volume = 10.0
    auto_mode_instances: Volume = 2.0
    alarm_notifications: Volume = 30.0
