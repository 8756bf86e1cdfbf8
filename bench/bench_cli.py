"""CLI benchmarks (make bench): start-up against `import typer`, validate against a bare CSafeLoader load.

(a) start-up: `cloudevents --version` and `cloudevents --help` (the installed console script) against
    `python -c "import typer"` with the same interpreter, interleaved round by round; median and ratio
    (target <= 1.15x). Then which heavy modules `--help` imports, and the import chain that pulls each in.
(b) `cloudevents validate` of 1,000 generated polling definitions (two resources each, one file each) against
    `yaml.load(..., Loader=yaml.CSafeLoader)` of the same files in a fresh Python process (both include the
    interpreter start); median of several runs and ratio (target <= 2x).

Every command runs with its bytecode cached, as an installed package has it (pip compiles it at install): the
warm-up runs fill a cache (PYTHONPYCACHEPREFIX, a temporary folder) that every later run of either side reads.
Without it, PYTHONDONTWRITEBYTECODE in the environment would have the project's modules compiled from source on
every run while the baseline's come compiled from site-packages.

Prints a compact report. Exit 0 on a MISS; non-zero only when a measured command fails.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PYTHON = sys.executable
CLOUDEVENTS = str(Path(sys.executable).parent / "cloudevents")
ROOT = Path(__file__).resolve().parent.parent

STARTUP_ROUNDS = 20
STARTUP_TARGET = 1.15
VALIDATE_FILES = 1000
VALIDATE_RUNS = 5
VALIDATE_TARGET = 2.0
# Modules that --help has no use for: their import time is pure start-up cost.
HEAVY = ("httpx", "httpcore", "pydantic", "pydantic_core", "starlette", "uvicorn", "anyio", "yaml", "rich",
         "asyncio", "ssl", "socket", "email", "http.client", "logging", "concurrent.futures")
SIGNATURE_KEY = "bench-signature-key-0123456789abcdef"


class CommandFailed(Exception):
    pass


def run(cmd: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one run, in seconds; raises CommandFailed on a non-zero exit."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise CommandFailed(f"{' '.join(cmd[:4])}{' ...' if len(cmd) > 4 else ''} exited {proc.returncode}: "
                            + " | ".join(tail))
    return elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "MISS"


def clean_env(pycache: str) -> dict[str, str]:
    """The environment of every measured run: no CE_ settings, no colour, bytecode cached in PYCACHE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"NO_COLOR": "1", "COLUMNS": "120", "CE_SIGNATURE_KEY": SIGNATURE_KEY, "PYTHONPYCACHEPREFIX": pycache})
    return env


# -- (a) start-up -------------------------------------------------------------------------------------------


