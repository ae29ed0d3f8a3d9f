#!/usr/bin/env python3
"""Checks every include of the library, the command line and the C interface against the module
map, and the Python binding's use of the library.

The map is the build's own: modules.json, written by CMake from each folder's outreach_module()
declaration (cmake/OutreachModules.cmake). A file may include

- the headers of its own module and of the modules its module DEPENDS on (public headers under
  include/outreach/ by the module that declares them, private ones by folder);
- the outside libraries its module USES, recognised by their include paths below;
- the standard library and tl::expected, always.

A client (the command line, the C interface) may include public headers, the headers of OPEN
modules and its own; the C interface's header is C alone. Public headers include only other
public headers, the standard library and tl::expected. The Python binding reaches the library
only through the C interface: it loads liboutreach_c in one place and starts no program.

Prints one line per breach, `file:line: what and why`, and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

# Outside libraries by include path, most specific first.
CAPABILITIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^boost/asio/ssl"), "tls"),
    (re.compile(r"^openssl/(ssl|x509|x509v3|tls1)\.h$"), "tls"),
    (re.compile(r"^boost/asio"), "asio"),
    (re.compile(r"^boost/system"), "asio"),
    (re.compile(r"^boost/beast"), "beast"),
    (re.compile(r"^openssl/"), "crypto"),
    (re.compile(r"^boost/json"), "json"),
    (re.compile(r"^date/"), "date"),
    (re.compile(r"^sqlite3\.h$"), "sqlite"),
    (re.compile(r"^libpq-fe\.h$"), "postgresql"),
    (re.compile(r"^iconv\.h$"), "iconv"),
    (re.compile(r"^(fcntl|unistd|poll|netdb|signal)\.h$|^sys/"), "posix"),
    # The command line's parser: for the command-line tool alone (no module may declare it).
    (re.compile(r"^CLI/"), "cli11"),
]
ALWAYS = re.compile(r"^tl/expected\.hpp$")
# The C++ standard library (<string>, <cstdint>) and the C headers of the C interface's own C.
STANDARD = re.compile(r"^[a-z_]+$")
C_STANDARD = re.compile(r"^(stddef|stdint|stdbool|stdio|stdlib|string)\.h$")

SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".c"}


@dataclass
class Module:
    name: str
    folder: str
    pure: bool = False
    open: bool = False
    client: bool = False
    depends: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


class Checker:
    def __init__(self, root: Path, modules: list[Module]) -> None:
        self.root = root
        self.modules = {m.name: m for m in modules}
        self.header_owner: dict[str, str] = {}
        for m in modules:
            for header in m.headers:
                self.header_owner[header] = m.name
        # Longest folder first, so src/store/sqlite wins over src/store.
        self.by_folder = sorted(modules, key=lambda m: len(m.folder), reverse=True)
        self.breaches: list[str] = []

    def breach(self, path: Path, line: int, text: str) -> None:
        self.breaches.append(f"{path.relative_to(self.root)}:{line}: {text}")

    def owner_of(self, relative: str) -> Module | None:
        for m in self.by_folder:
            if relative == m.folder or relative.startswith(m.folder + "/"):
                return m
        return None

    def declared_in(self, m: Module) -> str:
        return f"{m.folder}/CMakeLists.txt" if not m.client else "its outreach_client() declaration"

    # ---- one include ----------------------------------------------------------------------
    def check_quoted(self, m: Module, path: Path, line: int, target: str) -> None:
        if target.startswith("outreach/"):
            header = target.removeprefix("outreach/")
            if header == "outreach.hpp":
                if not m.client:
                    self.breach(path, line, f'"{target}" is the umbrella header for programs, not for the library itself')
                return
            owner = self.header_owner.get(header)
            if owner is None:
                if (self.root / "include" / target).exists():
                    self.breach(path, line, f'"{target}" belongs to no module: declare it in one module\'s HEADERS')
                else:
                    self.breach(path, line, f'"{target}" does not exist')
                return
            if m.client or owner == m.name or owner in m.depends:
                return
            self.breach(path, line, f'"{target}" is module {owner}\'s, and module {m.name} does not depend on '
                        f'{owner} (its DEPENDS, in {self.declared_in(m)}: {", ".join(m.depends) or "none"})')
            return
        if target == "outreach.h":
            return  # the C interface's header, for the C interface and nothing else below
        # A private header: beside the file, or by its folder under src/.
        if (path.parent / target).exists() and "/" not in target:
            return
        owner = self.owner_of(f"src/{Path(target).parent.as_posix()}")
        if owner is None or not (self.root / "src" / target).exists():
            self.breach(path, line, f'"{target}" is no header of any module')
            return
        if owner.name == m.name:
            return
        if m.client:
            if not owner.open:
                self.breach(path, line, f'"{target}" is private to module {owner.name}: {m.name} may include only '
                            f'public headers and those of open modules')
            return
        if owner.name not in m.depends:
            self.breach(path, line, f'"{target}" is module {owner.name}\'s, and module {m.name} does not depend on '
                        f'{owner.name} (its DEPENDS, in {self.declared_in(m)}: {", ".join(m.depends) or "none"})')

    def check_angled(self, m: Module | None, path: Path, line: int, target: str, public: bool) -> None:
        if ALWAYS.match(target) or STANDARD.match(target):
            return
        if target.startswith("outreach/"):
            self.breach(path, line, f"<{target}>: the project's own headers are included with quotes")
            return
        if path.suffix in {".h", ".c"} and C_STANDARD.match(target):
            return
        for pattern, capability in CAPABILITIES:
            if pattern.match(target):
                if public:
                    self.breach(path, line, f"<{target}> ({capability}) in a public header: the public API shows "
                                "only the standard library and tl::expected")
                elif capability not in m.uses:
                    self.breach(path, line, f"<{target}> needs {capability}, which module {m.name} does not USE "
                                f"(in {self.declared_in(m)}: {', '.join(m.uses) or 'none'})")
                return
        self.breach(path, line, f"<{target}> is an outside library no capability names: add it to "
                    "tests/layering/check_layering.py and to a module's USES")

    # ---- files ----------------------------------------------------------------------------
    def includes(self, path: Path):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = INCLUDE.match(text)
            if found:
                yield number, found.group(1), found.group(2)

    def check_file(self, m: Module, path: Path) -> None:
        for line, kind, target in self.includes(path):
            if kind == '"':
                self.check_quoted(m, path, line, target)
            else:
                self.check_angled(m, path, line, target, public=False)

    def check_public_header(self, path: Path) -> None:
        header = path.name
        if header != "outreach.hpp" and header not in self.header_owner:
            self.breach(path, 1, f"include/outreach/{header} belongs to no module: declare it in one module's HEADERS")
            return
        owner = self.modules.get(self.header_owner.get(header, ""))
        for line, kind, target in self.includes(path):
            if kind == "<":
                self.check_angled(None, path, line, target, public=True)
            elif owner is not None:
                self.check_quoted(owner, path, line, target)

    def check_tree(self) -> None:
        for path in sorted((self.root / "include" / "outreach").glob("*.hpp")):
            self.check_public_header(path)
        files = {path for m in self.modules.values() for path in (self.root / m.folder).rglob("*")}
        files.update((self.root / "src").rglob("*"))
        for path in sorted(files):
            if path.suffix not in SOURCE_SUFFIXES:
                continue
            m = self.owner_of(path.parent.relative_to(self.root).as_posix())
            if m is None:
                self.breach(path, 1, "this file is in no module's folder")
            else:
                self.check_file(m, path)
        self.check_python_binding()

    def check_python_binding(self) -> None:
        package = self.root / "bindings" / "python" / "outreach"
        if not package.is_dir():
            return
        forbidden = re.compile(r"^\s*(import|from)\s+(subprocess|multiprocessing)\b|\bos\.(system|popen|exec|spawn)")
        loads = re.compile(r"\b(ctypes\.)?(CDLL|cdll\.LoadLibrary|PyDLL|WinDLL)\s*\(")
        for path in sorted(package.rglob("*.py")):
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if forbidden.search(text):
                    self.breach(path, number, "the Python binding starts no program: it goes only through the C interface")
                if loads.search(text) and path.name != "_library.py":
                    self.breach(path, number, "the Python binding loads liboutreach_c in _library.py only")
        library = package / "_library.py"
        if library.exists():
            text = library.read_text(encoding="utf-8")
            for name in re.findall(r"lib[a-z_]+\.so", text):
                if not name.startswith("liboutreach_c"):
                    self.breach(library, 1, f"{name}: the Python binding loads only liboutreach_c")


def load_modules(path: Path) -> list[Module]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Module(**entry) for entry in data["modules"]]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", required=True, type=Path, help="modules.json from the build folder")
    parser.add_argument("--root", required=True, type=Path, help="the source tree")
    arguments = parser.parse_args(argv)
    checker = Checker(arguments.root.resolve(), load_modules(arguments.modules))
    checker.check_tree()
    for text in checker.breaches:
        print(text)
    if checker.breaches:
        print(f"{len(checker.breaches)} include(s) break the module map (see docs/architecture.md)")
        return 1
    print(f"layering: {len(checker.modules)} modules and clients, every include allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
