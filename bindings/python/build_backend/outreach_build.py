"""The package's build backend (PEP 517), in-tree and standard library only, so that
``pip install ./bindings/python`` works offline with nothing to download.

It builds a wheel that carries ``liboutreach_c.so.0`` in ``outreach/_lib/``, tagged for the
platform it was built on (``py3-none-linux_x86_64``). The library is, in this order:

1. the file given by ``pip install --config-settings library=PATH``;
2. one already in ``outreach/_lib/`` of the project folder;
3. built from the source tree the project sits in (``bindings/python`` of an outreach checkout):
   in the build folder given by ``--config-settings build-dir=DIR``, else in ``build/`` when that folder is
   already configured (the README's build), else in ``build-python/``, configured here for the
   C library alone. Only the ``outreach_c`` target is built; an up-to-date one costs nothing.

The package's version (``pyproject.toml``), the binding's ``__version__`` and the library's
project version must agree; a wheel is never built from parts that do not.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACKAGE = "outreach"
LIBRARY_NAME = "liboutreach_c.so.0"

ConfigSettings = Optional[Mapping[str, object]]


class BuildError(RuntimeError):
    """The wheel cannot be built: the message says why and what to do."""


# ---- the project -----------------------------------------------------------------------------


def project_table() -> dict:
    try:
        import tomllib
    except ImportError:
        raise BuildError("building the package needs Python 3.11 or later (for tomllib); it runs on 3.9") from None
    with open(PROJECT_DIR / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def package_version() -> str:
    return str(project_table()["version"])


def binding_version() -> str:
    text = (PROJECT_DIR / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not found:
        raise BuildError(f"{PROJECT_DIR / PACKAGE / '__init__.py'} has no __version__")
    return found.group(1)


def source_tree() -> Optional[Path]:
    """The outreach checkout the project is part of, if it is."""
    root = PROJECT_DIR.parent.parent
    cmake_lists = root / "CMakeLists.txt"
    if cmake_lists.is_file() and re.search(r"project\(\s*outreach\b", cmake_lists.read_text(encoding="utf-8")):
        return root
    return None


def library_project_version(root: Path) -> str:
    found = re.search(r"project\(\s*outreach\s+VERSION\s+([0-9.]+)", (root / "CMakeLists.txt").read_text(encoding="utf-8"))
    if not found:
        raise BuildError(f"{root / 'CMakeLists.txt'} names no project version")
    return found.group(1)


def check_versions() -> str:
    version = package_version()
    if binding_version() != version:
        raise BuildError(
            f"pyproject.toml says {version} but outreach/__init__.py's __version__ is {binding_version()}: make them agree"
        )
    root = source_tree()
    if root is not None and library_project_version(root) != version:
        raise BuildError(
            f"pyproject.toml says {version} but the library ({root / 'CMakeLists.txt'}) is "
            f"{library_project_version(root)}: make them agree"
        )
    return version


# ---- the library -----------------------------------------------------------------------------


def setting(config_settings: ConfigSettings, name: str) -> Optional[str]:
    if not config_settings or name not in config_settings:
        return None
    value = config_settings[name]
    if isinstance(value, list):  # given twice: the last one counts
        value = value[-1]
    return str(value)


def run(command: List[str]) -> None:
    print("outreach build:", " ".join(command), flush=True)
    try:
        subprocess.run(command, check=True)
    except FileNotFoundError as error:
        raise BuildError(f"cannot run {command[0]}: {error} (install cmake, or give --config-settings library=PATH)") from None
    except subprocess.CalledProcessError as error:
        raise BuildError(f"{' '.join(command)} failed with status {error.returncode}") from None


def build_library(root: Path, build_dir: Optional[str]) -> Path:
    """Builds the outreach_c target and returns the library file it made."""
    if build_dir is not None:
        folder = Path(build_dir).resolve()
    elif (root / "build" / "CMakeCache.txt").is_file():
        folder = root / "build"
    else:
        folder = root / "build-python"
    if not (folder / "CMakeCache.txt").is_file():
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        run(["cmake", "-S", str(root), "-B", str(folder), *generator, "-DCMAKE_BUILD_TYPE=Release",
             "-DOUTREACH_BUILD_TESTS=OFF", "-DOUTREACH_BUILD_BENCHMARKS=OFF", "-DOUTREACH_BUILD_CLI=OFF"])
    run(["cmake", "--build", str(folder), "--target", "outreach_c"])
    library = folder / "capi" / LIBRARY_NAME
    if not library.is_file():
        raise BuildError(f"the build in {folder} made no {library}")
    return library


def find_library(config_settings: ConfigSettings) -> Path:
    given = setting(config_settings, "library")
    if given is not None:
        library = Path(given).resolve()
        if not library.is_file():
            raise BuildError(f"library={given}: no such file")
        return library
    bundled = PROJECT_DIR / PACKAGE / "_lib" / LIBRARY_NAME
    if bundled.is_file():
        return bundled
    root = source_tree()
    if root is None:
        raise BuildError(
            f"no {LIBRARY_NAME} to put in the wheel: this folder is not inside an outreach source tree; "
            f"give one with pip install --config-settings library=PATH, or copy it into {PACKAGE}/_lib/"
        )
    return build_library(root, setting(config_settings, "build-dir"))


# ---- the wheel -------------------------------------------------------------------------------


def platform_tag() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())


def metadata(version: str) -> str:
    project = project_table()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        f"License: {project['license']['text']}",
        f"Author: {project['authors'][0]['name']}",
        f"Keywords: {','.join(project.get('keywords', []))}",
    ]
    lines += [f"Classifier: {classifier}" for classifier in project.get("classifiers", [])]
    lines += [f"Project-URL: {name}, {url}" for name, url in project.get("urls", {}).items()]
    return "\n".join(lines) + "\n"


def wheel_file(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: outreach_build\nRoot-Is-Purelib: false\nTag: {tag}\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def package_files() -> List[Tuple[str, Path]]:
    """The package's own files: its modules and py.typed (nothing in _lib/, which is added apart)."""
    files = []
    for path in sorted((PROJECT_DIR / PACKAGE).iterdir()):
        if path.is_file() and (path.suffix == ".py" or path.name == "py.typed"):
            files.append((f"{PACKAGE}/{path.name}", path))
    return files


