"""``phiphantom.synth``, ``phiphantom.deid`` and ``phiphantom.benchmark`` export their public names
(``__all__``): every one imports, none is a submodule shadowing its name, and importing a package stays
light (its names load on first use)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest

PACKAGES = ("phiphantom.synth", "phiphantom.deid", "phiphantom.benchmark")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_imports(package):
    module = importlib.import_module(package)
    names = module.__all__
    assert names and len(set(names)) == len(names)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    assert not set(names) & submodules, "a public name that is also a submodule's is the module once imported"
    for name in names:
        value = getattr(module, name)
        assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module, not the public name"
        if callable(value):
            assert value.__module__.startswith("phiphantom."), name
    namespace: dict = {}
    exec(f"from {package} import *", namespace)  # noqa: S102 - the star import a user may write
    assert set(names) - {"__version__"} <= set(namespace)
    assert set(names) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute"):
        module.no_such_public_name  # noqa: B018 - the attribute access is what is tested


def test_the_one_call_api_and_the_engine_protocol_are_exported():
    import phiphantom.benchmark as benchmark
    import phiphantom.deid as deid
    import phiphantom.synth as synth

    assert {"Deidentifier", "deidentify", "DeidResult", "save", "encode", "deidentify_file", "deid_batch",
            "DeidConfig", "DeidOptions", "PixelConfig", "DeidError", "DeidKeyError"} <= set(deid.__all__)
    assert {"run_bench", "load_dataset", "Engine", "BaseEngine", "build_engine"} <= set(benchmark.__all__)
    assert {"GenerateConfig", "generate", "__version__"} <= set(synth.__all__)
    from phiphantom.deid.api import Deidentifier

    assert deid.Deidentifier is Deidentifier


def test_importing_the_packages_loads_no_heavy_module():
    code = ("import sys, phiphantom.deid, phiphantom.benchmark\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith(('phiphantom.deid.', "
            "'phiphantom.benchmark.', 'pydicom', 'cv2', 'numpy')))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", loaded
