"""Peer tools: the adapter protocol, the installer (real venvs, real pip) and a real peer benchmarked.

Only the test marked ``index`` installs from the package index; it skips, saying why, when a short probe
finds the index unreachable (``-m "not index"`` leaves it out). The others never reach the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from phiphantom.benchmark.bench import run_bench
from phiphantom.benchmark.engines.base import EngineContext, EngineError
from phiphantom.benchmark.engines.peer import PeerEngine, PeerFileFailed
from phiphantom.benchmark.engines.registry import build_engine
from phiphantom.benchmark.peers.catalog import ADAPTER_DIR, PEERS, Peer
from phiphantom.benchmark.peers.install import HOME_ENV, INFO_FILE, PeerInstallError, find_installed, install

CHATTY_ADAPTER = '''
import sys
from pathlib import Path
sys.path.insert(0, {folder!r})
from peer_protocol import main

def load():
    print("loading a model, says the tool")
    return "state"

def process(state, src, dst):
    print("the tool chats about", src.name)
    if src.name.startswith("bad"):
        raise ValueError("a message that quotes a value: DOE^JANE")
    dst.write_bytes(src.read_bytes()[::-1])

sys.exit(main("chatty", ("pydicom",), {{"setting": 1}}, load, process))
'''


def index_unreachable(requirement: str) -> str | None:
    """Why pip cannot install ``requirement`` (``name==version``) from its configured index, or None when it can.

    A bounded probe (``pip index versions``, no retries, one minute at most): an offline or firewalled
    machine skips the test that installs from the index rather than failing or hanging in pip's retries.
    """
    name, _, version = requirement.partition("==")
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name, "--retries", "0",
                               "--timeout", "15", "--disable-pip-version-check"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"the package index did not answer for {name} within 60 s"
    available = [v.strip() for line in done.stdout.splitlines() if line.startswith("Available versions:")
                 for v in line.split(":", 1)[1].split(",")]
    if done.returncode != 0 or version not in available:
        return f"the package index is unreachable or does not serve {requirement} (pip index versions)"
    return None


def _adapter(tmp_path: Path) -> Path:
    path = tmp_path / "chatty.py"
    path.write_text(CHATTY_ADAPTER.format(folder=str(ADAPTER_DIR)), encoding="utf-8")
    return path


def test_protocol_keeps_stdout_clean_and_reports_only_the_error_class(tmp_path):
    adapter = _adapter(tmp_path)
    (tmp_path / "good.bin").write_bytes(b"abc")
    (tmp_path / "bad.bin").write_bytes(b"xyz")
    requests = "".join(json.dumps({"src": str(tmp_path / n), "dst": str(tmp_path / "out" / n)}) + "\n"
                       for n in ("good.bin", "bad.bin"))
    done = subprocess.run([sys.executable, str(adapter), "--serve"], input=requests, capture_output=True,
                          text=True, timeout=60)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines == [{"ready": True}, {"ok": True}, {"ok": False, "error": "ValueError"}]
    assert "chats" in done.stderr and "DOE" not in done.stdout
    assert (tmp_path / "out" / "good.bin").read_bytes() == b"cba"
    assert not (tmp_path / "out" / "bad.bin").exists()
    described = json.loads(subprocess.run([sys.executable, str(adapter), "--describe"], capture_output=True,
                                          text=True, timeout=60).stdout)
    assert described["tool"] == "chatty" and described["config"] == {"setting": 1}
    assert described["versions"]["pydicom"][0].isdigit()


def test_unknown_or_missing_peer_is_a_clear_engine_error(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    with pytest.raises(EngineError, match="unknown peer"):
        build_engine("peer:no-such-tool")
    with pytest.raises(EngineError, match="phiphantom peers install dicognito"):
        build_engine("dicognito")


def test_every_catalog_adapter_exists_and_describes_itself_without_its_tool():
    for peer in PEERS.values():
        assert peer.adapter_path.is_file(), peer.name
        assert all("==" in r for r in peer.requirements), f"{peer.name}: every requirement must be pinned"
        done = subprocess.run([sys.executable, str(peer.adapter_path), "--describe"], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, (peer.name, done.stderr[-500:])
        assert json.loads(done.stdout)["tool"]


def test_failed_install_puts_the_previous_one_back(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the missing package fails from local wheels alone: no network
    good = Peer("probe", "test peer", (), "peer_dicognito.py", cleans_pixels=False)
    first = install(good, tmp_path)
    assert find_installed(good, tmp_path) is not None and first.python.exists()
    broken = Peer("probe", "test peer", ("phiphantom-no-such-package-exists==0.0.1",), "peer_dicognito.py",
                  cleans_pixels=False)
    with pytest.raises(PeerInstallError, match="pip install failed"):
        install(broken, tmp_path, force=True)
    assert find_installed(good, tmp_path) is not None, "the working install must come back"
    assert json.loads((tmp_path / "probe" / INFO_FILE).read_text())["requirements"] == []
    assert (tmp_path / "probe.install.log").read_text().strip()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe", "probe.install.log"]


@pytest.mark.slow
@pytest.mark.index
def test_dicognito_installed_from_pypi_is_benchmarked_and_a_file_it_cannot_read_is_an_error(
        tmp_path, monkeypatch, engine_dataset):
    (requirement,) = [r for r in PEERS["dicognito"].requirements if r.startswith("dicognito==")]
    unreachable = index_unreachable(requirement)
    if unreachable:
        pytest.skip(unreachable)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "peers"))
    installed = install(PEERS["dicognito"])
    assert installed.info["describe"]["versions"]["dicognito"] == "0.19.0"
    results = run_bench(engine_dataset, ["dicognito"], tmp_path / "r", ocr=False)
    row = results["engines"][0]
    assert row["description"]["version"].startswith("dicognito 0.19.0")
    metrics = row["metrics"]
    assert metrics["files_failed"] == 0 and metrics["box_recall"] == 0.0  # it does not clean pixels
    assert 0.0 < metrics["tag_coverage"] < 1.0 and metrics["leaks"] > 0   # the hard set hides PHI it keeps
    engine = PeerEngine(peer_name="dicognito")
    engine.start(EngineContext(data_dir=engine_dataset, work_dir=tmp_path))
    (tmp_path / "not-dicom.dcm").write_bytes(b"not a DICOM file at all")
    with pytest.raises(PeerFileFailed, match=r"dicognito failed on this file \(\w+\)"):
        engine.process_file(tmp_path / "not-dicom.dcm", tmp_path / "o" / "x.dcm")
    assert not (tmp_path / "o" / "x.dcm").exists()
    engine.close()


def test_peers_cli_lists_every_peer_and_refuses_unknown_names(tmp_path):
    from typer.testing import CliRunner

    from phiphantom.cli.main import app

    runner = CliRunner()
    listed = runner.invoke(app, ["peers", "list", "--home", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    for name in PEERS:
        assert name in listed.output
    refused = runner.invoke(app, ["peers", "install", "no-such-tool", "--home", str(tmp_path)])
    assert refused.exit_code == 2 and "unknown peer" in refused.output
    assert not any(tmp_path.iterdir()), "nothing may be created for an unknown peer"


def test_constraints_pin_every_transitive_package_and_agree_with_the_pins():
    for peer in PEERS.values():
        if not peer.requirements:
            continue
        assert peer.constraints_path is not None, f"{peer.name}: no constraints/{peer.name}.txt"
        lines = [line.strip() for line in peer.constraints_path.read_text().splitlines()
                 if line.strip() and not line.startswith("#")]
        assert all("==" in line for line in lines), peer.name
        norm = lambda text: text.split("==")[0].lower().replace("_", "-")  # noqa: E731
        assert not {norm(line) for line in lines} & {norm(r) for r in peer.requirements}, peer.name
