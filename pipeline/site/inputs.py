"""Everything a build reads, validated at once: the data files, the wording and the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from pipeline.config import Config
from pipeline.content.connections import make_graph
from pipeline.content.wording import Wording, read_wording
from pipeline.data import links as links_file
from pipeline.data.load import read_csv, read_inputs
from pipeline.data.overrides import override_notes
from pipeline.data.pairs import check_scale, check_url_collisions
from pipeline.data.people import PEOPLE_COLUMNS, PEOPLE_FILE, PEOPLE_REQUIRED, Person, reviewer_notes, validate_people
from pipeline.data.sources import SOURCES_COLUMNS, SOURCES_FILE, SOURCES_REQUIRED, validate_sources
from pipeline.data.validate import (
    KNOWN_COLUMNS,
    REQUIRED,
    declared_slugs,
    default_approval_problems,
    header_notes,
    pair_notes,
    topic_notes,
    validate_pairs,
    validate_topics,
)
from pipeline.problems import ContractError, Problem
from pipeline.site.pages import policy_note


@dataclass(frozen=True)
class Inputs:
    """Everything a build reads, validated."""

    topics: pd.DataFrame
    pairs: pd.DataFrame
    wording: Wording
    templates: Path
    cfg: Config
    notes: tuple[str, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)  # data/people.csv by id (empty without it)
    links: pd.DataFrame | None = None  # data/links.csv, validated (pipeline.data.links)


def load_inputs(data_dir: Path, templates: Path, cfg: Config) -> Inputs:
    """Read and validate everything; raise one ContractError with every problem."""
    topics_t, pairs_t, problems = read_inputs(data_dir, REQUIRED)
    topics, pairs = pd.DataFrame(), pd.DataFrame()
    links_t, links = None, None
    renamed: dict[str, str] = {}
    file = str(data_dir / "topics.csv")
    if topics_t is not None and topics_t.header:
        topics, more = validate_topics(topics_t)
        problems += more
        # Pairs may name a topic whose own row has a problem: that row is blamed, not the pair.
        renamed = {o: s for s, olds in zip(topics["slug"], topics["old_slugs"]) for o in olds}
        kinds = dict(zip(topics["slug"], topics["kind"]))
        known = set(topics["slug"]) | declared_slugs(topics_t)
        pairs, more = validate_pairs(pairs_t, known, renamed, kinds, cfg.default_status)
        problems += more + default_approval_problems(len(topics), pairs, cfg.default_status, cfg.default_status_at)
        links_t, more = read_csv(data_dir / links_file.FILE, links_file.LINK_REQUIRED, optional=True)
        problems += more
        if links_t is not None and links_t.header:
            links, more = links_file.validate_links(links_t, set(topics["slug"]) | declared_slugs(topics_t), renamed)
            problems += more
        if len(topics_t.rows) < 2:
            problems.append(problems_for_few(data_dir))
        for check in (
            lambda: check_scale(len(topics_t.rows), cfg.max_pages, file),
            lambda: check_url_collisions(list(topics["slug"]), file),
        ):
            try:
                check()
            except ContractError as exc:
                problems += exc.problems
    people_t, more = read_csv(data_dir / PEOPLE_FILE, PEOPLE_REQUIRED, optional=True)
    people, people_problems = validate_people(people_t)
    problems += more + people_problems
    sources_t, more = read_csv(data_dir / SOURCES_FILE, SOURCES_REQUIRED, optional=True)
    references, bad = validate_sources(sources_t)
    problems += more + bad
    try:
        wording = read_wording(templates / "wording")
    except ContractError as exc:
        problems += exc.problems
    if problems:
        raise ContractError(problems)
    notes = header_notes(topics_t, KNOWN_COLUMNS["topics"]) + header_notes(pairs_t, KNOWN_COLUMNS["pairs"])
    notes += header_notes(links_t, links_file.LINK_KNOWN)
    notes += pair_notes(links_t, renamed, ("subject", "object"))
    notes += topic_notes(topics_t) + pair_notes(pairs_t, renamed)
    notes += override_notes(pairs_t, cfg.audit.title_max, (cfg.audit.description_min, cfg.audit.description_max))
    notes += header_notes(people_t, PEOPLE_COLUMNS)
    notes += header_notes(sources_t, SOURCES_COLUMNS)
    wording = replace(wording, references=references)  # pages cite data/sources.csv's entries
    notes += policy_note(cfg)
    if pairs_t is not None:
        reviewers = [(line, row.get("reviewed_by", "")) for row, line in zip(pairs_t.rows, pairs_t.lines)]
        notes += reviewer_notes(pairs_t.file, reviewers, people)
    return Inputs(topics, pairs, wording, templates, cfg, tuple(notes), people, links)


def problems_for_few(data_dir: Path) -> Problem:
    return Problem(str(data_dir / "topics.csv"), 0, "", "needs at least two topics to make a pair page")


def links_graph(inputs: Inputs):
    """The links graph of data/links.csv and the approved editor pairs (empty without links.csv)."""
    links = inputs.links if inputs.links is not None else pd.DataFrame(columns=list(links_file.LINK_COLUMNS))
    return make_graph(links_file.edges(links, inputs.pairs))