def bench_startup(env: dict[str, str]) -> list[tuple[str, float, float, str]]:
    commands = {
        "import typer": [PYTHON, "-c", "import typer"],
        "import cloudevents_cli.cli": [PYTHON, "-c", "import cloudevents_cli.cli"],
        "build command tree": [PYTHON, "-c", "import typer.main; from cloudevents_cli.cli import app; "
                               "typer.main.get_command(app)"],
        "cloudevents --version": [CLOUDEVENTS, "--version"],
        "cloudevents --help": [CLOUDEVENTS, "--help"],
    }
    for cmd in commands.values():  # warm the OS caches and .pyc files; also fails fast
        run(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(STARTUP_ROUNDS):
        for name, cmd in commands.items():  # interleaved: drift hits all of them alike
            times[name].append(run(cmd, env))
    base = statistics.median(times["import typer"])
    print(f"(a) start-up, {STARTUP_ROUNDS} interleaved rounds, median wall time (interpreter start included)")
    label = 'python -c "import typer"'
    print(f"    {label:<40}{ms(base)}   baseline")
    imports = statistics.median(times["import cloudevents_cli.cli"])
    label = "python -c \"import cloudevents_cli.cli\""
    print(f"    {label:<40}{ms(imports)}   {imports / base:4.2f}x  (split: imports only)")
    tree = statistics.median(times["build command tree"])
    label = "  + typer.main.get_command(app)"
    print(f"    {label:<40}{ms(tree)}   {tree / base:4.2f}x  (split: imports + Typer building the command tree)")
    rows = []
    for name in ("cloudevents --version", "cloudevents --help"):
        med = statistics.median(times[name])
        ratio = med / base
        mark = verdict(ratio, STARTUP_TARGET)
        rows.append((name, med, ratio, mark))
        print(f"    {name:<40}{ms(med)}   {ratio:4.2f}x  (target <= {STARTUP_TARGET}x)  {mark}")
    return rows


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def import_tree(env: dict[str, str], code: str) -> list[tuple[int, int, int, str]]:
    """`python -X importtime -c CODE` as (depth, self us, cumulative us, module), in print order."""
    proc = subprocess.run([PYTHON, "-X", "importtime", "-c", code], capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise CommandFailed(f"python -X importtime -c {code[:40]!r}... exited {proc.returncode}")
    rows = []
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            rows.append((len(m.group(3)) // 2, int(m.group(1)), int(m.group(2)), m.group(4)))
    return rows


HELP_CODE = ("import sys; sys.argv=['cloudevents','--help']\n"
             "from cloudevents_cli.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n")


def chain(rows: list[tuple[int, int, int, str]], index: int) -> list[str]:
    """Importers of rows[index], outermost first: importtime prints children before their parent."""
    depth = rows[index][0]
    out = [rows[index][3]]
    for d, _, _, name in rows[index + 1:]:
        if d < depth:
            out.append(name)
            depth = d
            if d == 0:
                break
    return out[::-1]


def import_site(importer: str, imported: str) -> str | None:
    """'path:line: statement' where a project module imports IMPORTED (or its top package), if found."""
    if not importer.startswith("cloudevents_cli"):
        return None
    base = ROOT / Path(*importer.split("."))
    source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    if not source.is_file():
        return None
    parts = imported.split(".")
    names = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    pattern = re.compile(r"^\s*(?:import\s+([\w.]+)|from\s+([\w.]+)\s+import\b)")
    lines = source.read_text(encoding="utf-8").splitlines()
    for number, text in enumerate(lines, 1):
        m = pattern.match(text)
        if m and (m.group(1) or m.group(2)) in names:
            return f"{source.relative_to(ROOT)}:{number}: {text.strip()}"
    return None


def report_imports(env: dict[str, str]) -> None:
    rows = import_tree(env, HELP_CODE)
    baseline = {r[3] for r in import_tree(env, "import typer")}
    extra = [r for r in rows if r[3] not in baseline]
    extra_self = sum(r[1] for r in extra)
    print(f"    --help imports {len(rows)} modules; {len(extra)} beyond `import typer`, "
          f"{extra_self / 1000:.1f} ms of their own import time (one -X importtime run: noisy)")
    top = sorted(extra, key=lambda r: r[1], reverse=True)[:8]
    print("    largest of those (self time): " + ", ".join(f"{r[3]} {r[1] / 1000:.1f}" for r in top))
    heavy = [(i, r) for i, r in enumerate(rows) if r[3] in HEAVY]
    if not heavy:
        print("    finding: --help imports none of " + ", ".join(HEAVY))
        return
    print("    finding: --help imports " + ", ".join(f"{r[3]} ({r[2] / 1000:.1f} ms cum.)" for _, r in heavy))
    # Group by the project import that pulls them in: that line is the one to change.
    sites: dict[str, list[str]] = {}
    for i, (_, _, _, module) in heavy:
        path = chain(rows, i)
        project = [j for j, name in enumerate(path) if name.startswith("cloudevents_cli")]
        if project and project[-1] + 1 < len(path):
            j = project[-1]
            site = import_site(path[j], path[j + 1]) or f"{path[j]} (import of {path[j + 1]})"
        else:
            site = " -> ".join(path) + " (not through a project module)"
        sites.setdefault(site, []).append(f"{module} via {' -> '.join(path)}")
    for site, modules in sites.items():
        print(f"      pulled in at {site}")
        for text in modules:
            print(f"        {text}")


# -- (b) validate 1,000 definitions -------------------------------------------------------------------------

DEFINITION = """\
# generated for bench_cli: a polling instance with two resources
name: bench-{n:04d}
element: {element}
tags: [bench, team-{team}]
configuration:
  username: user{n:04d}@example.com
  password: ${{env:CE_SIGNATURE_KEY}}
events:
  type: polling
  callback_url: https://hooks.example.com/cloud-elements/{n:04d}
  signature_key: ${{env:CE_SIGNATURE_KEY}}
  refresh_interval: {interval}
  resources:
    contacts:
      url: "/hubs/crm/contacts?where=lastUpdated>'${{gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}}'"
      id_field: id
      dates:
        updated_field: _info.lastUpdated
        updated_format: "yyyy-MM-dd'T'HH:mm:ss'Z'"
        updated_timezone: GMT
        created_field: _info.created
        created_format: milliseconds
        created_timezone: America/Denver
      page_size: 200
    companies:
      url: "/hubs/crm/companies?where=hs_lastmodifieddate>${{epoch:ms}}"
      id_field: companyId
      dates:
        updated_field: properties.hs_lastmodifieddate
        updated_format: milliseconds
        updated_timezone: UTC
        created_field: properties.createdate
        created_format: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
        created_timezone: GMT-08:00
      poll_delay: 0
"""

BARE_LOAD = """\
import sys
from pathlib import Path
import yaml
for f in sorted(Path(sys.argv[1]).glob("*.yaml")):
    with open(f, encoding="utf-8") as fh:
        yaml.load(fh, Loader=yaml.CSafeLoader)
"""


def generate(folder: Path) -> None:
    elements = ("hubspotcrm", "sfdc", "zendesk")
    for n in range(VALIDATE_FILES):
        text = DEFINITION.format(n=n, element=elements[n % 3], team=n % 7, interval=1 + n % 30)
        (folder / f"def-{n:04d}.yaml").write_text(text, encoding="utf-8")


def bench_validate(env: dict[str, str]) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        folder, one = Path(tmp) / "defs", Path(tmp) / "one"
        folder.mkdir()
        one.mkdir()
        generate(folder)
        (one / "def.yaml").write_text((folder / "def-0000.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        commands = {
            "bare": [PYTHON, "-c", BARE_LOAD, str(folder)],
            "validate (1 file)": [CLOUDEVENTS, "validate", "--strict", "-o", "json", str(one)],
            "validate": [CLOUDEVENTS, "validate", "--strict", str(folder)],
            "validate -o json": [CLOUDEVENTS, "validate", "--strict", "-o", "json", str(folder)],
        }
        for cmd in commands.values():  # warm-up; also checks that the generated files are valid
            run(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(VALIDATE_RUNS):
            for name, cmd in commands.items():
                times[name].append(run(cmd, env))
    base = statistics.median(times["bare"])
    print(f"(b) validate {VALIDATE_FILES:,} polling definitions (2 resources, 1 file each), "
          f"median of {VALIDATE_RUNS} interleaved runs, fresh process each")
    print(f"    {'python: yaml.load(CSafeLoader)':<40}{ms(base)}   baseline")
    result = (0.0, 0.0, "")
    for name in ("validate", "validate -o json"):
        med = statistics.median(times[name])
        ratio = med / base
        mark = verdict(ratio, VALIDATE_TARGET)
        print(f"    {'cloudevents ' + name + ' --strict':<40}{ms(med)}   {ratio:4.2f}x  "
              f"(target <= {VALIDATE_TARGET}x)  {mark}")
        if name == "validate":
            result = (med, ratio, mark)
    single = statistics.median(times["validate (1 file)"])
    per_def = (statistics.median(times["validate -o json"]) - single) / (VALIDATE_FILES - 1)
    print(f"    {'cloudevents validate -o json, 1 file':<40}{ms(single)}   fixed cost; then "
          f"{per_def * 1e6:.0f} us per definition (json); the table adds "
          f"{(statistics.median(times['validate']) - statistics.median(times['validate -o json'])) * 1000:.0f} ms")
    return result


def main() -> int:
    if not Path(CLOUDEVENTS).exists():
        print(f"bench_cli: no console script at {CLOUDEVENTS} (pip install -e . first)", file=sys.stderr)
        return 2
    print(f"bench_cli: {CLOUDEVENTS} | {PYTHON} (Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        env = clean_env(pycache)
        try:
            startup = bench_startup(env)
            report_imports(env)
            validate = bench_validate(env)
        except CommandFailed as err:
            print(f"bench_cli: FAILED: {err}", file=sys.stderr)
            return 1
    print("summary: " + ", ".join(f"{name} {ratio:.2f}x {mark}" for name, _, ratio, mark in startup)
          + f", validate x{VALIDATE_FILES} {validate[1]:.2f}x {validate[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
