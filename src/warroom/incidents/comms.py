from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from warroom.domain.comms import TEMPLATES, UpdateFacts, UpdateKind, template_context

# Templates are ours, but the values (impact, progress, ...) are typed by people:
# the sandbox and autoescape=False are right for plain-text messages.
_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_compiled = {kind: _env.from_string(source) for kind, source in TEMPLATES.items()}


def render_update(kind: UpdateKind, facts: UpdateFacts) -> str:
    return _compiled[kind].render(template_context(facts)).rstrip("\n")
