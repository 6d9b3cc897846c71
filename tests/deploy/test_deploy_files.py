"""The files under deploy/ agree with the interface and with the tools that read them.

Structure is checked everywhere; docker compose, nginx and systemd-analyze are run
when present. In CI (CI=true) a missing nginx is a failure, because otherwise the
proxy config would silently go untested.
"""

from __future__ import annotations

import configparser
import datetime
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from app.config import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

# The settings INTERFACE.md names. app.config.VARIABLES is the authority once it
# exists; test_env_example_matches_the_settings_the_app_reads compares the two.
# The one list of settings is app.config.VARIABLES; the deploy files must keep up with it.
SETTINGS = tuple(VARIABLES)

COMPOSE_TEST_ENV = {
    "SECRET_KEY": "compose-config-test-secret-key-0123456789",
    "POSTGRES_PASSWORD": "composeconfigtest",
    "BASE_URL": "https://roundtable.example.org",
}

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_tool(why: str) -> None:
    if IN_CI:
        pytest.fail(f"{why}; CI must install it so this check runs")
    pytest.skip(why)


# --- compose ------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: str(value) for key, value in env.items()}


def command(service: dict) -> list[str]:
    cmd = service.get("command", [])
    return cmd.split() if isinstance(cmd, str) else list(cmd)


def test_compose_file_runs_migrations_once_before_web_starts(compose):
    services = compose["services"]
    assert command(services["migrate"]) == ["roundtable", "migrate"]
    assert services["migrate"].get("restart", "no") == "no"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_compose_worker_runs_scheduled_jobs_after_migrations(compose):
    worker = compose["services"]["worker"]
    assert command(worker) == ["roundtable", "worker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert environment(worker).get("SCHEDULER", "on") != "off"


def test_compose_web_leaves_scheduled_jobs_to_the_worker(compose):
    assert environment(compose["services"]["web"])["SCHEDULER"] == "off"


def test_compose_web_serves_with_several_workers_on_port_8000(compose):
    web = compose["services"]["web"]
    cmd = command(web)
    assert cmd[:2] == ["roundtable", "serve"]
    assert int(cmd[cmd.index("--workers") + 1]) > 1
    assert cmd[cmd.index("--port") + 1] == "8000"
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert any(str(port).endswith(":8000:8000") for port in web["ports"])


def test_compose_database_has_a_healthcheck_and_a_named_volume(compose):
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_compose_builds_the_app_from_the_containerfile_with_the_repository_as_context(compose):
    for name in ("migrate", "web", "worker"):
        build = compose["services"][name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).is_file()


def test_compose_refuses_to_start_without_secrets(compose):
    env = environment(compose["services"]["web"])
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert env["DATABASE_URL"].startswith("postgresql://")


def test_compose_passes_every_setting_to_the_app_services(compose):
    for name in ("migrate", "web", "worker"):
        env = environment(compose["services"][name])
        missing = set(SETTINGS) - {"SCHEDULER"} - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}"


@pytest.fixture(scope="module")
def docker_compose() -> list[str]:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    # --env-file /dev/null keeps a developer's deploy/.env out of the result.
    return [docker, "compose", "--env-file", os.devnull, "-f", str(DEPLOY / "compose.yaml")]


