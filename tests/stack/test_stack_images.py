"""Container hardening: non-root users on read-only roots that cannot change the code; no secret in any layer.

The secrets looked for are the running stack's own (its env file: database password, cookie key,
admin password, API token) and, when present, the values in the working tree's `.env`; they are
searched for in `docker history --no-trunc`, the image config, and every file of every layer
(`docker save`, so a file added in one layer and deleted in a later one is still seen).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack.harness import Stack, run

pytestmark = [pytest.mark.stack, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
SECRET_KEYS = ("PASSWORD", "SECRET", "TOKEN")
SECRET_FILE_NAMES = (".env", "stack.env", "id_rsa", "id_ed25519")
APP_SERVICES = ("sync", "dashboard")
ALL_SERVICES = ("db", "redis", "migrate", "sync", "dashboard")


def _secrets(stack: Stack) -> dict[str, str]:
    """Secret values by variable name: the stack's env file and the working tree's .env."""
    found: dict[str, str] = {}
    for source in (stack.env_file, REPO / ".env"):
        if not source.exists():
            continue
        for line in source.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            value = value.strip().strip("'\"")
            if any(key in name for key in SECRET_KEYS) and len(value) >= 8:
                found[f"{source.name}:{name.strip()}"] = value
    assert found, "the stack's env file holds no secrets to look for"
    return found


def _layer_files(image: str) -> Iterator[tuple[str, bytes]]:
    """Every regular file of every layer of `image`, with its path, from `docker save`."""
    saved = subprocess.run(["docker", "save", image], capture_output=True, timeout=600, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:
        for member in archive:
            if not member.isfile():
                continue
            blob = archive.extractfile(member)
            assert blob is not None
            data = blob.read()
            if member.name.endswith((".tar", "layer.tar")) or member.name.startswith("blobs/"):
                try:
                    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                        for item in layer:
                            if item.isfile():
                                content = layer.extractfile(item)
                                assert content is not None
                                yield f"{member.name}:{item.name}", content.read()
                    continue
                except tarfile.ReadError:
                    pass  # a config or manifest blob, not a layer
            yield member.name, data


@pytest.mark.parametrize("service", APP_SERVICES)
def test_no_secret_is_in_the_image_history_config_or_any_layer(stack: Stack, service: str) -> None:
    image = f"glance-{service}:{stack.tag}"
    secrets = _secrets(stack)
    history = run(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image]).stdout
    config = run(["docker", "image", "inspect", image]).stdout
    for name, value in secrets.items():
        assert value not in history, f"{name} is in the build history of {image}"
        assert value not in config, f"{name} is in the config of {image}"
    env = json.loads(config)[0]["Config"]["Env"]
    assert not [e for e in env if any(key in e.split("=")[0] for key in SECRET_KEYS)], env
    wanted = {name: value.encode() for name, value in secrets.items()}
    files = 0
    for path, data in _layer_files(image):
        files += 1
        assert Path(path.rpartition(":")[2]).name not in SECRET_FILE_NAMES, f"{path} is in {image}"
        for name, value in wanted.items():
            assert value not in data, f"{name} is in {path} of {image}"
    assert files > 1000  # the search really went through the layers


def _processes(container: str) -> list[tuple[list[int], str]]:
    """Every process in the container, seen from the host: its real, effective and saved uids, its command."""
    listed = run(["docker", "top", container, "-o", "pid,ruid,euid,suid,args"]).stdout.splitlines()[1:]
    return [([int(uid) for uid in line.split()[1:4]], " ".join(line.split()[4:])) for line in listed]


@pytest.mark.parametrize("service", ALL_SERVICES)
def test_every_service_runs_as_a_non_root_user_on_a_read_only_root(stack: Stack, service: str) -> None:
    details = stack.inspect(service)
    assert details["HostConfig"]["ReadonlyRootfs"] is True, f"{service} has a writable root filesystem"
    if service == "migrate":  # one-shot: it ran and exited; it ran as the image's user
        assert details["Config"]["User"] not in ("", "0", "root")
        return
    processes = _processes(details["Id"])
    assert processes
    as_root = [command for uids, command in processes if 0 in uids]
    assert not as_root, f"{service} runs processes as root: {as_root}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_code_in_app_containers_cannot_be_changed_even_by_root(stack: Stack, service: str) -> None:
    processes = _processes(stack.inspect(service)["Id"])
    assert any(f"serve {service}" in command for _, command in processes), processes
    module = stack.compose("exec", "-T", service, "python", "-c", "import db.models; print(db.models.__file__)")
    path = module.stdout.strip()
    # The service's user is refused by file permissions already; root only by the read-only root.
    for user, refusals in (
        ("glance", ("Permission denied", "Read-only file system")),
        ("root", ("Read-only file system",)),
    ):
        for code in (f"open({path!r}, 'a')", "open('/opt/glance/planted.py', 'w')"):
            write = stack.compose("exec", "-T", "--user", user, service, "python", "-c", code, check=False)
            assert write.returncode != 0, f"{user} could write in {service}: {code}"
            assert any(refusal in write.stderr for refusal in refusals), write.stderr
    scratch = stack.compose(
        "exec", "-T", service, "python", "-c", "import tempfile; tempfile.TemporaryFile().write(b'x')"
    )
    assert scratch.returncode == 0  # /tmp is a tmpfs: scratch space still works


def test_every_service_in_every_profile_is_configured_with_a_read_only_root(stack: Stack) -> None:
    # backup and proxy are not running here; the ones that are, are checked on their containers above.
    config = stack.compose("--profile", "backup", "--profile", "proxy", "config", "--format", "json").stdout
    services = json.loads(config)["services"]
    assert {"backup", "proxy", *ALL_SERVICES} <= set(services)
    writable = [name for name, service in services.items() if service.get("read_only") is not True]
    assert not writable, f"services with a writable root filesystem: {writable}"
