"""``weft render`` writes the manifests as kubectl would: plain YAML, no anchors or aliases."""

from __future__ import annotations

from ruamel.yaml import YAML

from weft.cli.apps import manifests_yaml
from weft.fabricfile import parse_fabric
from weft.kube.manifests import RenderInput, render

FABRIC = """\
name: demo
region: us-east-2
network: {cidr: 10.0.0.0/16}
cluster: {api_cidrs: [203.0.113.0/24]}
apps:
  - {name: web, image: ghcr.io/acme/web, version: "1.0.0", port: 8080, health: {path: /healthz}}
"""


def test_render_writes_no_anchors_even_for_shared_parts() -> None:
    objects = render(RenderInput(parse_fabric(FABRIC), "demo", None, {}, {}))
    (deployment,) = [o for o in objects if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    # the readiness and liveness probes share one httpGet: YAML would alias it by default
    assert container["readinessProbe"]["httpGet"] is container["livenessProbe"]["httpGet"]
    text = manifests_yaml(objects)
    assert "&id" not in text and "*id" not in text, text
    assert text.count("path: /healthz") == 2
    assert list(YAML(typ="safe").load_all(text)) == objects
