"""``make test-py314``: the handler tests again, on Python 3.14, the interpreter of the handler's Lambda runtime.

The build machine's Python is 3.11; the handlers run on Lambda's python3.14, where an
import error would leave a stack waiting for its ServiceTimeout. This runs
``tests/lambda`` (every handler test: the engine, the adapter, each kind, through the
real crhelper and the bundled handler) on Debian's python3.14:

1. a Debian forky root with ``python3.14`` from the Debian archive this machine's apt
   uses (``debootstrap --variant=minbase``; bookworm's debootstrap builds forky with
   its sid script), built once into ``.py314/root-<stamp>/``;
2. the handler tests' packages (pytest, boto3, crhelper, trustme; hypothesis when the
   dev requirements pin it) as cp314/py3 wheels from PyPI, at the versions
   requirements*.txt pin, their dependencies at the versions of ``.venv`` (``pip
   freeze``), installed by the host's pip (``--target --python-version 3.14
   --only-binary=:all:``) into ``.py314/site-<stamp>/`` and checked there by 3.14;
3. pytest under that root's python3.14: in a private mount namespace (``unshare
   --mount``) that bind-mounts the repository at /src and the packages at /opt/site,
   then ``chroot``; the mounts end with the run, so a killed run leaves none behind.

Each stamp is a hash of what the folder is built from (suite, packages, mirror,
architecture; pins and constraints), so a second run reuses both and a change
rebuilds only what it changes. Needs root (chroot, mount), as CI runs.

Modules that need aws_cdk (jsii, node) mark themselves ``needs_cdk`` and are left
out of this run by name (``scripts/py314_plugin.py``); the run fails as pytest does.

    python -m scripts.py314              # tests/lambda on 3.14
    python -m scripts.py314 -x -k rename # extra pytest options
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".py314"
SUITE = "forky"
PYTHON = "python3.14"
PYTHON_VERSION = "3.14"
INCLUDE = (PYTHON,)
TESTS = ("tests/lambda",)
# What the handler tests import beyond the standard library (and what those import).
PACKAGES = ("pytest", "boto3", "crhelper", "trustme")
OPTIONAL_PACKAGES = ("hypothesis",)  # installed when requirements-dev.txt pins them
REQUIREMENTS = (REPO / "requirements.txt", REPO / "requirements-dev.txt")
# Bump to rebuild the roots (RECIPE) or the package folders (SITE_RECIPE) when their recipe changes.
RECIPE = "2"
SITE_RECIPE = "2"


def log(message: str) -> None:
    print(f"py314: {message}", flush=True)


def fail(message: str) -> int:
    print(f"py314: FAILED: {message}", file=sys.stderr, flush=True)
    return 1


def stamp(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


# --- what the root is built from -------------------------------------------------------------
def apt_mirror() -> str:
    """The Debian archive this machine's apt uses for its own suite (PY314_MIRROR overrides)."""
    if os.environ.get("PY314_MIRROR"):
        return os.environ["PY314_MIRROR"]
    codename = ""
    with contextlib.suppress(OSError):
        match = re.search(r"^VERSION_CODENAME=(\S+)", Path("/etc/os-release").read_text(), re.MULTILINE)
        codename = match.group(1) if match else ""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        if not source.is_file():
            continue
        text = source.read_text()
        if source.suffix == ".sources":  # deb822: stanzas of URIs / Suites
            for stanza in re.split(r"\n\s*\n", text):
                uris = re.findall(r"^URIs:\s*(.+)$", stanza, re.MULTILINE)
                suites = re.findall(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
                if uris and suites and codename in suites[0].split():
                    return str(uris[0].split()[0]).rstrip("/")
        else:  # one-line form: deb [options] URI suite components
            for line in text.splitlines():
                fields = re.sub(r"\[[^]]*\]", "", line.split("#")[0]).split()
                if len(fields) >= 3 and fields[0] == "deb" and fields[2] == codename:
                    return fields[1].rstrip("/")
    raise RuntimeError(f"no Debian archive for {codename or 'this system'} in /etc/apt/sources.list*; set PY314_MIRROR")


def pins() -> list[str]:
    """``name==version`` of each package the run installs, as requirements*.txt pin it."""
    found: dict[str, str] = {}
    for path in REQUIREMENTS:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z0-9._-]+)(\[[^]]*\])?\s*==\s*([^\s;#]+)", line)
            if match:
                found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = f"{match.group(1)}=={match.group(3)}"
    missing = [name for name in PACKAGES if name not in found]
    if missing:
        raise RuntimeError(f"requirements*.txt pin no version of {', '.join(missing)}")
    return [found[name] for name in (*PACKAGES, *OPTIONAL_PACKAGES) if name in found]


def constraints() -> list[str]:
    """The versions .venv resolved, so that the dependencies match the 3.11 run's."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted(line for line in out.splitlines() if "==" in line and not line.startswith("-"))


# --- building -----------------------------------------------------------------------------------
@contextlib.contextmanager
def locked(exclusive: bool) -> Iterator[None]:
    CACHE.mkdir(exist_ok=True)
    with (CACHE / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield


def mounted_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    return [m.split()[1] for m in mounts if m.split()[1] == prefix or m.split()[1].startswith(prefix + "/")]


def remove(path: Path) -> None:
    """Remove a cached folder; never one with something mounted in it."""
    if mounted_under(path):
        raise RuntimeError(f"not removing {path}: {', '.join(mounted_under(path))} mounted in it")
    shutil.rmtree(path)


def debootstrap() -> str:
    found = shutil.which("debootstrap") or shutil.which("/usr/sbin/debootstrap")
    if found:
        return found
    log("installing debootstrap (apt-get)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("debootstrap") or "/usr/sbin/debootstrap"


def build_root(root: Path, mirror: str, recipe: str) -> None:
    tool = debootstrap()
    scripts = Path("/usr/share/debootstrap/scripts")
    script = scripts / SUITE if (scripts / SUITE).exists() else scripts / "sid"
    work = Path(tempfile.mkdtemp(prefix="tmp-root-", dir=CACHE))
    log(f"building the Debian {SUITE} root with {PYTHON} (debootstrap, once per stamp) in {root.name}")
    started = time.monotonic()
    debootstrap_log = CACHE / "debootstrap.log"
    with debootstrap_log.open("w") as out:
        # In its own mount namespace: whatever it mounts in the root goes with it.
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", tool, "--variant=minbase"]
            + [f"--include={','.join(INCLUDE)}", SUITE, str(work / "root"), mirror, str(script)],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0 or not (work / "root" / "usr" / "bin" / PYTHON).exists():
        print(debootstrap_log.read_text()[-4000:], file=sys.stderr)
        remove(work)
        raise RuntimeError(f"debootstrap failed (exit {done.returncode}); its log: {debootstrap_log}")
    for folder in ("src", "opt/site"):
        (work / "root" / folder).mkdir(parents=True, exist_ok=True)
    # No device nodes in the repository's tree (a copy of dev/full or dev/zero never ends): each
    # run bind-mounts the host's /dev there instead.
    for entry in (work / "root" / "dev").iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (work / "root" / ".stamp").write_text(recipe + "\n")
    (work / "root").rename(root)
    remove(work)
    log(f"root built in {time.monotonic() - started:.0f} s")


def glibc_minor(root: Path) -> int:
    status = (root / "var/lib/dpkg/status").read_text()
    match = re.search(r"^Package: libc6\n(?:.+\n)*?Version: 2\.(\d+)", status, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no libc6 in {root}'s dpkg status")
    return int(match.group(1))


def wheel_platforms(root: Path) -> list[str]:
    """Every manylinux tag the root's glibc runs (pip does not expand ``--platform``)."""
    arch = platform.machine()
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor(root), 4, -1)]
    return tags + [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


def pip_target_args(root: Path) -> list[str]:
    abi = "cp" + PYTHON_VERSION.replace(".", "")
    args = ["--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", abi, "--abi", "abi3"]
    args += ["--abi", "none", "--only-binary=:all:"]
    for tag in wheel_platforms(root):
        args += ["--platform", tag]
    return args


# pip evaluates environment markers on the host's interpreter: check, on 3.14, that every
# requirement of every installed distribution whose marker holds there is installed.
CHECK_SITE = """
import importlib.metadata as md, sys
from packaging.requirements import Requirement
key = lambda name: name.lower().replace("_", "-").replace(".", "-")
names = {key(dist.metadata["Name"]): dist for dist in md.distributions(path=[sys.argv[1]])}
problems = []
for name, dist in names.items():
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        got = names.get(key(req.name))
        if got is None or (req.specifier and got.version not in req.specifier):
            problems.append(f"{name} needs {text}, has {got.version if got else 'none'}")
print("\\n".join(problems) or "ok")
sys.exit(1 if problems else 0)
"""


def build_site(site: Path, root: Path, wanted: list[str], pinned: list[str]) -> None:
    log(f"installing {', '.join(wanted)} for {PYTHON_VERSION} (pip --target) in {site.name}")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tmp-site-", dir=CACHE))
    (work / "constraints.txt").write_text("\n".join(pinned) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile", "--quiet"]
        + ["--target", str(work / "site"), "-c", str(work / "constraints.txt"), *pip_target_args(root), *wanted],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        remove(work)
        raise RuntimeError(f"pip could not install {' '.join(wanted)} as cp314 wheels (exit {done.returncode})")
    check = in_root(root, work / "site", [PYTHON, "-c", CHECK_SITE, "/opt/site"], capture=True)
    if check.returncode != 0:
        print(check.stdout + check.stderr, file=sys.stderr)
        remove(work)
        raise RuntimeError(f"the packages installed for {PYTHON_VERSION} miss requirements")
    # Compiled once by 3.14 itself (pip --target compiles with the host's 3.11, so --no-compile):
    # the runs write no bytecode (PYTHONDONTWRITEBYTECODE) and would compile botocore every time.
    compiled = in_root(root, work / "site", [PYTHON, "-m", "compileall", "-q", "-j0", "/opt/site"], capture=True)
    if compiled.returncode != 0:
        print(compiled.stdout + compiled.stderr, file=sys.stderr)
        remove(work)
        raise RuntimeError(f"{PYTHON} could not compile the installed packages")
    (work / "site").rename(site)
    remove(work)
    log(f"packages installed in {time.monotonic() - started:.0f} s")


def prune(keep: set[Path]) -> None:
    """Remove roots, package folders and half-built folders of other stamps."""
    for path in CACHE.iterdir():
        if path.is_dir() and path not in keep:
            log(f"removing {path.name} (another stamp)")
            remove(path)


# --- running --------------------------------------------------------------------------------
# Inside a private mount namespace: /proc and /dev for the interpreter, the repository at
# /src, the packages at /opt/site; then chroot with a clean environment.
ENTER = """set -e
mount -t proc proc "$ROOT/proc"
mount --rbind /dev "$ROOT/dev"
mount --bind "$REPO" "$ROOT/src"
mount --bind "$SITE" "$ROOT/opt/site"
exec chroot "$ROOT" /usr/bin/env -i -C /src PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 TZ=UTC \
  PYTHONPATH=/opt/site:/src PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 "$@"
"""


def in_root(root: Path, site: Path, command: list[str], capture: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROOT": str(root), "REPO": str(REPO), "SITE": str(site)}
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "--", "/bin/bash", "-c", ENTER, "enter", *command],
        env=env,
        capture_output=capture,
        text=True,
        check=False,
    )


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        return fail("needs root (debootstrap, mount, chroot), as CI runs; run make test-py314 as root")
    started = time.monotonic()
    try:
        mirror = apt_mirror()
        arch = platform.machine()
        recipe = "\n".join([f"recipe {RECIPE}", f"suite {SUITE}", f"include {','.join(INCLUDE)}"])
        recipe += f"\nmirror {mirror}\narch {arch}"
        root = CACHE / f"root-{stamp(recipe)}"
        wanted, pinned = pins(), constraints()
        site = CACHE / f"site-{stamp(SITE_RECIPE, root.name, PYTHON_VERSION, *wanted, *pinned)}"
        with locked(exclusive=True):
            if not (root / ".stamp").exists():
                build_root(root, mirror, recipe)
            else:
                log(f"reusing {root.name} (same stamp)")
            if not site.exists():
                build_site(site, root, wanted, pinned)
            else:
                log(f"reusing {site.name} (same stamp)")
            prune({root, site})
        with locked(exclusive=False):
            args = [PYTHON, "-m", "pytest", "-q", "-p", "scripts.py314_plugin", "-m", "not needs_cdk", *TESTS, *argv]
            log(f"{' '.join(args)} (in {root.name})")
            code = in_root(root, site, args).returncode
        outcome = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        log(f"{outcome}; this step took {time.monotonic() - started:.0f} s")
        return code
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        return fail(str(error))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
