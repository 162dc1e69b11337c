"""Loaders for the conversational-recommendation datasets used in offline evaluation.

Every loader reads one ORIGINAL file format (see ``../shared/data/*/PROVENANCE.md``) and returns the same
typed structure: a list of :class:`Dialog`, each a tuple of :class:`Utterance` whose ``movies`` are
:class:`MovieRef` in mention order. Consecutive messages of one speaker are merged into one utterance (as
CRSLab does), so roles alternate.

- :func:`load_redial` — REDIAL ``*_data.jsonl`` (official format, and the iEvaLM / CFCRS re-formatted variant).
- :func:`load_inspired_tsv` — the original INSPIRED ``dev.tsv`` / ``test.tsv``.
- :func:`load_inspired_unicrs` — INSPIRED in the UniCRS processed format (``train_data_dbpedia.jsonl``).

REDIAL dialogs also keep their unmerged messages (:class:`Message`), with movies found by the rule of the
standardized protocol (:mod:`eval.standardized`), and the seeker's own liked / seen answers.

:func:`iter_samples` turns dialogs into evaluation samples following DESIGN §4 (one sample per distinct gold
movie of a recommender turn with a non-empty context, flagged when the movie was already mentioned).

Every problem with a file (missing, unreadable, a corrupt line) raises :class:`DatasetError` with a one-line
message naming the file and, where there is one, the line number.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tools.titles import normalize_title, split_year

__all__ = [
    "DatasetError",
    "Dialog",
    "Message",
    "MovieRef",
    "Role",
    "Sample",
    "Utterance",
    "iter_samples",
    "load_inspired_tsv",
    "load_inspired_unicrs",
    "load_redial",
    "parse_title_year",
    "redial_message_text",
]

Role = Literal["seeker", "recommender"]

_MENTION_RE = re.compile(r"@(\d+)")
_INSPIRED_ROLES: dict[str, Role] = {"SEEKER": "seeker", "RECOMMENDER": "recommender"}
_TSV_REQUIRED = ("dialog_id", "utt_id", "speaker", "text", "movies")


class DatasetError(ValueError):
    """A dataset file is missing, unreadable or malformed; the message names the file (and line)."""


@dataclass(frozen=True, slots=True)
class MovieRef:
    """A movie as a dataset mentions it.

    ``source_id`` is the dataset's own movie id as a string (REDIAL's movie id) or ``None`` where the
    dataset has none (INSPIRED); ``year`` is ``None`` when the name carries no year.
    """

    title: str
    year: int | None
    source_id: str | None = None

    @property
    def key(self) -> tuple[str, str, int | None]:
        """Identity used to compare mentions: the source id when present, else normalised title + year."""
        if self.source_id is not None:
            return ("id", self.source_id, None)
        return ("title", normalize_title(self.title), self.year)

    @property
    def label(self) -> str:
        """``"Title (Year)"``, or just the title when the year is unknown."""
        return f"{self.title} ({self.year})" if self.year is not None else self.title


@dataclass(frozen=True, slots=True)
class Utterance:
    """One speaker turn (consecutive messages of a speaker merged); ``movies`` in mention order, no repeats."""

    role: Role
    text: str
    movies: tuple[MovieRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """One unmerged REDIAL message, as the standardized protocol (:mod:`eval.standardized`) reads it.

    ``utterance_index`` is the index of the merged :class:`Utterance` that holds this message. ``movies``
    follows Kostric & Balog's ``create_recommendation_dataset.py``: every ``movieMentions`` id whose
    ``"@<id>"`` occurs in the raw text (a plain substring test), in ``movieMentions`` order, each once.
    """

    role: Role
    utterance_index: int
    movies: tuple[MovieRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Dialog:
    """One conversation.

    ``dataset`` is ``"redial"`` or ``"inspired"``. ``liked`` holds the source ids (REDIAL) of movies the
    seeker said they liked, when the data records it; it stays empty where the data has no such answers.
    REDIAL only (empty elsewhere): ``messages`` are the unmerged messages; ``form_liked`` / ``form_seen``
    the source ids with ``liked == 1`` / ``seen == 1`` in the seeker's own form (``initiatorQuestions``,
    no fallback), which the standardized protocol's SR and RDL read.
    """

    dialog_id: str
    dataset: str
    utterances: tuple[Utterance, ...]
    liked: frozenset[str] = field(default_factory=frozenset)
    messages: tuple[Message, ...] = ()
    form_liked: frozenset[str] = field(default_factory=frozenset)
    form_seen: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Sample:
    """One evaluation sample: predict ``gold`` from ``context`` (every utterance before ``turn_index``).

    ``gold_in_context`` is True when the gold movie was mentioned earlier in the dialog; the "dedup"
    variant of the protocol keeps only samples where it is False.
    """

    dialog_id: str
    turn_index: int
    context: tuple[Utterance, ...]
    gold: MovieRef
    gold_in_context: bool


def parse_title_year(s: str) -> tuple[str, int | None]:
    """Split ``"Heat  (1995) "`` into ``("Heat", 1995)``; whitespace runs are collapsed first."""
    return split_year(_clean(s))


def _clean(s: str) -> str:
    """Collapse whitespace runs (REDIAL names contain double spaces) and strip the ends."""
    return " ".join(s.split())


def _check_file(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        reason = "is a directory, not a file" if path.is_dir() else "file not found"
        raise DatasetError(f"{path}: {reason}")
    return path


def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line) for non-blank lines; bad bytes or I/O errors raise DatasetError."""
    path = _check_file(path)
    try:
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DatasetError(f"{path}:{lineno}: not valid UTF-8 ({exc.reason})") from exc
                if line.strip():
                    yield lineno, line
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _parse_json(path: Path, lineno: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from exc


def _dedup(movies: Iterable[MovieRef]) -> tuple[MovieRef, ...]:
    seen: set[tuple[str, str, int | None]] = set()
    out: list[MovieRef] = []
    for movie in movies:
        if movie.key not in seen:
            seen.add(movie.key)
            out.append(movie)
    return tuple(out)


def _merge_turns(turns: Iterable[tuple[Role, str, list[MovieRef]]]) -> tuple[Utterance, ...]:
    """Merge consecutive turns of the same role: texts joined by a space, movies kept in order."""
    merged: list[tuple[Role, list[str], list[MovieRef]]] = []
    for role, text, movies in turns:
        if merged and merged[-1][0] == role:
            merged[-1][1].append(text)
            merged[-1][2].extend(movies)
        else:
            merged.append((role, [text], list(movies)))
    return tuple(
        Utterance(role=role, text=" ".join(t for t in texts if t), movies=_dedup(movies))
        for role, texts, movies in merged
    )


# ---------------------------------------------------------------------------------------------- REDIAL


def _redial_text(text: str, mentions: dict[str, str]) -> tuple[str, list[MovieRef]]:
    """Replace each known ``@id`` by its movie name and return the MovieRefs in mention order.

    An ``@id`` absent from ``movieMentions`` (or whose name is null) is left in the text untouched and
    yields no MovieRef (one such case in the iEvaLM file, none in the test split).
    """
    movies: list[MovieRef] = []

    def replace(match: re.Match[str]) -> str:
        movie_id = match.group(1)
        name = mentions.get(movie_id)
        if not isinstance(name, str) or not _clean(name):
            return match.group(0)
        name = _clean(name)
        title, year = split_year(name)
        movies.append(MovieRef(title=title, year=year, source_id=movie_id))
        return name

    return _clean(_MENTION_RE.sub(replace, text)), movies


def redial_message_text(text: str, mentions: dict[str, str]) -> tuple[str, list[MovieRef]]:
    """One REDIAL message as the evaluation reads it: each known ``@id`` replaced by its movie name
    (``"Scarface (1983)"``), with the mentioned movies in order (see :func:`load_redial`)."""
    return _redial_text(text, mentions)


def _redial_liked(record: dict[str, Any]) -> frozenset[str]:
    """Movies with ``liked == 1`` in the seeker's own form (initiatorQuestions).

    Both forms answer questions about the *seeker*; the recommender's (respondentQuestions) is used only
    when the seeker's form is empty (REDIAL stores a missing form as ``[]``).
    """
    for key in ("initiatorQuestions", "respondentQuestions"):
        answers = record.get(key)
        if isinstance(answers, dict) and answers:
            return frozenset(
                str(movie_id)
                for movie_id, answer in answers.items()
                if isinstance(answer, dict) and answer.get("liked") == 1
            )
    return frozenset()


def _redial_form(record: dict[str, Any], answer: str) -> frozenset[str]:
    """Source ids whose ``answer`` (``"liked"`` or ``"seen"``) is 1 in the seeker's own form only."""
    answers = record.get("initiatorQuestions")
    if not isinstance(answers, dict):
        return frozenset()
    return frozenset(str(k) for k, v in answers.items() if isinstance(v, dict) and v.get(answer) == 1)


def _standardized_movies(text: str, mentions: dict[str, Any]) -> tuple[MovieRef, ...]:
    """The movies of one raw message by the standardized rule (see :class:`Message`)."""
    movies = []
    for movie_id, name in mentions.items():
        if f"@{movie_id}" in text:
            title, year = split_year(_clean(name)) if isinstance(name, str) else ("", None)
            movies.append(MovieRef(title=title, year=year, source_id=movie_id))
    return tuple(movies)


def _merged_index(roles: list[Role]) -> list[int]:
    """For each message, the index of the merged utterance (:func:`_merge_turns`) that holds it."""
    out: list[int] = []
    for i, role in enumerate(roles):
        out.append(0 if i == 0 else out[-1] + int(role != roles[i - 1]))
    return out


def _redial_dialog(record: Any) -> Dialog:
    if not isinstance(record, dict):
        raise TypeError(f"expected a JSON object, got {type(record).__name__}")
    mentions_raw = record.get("movieMentions") or {}
    if not isinstance(mentions_raw, dict):
        raise TypeError("movieMentions is not an object")
    mentions = {str(k): v for k, v in mentions_raw.items()}
    seeker, recommender = record["initiatorWorkerId"], record["respondentWorkerId"]
    messages = record["messages"]
    if not isinstance(messages, list):
        raise TypeError("messages is not a list")
    turns: list[tuple[Role, str, list[MovieRef]]] = []
    raw_texts: list[str] = []
    for i, message in enumerate(messages):
        sender = message["senderWorkerId"]
        role: Role
        if sender == seeker:
            role = "seeker"
        elif sender == recommender:
            role = "recommender"
        else:
            raise ValueError(f"message {i}: sender {sender!r} is neither initiator nor respondent")
        text, movies = _redial_text(str(message["text"]), mentions)
        turns.append((role, text, movies))
        raw_texts.append(str(message["text"]))
    roles = [role for role, _, _ in turns]
    return Dialog(
        dialog_id=str(record["conversationId"]),
        dataset="redial",
        utterances=_merge_turns(turns),
        liked=_redial_liked(record),
        messages=tuple(
            Message(role=role, utterance_index=u, movies=_standardized_movies(text, mentions))
            for role, u, text in zip(roles, _merged_index(roles), raw_texts, strict=True)
        ),
        form_liked=_redial_form(record, "liked"),
        form_seen=_redial_form(record, "seen"),
    )


def load_redial(path: Path) -> list[Dialog]:
    """Load a REDIAL ``*_data.jsonl`` file (one dialog object per line).

    Reads the official format (``movieMentions`` id -> name, ``@id`` mentions in message text,
    ``senderWorkerId`` compared with ``initiatorWorkerId`` = seeker and ``respondentWorkerId`` =
    recommender) and the iEvaLM / CFCRS variant (messages without ``messageId``/``timeOffset``, extra
    ``item``/``entity`` keys, which are ignored: movies always come from the ``@id`` mentions). Each ``@id``
    becomes the movie's name, e.g. ``"Scarface (1983)"`` (whitespace collapsed), and a
    ``MovieRef(title, year, source_id=id)``. Consecutive messages of one speaker are merged.

    Raises:
        DatasetError: the file is missing, or a line is not valid JSON or lacks the expected keys.
    """
    path = Path(path)
    dialogs: list[Dialog] = []
    for lineno, line in _read_lines(path):
        record = _parse_json(path, lineno, line)
        try:
            dialogs.append(_redial_dialog(record))
        except KeyError as exc:
            raise DatasetError(f"{path}:{lineno}: not a REDIAL dialog (missing key {exc})") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{path}:{lineno}: not a REDIAL dialog ({exc})") from exc
    return dialogs


# -------------------------------------------------------------------------------------------- INSPIRED


def _inspired_movies(cell: str) -> list[MovieRef]:
    """Parse a ``movies`` cell: ``"Title (Year); Other (Year)"`` (separator spacing varies)."""
    movies = []
    for part in cell.split(";"):
        if part.strip():
            title, year = parse_title_year(part)
            movies.append(MovieRef(title=title, year=year, source_id=None))
    return movies


def _inspired_role(value: Any) -> Role:
    role = _INSPIRED_ROLES.get(str(value).strip().upper())
    if role is None:
        raise ValueError(f"unknown speaker/role {value!r}")
    return role


def load_inspired_tsv(path: Path) -> list[Dialog]:
    """Load the original INSPIRED TSV (``dev.tsv``; the upstream ``data/dialog_data`` format).

    Rows are grouped by ``dialog_id`` (dialogs in order of first appearance) and sorted by ``utt_id``;
    the role comes from ``speaker`` (SEEKER / RECOMMENDER), the text from ``text`` (the original
    utterance), the movies from ``movies`` ("Title (Year)" items separated by ";"). Consecutive rows of one
    speaker are merged. ``liked`` stays empty (INSPIRED has no per-movie preference form).

    Raises:
        DatasetError: the file is missing, the header lacks a required column, or a row is malformed.
    """
    path = _check_file(Path(path))
    groups: dict[str, list[tuple[int, Role, str, list[MovieRef]]]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None:
                raise DatasetError(f"{path}:1: empty file, expected an INSPIRED TSV header")
            missing = [c for c in _TSV_REQUIRED if c not in header]
            if missing:
                raise DatasetError(f"{path}:1: not an INSPIRED TSV (missing columns: {', '.join(missing)})")
            col = {name: header.index(name) for name in _TSV_REQUIRED}
            for row in reader:
                lineno = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DatasetError(
                        f"{path}:{lineno}: expected {len(header)} tab-separated fields, got {len(row)}"
                    )
                try:
                    utt_id = int(row[col["utt_id"]])
                    role = _inspired_role(row[col["speaker"]])
                except ValueError as exc:
                    raise DatasetError(f"{path}:{lineno}: bad row ({exc})") from exc
                dialog_id = row[col["dialog_id"]].strip()
                if not dialog_id:
                    raise DatasetError(f"{path}:{lineno}: empty dialog_id")
                groups.setdefault(dialog_id, []).append(
                    (utt_id, role, _clean(row[col["text"]]), _inspired_movies(row[col["movies"]]))
                )
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise DatasetError(f"{path}: malformed TSV ({exc})") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return [
        Dialog(
            dialog_id=dialog_id,
            dataset="inspired",
            utterances=_merge_turns(
                (role, text, movies) for _, role, text, movies in sorted(rows, key=lambda r: r[0])
            ),
        )
        for dialog_id, rows in groups.items()
    ]


def _unicrs_dialog(turns: Any, dialog_id: str) -> Dialog:
    if not isinstance(turns, list):
        raise TypeError(f"expected a JSON list of turns, got {type(turns).__name__}")
    parsed: list[tuple[Role, str, list[MovieRef]]] = []
    for turn in turns:
        names = turn.get("movie") or []
        if not isinstance(names, list):
            raise TypeError("'movie' is not a list")
        movies = [
            MovieRef(*parse_title_year(str(name)), source_id=None) for name in names if str(name).strip()
        ]
        parsed.append((_inspired_role(turn["role"]), _clean(str(turn["text"])), movies))
    return Dialog(dialog_id=dialog_id, dataset="inspired", utterances=_merge_turns(parsed))


def load_inspired_unicrs(path: Path) -> list[Dialog]:
    """Load INSPIRED in the UniCRS processed format (``unicrs/train_data_dbpedia.jsonl``).

    Each line is a JSON list of turns with ``role`` (SEEKER / RECOMMENDER), ``text`` and ``movie`` (a list
    of "Title (Year)"); entity links are ignored. The format has no dialog ids, so ``dialog_id`` is
    ``"inspired-train-<n>"`` with ``n`` the 1-based line number. Consecutive turns of a speaker are merged.

    Raises:
        DatasetError: the file is missing, or a line is not valid JSON or not a list of turns.
    """
    path = Path(path)
    dialogs: list[Dialog] = []
    for lineno, line in _read_lines(path):
        record = _parse_json(path, lineno, line)
        try:
            dialogs.append(_unicrs_dialog(record, f"inspired-train-{lineno}"))
        except KeyError as exc:
            raise DatasetError(f"{path}:{lineno}: not a UniCRS INSPIRED dialog (missing key {exc})") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise DatasetError(f"{path}:{lineno}: not a UniCRS INSPIRED dialog ({exc})") from exc
    return dialogs


# --------------------------------------------------------------------------------------------- samples


def iter_samples(dialogs: Iterable[Dialog]) -> Iterator[Sample]:
    """Yield the evaluation samples of DESIGN §4, in dialog and turn order.

    Every recommender utterance with at least one movie and at least one earlier utterance gives one
    :class:`Sample` per distinct movie in it; ``context`` is every earlier utterance. ``gold_in_context``
    says whether the movie was mentioned earlier in the dialog (by either speaker), compared by
    ``source_id`` when present, else by normalised title + year (:attr:`MovieRef.key`).
    """
    for dialog in dialogs:
        mentioned: set[tuple[str, str, int | None]] = set()
        for index, utterance in enumerate(dialog.utterances):
            if utterance.role == "recommender" and index > 0:
                context = dialog.utterances[:index]
                emitted: set[tuple[str, str, int | None]] = set()
                for movie in utterance.movies:
                    if movie.key in emitted:
                        continue
                    emitted.add(movie.key)
                    yield Sample(
                        dialog_id=dialog.dialog_id,
                        turn_index=index,
                        context=context,
                        gold=movie,
                        gold_in_context=movie.key in mentioned,
                    )
            mentioned.update(movie.key for movie in utterance.movies)
