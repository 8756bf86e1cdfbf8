"""Export: platform instances back to definitions; export then render reproduces the body, secrets aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudevents_cli.definitions.export import env_name, render_yaml, to_definition
from cloudevents_cli.definitions.pipeline import build
from tests.seed_examples import seed_examples

DATA = Path(__file__).parent / "data"


def as_platform_returns(body: dict[str, Any], *, poller_as_text: bool = True) -> dict[str, Any]:
    """What the platform answers for a created body: values as strings, secrets masked."""
    config = {}
    for key, value in body.get("configuration", {}).items():
        if key in ("password", "event.notification.signature.key"):
            config[key] = "********"
        elif isinstance(value, bool):
            config[key] = str(value).lower()
        elif isinstance(value, dict):
            config[key] = json.dumps(value) if poller_as_text else value
        else:
            config[key] = str(value)
    return {
        "id": 7,
        "name": body["name"],
        "element": {"id": 1, "key": body["element"]["key"], "name": "X"},
        "tags": body.get("tags", []),
        "configuration": config,
        "token": "tok",
    }


def test_export_of_the_seed_polling_instance_round_trips(tmp_path: Path) -> None:
    body = build([str(DATA / "seed-polling.yaml")]).items[0].body
    assert body is not None
    definition, env_vars = to_definition(as_platform_returns(body))
    assert env_vars == ["INSTANCE_NAME_PASSWORD", "INSTANCE_NAME_SIGNATURE_KEY"]
    assert definition["events"]["refresh_interval"] == 15
    assert definition["events"]["resources"]["contacts"]["dates"]["updated_timezone"] == "GMT"
    text = render_yaml(definition, env_vars, origin="instance 7")
    assert "#   INSTANCE_NAME_PASSWORD" in text
    f = tmp_path / "exported.yaml"
    f.write_text(text)
    environ = {"INSTANCE_NAME_PASSWORD": "p" * 22, "INSTANCE_NAME_SIGNATURE_KEY": "x" * 25}
    again = build([str(f)], environ=environ)
    assert not again.errors, [p.one_line() for p in again.errors]
    rebuilt = again.items[0].body
    assert rebuilt is not None
    expected = seed_examples()[0]
    expected["configuration"]["event.poller.refresh_interval"] = 15
    expected["configuration"]["password"] = "p" * 22
    expected["configuration"]["event.notification.signature.key"] = "x" * 25
    expected["configuration"]["username"] = "xxxxxxxxxxxxxxxxxx"
    assert rebuilt == expected
    assert list(rebuilt["configuration"]) == list(expected["configuration"])


def test_export_keeps_unmodelled_poller_keys_under_configuration() -> None:
    instance = {
        "name": "n",
        "element": {"key": "box"},
        "configuration": {
            "event.notification.enabled": "true",
            "event.vendor.type": "polling",
            "event.poller.configuration": json.dumps({"files": {"url": "/files", "idField": "id", "custom": 1}}),
        },
    }
    definition, _ = to_definition(instance)
    assert definition["configuration"]["event.poller.configuration"] == {
        "files": {"url": "/files", "idField": "id", "custom": 1}
    }
    assert "enabled" not in definition["events"]  # true is the default


def test_literal_placeholders_are_escaped_so_they_are_not_interpolated(tmp_path: Path) -> None:
    instance = {"name": "n", "element": {"key": "box"}, "configuration": {"template": "${env:HOME}"}}
    definition, _ = to_definition(instance)
    f = tmp_path / "x.yaml"
    f.write_text(yaml.safe_dump(definition))
    body = build([str(f)], environ={"HOME": "/root"}).items[0].body
    assert body is not None and body["configuration"]["template"] == "${env:HOME}"


def test_env_names() -> None:
    assert env_name("acme-hubspot", "password") == "ACME_HUBSPOT_PASSWORD"
    assert env_name("acme", "oauth.api.secret") == "ACME_API_SECRET"
    assert env_name("9lives", "password") == "CE_9LIVES_PASSWORD"


def test_disabled_events_export_as_enabled_false() -> None:
    instance = {"name": "n", "element": {"key": "box"}, "configuration": {"event.notification.enabled": "false"}}
    definition, _ = to_definition(instance)
    assert definition["events"] == {"enabled": False}


# -- `cloudevents export` against a platform that answers secrets in clear ---------------------------------
CLEAR_PASSWORD = "clear-password-4711"
CLEAR_SIGNATURE = "clear-signature-key-0815"
CLEAR_NESTED = "clear-nested-api-key-42"


class FakePlatform:
    """A platform on a real loopback port that answers GET /instances and GET /instances/{id} from a list."""

    def __init__(self, instances: list[dict[str, Any]]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.instances = instances
        self.paths: list[str] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                platform.paths.append(self.path)
                path = self.path.split("?")[0].removeprefix("/elements/api-v2")
                if path == "/instances":
                    self._answer(200, platform.instances)
                    return
                found = [i for i in platform.instances if path == f"/instances/{i['id']}"]
                self._answer(200, found[0]) if found else self._answer(404, {"message": "no such instance"})

            def _answer(self, status: int, doc: Any) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        port = self.server.server_address[1]
        self.args = ["--base-url", f"http://127.0.0.1:{port}/elements/api-v2"]
        self.args += ["--user-secret", "fake-user-secret", "--org-secret", "fake-org-secret", "--timeout", "5"]

    def __enter__(self) -> FakePlatform:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def an_instance(id_: int, name: str, **configuration: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name,
        "element": {"id": 1, "key": "closeio", "name": "Close"},
        "tags": ["team-a"],
        "configuration": {"username": "bob", **configuration},
        "token": f"instance-token-{id_}",
    }


def with_clear_secrets() -> dict[str, Any]:
    poller = {"leads": {"url": "/hubs/crm/leads", "idField": "id", "apiKey": CLEAR_NESTED}}
    return an_instance(
        7,
        "acme-close",
        password=CLEAR_PASSWORD,
        **{
            "event.notification.enabled": "true",
            "event.vendor.type": "polling",
            "event.notification.callback.url": "https://hooks.example.com/in",
            "event.notification.signature.key": CLEAR_SIGNATURE,
            "event.poller.configuration": json.dumps(poller),
            "oauth.api.secret": "********",
        },
    )


CLEAR = (CLEAR_PASSWORD, CLEAR_SIGNATURE, CLEAR_NESTED, "instance-token-7")


def test_export_writes_no_secret_in_clear_and_files_are_0600(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    old = folder / "acme-close.yaml"
    old.write_text("old\n")
    old.chmod(0o644)
    with FakePlatform([with_clear_secrets()]) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(folder), "--force")
        assert res.exit_code == 0, res.output
        text = old.read_text()
        assert old.stat().st_mode & 0o777 == 0o600
        assert not any(secret in text + res.output for secret in CLEAR)
        definition = yaml.safe_load(text)
        assert definition["configuration"]["password"] == "${env:ACME_CLOSE_PASSWORD}"
        assert definition["events"]["signature_key"] == "${env:ACME_CLOSE_SIGNATURE_KEY}"
        nested = definition["configuration"]["event.poller.configuration"]["leads"]["apiKey"]
        assert nested == "${env:ACME_CLOSE_LEADS_APIKEY}"
        for var in (
            "ACME_CLOSE_PASSWORD",
            "ACME_CLOSE_SIGNATURE_KEY",
            "ACME_CLOSE_LEADS_APIKEY",
            "ACME_CLOSE_API_SECRET",
        ):
            assert f"#   {var}\n" in text
        assert definition["configuration"]["username"] == "bob"

        res = cli(*platform.args, "export", "acme-close")  # YAML on stdout
        assert res.exit_code == 0, res.output
        assert "name: acme-close" in res.stdout and "${env:ACME_CLOSE_PASSWORD}" in res.stdout
        assert not any(secret in res.output for secret in CLEAR)
        res = cli(*platform.args, "export", "acme-close", "-o", "json")  # the instances, masked
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["instances"][0]["name"] == "acme-close"
        assert not any(secret in res.output for secret in (CLEAR_PASSWORD, CLEAR_SIGNATURE, "instance-token-7"))


def test_exported_secrets_come_back_from_the_environment(cli: Any, tmp_path: Path) -> None:
    with FakePlatform([with_clear_secrets()]) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(tmp_path))
    assert res.exit_code == 0, res.output
    environ = {
        "ACME_CLOSE_PASSWORD": "p" * 20,
        "ACME_CLOSE_SIGNATURE_KEY": "s" * 24,
        "ACME_CLOSE_LEADS_APIKEY": "k" * 10,
        "ACME_CLOSE_API_SECRET": "o" * 10,
    }
    built = build([str(tmp_path / "acme-close.yaml")], environ=environ)
    assert not built.errors, [p.one_line() for p in built.errors]
    body = built.items[0].body
    assert body is not None
    assert body["configuration"]["password"] == "p" * 20
    assert body["configuration"]["event.notification.signature.key"] == "s" * 24
    assert body["configuration"]["event.poller.configuration"]["leads"]["apiKey"] == "k" * 10


def test_export_plants_no_interpolation_anywhere(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    planted = tmp_path / "planted.txt"
    planted.write_text("CONTENT-OF-THE-PLANTED-FILE\n")
    monkeypatch.setenv("PLANTED_VAR", "VALUE-OF-THE-PLANTED-VAR")
    file_ref, env_ref = f"${{file:{planted}}}", "${env:PLANTED_VAR}"
    poller = {"leads": {"url": "/leads", "idField": "id", "q": file_ref, file_ref: env_ref, "list": [env_ref]}}
    instance = an_instance(
        8,
        f"n-{env_ref}",
        template=f"a {file_ref} b {env_ref} c $${{env:X}} d ${{gmtDate:x}}",
        **{
            "event.vendor.type": "polling",
            "event.notification.callback.url": f"https://hooks.example.com/in?x={env_ref}",
            "event.poller.configuration": json.dumps(poller),
        },
    )
    instance["tags"] = [file_ref, env_ref]
    folder = tmp_path / "out"
    with FakePlatform([instance]) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(folder))
    assert res.exit_code == 0, res.output
    (exported,) = folder.iterdir()
    res = cli("render", str(exported), "-o", "json")
    assert res.exit_code == 0, res.output
    assert "CONTENT-OF-THE-PLANTED-FILE" not in res.output
    assert "VALUE-OF-THE-PLANTED-VAR" not in res.output
    body = json.loads(res.stdout)
    body = body.get("body", body) if isinstance(body, dict) else body[0]
    assert body["name"] == f"n-{env_ref}"
    assert body["tags"] == [file_ref, env_ref]
    assert body["configuration"]["template"] == f"a {file_ref} b {env_ref} c $${{env:X}} d ${{gmtDate:x}}"
    assert body["configuration"]["event.notification.callback.url"] == f"https://hooks.example.com/in?x={env_ref}"
    assert body["configuration"]["event.poller.configuration"] == poller


def test_colliding_names_get_a_file_each(cli: Any, tmp_path: Path) -> None:
    instances = [
        an_instance(1, "Acme CRM"),
        an_instance(2, "acme-crm"),
        an_instance(3, "acme/crm"),
        an_instance(4, "x"),
    ]
    folder = tmp_path / "out"
    with FakePlatform(instances) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(folder))
        assert res.exit_code == 0, res.output
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["Acme-CRM-1.yaml", "acme-crm-2.yaml", "acme-crm-3.yaml", "x.yaml"]
        assert {yaml.safe_load((folder / n).read_text())["name"] for n in names} == {
            "Acme CRM",
            "acme-crm",
            "acme/crm",
            "x",
        }
        (folder / "x.yaml").write_text("mine\n")
        res = cli(*platform.args, "export", "--all", "-d", str(folder))
        assert res.exit_code == 2
        assert "use --force" in res.stderr
        assert (folder / "x.yaml").read_text() == "mine\n"


def test_file_names_never_repeat_without_case() -> None:
    from cloudevents_cli.definitions.export import file_names

    instances = [{"id": 5, "name": "a"}, {"id": 6, "name": "A"}, {"id": 9, "name": "a-5"}, {"id": 10, "name": ""}]
    names = file_names(instances)
    assert names == ["a-5.yaml", "A-6.yaml", "a-5-2.yaml", "instance-10.yaml"]
    assert len({n.lower() for n in names}) == len(names)


# -- never through a symbolic link (export --force and init) -----------------------------------------------
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding a link `acme-close.yaml` to a file outside it."""
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "acme-close.yaml").symlink_to(outside)
    return folder, outside


