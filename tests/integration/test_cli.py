"""The CLI end to end on the local cloud: exit codes, banners, JSON output, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weft.cli.main import main
from weft.local import aws_server

from .helpers import CLUSTER_VERSION, fabric_text

pytestmark = pytest.mark.integration


def weft(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, clean_cloud: str, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_full_lifecycle_through_the_cli(workdir, capsys):
    (workdir / "fabric.yaml").write_text(fabric_text("clitest"))
    code, out, _ = weft(capsys, "validate")
    assert code == 0 and "is valid" in out

    code, out, _ = weft(capsys, "plan")
    assert code == 0  # the plan was made (as terraform plan exits without -detailed-exitcode)
    assert out.splitlines()[0].startswith(
        "weft plan · fabric clitest · account 123456789012 · region us-east-2"
    )
    assert "to create" in out and "vpc.main" in out

    code, out, _ = weft(capsys, "plan", "--json", "--out", "saved.json", "--detailed-exitcode")
    assert code == 2
    data = json.loads(out)
    assert data["target"]["fabric"] == "clitest"
    assert data["summary"]["create"] == len(data["changes"]) > 15

    code, out, err = weft(capsys, "up", "saved.json", "--json")
    assert code == 0, out + err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["event"] == "plan" and lines[0]["plan"]["summary"]["create"] > 15
    assert any(line["event"] == "resource" and line["status"] == "done" for line in lines)
    assert lines[-1]["event"] == "summary" and lines[-1]["ok"] is True
    assert "weft up · fabric clitest" in err  # in JSON mode the banner goes to stderr

    code, out, _ = weft(capsys, "plan", "--json", "--detailed-exitcode")
    assert code == 0
    noop = json.loads(out)
    assert noop["summary"]["create"] == 0
    assert noop["meta"]["requests"]["writes"] == 0

    code, out, _ = weft(capsys, "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert all(r["id"] and r["state"] != "absent" for r in status["resources"])
    assert status["lock"] is None and status["last_apply"]["ok"] is True
    assert "dashboard.fabric" in {r["address"] for r in status["resources"]}

    code, out, _ = weft(capsys, "dashboard", "--json")
    assert code == 0
    board = json.loads(out)
    assert board["exists"] and board["wanted"] and board["local"]
    assert board["name"] == "weft-clitest" and board["widgets"] > 1
    assert board["url"].endswith("region=us-east-2#dashboards/dashboard/weft-clitest")
    code, out, _ = weft(capsys, "dashboard")
    assert code == 0 and board["url"] in out.splitlines()

    code, out, _ = weft(capsys, "up", "saved.json", "--yes")
    assert code == 1  # the saved plan creates what now exists: the cloud moved
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err
    assert "Nothing tagged with the fabric remains" in out
    code, out, _ = weft(capsys, "dashboard")
    assert code == 0 and "does not exist yet: run weft up" in out


def test_plan_warns_when_the_file_opens_the_api_to_the_world(workdir, capsys):
    cluster = f'cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [0.0.0.0/0]}}\n'
    (workdir / "fabric.yaml").write_text(fabric_text("openapi") + cluster)
    code, out, _ = weft(capsys, "plan")
    assert code == 0
    assert "warning: cluster.api_cidrs has 0.0.0.0/0" in " ".join(out.split())
    code, out, _ = weft(capsys, "plan", "--json")
    warnings = [n["text"] for n in json.loads(out)["meta"]["notes"] if n["level"] == "warning"]
    assert [w for w in warnings if "0.0.0.0/0" in w] == [warnings[0]]


def test_up_without_yes_and_without_a_terminal_refuses(workdir, capsys, monkeypatch):
    (workdir / "fabric.yaml").write_text(fabric_text("noyes"))
    code, out, err = weft(capsys, "up")
    assert code == 1
    assert "pass --yes" in err
    code, out, _ = weft(capsys, "status", "--json")
    assert all(r["state"] == "absent" for r in json.loads(out)["resources"])


def test_bad_file_is_refused_before_any_cloud_call(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEFT_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "fabric.yaml").write_text(
        fabric_text("bad").replace("nat: single", "nat: sometimes")
    )
    for command in (
        ["validate"],
        ["plan", "--local"],
        ["up", "--local", "--yes"],
        ["down", "--local", "--yes"],
    ):
        code, out, err = weft(capsys, *command)
        assert code == 1, command
        assert "fabric.yaml:" in err and "network.nat" in err
        assert "Traceback" not in out + err
    # the local cloud was never even started: nothing could have been called
    assert aws_server.status(tmp_path / "state" / "local") is None


def test_validate_json_lists_problems(tmp_path, capsys):
    path = tmp_path / "f.yaml"
    path.write_text("name: Bad_Name\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.1/16\n")
    code, out, _ = weft(capsys, "validate", "-f", str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["error"]["code"] == "config"
    assert len(data["error"]["problems"]) == 2


def test_missing_file_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _out, err = weft(capsys, "plan")
    assert code == 1 and "fabric.yaml" in err and "Traceback" not in err


def test_init_writes_a_valid_file_with_discovered_zones(workdir, capsys):
    code, _out, err = weft(capsys, "init", "fresh", "--region", "us-east-2", "--local")
    assert code == 0, err
    text = (workdir / "fabric.yaml").read_text()
    assert "us-east-2a, us-east-2b, us-east-2c" in text
    assert "provider: local" in text
    # the cluster example's version: the newest in standard support, from EKS's calendar
    assert f'#   version: "{CLUSTER_VERSION}"' in text
    code, _, _ = weft(capsys, "validate")
    assert code == 0
    code, _, err = weft(capsys, "init", "fresh", "--region", "us-east-2", "--local")
    assert code == 1 and "already exists" in err
    code, _, err = weft(capsys, "init", "Not-Valid", "--region", "us-east-2", "-f", "other.yaml")
    assert code == 1 and "name" in err and not (workdir / "other.yaml").exists()


@pytest.fixture
def checkip(monkeypatch):
    """A service on loopback that echoes a public address, as checkip.amazonaws.com does."""
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"198.51.100.7\n")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WEFT_CHECKIP_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    yield
    server.shutdown()


def test_init_admits_the_callers_public_address_to_the_api(workdir, capsys, checkip):
    code, out, err = weft(capsys, "init", "fresh", "--region", "us-east-2", "--local")
    assert code == 0, err
    assert "198.51.100.7/32 (your public address)" in out
    text = (workdir / "fabric.yaml").read_text()
    assert '#   api_cidrs: ["198.51.100.7/32"]' in text


def test_init_without_the_callers_address_says_the_file_must_list_networks(workdir, capsys):
    code, out, err = weft(capsys, "init", "fresh", "--region", "us-east-2", "--local")
    assert code == 0, err
    assert "Your public address could not be found" in out
    assert "#   api_cidrs: []" in (workdir / "fabric.yaml").read_text()


VIRGINIA_CLUSTER = f"""\
name: {{name}}
region: us-east-1
provider: local
network:
  cidr: 10.30.0.0/16
  zones: {{zones}}
  nat: single
  layout: private
