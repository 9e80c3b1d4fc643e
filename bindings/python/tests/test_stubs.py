"""The stubs describe exactly the module: every public name, class member and parameter."""

import ast
import inspect
from pathlib import Path

import pulse
from pulse import _native

STUBS = Path(pulse.__file__).with_name("_native.pyi")


def stub_tree():
    return ast.parse(STUBS.read_text())


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_module_names_match():
    tree = stub_tree()
    declared = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert public(declared) == public(dir(_native)) - {"__version__"}
    assert set(pulse.__all__) == public(dir(_native)) | {"__version__"}


def test_classes_and_signatures_match():
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef) or issubclass(getattr(_native, node.name), Exception):
            continue
        cls = getattr(_native, node.name)
        members = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
        assert public(members) == public(dir(cls)), node.name
        for name, stub in members.items():
            runtime = getattr(cls, name)
            if isinstance(runtime, property) or not callable(runtime) or name.startswith("__"):
                continue
            params = [p.name for p in inspect.signature(runtime).parameters.values()]
            args = stub.args
            declared = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            assert params == declared, f"{node.name}.{name}: {params} != {declared}"


def test_function_signatures_match():
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            params = [p.name for p in inspect.signature(getattr(_native, node.name)).parameters.values()]
            args = node.args
            assert params == [a.arg for a in args.args + args.kwonlyargs], node.name
