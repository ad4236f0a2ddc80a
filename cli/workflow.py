"""`shoplink workflow`: the link state machine, drawn from its one definition."""

from __future__ import annotations

from pathlib import Path

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit


@click.group()
def workflow() -> None:
    """The link workflow."""


@workflow.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE: .dot/.gv (Graphviz text), .svg/.png (drawn by Graphviz), "
                   ".md (a ```mermaid block), .mmd (Mermaid text).")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True, help="What to print on stdout when there is no --output.")
@click.pass_obj
def diagram(app: App, output: Path | None, fmt: str) -> None:
    """Draw the link state machine (stdout: Mermaid text, or dot with --format dot)."""
    from shoplink.workflows import diagram as drawing

    if output is None:
        click.echo(drawing.mermaid() if fmt == "mermaid" else drawing.dot(), nl=False)
        return
    written = drawing.write(output)
    emit(app, {"output": str(output), "format": written}, f"wrote {output} ({written})")