def write_wheel(wheel_directory: str, version: str, library: Path) -> str:
    tag = f"py3-none-{platform_tag()}"
    name = f"{PACKAGE}-{version}-{tag}.whl"
    dist_info = f"{PACKAGE}-{version}.dist-info"
    entries: List[Tuple[str, bytes, int]] = []
    for arcname, path in package_files():
        entries.append((arcname, path.read_bytes(), 0o644))
    entries.append((f"{PACKAGE}/_lib/{LIBRARY_NAME}", library.read_bytes(), 0o755))
    entries.append((f"{dist_info}/METADATA", metadata(version).encode("utf-8"), 0o644))
    entries.append((f"{dist_info}/WHEEL", wheel_file(tag).encode("utf-8"), 0o644))
    license_file = PROJECT_DIR.parent.parent / "LICENSE"
    if license_file.is_file():
        entries.append((f"{dist_info}/LICENSE", license_file.read_bytes(), 0o644))
    record = "\n".join(record_line(arcname, data) for arcname, data, _ in entries)
    record += f"\n{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode("utf-8"), 0o644))

    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for arcname, data, mode in entries:
            info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return name


# ---- the hooks -------------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> List[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: ConfigSettings = None,
                metadata_directory: Optional[str] = None) -> str:
    version = check_versions()
    return write_wheel(wheel_directory, version, find_library(config_settings))


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    """The binding's own sources (the package, this backend, pyproject.toml). A wheel built from
    it needs the library given with ``--config-settings library=PATH``: the C++ sources are not in it."""
    version = check_versions()
    base = f"{PACKAGE}-{version}"
    name = f"{base}.tar.gz"
    files: Dict[str, Path] = {"pyproject.toml": PROJECT_DIR / "pyproject.toml",
                              "build_backend/outreach_build.py": Path(__file__).resolve()}
    files.update(package_files())
    os.makedirs(sdist_directory, exist_ok=True)
    with tarfile.open(Path(sdist_directory) / name, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        pkg_info = metadata(version).encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        info.mtime = 1577836800
        archive.addfile(info, io.BytesIO(pkg_info))
        for arcname, path in sorted(files.items()):
            archive.add(path, arcname=f"{base}/{arcname}", recursive=False)
    return name
