"""Container hardening: non-root users that cannot write the code, and no secret in any image layer.

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


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_containers_run_as_a_non_root_user_that_cannot_change_the_code(stack: Stack, service: str) -> None:
    uid = stack.compose("exec", "-T", service, "id", "-u").stdout.strip()
    assert uid != "0" and uid.isdigit()
    write = stack.compose("exec", "-T", service, "python", "-c", "open('/opt/glance/planted', 'w')", check=False)
    assert write.returncode != 0 and ("Read-only file system" in write.stderr or "Permission denied" in write.stderr)
    scratch = stack.compose(
        "exec", "-T", service, "python", "-c", "import tempfile; tempfile.TemporaryFile().write(b'x')"
    )
    assert scratch.returncode == 0  # /tmp is a tmpfs: scratch space still works
