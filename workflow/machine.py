"""The proposal's state machine, defined once as data and built once with `transitions`.

Pure: no Flask, no SQLAlchemy. The machine is applied to a throwaway `Flow` object that
wraps a state string (the "static machine" pattern), never to an ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError

STATES: tuple[str, ...] = (
    "draft", "submitted", "under_review", "returned", "at_council",
    "approved", "rejected", "decided", "withdrawn",
)
INITIAL = "draft"
FINAL_STATES = frozenset({"decided", "rejected", "withdrawn"})
EDITABLE_STATES = frozenset({"draft", "returned"})
# How a proposal comes to be, and the state it is born in: filed as a draft, or split off
# another proposal by an upheld objection and filed again at once.
BIRTHS = {"create": INITIAL, "split": "submitted"}
REVIEWERS = frozenset({"board_reviewer", "board_head"})
# The scheduler's actor (workflow.actors.SYSTEM). No user can hold this role.
SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger of the machine; its name for people is in workflow.labels (kind "action")."""

    name: str
    sources: tuple[str, ...]
    dests: tuple[str, ...]
    roles: frozenset[str]
    own_unit: bool = False          # the actor must belong to the proposal's unit
    assignee_only: bool = False     # a plain reviewer must be the assignee
    requires: tuple[str, ...] = ()  # payload the trigger cannot do without
    runs_checks: bool = False       # the campaign's rules must pass (no blocking findings)
    automatic: bool = False         # the system may fire it for a campaign's automatic action


CLERK = frozenset({"unit_clerk"})
SECRETARY = frozenset({"council_secretary"})

TRIGGERS: tuple[TriggerSpec, ...] = (
    TriggerSpec("submit", ("draft",), ("submitted",), CLERK, own_unit=True, runs_checks=True),
    TriggerSpec("withdraw", ("draft", "submitted", "returned"), ("withdrawn",), CLERK,
                own_unit=True, automatic=True),
    TriggerSpec("claim", ("submitted",), ("under_review",), REVIEWERS),
    TriggerSpec("reassign", ("under_review",), ("under_review",), frozenset({"board_head"}),
                requires=("assignee_id",)),
    TriggerSpec("return", ("under_review",), ("returned",), REVIEWERS,
                assignee_only=True, requires=("reason",)),
    TriggerSpec("resubmit", ("returned",), ("submitted",), CLERK, own_unit=True,
                runs_checks=True),
    TriggerSpec("forward", ("under_review",), ("at_council",), REVIEWERS,
                assignee_only=True),
    TriggerSpec("decide", ("at_council",), ("approved", "rejected"), SECRETARY,
                requires=("session_id",)),
    TriggerSpec("send_back", ("at_council", "approved"), ("under_review",), SECRETARY,
                requires=("reason",)),
    TriggerSpec("issue_decision", ("approved",), ("decided",), SECRETARY,
                requires=("decision_id",)),
)
SPECS: dict[str, TriggerSpec] = {t.name: t for t in TRIGGERS}


class Flow:
    """The only model the machine ever touches: a state and nothing else."""

    def __init__(self, state: str) -> None:
        self.state = state


def _any_passed(event: Any) -> bool:
    return bool(event.kwargs.get("any_passed"))


def _build() -> Machine:
    machine = Machine(model=None, states=list(STATES), initial=INITIAL,
                      auto_transitions=False, send_event=True)
    for spec in TRIGGERS:
        if spec.name == "decide":
            machine.add_transition("decide", "at_council", "approved", conditions=[_any_passed])
            machine.add_transition("decide", "at_council", "rejected", unless=[_any_passed])
        elif spec.dests == spec.sources:
            machine.add_transition(spec.name, list(spec.sources), None)  # internal
        else:
            machine.add_transition(spec.name, list(spec.sources), spec.dests[0])
    return machine


MACHINE = _build()


def fire(state: str, trigger: str, **kwargs: Any) -> str:
    """The state after `trigger` from `state`; ValueError when the machine refuses it."""
    if trigger not in MACHINE.events:
        raise ValueError(f"unknown trigger {trigger!r}")
    flow = Flow(state)
    try:
        done = MACHINE.events[trigger].trigger(flow, **kwargs)
    except MachineError as exc:
        raise ValueError(str(exc.value)) from exc
    if not done:
        raise ValueError(f"{trigger!r} did not fire from {state!r}")
    return flow.state


def triggers_from(state: str) -> list[str]:
    """The triggers the machine allows from a state, in definition order."""
    names = set(MACHINE.get_triggers(state))
    return [t.name for t in TRIGGERS if t.name in names]


def to_mermaid(current: str | None = None) -> str:
    """The workflow diagram (Mermaid state diagram) drawn from the machine's transitions."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for spec in TRIGGERS:
        for source in spec.sources:
            for dest in spec.dests:
                lines.append(f"    {source} --> {dest}: {spec.name}")
    lines += [f"    {s} --> [*]" for s in sorted(FINAL_STATES)]
    if current:
        lines += ["    classDef current fill:#f9d56e,stroke:#b8860b",
                  f"    class {current} current"]
    return "\n".join(lines)