cluster:
  version: "{CLUSTER_VERSION}"
  api_cidrs: ["203.0.113.0/24"]
"""


def test_plan_chooses_zones_by_id_and_refuses_one_eks_does_not_support(workdir, capsys):
    """In the local us-east-1, us-east-1e is the zone id use1-az3, where EKS places no control
    plane: a count skips it, a list naming it is refused at plan with file, line, zone and id."""
    (workdir / "fabric.yaml").write_text(VIRGINIA_CLUSTER.format(name="virginia", zones=5))
    code, out, err = weft(capsys, "plan", "--json")
    assert code == 0, err
    addresses = {change["address"] for change in json.loads(out)["changes"]}
    assert {f"subnet.private-{s}" for s in "abcdf"} <= addresses
    assert "subnet.private-e" not in addresses

    listed = VIRGINIA_CLUSTER.format(name="virginia", zones="[us-east-1a, us-east-1e]")
    (workdir / "fabric.yaml").write_text(listed)
    code, out, err = weft(capsys, "plan")
    assert code == 1
    assert "fabric.yaml:6: network.zones[1]: us-east-1e is zone id use1-az3" in err
    assert "EKS places no cluster control plane" in err
    assert "Traceback" not in out + err


def calendar_versions(status: str) -> list[str]:
    """The versions the local EKS calendar has in ``status`` today, oldest first (taken from the
    calendar, so the tests do not age)."""
    from weft.local.moto_eks.versions import CALENDAR, today

    on = today()
    return [r.version for r in CALENDAR if r.status(on) == status]


def extended_support_version() -> str:
    """The newest version the local EKS calendar has in extended support today."""
    found = calendar_versions("EXTENDED_SUPPORT")
    if not found:
        pytest.skip("no version in extended support today")
    return found[-1]


def test_plan_refuses_a_version_past_eks_support_and_lists_the_versions_offered(workdir, capsys):
    past = calendar_versions("UNSUPPORTED")
    if not past:
        pytest.skip("no version past support today")
    cluster = f'cluster:\n  version: "{past[-1]}"\n  api_cidrs: ["203.0.113.0/24"]\n'
    (workdir / "fabric.yaml").write_text(fabric_text("ancient", zones=2, extra=cluster))
    code, _, _ = weft(capsys, "validate")
    assert code == 0  # the file holds a version of the right shape; EKS's calendar refuses it
    code, out, err = weft(capsys, "plan")
    assert code == 1
    offered = calendar_versions("STANDARD_SUPPORT") + calendar_versions("EXTENDED_SUPPORT")
    message = " ".join(err.split())
    assert f"fabric.yaml:5: cluster.version: Kubernetes {past[-1]} reached the end of EKS " in (
        message
    )
    assert f"EKS offers {', '.join(sorted(offered, key=lambda v: -int(v[2:])))}" in message
    assert f"(newest in standard support: {CLUSTER_VERSION})" in message
    assert "Traceback" not in out + err
    # a version EKS's calendar does not list at all
    unknown = f'cluster:\n  version: "1.{int(CLUSTER_VERSION[2:]) + 9}"\n'
    (workdir / "fabric.yaml").write_text(
        fabric_text("ancient", zones=2, extra=unknown + '  api_cidrs: ["203.0.113.0/24"]\n')
    )
    code, _, err = weft(capsys, "plan")
    assert code == 1 and "EKS does not offer Kubernetes 1." in err


def test_a_cluster_without_a_version_gets_the_newest_standard_one_and_keeps_its_own(
    workdir, capsys
):
    cluster = 'cluster:\n  api_cidrs: ["203.0.113.0/24"]\n'
    (workdir / "fabric.yaml").write_text(fabric_text("defaulted", zones=2, extra=cluster))
    code, out, err = weft(capsys, "plan", "--json")
    assert code == 0, err
    plan = json.loads(out)
    (change,) = [c for c in plan["changes"] if c["address"] == "eks_cluster.main"]
    assert change["action"] == "create"
    assert change["desired"]["props"]["version"] == CLUSTER_VERSION
    assert any(
        f"the cluster is created on Kubernetes {CLUSTER_VERSION}, the newest version in EKS "
        "standard support" in note["text"]
        for note in plan["meta"]["notes"]
    )

    # A cluster made on an older version keeps it when the file names none: the version it
    # runs is the truth, not the calendar's default of the day.
    older = extended_support_version()
    named = f'cluster:\n  version: "{older}"\n  api_cidrs: ["203.0.113.0/24"]\n'
    (workdir / "fabric.yaml").write_text(fabric_text("defaulted", zones=2, extra=named))
    code, out, err = weft(capsys, "up", "--yes")
    assert code == 0, out + err
    (workdir / "fabric.yaml").write_text(fabric_text("defaulted", zones=2, extra=cluster))
    code, out, err = weft(capsys, "plan", "--json")
    assert code == 0, err
    (kept,) = [c for c in json.loads(out)["changes"] if c["address"] == "eks_cluster.main"]
    assert kept["action"] == "no-op" and kept["desired"]["props"]["version"] == older
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err


def test_plan_and_status_warn_of_a_cluster_in_extended_support(workdir, capsys):
    version = extended_support_version()
    cluster = f'cluster:\n  version: "{version}"\n  api_cidrs: ["203.0.113.0/24"]\n'
    (workdir / "fabric.yaml").write_text(fabric_text("aging", zones=2, extra=cluster))
    code, out, err = weft(capsys, "plan", "--json")
    assert code == 0, err
    (warning,) = json.loads(out)["warnings"]
    assert f"Kubernetes {version} is in EKS extended support since " in warning
    assert "$0.60 per cluster hour instead of $0.10" in warning
    assert 'set cluster.version: "1.' in warning

    code, out, err = weft(capsys, "up", "--yes")
    assert code == 0, out + err
    code, out, _ = weft(capsys, "status")
    assert code == 0
    assert f"warning: Kubernetes {version} is in EKS extended support" in " ".join(out.split())
    code, out, _ = weft(capsys, "status", "--json")
    (warning,) = json.loads(out)["warnings"]
    assert "one minor version at a time" in warning
    assert "run weft upgrade --to 1." in warning  # a running cluster is upgraded, not re-set
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err


def test_local_status_json(workdir, capsys):
    code, out, _ = weft(capsys, "local", "status", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["running"] is True and data["aws_endpoint"].startswith("http://127.0.0.1:")


def test_unlock_breaks_a_stale_lock(workdir, capsys):
    from weft.aws.lock import acquire_lock

    from .helpers import target_for, up

    text = fabric_text("locky", layout="public", nat="none")
    (workdir / "fabric.yaml").write_text(text)
    target = target_for(text)
    assert up(target).ok
    acquire_lock(target.context("crashed-run"), command="up", holder="ghost@host pid 1")
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 1 and "ghost@host pid 1" in err
    code, out, _ = weft(capsys, "status")
    assert "Locked" in out
    code, out, _ = weft(capsys, "unlock", "--yes")
    assert code == 0 and "Lock broken" in out
    code, out, err = weft(capsys, "down", "--yes")
    assert code == 0, out + err


def test_up_finishes_all_but_the_certificate_of_an_undelegated_zone(workdir, capsys):
    """A new zone answers nothing until its domain is delegated: ``up`` does everything else,
    shows the zone's name servers and what to set, reports the certificate (and what needs it)
    as waiting, and exits 0; once delegated, the next ``up`` finishes them."""
    domain = "wait.example.com"
    text = fabric_text("dnswait", zones=2, nat="none", layout="public")
    (workdir / "fabric.yaml").write_text(text + f"dns:\n  domain: {domain}\n")

    code, out, err = weft(capsys, "up", "--yes")
    assert code == 0, out + err
    said = " ".join(out.split())
    assert "Apply complete" in said
    assert (
        "acm_certificate.wildcard waiting: waiting for the delegation of wait.example.com" in said
    )
    assert "certificate_validation.wildcard waiting: waits for acm_certificate.wildcard" in said
    assert "3 waiting on something outside weft" in said
    assert "not delegated" in said and said.count("name server ns-") == 4
    assert "to do: set the NS records of wait.example.com in its parent zone" in said

    code, out, _ = weft(capsys, "status", "--json")
    dns = json.loads(out)["dns"]
    assert dns["domain"] == domain and dns["delegation"] == "not delegated"
    assert len(dns["name_servers"]) == 4 and dns["todo"].startswith("set the NS records")
    rows = {r["address"]: r for r in json.loads(out)["resources"]}
    assert rows["acm_certificate.wildcard"]["state"] == "absent"
    assert rows["vpc.main"]["id"]

    code, out, _ = weft(capsys, "plan")
    said = " ".join(out.split())
    assert "acm_certificate.wildcard (and what needs it) will wait for the delegation" in said

    code, out, _ = weft(capsys, "local", "delegate", domain, "--json")
    assert code == 0 and sorted(json.loads(out)["name_servers"]) == sorted(dns["name_servers"])

    code, out, err = weft(capsys, "up", "--yes", "--json")
    assert code == 0, out + err
    lines = [json.loads(line) for line in out.splitlines()]
    summary = lines[-1]
    assert summary["ok"] is True and summary["waiting"] == []
    assert summary["dns"]["delegation"] == "delegated"
    done = {line["resource"] for line in lines if line.get("status") == "done"}
    assert {"acm_certificate.wildcard", "certificate_validation.wildcard"} <= done
    code, out, _ = weft(capsys, "plan", "--json", "--detailed-exitcode")
    assert code == 0
