"""Document × term matrices for the queue's relatedness (data/related.py): word presence and TF-IDF.

The same matrices scikit-learn's CountVectorizer(binary=True) and TfidfVectorizer(sublinear_tf=True)
make, array for array (same vocabulary order, same stored order in each row, same floating-point
steps, so every product of them is bit for bit the same), built here with scipy.sparse alone:
importing scikit-learn took about a second of every build's ranking process, for a few hundred
topics' words. tests/test_term_matrix.py checks both against scikit-learn on fuzzed documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from scipy import sparse

# scikit-learn's ENGLISH_STOP_WORDS (sklearn/feature_extraction/_stop_words.py, BSD-3-Clause; from the
# Glasgow Information Retrieval Group's stop list), word for word: 318 words.
ENGLISH_STOP_WORDS = frozenset(
    """
a about above across after afterwards again against all almost alone along already also although always am
among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back
be became because become becomes becoming been before beforehand behind being below beside besides between
beyond bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down
due during each eg eight either eleven else elsewhere empty enough etc even ever every everyone everything
everywhere except few fifteen fifty fill find fire first five for former formerly forty found four from front
full further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers herself
him himself his how however hundred i ie if in inc indeed interest into is it its itself keep last latter
latterly least less ltd made many may me meanwhile might mill mine more moreover most mostly move much must my
myself name namely neither never nevertheless next nine no nobody none noone nor not nothing now nowhere of
off often on once one only onto or other others otherwise our ours ourselves out over own part per perhaps
please put rather re same see seem seemed seeming seems serious several she should show side since sincere six
sixty so some somehow someone something sometime sometimes somewhere still such system take ten than that the
their them themselves then thence there thereafter thereby therefore therein thereupon these they thick thin
third this those though three through throughout thru thus to together too top toward towards twelve twenty
two un under until up upon us very via was we well were what whatever when whence whenever where whereafter
whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom whose why will
with within without would yet you your yours yourself yourselves
""".split()
)
WORD_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default token_pattern


class NoTerms(ValueError):
    """No term left: the documents hold none, or every one is in more documents than allowed."""


def term_counts(
    docs: Iterable[str],
    stop_words: Iterable[str],
    pattern: str = WORD_PATTERN,
    max_df: float | int = 1.0,
    dtype: type = np.int64,
) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    """(document × term counts (of `dtype`), the terms in column order) of lowercased documents split by `pattern`,
    without `stop_words` and without terms in more than `max_df` documents (an int: a count; a float:
    a share of the documents), columns in the terms' sorted order: CountVectorizer.fit_transform's steps."""
    stop = frozenset(stop_words)
    tokens = re.compile(pattern).findall
    vocabulary: dict[str, int] = {}
    columns: list[int] = []
    values: list[int] = []
    indptr = [0]
    for doc in docs:
        counter: dict[int, int] = {}
        for word in tokens(doc.lower()):
            if word not in stop:
                k = vocabulary.setdefault(word, len(vocabulary))
                counter[k] = counter.get(k, 0) + 1
        columns.extend(counter)
        values.extend(counter.values())
        indptr.append(len(columns))
    if not vocabulary:
        raise NoTerms("empty vocabulary")
    x = sparse.csr_matrix(
        (np.array(values, dtype=np.intc), np.array(columns, dtype=np.int32), np.array(indptr, dtype=np.int32)),
        shape=(len(indptr) - 1, len(vocabulary)),
        dtype=dtype,
    )
    x.sort_indices()
    x, vocabulary = _limit(x, vocabulary, max_df if isinstance(max_df, int) else max_df * x.shape[0])
    terms = sorted(vocabulary.items())
    where = np.empty(len(terms), dtype=x.indices.dtype)
    for new, (_, old) in enumerate(terms):
        where[old] = new
    x.indices = where.take(x.indices, mode="clip")
    return x, tuple(t for t, _ in terms)


def _limit(x: sparse.csr_matrix, vocabulary: dict[str, int], most: float) -> tuple[sparse.csr_matrix, dict[str, int]]:
    """Only the terms found in 1 to `most` documents (scikit-learn's _limit_features)."""
    dfs = np.bincount(x.indices, minlength=x.shape[1])
    mask = (dfs <= most) & (dfs >= 1)
    renumber = np.cumsum(mask) - 1
    kept = {t: renumber[k] for t, k in vocabulary.items() if mask[k]}
    if not kept:
        raise NoTerms("no term is in few enough documents")
    return x[:, np.where(mask)[0]], kept


def binary_terms(
    docs: Iterable[str], stop_words: Iterable[str], pattern: str = WORD_PATTERN, max_df: float | int = 1.0
) -> tuple[sparse.csr_matrix, tuple[str, ...]]:
    """term_counts with 1 for every term present (CountVectorizer(binary=True))."""
    x, terms = term_counts(docs, stop_words, pattern, max_df)
    x.data.fill(1)
    return x, terms


def tfidf(docs: Iterable[str], stop_words: Iterable[str] = ENGLISH_STOP_WORDS) -> sparse.csr_matrix:
    """Rows of unit length: (1 + log count) × smoothed idf of each term of each document
    (TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform)."""
    x, _ = term_counts(docs, stop_words, dtype=np.float64)  # made as floats (astype would sort each row)
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
    df += 1.0
    idf = np.full_like(df, fill_value=n + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    np.log(x.data, x.data)
    x.data += 1.0
    x.data *= idf[x.indices]
    _normalize_rows(x)
    return x


def _normalize_rows(x: sparse.csr_matrix) -> None:
    """Each row divided by its length, the squares summed one by one in stored order (as scikit-learn does)."""
    data, indptr = x.data, x.indptr
    for i in range(x.shape[0]):
        start, end = indptr[i], indptr[i + 1]
        total = 0.0
        for v in data[start:end].tolist():
            total += v * v
        if total != 0.0:
            data[start:end] /= np.sqrt(total)