def test_export_force_does_not_write_through_a_symlink(cli: Any, tmp_path: Path) -> None:
    folder, outside = linked(tmp_path)
    dangling = tmp_path / "dangling"
    dangling.mkdir()
    (dangling / "acme-close.yaml").symlink_to(tmp_path / "created-through-the-link")
    with FakePlatform([with_clear_secrets()]) as platform:
        for args in (["-d", str(folder), "--force"], ["-d", str(dangling)]):
            res = cli(*platform.args, "export", "--all", *args)
            assert res.exit_code == 2, res.output
            assert "is a symbolic link" in res.stderr
    assert outside.read_text() == "precious\n"
    assert (folder / "acme-close.yaml").is_symlink()
    assert not (tmp_path / "created-through-the-link").exists()


def test_export_into_a_linked_folder_writes_in_the_folder_it_points_to(cli: Any, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with FakePlatform([with_clear_secrets()]) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(tmp_path / "link"))
    assert res.exit_code == 0, res.output
    assert [p.name for p in real.iterdir()] == ["acme-close.yaml"]
    assert (tmp_path / "link").is_symlink()


def test_init_does_not_write_through_a_symlink(cli: Any, tmp_path: Path) -> None:
    folder, outside = linked(tmp_path)
    for args in ([], ["--force"]):
        res = cli("init", str(folder / "acme-close.yaml"), *args)
        assert res.exit_code == 2, res.output
        assert "is a symbolic link" in res.stderr
    assert outside.read_text() == "precious\n"
    (folder / "dangling.yaml").symlink_to(tmp_path / "created-through-the-link")
    assert cli("init", str(folder / "dangling.yaml")).exit_code == 2
    assert not (tmp_path / "created-through-the-link").exists()
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    res = cli("init", str(tmp_path / "link" / "new.yaml"))
    assert res.exit_code == 0, res.output
    assert "name: my-instance" in (real / "new.yaml").read_text()
    res = cli("init", str(real / "new.yaml"))
    assert res.exit_code == 2 and "use --force" in res.stderr


