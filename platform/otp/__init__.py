"""otp — Erlang/OTP's process model and behaviours, ported to asyncio.

Layering (inner to outer; an inner module never imports an outer one):

1. ``_node``/``_process``: processes as asyncio tasks with mailboxes, links, monitors,
   exit signals, name registration. Self-contained.
2. ``gen_server``, ``agent``: behaviours built on processes.
3. ``supervisor``, ``dynamic_supervisor``, ``task``, ``task_supervisor``: supervision.
4. ``registry``, ``pubsub``, ``application``, ``telemetry``, ``blocking``: services on top.

Elixir's documented behaviour is the specification; ``docs/runtime.md`` maps every construct.
"""
# Sections are owned by the modules that fill them; keep __all__ explicit and sorted per section.

__all__: list[str] = []
