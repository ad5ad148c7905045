"""How text becomes search terms: jieba for Chinese, words with light normalisation for the rest.

The same functions cut the documents (subjects, descriptions, comments) and the queries, so both
databases see exactly the same terms and a query behaves the same on PostgreSQL and SQLite.

- Text is NFKC-normalised (full-width ``ＡＢ１２`` is ``AB12``) and lower-cased.
- Runs of Chinese characters are cut by jieba without its HMM guesser (``HMM=False``), which
  keeps the cut of a phrase the same whether it stands alone in a query or inside a sentence:
  with the guesser, ``还没到`` inside a sentence became ``没到`` while the query ``没到`` stayed
  ``没`` ``到``, and nothing matched. Documents use the search mode (``cut_for_search``), which
  adds the shorter dictionary words inside long ones (``增值税专用发票`` also gives ``增值税``,
  ``专用``, ``发票``), so a query for a part of a word finds it; queries use the precise mode.
- Other runs of letters and digits are words. Joined by ``- _ . / @ # + : &`` they form a
  compound (``AB-1234``, ``li@shop.cn``): a document keeps the compound written together
  (``ab1234``) and each part, and a word that mixes letters and digits also gives its letter
  and digit parts (``so20240615001`` gives ``so`` and ``20240615001``); a query asks for the
  compound only, so ``AB-1234``, ``ab1234`` and ``AB1234`` all find ``AB-1234``.
- English plurals and possessives are folded (``parcels``, ``parcel's`` → ``parcel``,
  ``boxes`` → ``box``, ``batteries`` → ``battery``) on words of four letters or more.
- A query drops function words (``the``, ``is``, ``的``, ``了`` …) unless nothing else is left.

Terms are at most :data:`MAX_TERM_BYTES` bytes of UTF-8 (longer ones are cut, the same way in
documents and queries), so PostgreSQL's ``tsvector`` never overflows on a long comment.

jieba loads its dictionary (about half a second) on first use, once per process, under a lock;
:func:`warm_up` does it ahead of time, for a worker or a benchmark that wants the first write fast.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator

with warnings.catch_warnings():
    # jieba 0.42 has regular expressions in plain strings ("\\."), which Python reports while
    # compiling it (DeprecationWarning, SyntaxWarning from 3.12) when no bytecode is cached.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import jieba

__all__ = ["MAX_QUERY_TERMS", "MAX_TERM_BYTES", "document_terms", "query_terms", "warm_up"]

MAX_TERM_BYTES = 32
#: A query of more terms than this keeps the first ones (a pasted paragraph is not a search).
MAX_QUERY_TERMS = 16

#: Han ideographs: extension A, the unified block, compatibility ideographs, extensions B-F.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_RUN = re.compile(f"([{_HAN}]+)")
#: A word (letters and digits; apostrophes inside) and the connectors that make compounds.
_WORD = r"[^\W_](?:[^\W_]|['’](?=[^\W_]))*"
_RUN = re.compile(f"{_WORD}(?:[-_./@#+:&]{_WORD})*")
_CONNECTOR = re.compile(r"[-_./@#+:&]")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")

_STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "i", "in", "is", "it", "me",
    "my", "of", "on", "or", "our", "please", "the", "this", "that", "to", "was", "we", "were",
    "what", "when", "where", "which", "with", "you", "your",
    "的", "了", "吗", "呢", "吧", "啊", "呀", "么", "是", "在", "我", "你",
))

_tokenizer: jieba.Tokenizer | None = None
_lock = threading.Lock()


def _jieba() -> jieba.Tokenizer:
    """The process's jieba tokenizer, its dictionary loaded on first use (once, under a lock)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(60)  # jieba reports its dictionary load on stderr otherwise
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first ticket written or searched."""
    _jieba()


def _clip(term: str) -> str:
    raw = term.encode()
    return term if len(raw) <= MAX_TERM_BYTES else raw[:MAX_TERM_BYTES].decode(errors="ignore")


def _singular(word: str) -> str:
    """``parcels`` → ``parcel``: a light, predictable plural fold for ASCII words of 4+ letters."""
    if len(word) < 4 or not (word.isascii() and word.isalpha()):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _part(text: str) -> str:
    """One part of a compound: possessive dropped, other apostrophes removed, plural folded."""
    for mark in ("'s", "’s"):
        if text.endswith(mark):
            text = text[: -len(mark)]
    return _singular(text.replace("'", "").replace("’", ""))


def _runs(text: str) -> Iterator[tuple[bool, str]]:
    """``(is_han, run)`` for every run of Han characters and every word or compound."""
    normal = unicodedata.normalize("NFKC", text).lower()
    for piece in _HAN_RUN.split(normal):
        if not piece:
            continue
        if _HAN_RUN.fullmatch(piece):
            yield True, piece
        else:
            for match in _RUN.finditer(piece):
                yield False, match.group()


def _word_terms(run: str, *, for_query: bool) -> list[str]:
    parts = [p for p in (_part(p) for p in _CONNECTOR.split(run)) if p]
    if not parts:
        return []
    compound = "".join(parts)
    if for_query:
        return [compound]
    terms = [compound] if len(parts) > 1 else []
    for part in parts:
        terms.append(part)
        pieces = _LETTERS_OR_DIGITS.findall(part)
        if len(pieces) > 1:
            terms.extend(pieces)
    return terms


def _terms(texts: Iterable[str | None], *, for_query: bool) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        for is_han, run in _runs(text):
            if is_han:
                cut = _jieba().cut(run, HMM=False) if for_query else _jieba().cut_for_search(run, HMM=False)
                found = [w for w in cut if w.strip()]
            else:
                found = _word_terms(run, for_query=for_query)
            for term in found:
                seen.setdefault(_clip(term), None)
    seen.pop("", None)
    return list(seen)


def document_terms(*texts: str | None) -> list[str]:
    """The distinct terms of ``texts`` as a document holds them, in order of appearance."""
    return _terms(texts, for_query=False)


def query_terms(text: str) -> list[str]:
    """The distinct terms a query asks for (all of them must match), at most
    :data:`MAX_QUERY_TERMS`; function words are left out unless the query has nothing else."""
    terms = _terms([text], for_query=True)
    meaningful = [t for t in terms if t not in _STOP_WORDS]
    return (meaningful or terms)[:MAX_QUERY_TERMS]