def as_stored(value: Any) -> Any:
    """A rendered body value as the platform stores it: strings; the poller configuration as a mapping."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: as_stored(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("enabled", "interval", "page_size"),
    [("true", "15", "100"), ("TRUE", "015", "0100"), ("false", " 15", "1e2"), ("True", "15", "100")],
)
def test_export_then_render_gives_the_stored_strings(
    cli: Any, tmp_path: Path, enabled: str, interval: str, page_size: str
) -> None:
    poller = {"leads": {"url": "/leads", "idField": "id", "pageSize": page_size}}
    stored = {
        "username": "bob",
        "version": "1.10",
        "account": "000123",
        "event.notification.enabled": enabled,
        "event.vendor.type": "polling",
        "event.notification.callback.url": "https://hooks.example.com/in",
        "event.poller.refresh_interval": interval,
        "event.poller.configuration": json.dumps(poller),
    }
    instance = an_instance(9, "exact", **stored)
    with FakePlatform([instance]) as platform:
        res = cli(*platform.args, "export", "--all", "-d", str(tmp_path))
    assert res.exit_code == 0, res.output
    res = cli("render", str(tmp_path / "exact.yaml"), "-o", "json")
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    configuration = body.get("body", body)["configuration"]
    expected = {**stored, "event.poller.configuration": poller}
    assert as_stored(configuration) == expected
