"""The link state machine drawn from its one definition: Mermaid, Graphviz dot, and images.

Both texts are written here from `LinkMachine.states` and their transitions, so neither
pydot nor any other extra package is needed; images go through Graphviz's `dot` program.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shoplink.workflows.errors import BadInput
from shoplink.workflows.machine import TIMER_DEADLINES, LinkMachine

IMAGE_FORMATS = ("svg", "png")
TEXT_SUFFIXES = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".md": "markdown"}
GRAPHVIZ_MISSING = (
    "drawing {fmt} needs Graphviz's `dot` program, which is not installed: "
    "install the Debian package graphviz (apt-get install graphviz), or write .dot or .md"
)


@dataclass(frozen=True)
class Edge:
    """One arrow: what the event is called, and what guards or drives it."""

    source: str
    target: str
    label: str


def states() -> list[tuple[str, bool, bool]]:
    """Each state as (id, initial, final), in definition order."""
    return [(s.id, bool(s.initial), bool(s.final)) for s in LinkMachine.states]


def edges() -> list[Edge]:
    """Every transition, labelled with its event, the guards and validators that can refuse
    it, or the deadline that fires it."""
    found = []
    for state in LinkMachine.states:
        for transition in state.transitions:
            label = transition.event
            if transition.event in TIMER_DEADLINES:
                label += f" (timer at {TIMER_DEADLINES[transition.event]})"
            for guard in transition.cond:
                label += f" [{'' if guard.expected_value else '!'}{guard.attr_name}]"
            for validator in transition.validators:
                label += f" [{validator.attr_name}]"
            found.append(Edge(state.id, transition.target.id, label))
    return found


def mermaid() -> str:
    """A Mermaid stateDiagram-v2 (what GitHub renders from a ```mermaid block)."""
    lines = ["stateDiagram-v2", "    direction LR"]
    lines += [f"    [*] --> {sid}" for sid, initial, _ in states() if initial]
    lines += [f"    {e.source} --> {e.target} : {e.label}" for e in edges()]
    lines += [f"    {sid} --> [*]" for sid, _, final in states() if final]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    return f"```mermaid\n{mermaid()}```\n"


def dot() -> str:
    """Graphviz dot text: final states drawn with a double border, the start as a dot."""
    lines = [
        "digraph LinkMachine {",
        '    rankdir=LR; fontname="Helvetica";',
        '    node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=9];',
        '    start [shape=point, width=0.15, label=""];',
    ]
    for sid, _, final in states():
        lines.append(f'    {sid} [label="{sid}"{", peripheries=2" if final else ""}];')
    lines += [f"    start -> {sid};" for sid, initial, _ in states() if initial]
    lines += [f'    {e.source} -> {e.target} [label="{e.label}"];' for e in edges()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_image(fmt: str) -> bytes:
    """An SVG or PNG drawn by Graphviz from `dot()`."""
    program = shutil.which("dot")
    if program is None:
        raise BadInput(GRAPHVIZ_MISSING.format(fmt=f".{fmt}"))
    done = subprocess.run([program, f"-T{fmt}"], input=dot().encode(), capture_output=True,
                          check=False, timeout=60)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise BadInput(f"Graphviz could not draw .{fmt}: {reason[0] if reason else 'failed'}")
    return done.stdout


def write(path: Path) -> str:
    """Write the diagram in the format the file name asks for; returns that format."""
    suffix = path.suffix.lower()
    if suffix.lstrip(".") in IMAGE_FORMATS:
        content: bytes = render_image(suffix.lstrip("."))
        fmt = suffix.lstrip(".")
    elif suffix in TEXT_SUFFIXES:
        fmt = TEXT_SUFFIXES[suffix]
        content = {"dot": dot, "mermaid": mermaid, "markdown": markdown}[fmt]().encode()
    else:
        known = ", ".join([*TEXT_SUFFIXES, *(f".{f}" for f in IMAGE_FORMATS)])
        raise BadInput(f"cannot tell the format of {path.name!r}: name it {known}")
    try:
        path.write_bytes(content)
    except OSError as failure:
        raise BadInput(f"cannot write {path}: {failure.strerror}") from None
    return fmt
