"""The control plane's command lines follow the flags each Kubernetes version knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.local.kube import flags

API = flags.ApiServerConfig(
    etcd_url="http://127.0.0.1:2379",
    port=6443,
    cert_dir=Path("/k/certs"),
    serving_cert=Path("/k/serving.crt"),
    serving_key=Path("/k/serving.key"),
    ca_cert=Path("/k/ca.crt"),
    tokens=Path("/k/tokens.csv"),
    sa_pub=Path("/k/sa.pub"),
    sa_key=Path("/k/sa.key"),
    service_cidr="10.96.0.0/16",
)
KCM = flags.ControllerManagerConfig(
    kubeconfig=Path("/k/kcm.kubeconfig"),
    sa_key=Path("/k/sa.key"),
    ca_cert=Path("/k/ca.crt"),
    cluster_name="weft-local",
)


def test_kubernetes_1_20_gets_the_flags_it_needs() -> None:
    api = flags.apiserver_args("1.20.2", API)
    assert "--insecure-port=0" in api and "--logtostderr=true" in api
    kcm = flags.controller_manager_args("1.20.2", KCM)
    assert "--port=0" in kcm and "--logtostderr=true" in kcm


@pytest.mark.parametrize("version", ["1.36.2", "1.31.0"])
def test_current_kubernetes_gets_none_it_rejects(version: str) -> None:
    api = flags.apiserver_args(version, API)
    kcm = flags.controller_manager_args(version, KCM)
    assert not any(a.startswith(("--insecure-port", "--logtostderr")) for a in api)
    assert not any(a.startswith(("--port=", "--logtostderr")) for a in kcm)
    assert "--secure-port=6443" in api and "--secure-port=0" in kcm


def test_flags_go_at_the_version_that_removed_them() -> None:
    assert "--insecure-port=0" in flags.apiserver_args("1.23.9", API)
    assert "--insecure-port=0" not in flags.apiserver_args("1.24.0", API)
    assert "--logtostderr=true" in flags.apiserver_args("1.25.3", API)
    assert "--logtostderr=true" not in flags.apiserver_args("1.26.0", API)


def test_the_token_webhook_is_configured_only_with_a_local_aws() -> None:
    assert not any("webhook" in a for a in flags.apiserver_args("1.36.2", API))
    with_aws = flags.ApiServerConfig(**{**API.__dict__, "webhook_config": Path("/k/wh")})
    args = flags.apiserver_args("1.36.2", with_aws)
    assert "--authentication-token-webhook-config-file=/k/wh" in args


def test_the_api_server_checks_the_kubelets_certificate_and_presents_its_own() -> None:
    plain = flags.apiserver_args("1.36.2", API)
    assert not [a for a in plain if a.startswith("--kubelet-")]
    config = flags.ApiServerConfig(
        **{
            **API.__dict__,
            "kubelet_ca": Path("/k/ca.crt"),
            "kubelet_client_cert": Path("/k/client.crt"),
            "kubelet_client_key": Path("/k/client.key"),
        }
    )
    args = flags.apiserver_args("1.36.2", config)
    assert "--kubelet-certificate-authority=/k/ca.crt" in args
    assert "--kubelet-client-certificate=/k/client.crt" in args
    assert "--kubelet-client-key=/k/client.key" in args
    (order,) = [a for a in args if a.startswith("--kubelet-preferred-address-types=")]
    assert order.split("=", 1)[1].split(",")[:2] == ["InternalDNS", "InternalIP"]
