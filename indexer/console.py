"""What both command-line programs share: the command group that reports a user's mistake as
one line, help that shows what to type, and logging set-up."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from indexer.errors import ElmoIndexError

#: Exit status of a command stopped by Ctrl-C, as shells report a SIGINT.
INTERRUPTED = 130


#: Widest help text, on a terminal wide enough for it.
HELP_WIDTH = 100


class PlainArgument(TyperArgument):
    """An argument shown as it is typed: ``CORPUS...`` in the usage line and the help."""

    def _typed(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name if self.nargs == 1 or name.endswith("...") else f"{name}..."

    def _usage_display_name(self) -> str:
        return self._typed() if self.required else f"[{self._typed()}]"

    def _rich_display_name(self) -> str:
        return self._typed()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class PlainOption(TyperOption):
    """An option whose value is shown as one value of its type (``<int>``, also when it can be
    repeated), or as its own metavar; a flag shows none."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        shown = self.display_type(ctx)
        if shown.startswith("<list[") and shown.endswith("]>"):
            return f"<{shown[6:-2]}>"
        return shown


def plain_help(command: Any) -> None:
    """Show ``command``'s parameters (and those of its subcommands) as they are typed."""
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is TyperOption:
            param.__class__ = PlainOption
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


class ReportingGroup(TyperGroup):
    """The root command group of ``indexer`` and ``query``: the one place where a project error
    becomes one ``error: ...`` line on stderr and exit status 1, with no traceback, and Ctrl-C
    one ``interrupted`` line (with what to do next, where a command raised it with a message).
    Its help (and every command's) is plain text, brackets and all, naming what to type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_help(self)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ElmoIndexError as err:
            typer.echo(f"error: {err.naming(option_named(self, ctx, err.setting))}", err=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt as err:
            typer.echo(f"interrupted; {err}" if str(err) else "interrupted", err=True)
            raise typer.Exit(code=INTERRUPTED) from None


def option_named(group: Any, ctx: Any, setting: str | None) -> str | None:
    """The option of the command that ran whose parameter is named ``setting`` (a command's
    parameters are named as the library parameters they are passed to), as declared: its
    first long form (``--dtype``), else its short one (``-n``)."""
    name = ctx.invoked_subcommand
    command = group.get_command(ctx, name) if name and setting else None
    commands = [command] if command is not None else []
    while commands:
        current = commands.pop()
        commands.extend(getattr(current, "commands", {}).values())
        for param in getattr(current, "params", ()):
            flags = [opt for opt in param.opts if opt.startswith("-")]
            if param.name == setting and flags:
                longs = [opt for opt in flags if opt.startswith("--")]
                return (longs or flags)[0]
    return None


def make_app(help: str, **settings: Any) -> typer.Typer:
    """A program's Typer app: errors reported by :class:`ReportingGroup`, help without args,
    in plain text (no rich markup, which would take ``[serve]`` or ``[[w]]`` for a tag)."""
    return typer.Typer(
        cls=ReportingGroup,
        help=help,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"max_content_width": HELP_WIDTH},
        **settings,
    )


def configure_logging(
    verbose: bool = False, quiet: bool = False, default: int = logging.INFO
) -> None:
    """Log lines to stderr; the library itself never configures logging."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else default
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
