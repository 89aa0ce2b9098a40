"""Council sittings in the JSON API: list and read them (agenda, members, tallies and
verdicts), and record a nominee's tally. Same permissions as the UI: the secretary sees
and changes every sitting; a member reads the sittings they sit on, once opened.
Finalizing a proposal is the `decide` action with the sitting's `session_id`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field
from werkzeug.wrappers import Response

from models import CouncilSession
from models.base import utcnow
from rules.council import describe
from web import db
from web.api.blueprint import bp, json_body, reply, signed_in_actor, writing
from web.api.openapi import route
from web.api.schemas import Body, Out, UserRef
from workflow.council import proceedings as council
from workflow.council import sittings
from workflow.council.tallies import require_secretary

Votes = Annotated[int, Field(ge=0, le=1000)]


class TallyBody(Body):
    """One nominee's count from the paper ballots (and absent members' written opinions)."""

    yes: Votes = 0
    no: Votes = 0
    invalid: Votes = 0
    written_yes: Votes = 0
    written_no: Votes = 0


class VoteRuleOut(Out):
    threshold: float
    denominator: Literal["all_members", "present_members"]
    quorum: float
    written_opinions_count: bool
    description: str
    description_en: str


class TallyOut(Out):
    yes: int
    no: int
    invalid: int
    written_yes: int
    written_no: int
    passed: bool
    explanation: str
    explanation_en: str | None
    recorded_at: datetime


class AgendaNomineeOut(Out):
    id: int
    full_name: str
    award_form: str
    outcome: Literal["pending", "passed", "rejected"]
    rule: VoteRuleOut
    tally: TallyOut | None


class AgendaItemOut(Out):
    proposal_id: int
    reference: str | None
    title: str
    state: str
    version: int
    decided: bool
    ready_to_finalize: bool
    nominees: list[AgendaNomineeOut]


class MemberOut(UserRef):
    present: bool


class SittingSummary(Out):
    id: int
    title: str
    sitting_date: date
    place: str
    status: Literal["draft", "open", "closed"]
    roster_size: int
    present: int
    proposals: int


class SittingOut(SittingSummary):
    opened_at: datetime | None
    closed_at: datetime | None
    members: list[MemberOut]
    agenda: list[AgendaItemOut]


class SittingList(Out):
    sittings: list[SittingSummary]


def _summary(s: CouncilSession) -> dict[str, object]:
    return {"id": s.id, "title": s.title, "sitting_date": s.sitting_date, "place": s.place,
            "status": s.status.value, "roster_size": s.roster_size,
            "present": sum(1 for m in s.members if m.present), "proposals": len(s.items)}


def _sitting(s: CouncilSession) -> SittingOut:
    agenda = [AgendaItemOut(
        proposal_id=line.item.proposal_id, reference=line.item.proposal.reference,
        title=line.item.proposal.title, state=line.item.proposal.state,
        version=line.item.proposal.version, decided=line.item.decided,
        ready_to_finalize=line.ready, nominees=[_nominee(row) for row in line.nominees])
        for line in sittings.agenda(s)]
    members = [MemberOut(id=m.user_id, name=m.user.full_name, present=m.present)
               for m in s.members]
    return SittingOut(**_summary(s), opened_at=s.opened_at, closed_at=s.closed_at,
                      members=members, agenda=agenda)


def _nominee(row: sittings.NomineeLine) -> AgendaNomineeOut:
    r, t = row.rule, row.tally
    rule = VoteRuleOut(threshold=float(r.threshold), denominator=r.denominator,
                       quorum=float(r.quorum),
                       written_opinions_count=r.written_opinions_count,
                       description=describe(r), description_en=describe(r, en=True))
    tally = None if t is None else TallyOut(
        yes=t.yes, no=t.no, invalid=t.invalid, written_yes=t.written_yes,
        written_no=t.written_no, passed=t.passed, explanation=t.explanation,
        explanation_en=row.verdict.explanation_en if row.verdict else None,
        recorded_at=t.recorded_at)
    return AgendaNomineeOut(id=row.nominee.id, full_name=row.nominee.full_name,
                            award_form=row.nominee.award_form_code,
                            outcome=row.nominee.outcome.value, rule=rule, tally=tally)


def _reply_with(sid: int) -> tuple[Response, int]:
    return reply(_sitting(sittings.get(db.session(), sid, signed_in_actor())))


@route(bp, "/sittings", "GET", summary="Council sittings you may see, latest first",
       tag="council", response=SittingList)
def list_sittings() -> tuple[Response, int]:
    rows = sittings.list_sittings(db.session(), signed_in_actor())
    return reply(SittingList(sittings=[SittingSummary(**_summary(s)) for s in rows]))


@route(bp, "/sittings/<id:sid>", "GET", summary="One sitting: members, agenda, tallies "
       "and verdicts", tag="council", response=SittingOut, errors=(404,))
def get_sitting(sid: int) -> tuple[Response, int]:
    return _reply_with(sid)


@route(bp, "/sittings/<id:sid>/tallies/<id:nid>", "POST",
       summary="Record or correct a nominee's tally (Council secretary)", tag="council",
       response=SittingOut, body=TallyBody, errors=(400, 403, 404, 409), description=(
           "While the sitting is open and the nominee's proposal not yet finalized. tdkt "
           "judges the tally against the award form's vote rule and stores the verdict with "
           "its explanation; a tally that does not add up (more ballots than members "
           "present, more written opinions than absent members, no quorum) is refused with "
           "400. Finalize with POST /proposals/{pid}/actions/decide and `session_id`."))
def record_tally(sid: int, nid: int) -> tuple[Response, int]:
    sittings.get(db.session(), sid, signed_in_actor())  # 404 unless the caller may see it
    require_secretary(signed_in_actor())
    data = json_body(TallyBody)
    with writing() as writer:
        council.record(writer, sid, nid, council.Count(**data.model_dump()), signed_in_actor(),
                       utcnow())
    return _reply_with(sid)

