"""The IAM calls on an EKS cluster's OIDC provider that moto 5.2.5 lacks:
AddClientIDToOpenIDConnectProvider and RemoveClientIDFromOpenIDConnectProvider.

AWS: adding an ID already there and removing one that is not there both succeed.
"""

from __future__ import annotations

from typing import Any


def apply() -> None:
    from moto.core.responses import EmptyResult
    from moto.iam.responses import IamResponse

    def add_client_id_to_open_id_connect_provider(self: Any) -> Any:
        provider = self.backend.get_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn")
        )
        client_id = self._get_param("ClientID")
        if client_id not in provider.client_id_list:
            provider.client_id_list = [*provider.client_id_list, client_id]
        return EmptyResult()

    def remove_client_id_from_open_id_connect_provider(self: Any) -> Any:
        provider = self.backend.get_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn")
        )
        client_id = self._get_param("ClientID")
        provider.client_id_list = [c for c in provider.client_id_list if c != client_id]
        return EmptyResult()

    IamResponse.add_client_id_to_open_id_connect_provider = (  # type: ignore[attr-defined]
        add_client_id_to_open_id_connect_provider
    )
    IamResponse.remove_client_id_from_open_id_connect_provider = (  # type: ignore[attr-defined]
        remove_client_id_from_open_id_connect_provider
    )
