"""Rule sets in the database: load a YAML as a new immutable version, compile it once."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

import rules
from models import AwardForm, Campaign, RuleSetVersion
from models.base import utcnow
from rules.catalogue import load_catalogue
from rules.loader import CompiledRuleSet, compile_parsed, load_file, load_text
from rules.schema import RuleSet
from workflow.actors import SYSTEM, Actor
from workflow.audit.chain import record_stream_event

_cache: dict[tuple[int, str], CompiledRuleSet] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class LoadResult:
    campaign: Campaign
    version: RuleSetVersion
    created: bool


def compiled(version: RuleSetVersion) -> CompiledRuleSet:
    """The compiled form of a stored version; compiled once per process."""
    key = (version.id, version.source_sha256)
    found = _cache.get(key)
    if found is None:
        found = compile_parsed(version.parsed)
        with _cache_lock:
            _cache[key] = found
    return found


@dataclass(frozen=True)
class ActiveRules:
    """A campaign's active rule-set version, compiled."""

    campaign_code: str
    version_id: int
    rules: CompiledRuleSet


# Built once: only the keys of the process cache are read on the hot path, never the
# stored YAML and parsed JSON (read only when a version is compiled for the first time).
_ACTIVE = (select(Campaign.code, RuleSetVersion.id, RuleSetVersion.source_sha256)
           .join(RuleSetVersion, RuleSetVersion.id == Campaign.active_ruleset_id)
           .where(Campaign.id == bindparam("campaign_id")))
_SHA = select(RuleSetVersion.source_sha256).where(RuleSetVersion.id == bindparam("version_id"))
_PARSED = select(RuleSetVersion.parsed).where(RuleSetVersion.id == bindparam("version_id"))


def _compiled_key(session: Session, version_id: int, sha: str) -> CompiledRuleSet:
    found = _cache.get((version_id, sha))
    if found is None:
        found = compile_parsed(session.execute(_PARSED, {"version_id": version_id}).scalar_one())
        with _cache_lock:
            _cache[(version_id, sha)] = found
    return found


def active_rules(session: Session, campaign_id: int) -> ActiveRules | None:
    """The campaign's active version, compiled (one light query when it is cached);
    None when the campaign or its active version is missing."""
    row = session.execute(_ACTIVE, {"campaign_id": campaign_id}).first()
    if row is None:
        return None
    return active_from_key(session, *row)


def active_from_key(session: Session, campaign_code: str, version_id: int, sha: str
                    ) -> ActiveRules:
    """`active_rules` given the campaign's code and its active version's key, read by the
    caller (in a query of its own)."""
    return ActiveRules(campaign_code, version_id, _compiled_key(session, version_id, sha))


def compiled_by_id(session: Session, version_id: int) -> CompiledRuleSet:
    """`compiled` for a stored version known by its id (one light query when cached)."""
    sha = session.scalar(_SHA, {"version_id": version_id})
    if sha is None:
        raise LookupError(f"no rule-set version {version_id}")
    return _compiled_key(session, version_id, sha)


def sync_award_forms(session: Session) -> int:
    """Make the award_forms table match the shipped catalogue (insert or update)."""
    count = 0
    for info in load_catalogue().award_forms.values():
        row = session.get(AwardForm, info.code)
        if row is None:
            row = AwardForm(code=info.code)
            session.add(row)
        row.name_vi, row.name_en = info.name_vi, info.name_en
        row.nominee_kinds = list(info.nominee_kinds)
        count += 1
    session.flush()
    return count


def describe_campaign(campaign: Campaign, rs: RuleSet) -> None:
    """The campaign's title, legal basis, kind and period follow its active rule set."""
    campaign.title = rs.title
    campaign.legal_basis = "\n".join(rs.legal_basis)
    campaign.kind = rs.kind.value
    campaign.period_start, campaign.period_end = rs.period.starts, rs.period.ends


def load_ruleset_file(session: Session, path: str | Path, actor: Actor = SYSTEM,
                      now: datetime | None = None) -> LoadResult:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        load_file(path)  # raises RuleSetError naming the file
        raise
    return load_ruleset_text(session, text, str(path), actor, now)


def load_ruleset_text(session: Session, text: str, filename: str = "<rules>",
                      actor: Actor = SYSTEM, now: datetime | None = None) -> LoadResult:
    """Validate, then store as the campaign's new active version (unless unchanged).

    Validation happens before anything is written, so a bad rule set leaves the
    campaign on its previous version.
    """
    rs = load_text(text, filename).rules
    now = now or utcnow()
    sync_award_forms(session)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    campaign = session.scalar(select(Campaign).where(Campaign.code == rs.campaign)
                              .with_for_update())
    if campaign is None:
        campaign = Campaign(code=rs.campaign)
        session.add(campaign)
    describe_campaign(campaign, rs)
    session.flush()
    active = campaign.active_ruleset
    if active is not None and active.source_sha256 == sha:
        return LoadResult(campaign, active, created=False)
    number = (session.scalar(select(func.max(RuleSetVersion.version))
                             .where(RuleSetVersion.campaign_id == campaign.id)) or 0) + 1
    version = RuleSetVersion(
        campaign_id=campaign.id, version=number, source_yaml=text, source_sha256=sha,
        parsed=rs.model_dump(mode="json"), author_id=actor.id, author_name=actor.name,
        created_at=now,
    )
    session.add(version)
    session.flush()
    campaign.active_ruleset_id = version.id
    record_stream_event(session, f"campaign:{campaign.code}", "load_ruleset", actor, now,
                        payload={"version": number, "sha256": sha, "file": Path(filename).name})
    session.flush()
    return LoadResult(campaign, version, created=True)


def activate_version(session: Session, campaign_code: str, number: int,
                     actor: Actor = SYSTEM, now: datetime | None = None) -> RuleSetVersion:
    campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
    if campaign is None:
        raise LookupError(f"no campaign {campaign_code}")
    version = session.scalar(select(RuleSetVersion).where(
        RuleSetVersion.campaign_id == campaign.id, RuleSetVersion.version == number))
    if version is None:
        raise LookupError(f"campaign {campaign_code} has no version {number}")
    campaign.active_ruleset_id = version.id
    describe_campaign(campaign, compiled(version).rules)
    record_stream_event(session, f"campaign:{campaign.code}", "activate_ruleset", actor,
                        now or utcnow(), payload={"version": number})
    session.flush()
    return version


def shipped_ruleset_files() -> list[Path]:
    return sorted((Path(rules.__file__).parent / "campaigns").glob("*.yaml"))
