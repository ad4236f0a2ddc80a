"""`shoplink workflow diagram`: drawn from LinkMachine, rendered for real by Graphviz."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shoplink.cli.main import cli
from shoplink.workflows.diagram import markdown
from shoplink.workflows.machine import STATES
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
# The document that shows the diagram; the lead repoints this at README.md.
DIAGRAM_DOCUMENT = ROOT / "README.md"
START, END = "<!-- workflow-diagram:start -->", "<!-- workflow-diagram:end -->"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output + result.stderr
    return result


@pytest.fixture
def graphviz() -> None:
    if shutil.which("dot") is None:
        unavailable("Graphviz is not installed: apt-get install graphviz")


def test_the_diagram_printed_on_stdout_is_mermaid_naming_every_state_and_event():
    result = run("workflow", "diagram")
    assert result.exit_code == 0
    assert result.output.startswith("stateDiagram-v2")
    for state in STATES:
        assert f" {state}" in result.output
    assert "invited --> expired : expire (timer at expires_at)" in result.output
    assert "searched --> rejected : verify [!rules_hold]" in result.output


def test_the_documented_diagram_matches_the_machine():
    text = DIAGRAM_DOCUMENT.read_text()
    assert START in text and END in text, f"{DIAGRAM_DOCUMENT.name} lacks the diagram markers"
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert documented == markdown().strip(), (
        f"the diagram in {DIAGRAM_DOCUMENT.name} is stale: replace the text between the "
        "markers with the output of `shoplink workflow diagram --output FILE.md`"
    )


def test_dot_and_markdown_files_need_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run("workflow", "diagram", "--output", str(tmp_path / "m.dot")).exit_code == 0
    assert run("workflow", "diagram", "--output", str(tmp_path / "m.md")).exit_code == 0
    dot_text = (tmp_path / "m.dot").read_text()
    assert dot_text.startswith("digraph LinkMachine {")
    assert 'invited -> expired [label="expire (timer at expires_at)"];' in dot_text
    assert (tmp_path / "m.md").read_text() == markdown()


def test_an_svg_is_drawn_by_graphviz_and_names_every_state(graphviz, tmp_path):
    target = tmp_path / "workflow.svg"
    result = run("workflow", "diagram", "--output", str(target))
    assert result.exit_code == 0, result.output
    root = ET.fromstring(target.read_bytes())
    assert root.tag.endswith("svg")
    texts = {node.text for node in root.iter() if node.tag.endswith("text")}
    assert set(STATES) <= texts


def test_a_png_is_drawn_by_graphviz(graphviz, tmp_path):
    target = tmp_path / "workflow.png"
    assert run("workflow", "diagram", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(PNG_SIGNATURE)


def test_without_graphviz_an_image_is_refused_naming_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / "workflow.png"
    result = run("workflow", "diagram", "--output", str(target))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert not target.exists()


def test_an_unknown_extension_is_refused_and_nothing_is_written(tmp_path):
    result = run("workflow", "diagram", "--output", str(tmp_path / "workflow.txt"))
    assert result.exit_code == 2
    assert "cannot tell the format" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_diagram_shows_only_guards_that_can_refuse():
    result = run("workflow", "diagram")
    assert "invited --> declined : decline [answered_by_invitee]\n" in result.output
    assert "unlinkable --> unlinked : unlink\n" in result.output
    assert "invited --> linked : accept [rules_hold] [answered_by_invitee]\n" in result.output
