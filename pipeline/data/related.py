"""How likely two topics are to be really connected, from the data alone (no demand needed).

Four signals (six with data/links.csv), weighed like Hugo's related-content indices (site.toml [queue], docs/queue.md):
the two topics share a category; the editors already approved pairs linking both to a third topic
(mindfulness–rumination and rumination–anxiety make mindfulness–anxiety likely); their effects and
strategies share words; their descriptions are similar by TF-IDF (data/term_matrix.py: scikit-learn's
TfidfVectorizer, rebuilt on scipy). A category or word carried by more than `cardinality_threshold`
per cent of the topics counts for nothing, as Hugo drops index keywords that are too common to tell
pages apart. With data/links.csv, a link stated between the two topics and topics both are linked
with count as strong signals.

Every signal is a topic × topic matrix (2,000 topics: 4 million cells, a few MB each) read at the
pair table's codes, so the whole join is scored without a loop over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.config import QueueSettings
from pipeline.data.term_matrix import ENGLISH_STOP_WORDS, NoTerms, binary_terms, tfidf


@dataclass(frozen=True)
class Signals:
    """The topic × topic signals, and what is needed to put them into words."""

    slugs: tuple[str, ...]
    category: np.ndarray  # per topic: category code, -1 when none or too common
    categories: tuple[str, ...]
    approved: sparse.csr_matrix  # topic × topic, 1 where an approved pair joins them
    linked: np.ndarray  # topic × topic: topics both are approved with
    words: sparse.csr_matrix  # topic × word, 1 where the word is in the topic's effects or strategies
    vocabulary: tuple[str, ...]
    shared: np.ndarray  # topic × topic: words shared
    similarity: np.ndarray  # topic × topic: TF-IDF cosine of the descriptions
    link: sparse.csr_matrix | None = None  # topic × topic, 1 where links.csv states a link (either way)
    link_shared: np.ndarray | None = None  # topic × topic: topics both are linked with in links.csv
    statements: dict | None = None  # (a, b) in slug order → ["depression is-treated-by behavioral-activation", …]


def _max_df(settings: QueueSettings, n: int) -> float | int:
    """The max_df (as scikit-learn's vectorizers name it) of the cardinality threshold: how many topics
    may carry a word (or a category) for it to count. Two always may: a value two topics share is what
    a pair is about."""
    if not settings.cardinality_threshold or n < 2:
        return 1.0
    return max(2, int(settings.cardinality_threshold * n / 100))


def _categories(topics: pd.DataFrame, settings: QueueSettings) -> tuple[np.ndarray, tuple[str, ...]]:
    cats = topics["category"].fillna("").astype(str) if "category" in topics else pd.Series([""] * len(topics))
    codes, uniques = pd.factorize(cats, sort=True)
    counts = np.bincount(codes, minlength=len(uniques))
    limit = _max_df(settings, len(topics))
    limit = limit * len(topics) if isinstance(limit, float) else limit
    useless = np.array([u == "" or (settings.cardinality_threshold and c > limit) for u, c in zip(uniques, counts)])
    codes = np.where(useless[codes], -1, codes) if len(uniques) else codes
    return codes.astype(np.int32), tuple(uniques)


def _text(value) -> str:
    if isinstance(value, (tuple, list)):
        return " ".join(str(v) for v in value)
    return "" if value is None or value != value else str(value)


# Words of instructions and time, common in strategies whatever the topic: they say nothing of a pair.
INSTRUCTION_WORDS = frozenset(
    "set start day days daily time times small try make take talk minutes minute fixed clearer sense notice "
    "practice write week weeks use keep regular regularly step steps way ways help helps good better".split()
)
# Words of health advice in general, beyond scikit-learn's ENGLISH_STOP_WORDS ("someone", "others" are
# there; term_matrix.py): who to turn to (doctor, professional), who is meant (people), and the verbs and adjectives
# any step can carry (ask, check, short, steadier). Two topics sharing one of them share no subject.
DOMAIN_STOP_WORDS = frozenset(
    "people person doctor doctors professional professionals therapist clinician qualified licensed "
    "ask look check build pause protect short long brief steadier concrete consistent focused difficulty "
    "feel feels feeling feelings".split()
)


def _word_matrix(topics: pd.DataFrame, settings: QueueSettings) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    docs = [
        _text(e) + " " + _text(s)
        for e, s in zip(topics.get("effects", [""] * len(topics)), topics.get("strategies", [""] * len(topics)))
    ]
    try:
        x, terms = binary_terms(
            docs,
            ENGLISH_STOP_WORDS | INSTRUCTION_WORDS | DOMAIN_STOP_WORDS,
            r"(?u)\b[a-zA-Z][a-zA-Z-]{2,}\b",
            _max_df(settings, len(docs)),
        )
    except NoTerms:  # no words at all, or every word too common
        return sparse.csr_matrix((len(docs), 0), dtype=np.int32), ()
    return x.astype(np.int32).tocsr(), terms


def _similarity(topics: pd.DataFrame) -> np.ndarray:
    docs = [_text(d) for d in topics["description"]]
    try:
        x = tfidf(docs)
    except NoTerms:
        return np.zeros((len(docs), len(docs)), dtype=np.float32)
    sim = (x @ x.T).toarray().astype(np.float32)
    np.fill_diagonal(sim, 0)
    return sim


def _links(links: pd.DataFrame | None, code: dict[str, int], n: int):
    """links.csv as a symmetric topic × topic matrix, its shared-neighbour counts and its statements."""
    statements: dict[tuple[str, str], list[str]] = {}
    rows, cols = [], []
    for s, rel, o in links[["subject", "relation", "object"]].itertuples(index=False) if links is not None else ():
        if s in code and o in code:
            rows += [code[s], code[o]]
            cols += [code[o], code[s]]
            statements.setdefault((min(s, o), max(s, o)), []).append(f"{s} {rel} {o}")
    if not rows:
        return None, None, None
    matrix = sparse.coo_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(n, n)).tocsr()
    matrix.data[:] = 1  # a pair stated twice is one link
    shared = (matrix @ matrix).toarray().astype(np.int16)
    np.fill_diagonal(shared, 0)
    return matrix, shared, statements


def signals(
    topics: pd.DataFrame, editorial: pd.DataFrame, settings: QueueSettings, links: pd.DataFrame | None = None
) -> Signals:
    """The topic × topic signals of validated topics (sorted by slug), pairs.csv and links.csv."""
    topics = topics.sort_values("slug", kind="stable").reset_index(drop=True)
    slugs = tuple(topics["slug"])
    n = len(slugs)
    code = {s: k for k, s in enumerate(slugs)}
    category, categories = _categories(topics, settings)
    ok = editorial[editorial["status"] == "approved"] if len(editorial) else editorial
    rows = np.array([code[a] for a in ok["a"]] if len(ok) else [], dtype=np.int32)
    cols = np.array([code[b] for b in ok["b"]] if len(ok) else [], dtype=np.int32)
    ones = np.ones(len(rows), dtype=np.int32)
    approved = sparse.coo_matrix(
        (np.concatenate([ones, ones]), (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
    ).tocsr()
    linked = (approved @ approved).toarray().astype(np.int16)
    np.fill_diagonal(linked, 0)
    words, vocabulary = _word_matrix(topics, settings)
    shared = (words @ words.T).toarray().astype(np.int16)
    link, link_shared, statements = _links(links, code, n)
    return Signals(
        slugs,
        category,
        categories,
        approved,
        linked,
        words,
        vocabulary,
        shared,
        _similarity(topics),
        link,
        link_shared,
        statements,
    )


def score(sig: Signals, i: np.ndarray, j: np.ndarray, settings: QueueSettings) -> dict[str, np.ndarray]:
    """The relatedness columns of the pairs (i, j): each signal and their weighed sum."""
    w = settings.weights
    f32 = np.float32
    first = sig.category[i]
    same = (first == sig.category[j]) & (first >= 0)
    del first
    linked = sig.linked[i, j]
    shared = sig.shared[i, j]
    similarity = sig.similarity[i, j]
    # Summed in place in float32: at 2 million pairs each float64 temporary would be 16 MB.
    relatedness = similarity * f32(w.description)
    relatedness += same * f32(w.category)
    relatedness += np.minimum(linked, settings.max_linked) * f32(w.linked)
    relatedness += np.minimum(shared, settings.max_words) * f32(w.words)
    direct = np.zeros(len(i), dtype=bool)
    through = np.zeros(len(i), dtype=np.int16)
    if sig.link is not None:
        direct = np.asarray(sig.link[i, j]).ravel() > 0
        through = sig.link_shared[i, j]
        relatedness += direct * f32(w.link)
        relatedness += np.minimum(through, settings.max_linked) * f32(w.link_shared)
    return {
        "linked_directly": direct,
        "linked_via": through,
        "same_category": same,
        "linked": linked,
        "shared_words": shared,
        "similarity": similarity,
        "relatedness": relatedness,
    }


def reasons(sig: Signals, i: int, j: int, names: dict[str, str]) -> list[str]:
    """The relatedness of one pair in words: 'same category (Mood & Anxiety)', 'linked through rumination'…"""
    out = []
    if sig.statements:
        said = sig.statements.get((min(sig.slugs[i], sig.slugs[j]), max(sig.slugs[i], sig.slugs[j])))
        if said:
            out.append("links.csv: " + ", ".join(said))
        if sig.link_shared is not None and sig.link_shared[i, j]:
            both = sorted(set(sig.link.getrow(i).indices) & set(sig.link.getrow(j).indices))
            more = f" and {len(both) - 3} more" if len(both) > 3 else ""
            out.append("both linked in links.csv to " + ", ".join(names[sig.slugs[k]] for k in both[:3]) + more)
    if sig.category[i] >= 0 and sig.category[i] == sig.category[j]:
        out.append(f"same category ({sig.categories[sig.category[i]]})")
    if sig.linked[i, j]:
        a, b = sig.approved.getrow(i), sig.approved.getrow(j)
        through = sorted(set(a.indices) & set(b.indices))
        out.append("linked through " + ", ".join(names[sig.slugs[k]] for k in through))
    if sig.shared[i, j]:
        common = sorted(set(sig.words.getrow(i).indices) & set(sig.words.getrow(j).indices))
        out.append("shared effects/strategies words: " + ", ".join(sig.vocabulary[k] for k in common[:5]))
    if sig.similarity[i, j] >= 0.1:
        out.append(f"similar descriptions ({sig.similarity[i, j]:.2f})")
    return out
