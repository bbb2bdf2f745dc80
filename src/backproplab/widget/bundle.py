"""One ES module from the lab page's modules, for the notebook widget.

anywidget loads a widget's front end from a single ES module string (it becomes a blob URL
in the notebook's page), so the relative imports of the page's modules (``./api.js``) would
have nothing to resolve against. :func:`bundle` follows those imports from an entry module
and writes each imported module into one file, inside a function of its own so that two
modules' top-level names cannot collide; the entry module stays at the top level, where
its ``export default`` is what anywidget looks for.

It handles the import and export forms the lab's modules use and refuses the others with
a message naming the file, rather than writing a bundle that would behave differently:
``import {a, b as c} from "./m.js"``, ``import * as m from "./m.js"``, ``import "./m.js"``,
``export function|class|const``, ``export {a, b as c}``. ``export let``/``var`` are refused,
since an imported copy of a reassigned binding would go stale, and so are imports that
are not relative (the notebook has no module resolver) and circular imports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BundleError", "bundle"]


class BundleError(ValueError):
    """A module uses a form the bundler does not handle (the message names the file)."""


# Statements at the start of a line; `[^;]*?` lets an import list span several lines.
_IMPORT = re.compile(
    r"""^[ \t]*import\s+(?:(?P<what>[^;'"]*?)\s+from\s+)?(?P<q>["'])(?P<spec>[^"']+)(?P=q)\s*;?""",
    re.MULTILINE,
)
_EXPORT_DECL = re.compile(
    r"^([ \t]*)export\s+(?P<kind>async\s+function\*?|function\*?|class|const|let|var)\s+"
    r"(?P<name>[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_EXPORT_LIST = re.compile(r"^[ \t]*export\s*\{(?P<names>[^}]*)\}\s*;?", re.MULTILINE)
_EXPORT_OTHER = re.compile(r"^[ \t]*export\b", re.MULTILINE)
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


@dataclass
class _Module:
    path: Path
    body: str  # the source with its imports replaced by bindings
    exports: dict[str, str] = field(default_factory=dict)  # exported name -> local name


def bundle(entry: Path | str) -> str:
    """The entry module with every module it imports (directly or not) written into it."""
    entry = Path(entry).resolve()
    modules: dict[Path, _Module] = {}
    order: list[Path] = []
    _visit(entry, entry, modules, order, visiting=[])
    parts = [f"// Bundled by backproplab.widget.bundle from {entry.name} and its imports.\n"]
    for path in order:
        if path == entry:
            continue
        module = modules[path]
        returned = ", ".join(
            name if name == local else f"{json.dumps(name)}: {local}"
            for name, local in module.exports.items()
        )
        parts.append(
            f"// ---- {path.name}\nconst {_var(path)} = (() => {{\n"
            f"{module.body.rstrip()}\nreturn {{ {returned} }};\n}})();\n"
        )
    parts.append(f"// ---- {entry.name}\n{modules[entry].body}")
    return "\n".join(parts)


def _var(path: Path) -> str:
    return "__bpl_" + re.sub(r"\W", "_", path.stem)


def _visit(
    path: Path, entry: Path, modules: dict[Path, _Module], order: list[Path], visiting: list[Path]
) -> None:
    if path in modules:
        return
    if path in visiting:
        cycle = " -> ".join(p.name for p in [*visiting[visiting.index(path) :], path])
        raise BundleError(f"circular import ({cycle}): the bundler cannot order these modules")
    if not path.is_file():
        importer = visiting[-1].name if visiting else "the entry"
        raise BundleError(f"{importer} imports {path.name}, which does not exist ({path})")
    source = path.read_text(encoding="utf-8")
    visiting.append(path)
    deps: list[tuple[re.Match[str], Path]] = []
    for match in _IMPORT.finditer(source):
        spec = match["spec"]
        if not spec.startswith(("./", "../")):
            raise BundleError(
                f"{path.name} imports {spec!r}: only relative imports of the lab's own "
                "modules can be bundled"
            )
        dep = (path.parent / spec).resolve()
        _visit(dep, entry, modules, order, visiting)
        deps.append((match, dep))
    visiting.pop()
    body = source
    for match, dep in reversed(deps):  # from the end, so earlier offsets stay valid
        binding = _binding(match["what"], dep, modules[dep], path)
        body = body[: match.start()] + binding + body[match.end() :]
    module = _Module(path, body)
    if path != entry:
        module.body = _strip_exports(body, module.exports, path)
    modules[path] = module
    order.append(path)


def _binding(what: str | None, dep: Path, module: _Module, importer: Path) -> str:
    """The statement that stands where ``import <what> from "<dep>"`` was."""
    if what is None:
        return ""  # a side-effect import: the module has run by now, being above
    what = what.strip()
    star = re.fullmatch(r"\*\s+as\s+([A-Za-z_$][\w$]*)", what)
    if star:
        return f"const {star[1]} = {_var(dep)};"
    named = re.fullmatch(r"\{(?P<names>[^}]*)\}", what, re.DOTALL)
    if not named:
        raise BundleError(
            f"{importer.name}: cannot bundle `import {what} from ...` (default imports are "
            "not supported; use named imports)"
        )
    pairs = []
    for name, local in _names(named["names"], importer):
        if name not in module.exports:
            raise BundleError(
                f"{importer.name} imports {name} from {dep.name}, which has no such export"
            )
        pairs.append(name if name == local else f"{name}: {local}")
    return f"const {{ {', '.join(pairs)} }} = {_var(dep)};"


def _names(text: str, path: Path) -> list[tuple[str, str]]:
    """``a, b as c`` -> [("a", "a"), ("b", "c")]."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, local = (p.strip() for p in item.partition(" as "))
        local = local or name
        if not (_NAME.match(name) and _NAME.match(local)):
            raise BundleError(f"{path.name}: cannot read the name list item {item!r}")
        pairs.append((name, local))
    return pairs


def _strip_exports(body: str, exports: dict[str, str], path: Path) -> str:
    """The module's body without ``export`` keywords; ``exports`` gets what they named."""

    def declaration(match: re.Match[str]) -> str:
        kind = match["kind"]
        if kind in ("let", "var"):
            raise BundleError(
                f"{path.name}: `export {kind} {match['name']}` cannot be bundled (an importer "
                "would keep a stale copy); export a const, a function or a class"
            )
        exports[match["name"]] = match["name"]
        return f"{match[1]}{kind} {match['name']}"

    def name_list(match: re.Match[str]) -> str:
        for local, name in _names(match["names"], path):
            exports[name] = local
        return ""

    body = _EXPORT_DECL.sub(declaration, body)
    body = _EXPORT_LIST.sub(name_list, body)
    other = _EXPORT_OTHER.search(body)
    if other:
        line = body[: other.start()].count("\n") + 1
        raise BundleError(
            f"{path.name}: cannot bundle the export on line {line} (of the module without "
            "its imports); use `export function`, `export class`, `export const` or "
            "`export { ... }`"
        )
    return body
