"""crfmap push against the loopback fault server (tests/unit/push/fault_server.py), which here accepts every
entry itself: retries and what is never retried, Retry-After, timeouts and resets, the concurrency limit,
unreachable servers, TLS verification, and the three ways to authenticate (bearer, basic, SMART Backend
Services with a JWT assertion the server verifies)."""

from __future__ import annotations

import datetime
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from crfmap.cli import main
from tests.e2e.fhir_reference import convert_reference, copy_some_bundles
from tests.unit.push.fault_server import FaultServer

FAST = ["--retry-max-wait", "0.05", "--timeout", "1"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_reference(tmp_path_factory.mktemp("reference"))


@pytest.fixture
def output(reference: Path, tmp_path: Path) -> Path:
    """Three subject bundles in a folder of their own (so each test starts without a push log)."""
    return copy_some_bundles(reference, tmp_path / "fhir", 3)


def push(output: Path, server: str, *options: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["push", str(output), "--server", server, *FAST, *options], env=env)


def report(result: Result) -> dict[str, Any]:
    return json.loads(result.output)


def test_transient_failures_are_retried_until_accepted(output: Path) -> None:
    schedule = ["503", "reset", "timeout", "502", "500", "408", "429:1"]
    with FaultServer(None, schedule, stall=1.5) as server:
        result = push(output, server.base, "--concurrency", "1", "--max-attempts", "10", "--format", "json")
        assert result.exit_code == 0, result.output
        data = report(result)
        assert data["push"]["accepted"] == 4 and not data["issues"]  # study-level entries + 3 bundles
        assert [seen.action for seen in server.seen[:7]] == schedule
        # 4 units, each accepted exactly once: the faults cost attempts, never an extra acceptance
        assert len([seen for seen in server.seen if seen.action == "pass"]) == 4
        # the 429 said Retry-After: 1, and the next attempt waited for it
        after_429 = server.seen[7].at - server.seen[6].at
        assert after_429 >= 1.0


@pytest.mark.parametrize("status", ["400", "404", "409", "412", "422"])
def test_other_client_errors_are_never_retried(output: Path, status: str) -> None:
    with FaultServer(None, [f"{status}:entry=1"]) as server:
        result = push(output, server.base, "--concurrency", "1", "--format", "json")
        assert result.exit_code == 1, result.output
        assert len(server.seen) == 4  # the refused unit once, then the three others
        data = report(result)
        assert data["push"]["rejected"] == 1 and data["push"]["accepted"] == 3
        [issue] = data["issues"]
        assert issue["code"] == "W100" and status in issue["message"]


def test_a_server_that_stays_busy_is_reported_unavailable(output: Path) -> None:
    with FaultServer(None, default="503") as server:
        result = push(output, server.base, "--max-attempts", "3", "--format", "json")
        assert result.exit_code == 2, result.output
        data = report(result)
        assert data["push"]["unavailable"] == 4
        assert {issue["code"] for issue in data["issues"]} == {"W102"}
        assert len(server.seen) == 12  # 3 attempts per unit, no more
    log = [json.loads(line) for line in (output / "push-log.jsonl").read_text().splitlines()]
    assert {record["status"] for record in log} == {"unavailable"}


def test_an_unreachable_server_stops_the_run(output: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    result = push(output, f"http://127.0.0.1:{port}/fhir", "--max-attempts", "2", "--concurrency", "1",
                  "--format", "json")
    assert result.exit_code == 2, result.output
    data = report(result)
    assert data["push"]["unreachable"] == 1 and data["push"]["not-sent"] == 3
    assert [issue["code"] for issue in data["issues"]].count("W101") == 1


def test_the_concurrency_limit_holds(reference: Path, tmp_path: Path) -> None:
    output = copy_some_bundles(reference, tmp_path / "fhir", 8)
    with FaultServer(None, default="sleep:0.3") as server:
        result = push(output, server.base, "--concurrency", "3")
        assert result.exit_code == 0, result.output
        assert server.most_in_flight == 3  # used, and never exceeded


def test_dry_run_sends_nothing_and_knows_what_was_accepted(output: Path) -> None:
    with FaultServer(None) as server:
        dry = push(output, server.base, "--dry-run")
        assert dry.exit_code == 0 and not server.seen
        assert dry.output.count("send ") == 4 and "study-level entries: transaction of 1 entries (PUT)" in dry.output
        assert push(output, server.base).exit_code == 0
        again = push(output, server.base, "--dry-run")
        assert again.output.count("skip ") == 4
        rerun = push(output, server.base)
        assert rerun.exit_code == 0 and "4 skipped" in rerun.output
        assert len(server.seen) == 4  # the rerun sent nothing


# ── authentication ─────────────────────────────────────────────────────────────────────────────────────

def test_bearer_token_from_environment_and_basic_from_file(output: Path, tmp_path: Path) -> None:
    with FaultServer(None, bearer="s3cret") as server:
        assert push(output, server.base, "--token-env", "FHIR_TOKEN", env={"FHIR_TOKEN": "s3cret"}).exit_code == 0
        assert {seen.authorization for seen in server.seen} == {"Bearer s3cret"}
        wrong = push(output, server.base, "--token-env", "FHIR_TOKEN", "--format", "json",
                     env={"FHIR_TOKEN": "nope"})
        assert wrong.exit_code == 0  # the log says everything was accepted already: nothing is sent
    (output / "push-log.jsonl").unlink()
    password = tmp_path / "password.txt"
    password.write_text("pa55\n", encoding="utf-8")
    with FaultServer(None, basic=("loader", "pa55")) as server:
        assert push(output, server.base, "--basic-user", "loader", "--password-file", str(password)).exit_code == 0
        missing = push(output, server.base, "--basic-user", "loader", "--password-env", "NO_SUCH_VARIABLE")
        assert missing.exit_code == 2 and "W109" in missing.output


def test_a_refused_credential_is_an_authorisation_issue(output: Path) -> None:
    with FaultServer(None, bearer="s3cret") as server:
        result = push(output, server.base, "--token-env", "FHIR_TOKEN", "--format", "json", "--concurrency", "1",
                      env={"FHIR_TOKEN": "x"})
        assert result.exit_code == 2
        data = report(result)
        assert data["push"]["unauthorised"] == 1 and data["push"]["not-sent"] == 3  # it stops at the first 401
        assert [issue["code"] for issue in data["issues"]].count("W104") == 1


def make_key(kind: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" \
        else ec.generate_private_key(ec.SECP384R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.mark.parametrize(("kind", "algorithm"), [("rsa", "RS384"), ("ec", "ES384")])
def test_smart_backend_services(output: Path, tmp_path: Path, kind: str, algorithm: str) -> None:
    import jwt

    private, public = make_key(kind)
    (tmp_path / "client.pem").write_bytes(private)
    with FaultServer(None, ["pass", "expire-token"], smart=("crfmap-loader", public)) as server:
        result = push(output, server.base, "--smart-client-id", "crfmap-loader", "--smart-key",
                      str(tmp_path / "client.pem"), "--smart-kid", "key-1", "--concurrency", "1")
        assert result.exit_code == 0, result.output
        # the token endpoint was discovered, verified the signed assertion, and was asked again after the 401
        assert len(server.token_requests) == 2
        header = jwt.get_unverified_header(server.token_requests[0]["client_assertion"])
        assert (header["alg"], header["kid"], header["typ"]) == (algorithm, "key-1", "JWT")
        assert server.token_requests[0]["scope"] == "system/*.write"
        assert all(seen.authorization and seen.authorization.startswith("Bearer ") for seen in server.seen)
    other_private, _ = make_key(kind)
    (tmp_path / "other.pem").write_bytes(other_private)
    (output / "push-log.jsonl").unlink()
    with FaultServer(None, smart=("crfmap-loader", public)) as server:
        forged = push(output, server.base, "--smart-client-id", "crfmap-loader", "--smart-key",
                      str(tmp_path / "other.pem"))
        assert forged.exit_code == 2 and "W104" in forged.output and not server.seen


# ── TLS ────────────────────────────────────────────────────────────────────────────────────────────────

def make_certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert, private = folder / "server.pem", folder / "server.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, private


def test_tls_is_verified_and_a_ca_bundle_can_be_given(output: Path, tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    with FaultServer(None, tls=(cert, key)) as server:
        untrusted = push(output, server.base, "--format", "json")
        assert untrusted.exit_code == 2 and not server.seen  # refused before any request, and not retried
        data = report(untrusted)
        assert "TLS certificate verification failed" in data["issues"][0]["message"]
        assert [unit["attempts"] for unit in data["push"]["units"] if unit["status"] == "unreachable"] == [1]
        trusted = push(output, server.base, "--ca-bundle", str(cert))
        assert trusted.exit_code == 0, trusted.output
        assert len(server.seen) == 4


def test_without_the_push_extra_the_command_says_how_to_install_it(output: Path) -> None:
    import subprocess
    import sys

    script = ("import sys; sys.modules['httpx'] = None; sys.modules['tenacity'] = None\n"
              "from crfmap.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", script, "push", str(output), "--server", "http://127.0.0.1:9/fhir"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "W106" in done.stderr and "pip install 'crfmap[push]'" in done.stderr