def compose_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_TEST_ENV}
    env.update(COMPOSE_TEST_ENV)
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def test_docker_compose_accepts_the_compose_file(docker_compose):
    result = subprocess.run(
        [*docker_compose, "config", "-q"],
        env=compose_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_the_compose_file_without_a_secret_key(docker_compose):
    result = subprocess.run(
        [*docker_compose, "config", "-q"],
        env=compose_env(SECRET_KEY=""),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- nginx --------------------------------------------------------------------

NGINX_CONF = DEPLOY / "nginx" / "roundtable.conf"


def nginx_binary() -> str | None:
    if Path("/usr/sbin/nginx").exists():
        return "/usr/sbin/nginx"
    return shutil.which("nginx")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::", 0))
    except OSError:
        return False
    return True


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            missing_tool("neither the cryptography package nor openssl is installed")
        subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=roundtable.example.org",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "roundtable.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def test_nginx_accepts_the_site_config(tmp_path):
    nginx = nginx_binary()
    if nginx is None:
        missing_tool("nginx is not installed (apt-get install nginx-light)")
    cert, key = self_signed_certificate(tmp_path)
    site = NGINX_CONF.read_text()
    site = re.sub(r"(ssl_certificate\s+)\S+;", rf"\g<1>{cert};", site)
    site = re.sub(r"(ssl_certificate_key\s+)\S+;", rf"\g<1>{key};", site)
    # nginx -t binds every listen address: ports 80 and 443 would need root and
    # might be taken, and some containers have no IPv6.
    http_port, https_port = free_ports(2)
    site = re.sub(r"(listen (?:\[::\]:)?)80\b", rf"\g<1>{http_port}", site)
    site = re.sub(r"(listen (?:\[::\]:)?)443\b", rf"\g<1>{https_port}", site)
    if not ipv6_available():
        site = re.sub(r"^\s*listen \[::\]:.*\n", "", site, flags=re.MULTILINE)
    (tmp_path / "roundtable.conf").write_text(site)
    # Temp paths and logs under tmp_path let the check run without root.
    (tmp_path / "nginx.conf").write_text(
        f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/roundtable.conf;
}}
"""
    )
    result = subprocess.run(
        [nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_proxies_to_the_app_on_loopback_with_client_address_and_scheme():
    conf = NGINX_CONF.read_text()
    assert re.search(r"server 127\.0\.0\.1:8000;|proxy_pass http://127\.0\.0\.1:8000", conf)
    assert re.search(r"proxy_set_header X-Forwarded-For \$\w+;", conf)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert re.search(r"client_max_body_size \d+[km];", conf)
    assert re.search(r"gzip on;", conf)


def test_nginx_redirects_http_to_https_and_ignores_other_hosts():
    conf = NGINX_CONF.read_text()
    assert re.search(r"return 301 https://", conf)
    assert conf.count("default_server") >= 2
    assert conf.count("return 444;") >= 2
    for path in re.findall(r"ssl_certificate(?:_key)?\s+(\S+);", conf):
        assert path.startswith("/etc/ssl/")


# --- systemd ------------------------------------------------------------------

SYSTEMD = DEPLOY / "systemd"
UNITS = ("roundtable.service", "roundtable-worker.service", "roundtable-migrate.service")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((SYSTEMD / name).read_text())
    return parser


@pytest.mark.parametrize(
    ("name", "subcommand"),
    [
        ("roundtable.service", "roundtable serve"),
        ("roundtable-worker.service", "roundtable worker"),
        ("roundtable-migrate.service", "roundtable migrate"),
    ],
)
def test_systemd_unit_runs_its_roundtable_command_as_a_dedicated_user(name, subcommand):
    service = unit(name)["Service"]
    assert subcommand in service["ExecStart"]
    assert service["User"] not in ("", "root", "0")
    assert service["EnvironmentFile"] == "/etc/roundtable/env"


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_is_hardened(name):
    service = unit(name)["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert service["ReadWritePaths"] == "/var/lib/roundtable"


def test_systemd_web_and_worker_restart_on_failure_and_start_after_migrations():
    for name in ("roundtable.service", "roundtable-worker.service"):
        parsed = unit(name)
        assert parsed["Service"]["Restart"] == "on-failure"
        assert "roundtable-migrate.service" in parsed["Unit"]["Requires"]
        assert "roundtable-migrate.service" in parsed["Unit"]["After"].split()
        assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert unit("roundtable-migrate.service")["Service"]["Type"] == "oneshot"


def test_systemd_web_unit_leaves_scheduled_jobs_to_the_worker():
    assert "SCHEDULER=off" in unit("roundtable.service")["Service"]["ExecStart"]


def test_systemd_analyze_finds_nothing_wrong_with_the_units():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(
        [analyze, "verify", *(str(SYSTEMD / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Roundtable is not installed under /opt here; other complaints name a real fault.
    problems = [
        line
        for line in result.stderr.splitlines()
        if any(name in line for name in UNITS) and "is not executable" not in line
    ]
    assert not problems, "\n".join(problems)


# --- env.example --------------------------------------------------------------


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    comments: dict[str, str] = {}
    previous = ""
    for line in (DEPLOY / "env.example").read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            values[match[1]] = match[2]
            comments[match[1]] = previous
        if line.strip():
            previous = line
    return values, comments


def test_env_example_sets_every_setting_under_a_comment_giving_its_default():
    values, comments = env_example()
    assert sorted(values) == sorted(SETTINGS)
    for name in SETTINGS:
        assert comments[name].startswith("#"), f"{name} has no comment line above it"
        assert "Default" in comments[name], f"the comment for {name} gives no default"


def test_env_example_shows_production_values():
    values, _ = env_example()
    assert values["DATABASE_URL"].startswith("postgresql://")
    assert values["BASE_URL"].startswith("https://")
    assert len(values["SECRET_KEY"]) >= 32
    assert values["MAIL_BACKEND"] == "smtp"
    assert values["SMTP_HOST"]


def test_env_example_matches_the_settings_the_app_reads():
    config = pytest.importorskip("app.config")
    values, comments = env_example()
    assert sorted(values) == sorted(config.VARIABLES)
    for name, (default, _meaning) in config.VARIABLES.items():
        if default:
            assert default in comments[name], f"the comment for {name} misstates its default"


# --- Containerfile ------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Containerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[start:]


def test_container_runs_as_a_user_that_is_not_root():
    users = [rest for keyword, rest in final_stage() if keyword == "USER"]
    assert users, "the final stage has no USER line"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_container_has_a_healthcheck_on_healthz_without_curl():
    checks = [rest for keyword, rest in final_stage() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]
    assert "python" in checks[0]
    assert "curl" not in checks[0]


def test_container_serves_on_port_8000_from_python_3_11_slim():
    steps = final_stage()
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert ("EXPOSE", "8000") in steps
    cmd = [rest for keyword, rest in steps if keyword == "CMD"][-1]
    assert cmd == '["roundtable", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]'


def test_container_build_context_keeps_what_the_wheel_needs():
    ignored = {
        line.strip().rstrip("/")
        for line in (DEPLOY / "Containerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    needed = {"pyproject.toml", "README.md", "app", "jobs", "templates", "static"}
    assert not ignored & needed
