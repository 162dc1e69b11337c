"""Tests of tools/data/: parsing helpers and a tiny build on real-format excerpts, plus the real build.

The fixtures below are lines copied from the files in ../shared/data (long dialogs cut to their first turns,
unused JSON keys dropped); the integration test builds from ../shared/data itself.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tools.data.build import (
    CATALOG_FILE,
    INTERACTIONS_FILE,
    MANIFEST_FILE,
    NOTICE_FILE,
    OUTPUT_FILES,
    build_data,
)
from tools.data.interactions import InteractionTable, seeker_liked
from tools.data.matching import TitleIndex, title_similarity
from tools.data.normalise import (
    dialog_text_key,
    display_title,
    imdb_str,
    merge_keywords,
    ml_title_parts,
    normalize_genres,
    parse_title_year,
    parse_year,
    truncate_plot,
)
from tools.data.sources import DataBuildError
from tools.titles import normalize_title, split_year

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
SKIP_REASON = "needs ../shared/data (REDIAL/INSPIRED/MovieLens); absent in a user's clone"

# --------------------------------------------------------------------------- real-format excerpts

MOVIES_WITH_MENTIONS = """\
movieId,movieName,nbMentions
75815,Angels in the Outfield  (1994),6
76660,Batman: Revenge (2003),3
79851,The Mask (1988),31
80067,Toy Story (1995),180
100493,Why Him%3F (2016),76
106233,Jumanji (1995),170
"""

ID2INFO = {
    "79851": {"name": "The Mask (1988)", "genre": ["horror", "thriller"], "plot": "Ten years after his original massacre, the invalid Michael Myers awakens on Halloween Eve and returns to Haddonfield to kill his seven-year-old niece. Can Dr. Loomis stop him?", "director": ["Dwight H. Little"], "writer": ["Dhani Lipsius", "Larry Rattner", "Benjamin Ruffner"], "star": ["Donald Pleasence", "Ellie Cornell", "Danielle Harris"], "imdb_id": "tt0095271"},
    "80067": {"name": "Toy Story (1995)", "genre": ["animation", "adventure", "comedy"], "plot": "A cowboy doll is profoundly threatened and jealous when a new spaceman action figure supplants him as top toy in a boy's bedroom.", "director": ["John Lasseter"], "writer": ["John Lasseter", "Pete Docter", "Andrew Stanton"], "star": ["Tom Hanks", "Tim Allen", "Don Rickles"], "imdb_id": "tt0114709"},
    "100493": {"name": "Why Him? (2016)", "genre": ["comedy"], "plot": "A holiday gathering threatens to go off the rails when Ned Fleming realizes that his daughter's Silicon Valley millionaire boyfriend is about to pop the question.", "director": ["John Hamburg"], "writer": ["John Hamburg", "Ian Helfer", "Jonah Hill"], "star": ["Zoey Deutch", "James Franco", "Tangie Ambrose"], "imdb_id": "tt4501244"},
    "106233": {"name": "Jumanji (1995)", "genre": ["adventure", "comedy", "family"], "plot": "When two kids find and play a magical board game, they release a man trapped in it for decades - and a host of dangers that can only be stopped by finishing the game.", "director": ["Joe Johnston"], "writer": ["Jonathan Hensleigh", "Greg Taylor", "Jim Strain"], "star": ["Robin Williams", "Kirsten Dunst", "Bonnie Hunt"], "imdb_id": "tt0113497"},
}

MOVIES_JSON = {
    "75815": {"title": "Angels in the Outfield ", "year": "1994", "suggested": 0, "seen": 0, "liked": 0, "populatity": 9.368, "genres": [{"id": 35, "name": "Comedy"}, {"id": 18, "name": "Drama"}], "production_companies": [{"id": 175, "name": "Caravan Pictures"}, {"id": 2, "name": "Walt Disney Pictures"}], "num_language": 1, "rating": 5.9, "messages": {"current": [], "before": [], "after": []}},
    "76660": "failed",
    "79851": {"title": "The Mask", "year": "1988", "populatity": 3.424, "genres": [], "rating": 7.3},
    "80067": {"title": "Toy Story", "year": "1995", "populatity": 103.183, "genres": [{"id": 16, "name": "Animation"}, {"id": 12, "name": "Adventure"}, {"id": 10751, "name": "Family"}, {"id": 35, "name": "Comedy"}], "rating": 7.9},
    "106233": {"title": "Jumanji", "year": "1995", "populatity": 13.498, "genres": [{"id": 12, "name": "Adventure"}, {"id": 14, "name": "Fantasy"}, {"id": 10751, "name": "Family"}], "rating": 7.2},
}

COMBINED_METADATA = """\
,title,databaseId,Unnamed: 0,imdbID,genres,directors,actors,movielensID,year,country
2,Angels in the Outfield,75815,3112,43286,Comedy|Family|Fantasy,Clarence Brown,"Paul Douglas, Janet Leigh, Keenan Wynn",110597,1951.0,USA
496,Toy Story,80067,0,114709,Animation|Comedy|Family,John Lasseter,"Tom Hanks, Tim Allen, Don Rickles",1,1995.0,USA
764,Jumanji,106233,26425,113497,Adventure|Fantasy|Family,Joe Johnston,"Robin Williams, Kirsten Dunst, Bonnie Hunt",2,1995.0,USA
"""

MOVIES_RATING_DATA = """\
,Unnamed: 0,movieId,rating_mean,genres,databaseId,title
0,0,1,3.89,Adventure|Animation|Children|Comedy|Fantasy,80067,Toy Story (1995)
1,68462,2,3.25,Adventure|Children|Fantasy,106233,Jumanji (1995)
4498,21267040,156708,3.5,nogenre,79851,The Mask (1988)
"""

REDIAL_PARTIAL: list[dict[str, Any]] = [
    {"movieMentions": {"80067": "Toy Story (1995)", "82894": "Frozen (2013)", "140749": "Moana  (2016)", "122604": "Coco  (2017)"}, "respondentQuestions": {"80067": {"suggested": 0, "seen": 2, "liked": 2}, "82894": {"suggested": 1, "seen": 2, "liked": 2}, "140749": {"suggested": 1, "seen": 2, "liked": 1}, "122604": {"suggested": 1, "seen": 2, "liked": 1}}, "messages": [{"timeOffset": 0, "text": "hi", "senderWorkerId": 502, "messageId": 1}, {"timeOffset": 5, "text": "Hi", "senderWorkerId": 315, "messageId": 2}, {"timeOffset": 9, "text": "hello", "senderWorkerId": 502, "messageId": 3}], "conversationId": "11681", "respondentWorkerId": 502, "initiatorWorkerId": 315, "initiatorQuestions": {"80067": {"suggested": 0, "seen": 1, "liked": 1}, "82894": {"suggested": 1, "seen": 1, "liked": 0}, "140749": {"suggested": 1, "seen": 0, "liked": 1}, "122604": {"suggested": 1, "seen": 1, "liked": 1}}},
    {"movieMentions": {"204974": "Black Panther (2018)", "89839": "Ride Along  (2014)", "106233": "Jumanji (1995)"}, "respondentQuestions": [], "messages": [{"text": "Hello", "senderWorkerId": 686}, {"text": "hi", "senderWorkerId": 690}, {"text": "i'm looking foward for any movie", "senderWorkerId": 686}, {"text": "i'm open for any movie what would you recommend me?", "senderWorkerId": 686}], "conversationId": "14843", "respondentWorkerId": 690, "initiatorWorkerId": 686, "initiatorQuestions": {"204974": {"suggested": 0, "seen": 1, "liked": 1}, "89839": {"suggested": 1, "seen": 0, "liked": 1}, "106233": {"suggested": 1, "seen": 1, "liked": 0}}},
]

REDIAL_IEVALM: list[dict[str, Any]] = [
    # the same dialog as 14843 above, re-formatted by iEvaLM (consecutive messages merged)
    {"movieMentions": {"204974": "Black Panther (2018)", "89839": "Ride Along  (2014)", "106233": "Jumanji (1995)"}, "respondentQuestions": [], "messages": [{"senderWorkerId": 686, "text": "Hello", "turn_id": 0}, {"senderWorkerId": 690, "text": "hi", "turn_id": 1}, {"senderWorkerId": 686, "text": "i'm looking foward for any movie i'm open for any movie what would you recommend me?", "turn_id": 2}], "conversationId": "14843", "respondentWorkerId": 690, "initiatorWorkerId": 686, "initiatorQuestions": {"204974": {"suggested": 0, "seen": 1, "liked": 1}, "89839": {"suggested": 1, "seen": 0, "liked": 1}, "106233": {"suggested": 1, "seen": 1, "liked": 0}}},
    {"movieMentions": {"80067": "Toy Story (1995)", "82923": "Minions  (2015)", "140749": "Moana  (2016)"}, "respondentQuestions": {"80067": {"suggested": 1, "seen": 2, "liked": 2}, "82923": {"suggested": 1, "seen": 2, "liked": 0}, "140749": {"suggested": 1, "seen": 1, "liked": 0}}, "messages": [{"senderWorkerId": 502, "text": "hi hello what kind of movis do you like", "turn_id": 0}, {"senderWorkerId": 690, "text": "hello, can you recommend a good kids movie for a boy age 7 who likes power ranger type movies", "turn_id": 1}, {"senderWorkerId": 502, "text": "what about the movies like @122604 , @80067 and @140749", "turn_id": 2}], "conversationId": "14329", "respondentWorkerId": 502, "initiatorWorkerId": 690, "initiatorQuestions": {"80067": {"suggested": 1, "seen": 0, "liked": 1}, "82923": {"suggested": 1, "seen": 1, "liked": 1}, "140749": {"suggested": 1, "seen": 1, "liked": 0}}},
]

INSPIRED_TRAIN = [
    [{"text": "Hi There! What types of movies do you like to watch?", "role": "RECOMMENDER", "movie": [], "entity_link": [], "entity_name": [], "movie_link": [], "movie_name": []}, {"text": "Hello! I'm more of an action movie or a good romance and mystery movie.", "role": "SEEKER", "movie": [], "entity_link": ["<http://dbpedia.org/resource/Action_film>", "<http://dbpedia.org/resource/Mystery_fiction>"], "entity_name": ["action movie", "mystery"], "movie_link": [], "movie_name": []}, {"text": "I just saw the trailer for Knives Out when I went to see Joker and it looked like a good mix of action and mystery!", "role": "RECOMMENDER", "movie": ["Knives Out (2019)"], "entity_link": ["<http://dbpedia.org/resource/Remix>", "<http://dbpedia.org/resource/Action_film>"], "entity_name": ["mix", "action"], "movie_link": ["<http://dbpedia.org/resource/Knives_Out>"], "movie_name": ["Knives Out"]}, {"text": "I seen that one too as I seen Joker about a month ago. I thought about asking my fiance about going and seeing it.", "role": "SEEKER", "movie": ["Joker (2019)"], "entity_link": [], "entity_name": [], "movie_link": ["<http://dbpedia.org/resource/Joker_(2019_film)>"], "movie_name": ["Joker"]}],
    [{"text": "Hi! How's it going today", "role": "RECOMMENDER", "movie": [], "entity_link": [], "entity_name": [], "movie_link": [], "movie_name": []}, {"text": "I loved Toy Story as a kid", "role": "SEEKER", "movie": ["Toy Story (1995)"], "entity_link": [], "entity_name": [], "movie_link": [], "movie_name": []}],
]

DEV_TSV_HEADER = "dialog_id\tutt_id\tspeaker\tturn_id\ttext\ttext_with_placeholder\tmovies\tgenres\tpeople_names\tmovie_dict\tgenre_dict\tactor_dict\tdirector_dict\tothers_dict\texpert_label\tsecond_label\tfine_label\tcoarse_label\tmovie_id"
DEV_TSV_ROWS = [
    "20191202-103716_425_live.pkl\t13\tSEEKER\t5\tI guess the QUOTATION_MARKfutureQUOTATION_MARK portrayed seemed a little dated\tI guess the \"future\" portrayed seemed a little dated\tThe Future (2011)\t\t\t{'Full Metal Jacket (1987)': 0}\t{'drama': 0}\t{}\t{}\t\t\t\taccept_rating_good\taccept_new\tKs_MbPPkhmA",
    "20191128-213320_959_live.pkl\t18\tRECOMMENDER\t6\tMine is the Shawshank Redemption.\t[MOVIE_TITLE_3] is the [MOVIE_TITLE_4]\tThe Shawshank Redemption (1994); Mine (2016)\t\t\t{'Mine (2016)': 4}\t{'action': 0}\t{'Tom Hanks': 0}\t{}\t\tpersonal_opinion\t\taccept_rating_good\taccept_new\tlZHUmQ-dCXM",
]

CFCRS_VALID = {"dialog_id": "20191202-103716_425_live.pkl", "dialog": [{"role": "RECOMMENDER", "text": "Full Metal Jacket", "text_template": "<movie>", "word": [], "entity": [], "movie": ["Full Metal Jacket (1987)"], "flow": ["Full Metal Jacket (1987)"]}]}

KG_ENTITY2ID = {"Knives Out (2019)": 0, "Ana de Armas": 1, "Chris Evans": 2, "Rian Johnson": 3, "comedy": 4, "mystery": 5, "Toy Story (1995)": 6, "Tom Hanks": 7, "John Lasseter": 8, "family": 9}
KG_ENTITY2TYPE = {"Knives Out (2019)": "movie", "Ana de Armas": "person", "Chris Evans": "person", "Rian Johnson": "person", "comedy": "genre", "mystery": "genre", "Toy Story (1995)": "movie", "Tom Hanks": "person", "John Lasseter": "person", "family": "genre"}
KG = {"0": [[2, 4], [0, 2], [2, 5], [0, 1], [1, 3]], "6": [[0, 7], [2, 9], [1, 8]]}
KG_RELATION2ID = {"star": 0, "director": 1, "genre": 2}

ML25M_MOVIES = """\
movieId,title,genres,keyword
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy,animation|kids and family|pixar animation|computer animation|toys
2,Jumanji (1995),Adventure|Children|Fantasy,special effects|kids|fantasy|children|adventure
1985,Halloween 4: The Return of Michael Myers (1988),Horror,serial killer|horror|franchise|slasher|halloween
156708,The Mask (1988),(no genres listed),
167018,Why Him? (2016),Comedy,crude humor|pornography|foul language|hilarious|comedy
207313,Knives Out (2019),Comedy|Crime|Drama|Mystery|Thriller,
"""

ML25M_LINKS = """\
movieId,imdbId,tmdbId
1,0114709,862
2,0113497,8844
1985,0095271,11357
156708,0095598,131334
167018,4501244,356305
207313,8946378,546554
"""

ML_SMALL_RATINGS = "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,3,4.0,964981247\r\n5,1,4.0,847434962\r\n6,2,4.0,845553522\r\n18,2,3.0,1455617462\r\n"

TMDB_CSV = """\
movieId,title,genres,year,tmdb_id,tmdb_title,tmdb_release_date,tmdb_overview,tmdb_runtime,tmdb_genres,tmdb_top_cast,tmdb_keywords
1,Toy Story (1995),Animation|Children's|Comedy,1995,862,Toy Story,1995-11-22,"Led by Woody, Andy's toys live happily in his room until Andy's birthday brings Buzz Lightyear onto the scene.",81,"Family, Comedy, Animation, Adventure","Tom Hanks, Tim Allen, Don Rickles, Jim Varney, Wallace Shawn","rescue, friendship, mission, jealousy, villain"
2,Jumanji (1995),Adventure|Children's|Fantasy,1995,8844,Jumanji,1995-12-15,"When siblings Judy and Peter discover an enchanted board game that opens the door to a magical world.",104,"Adventure, Fantasy, Family","Robin Williams, Kirsten Dunst, Bradley Pierce, Bonnie Hunt, Jonathan Hyde","giant insect, board game, disappearance, jungle"
"""


def _jsonl(rows: list) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def write_mini_source(root: Path) -> Path:
    """Write the excerpts above as a tiny ../shared/data tree (no test files)."""
    files = {
        "redial/movies_with_mentions.csv": MOVIES_WITH_MENTIONS,
        "redial/id2info.json": json.dumps(ID2INFO),
        "redial/movies.json": json.dumps(MOVIES_JSON),
        "redial/combined_metadata.csv": COMBINED_METADATA,
        "redial/movies_rating_data.csv": MOVIES_RATING_DATA,
        "redial/train_data_partial.jsonl": _jsonl(REDIAL_PARTIAL),
        "redial/ievalm/valid_data.jsonl": _jsonl(REDIAL_IEVALM),
        "inspired/unicrs/train_data_dbpedia.jsonl": _jsonl(INSPIRED_TRAIN),
        "inspired/dev.tsv": "\n".join([DEV_TSV_HEADER, *DEV_TSV_ROWS]) + "\n",
        "inspired/cfcrs/valid_data.jsonl": _jsonl([CFCRS_VALID]),
        "inspired/cfcrs/entity2id.json": json.dumps(KG_ENTITY2ID),
        "inspired/cfcrs/entity2type.json": json.dumps(KG_ENTITY2TYPE),
        "inspired/cfcrs/kg.json": json.dumps(KG),
        "inspired/cfcrs/relation2id.json": json.dumps(KG_RELATION2ID),
        "movielens/ml-25m/movies_w_keywords.csv": ML25M_MOVIES,
        "movielens/ml-25m/links.csv": ML25M_LINKS,
        "movielens/ml-latest-small/ratings.csv": ML_SMALL_RATINGS,
        "tmdb/movielens_movies_tmdb.csv": TMDB_CSV,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    return root


def read_catalog(out: Path) -> list[dict]:
    with gzip.open(out / CATALOG_FILE, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def read_interactions(out: Path) -> list[dict]:
    with gzip.open(out / INTERACTIONS_FILE, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Headhunter  (2009)", ("Headhunter", 2009)),
        ("Why Him%3F (2016)", ("Why Him?", 2016)),
        ("%22Crocodile%22 Dundee (1986)", ('"Crocodile" Dundee', 1986)),
        ("Matrix, The (1999)", ("The Matrix", 1999)),
        ("Okja", ("Okja", None)),
        ("Outbreak (1995", ("Outbreak", 1995)),
        ("The Witch (2015 film)", ("The Witch", 2015)),
        ("Dirty Dancing (2017 film", ("Dirty Dancing", 2017)),
        ("Rose Red ()", ("Rose Red", None)),
        ("Star Wars: Episode VIII – The Last Jedi (2017)", ("Star Wars: Episode VIII – The Last Jedi", 2017)),
    ],
)
def test_parse_title_year(raw: str, expected: tuple[str, int | None]) -> None:
    assert parse_title_year(raw) == expected


def test_display_title_decodes_and_moves_article() -> None:
    assert display_title("What's Up, Doc%3F ") == "What's Up, Doc?"
    assert display_title("American President, The") == "The American President"


def test_ml_title_parts() -> None:
    assert ml_title_parts("City of Lost Children, The (Cité des enfants perdus, La) (1995)") == (
        "The City of Lost Children",
        ["La Cité des enfants perdus"],
        1995,
    )
    assert ml_title_parts("Seven (a.k.a. Se7en) (1995)") == ("Seven", ["Se7en"], 1995)
    assert ml_title_parts("(500) Days of Summer (2009)") == ("(500) Days of Summer", [], 2009)
    assert ml_title_parts("DEAD RISING : ENDGAME") == ("DEAD RISING : ENDGAME", [], None)


def test_normalize_genres_maps_synonyms_to_the_vocabulary() -> None:
    raw = ["Science Fiction", "Children's", "Children", "Musical", "IMAX", "(no genres listed)", "Film-Noir", "TV Movie", "Comedy"]
    assert normalize_genres(raw) == ["sci-fi", "family", "music", "film-noir", "tv-movie", "comedy"]


def test_parse_year_and_ids() -> None:
    assert parse_year("1995") == 1995
    assert parse_year(2009.0) == 2009
    assert parse_year("1995-11-22") == 1995
    assert parse_year(0) is None
    assert parse_year("failed") is None
    assert imdb_str("0114709") == imdb_str(114709) == imdb_str("tt0114709") == "tt0114709"
    assert imdb_str("") is None


def test_truncate_plot_and_keywords() -> None:
    plot = "A short sentence. " * 60
    cut = truncate_plot(plot)
    assert len(cut) <= 600 and cut.endswith(".")
    assert truncate_plot("word " * 200).endswith("…")
    assert len(truncate_plot("word " * 200)) <= 600
    kws = merge_keywords(["science fiction", "sci fi", "Cyberpunk"], ["scifi", "cyberpunk", "hacker"], limit=3)
    assert kws == ["science fiction", "cyberpunk", "hacker"]


def test_title_similarity_and_index() -> None:
    assert title_similarity("The Matrix", "Matrix, The") == 2
    assert title_similarity("Home Alone", "Home Alone 2: Lost in New York") == 0
    assert title_similarity("John Wick: Chapter 2", "John Wick: Chapter Two", same_year=True) == 1
    assert title_similarity("The Mask", "Halloween 4: The Return of Michael Myers") == 0
    index = TitleIndex()
    index.add("Toy Story", 1995, "a")
    index.add("The Mummy", 1932, "b")
    index.add("The Mummy", 1999, "c")
    assert index.lookup("Toy Story", 1996) == "a"  # ±1 tolerated
    assert index.lookup("Toy Story", 1998) is None
    assert index.lookup("Mummy, The", 1999) == "c"
    assert index.lookup("Toy Story", None) == "a"
    assert index.lookup("The Mummy", None) is None  # ambiguous without a year


def test_seeker_liked_prefers_the_seekers_answer() -> None:
    dialog = REDIAL_PARTIAL[0]
    assert seeker_liked(dialog, "80067")  # initiator liked=1, respondent "did not say"
    assert not seeker_liked(dialog, "82894")  # initiator liked=0
    assert not seeker_liked(REDIAL_PARTIAL[1], "106233")
    assert not seeker_liked({"initiatorQuestions": [], "respondentQuestions": []}, "1")


def test_dialog_text_key_survives_merged_messages() -> None:
    assert dialog_text_key(REDIAL_PARTIAL[1]["messages"]) == dialog_text_key(REDIAL_IEVALM[0]["messages"])


def test_interaction_table_sums_duplicates() -> None:
    table = InteractionTable()
    table.add("ml:1", 3, 1.0, "movielens", "rating")
    table.add("ml:1", 3, 0.5, "movielens", "rating")
    table.add("redial:1", 3, 1.0, "redial", "mention")
    rows = list(csv.DictReader(io.StringIO(table.to_csv().decode())))
    assert rows == [
        {"user": "ml:1", "item_id": "3", "weight": "1.5", "source": "movielens", "kind": "rating"},
        {"user": "redial:1", "item_id": "3", "weight": "1", "source": "redial", "kind": "mention"},
    ]


# --------------------------------------------------------------------------- tiny build


@pytest.fixture()
def mini_build(tmp_path: Path) -> tuple[Path, dict]:
    source = write_mini_source(tmp_path / "src")
    out = tmp_path / "out"
    return out, build_data(source, out)


def test_mini_build_catalog(mini_build: tuple[Path, dict]) -> None:
    out, manifest = mini_build
    items = read_catalog(out)
    by_title = {(r["title"], r["year"]): r for r in items}
    # REDIAL items first, numbered in REDIAL id order; then new INSPIRED items in title order.
    assert [r["redial_id"] for r in items[:6]] == [75815, 76660, 79851, 80067, 100493, 106233]
    assert [r["id"] for r in items] == list(range(1, len(items) + 1))
    inspired = [(r["title"], r["year"]) for r in items[6:]]
    assert inspired == sorted(inspired)
    assert ("Knives Out", 2019) in inspired and ("Toy Story", 1995) not in inspired  # matched to REDIAL
    assert list(items[0]) == [
        "id", "title", "year", "genres", "directors", "writers", "stars", "plot", "keywords", "popularity",
        "rating", "redial_id", "imdb_id", "movielens_id", "tmdb_id", "aliases",
    ]

    toy = by_title[("Toy Story", 1995)]
    assert toy["plot"].startswith("A cowboy doll")
    assert toy["genres"] == ["animation", "adventure", "comedy", "family"]
    assert toy["directors"] == ["John Lasseter"] and toy["stars"][0] == "Tom Hanks"
    assert (toy["imdb_id"], toy["movielens_id"], toy["tmdb_id"]) == ("tt0114709", 1, 862)
    assert toy["popularity"] == 103.183 and toy["rating"] == 7.9
    assert "pixar animation" in toy["keywords"] and "rescue" in toy["keywords"]

    why = by_title[("Why Him?", 2016)]
    assert "Why Him%3F" in why["aliases"]

    # id2info's record for "The Mask (1988)" describes Halloween 4 (its imdb id): rejected.
    mask = by_title[("The Mask", 1988)]
    assert mask["movielens_id"] == 156708 and mask["imdb_id"] == "tt0095598"
    assert "Michael Myers" not in mask["plot"] and "Dwight H. Little" not in mask["directors"]

    # combined_metadata matched the 1951 film to the 1994 one: its people are not used.
    angels = by_title[("Angels in the Outfield", 1994)]
    assert angels["directors"] == [] and angels["genres"] == ["comedy", "drama"]

    batman = by_title[("Batman: Revenge", 2003)]
    assert batman["popularity"] == 0.0 and batman["rating"] is None  # movies.json says "failed"

    knives = by_title[("Knives Out", 2019)]
    assert knives["redial_id"] is None and knives["movielens_id"] == 207313 and knives["tmdb_id"] == 546554
    assert knives["directors"] == ["Rian Johnson"] and set(knives["stars"]) == {"Ana de Armas", "Chris Evans"}
    assert {"comedy", "mystery"} <= set(knives["genres"])
    assert by_title[("The Future", 2011)] and by_title[("Mine", 2016)] and by_title[("Full Metal Jacket", 1987)]

    assert manifest["items"]["total"] == len(items)
    assert "redial/test_data.jsonl" not in manifest["sources"]
    assert set(manifest["sources"]) >= {"redial/id2info.json", "inspired/dev.tsv", "movielens/ml-25m/links.csv"}


def test_mini_build_interactions(mini_build: tuple[Path, dict]) -> None:
    out, manifest = mini_build
    items = {r["redial_id"]: r["id"] for r in read_catalog(out) if r["redial_id"]}
    titles = {r["title"]: r["id"] for r in read_catalog(out)}
    rows = {(r["user"], int(r["item_id"])): r for r in read_interactions(out)}
    assert rows[("redial:11681", items[80067])]["kind"] == "like"
    assert rows[("redial:11681", items[80067])]["weight"] == "2"
    assert rows[("redial:14843", items[106233])]["kind"] == "mention"  # seeker did not like it
    assert rows[("redial:14329", items[80067])]["kind"] == "like"
    assert manifest["details"]["redial_dialogs"]["duplicates"] == 1
    assert rows[("inspired:1", titles["Knives Out"])]["source"] == "inspired"
    assert rows[("inspired:2", items[80067])]["weight"] == "1"
    assert rows[("ml:1", items[80067])]["weight"] == "1"  # 4.0 stars -> 1.0
    assert ("ml:18", items[106233]) not in rows  # 3.0 stars dropped
    assert manifest["interactions"]["by_source"] == {
        "inspired": sum(1 for u, _ in rows if u.startswith("inspired:")),
        "movielens": sum(1 for u, _ in rows if u.startswith("ml:")),
        "redial": sum(1 for u, _ in rows if u.startswith("redial:")),
    }


def test_mini_build_is_reproducible_and_writes_notice(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    build_data(source, tmp_path / "a")
    build_data(source, tmp_path / "b")
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    notice = (tmp_path / "a" / NOTICE_FILE).read_text()
    assert "CC BY 4.0" in notice and "Harper" in notice and "Hayati" in notice
    assert "This product uses the TMDB API but is not endorsed or certified by TMDB" in notice


def test_missing_source_file_raises_and_writes_nothing(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "redial" / "id2info.json").unlink()
    out = tmp_path / "out"
    with pytest.raises(DataBuildError, match=r"missing source file .*id2info\.json"):
        build_data(source, out)
    assert not any((out / name).exists() for name in OUTPUT_FILES)


def test_corrupt_source_file_raises_one_line_error(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "redial" / "ievalm" / "valid_data.jsonl").write_text('{"movieMentions": {\n', encoding="utf-8")
    with pytest.raises(DataBuildError) as info:
        build_data(source, tmp_path / "out")
    message = str(info.value)
    assert "valid_data.jsonl" in message and "\n" not in message and "PROVENANCE.md" in message


def test_csv_missing_column_is_reported(tmp_path: Path) -> None:
    source = write_mini_source(tmp_path / "src")
    (source / "movielens" / "ml-25m" / "links.csv").write_text("movieId,imdb\n1,0114709\n", encoding="utf-8")
    with pytest.raises(DataBuildError, match=r"links\.csv .*missing column"):
        build_data(source, tmp_path / "out")


# --------------------------------------------------------------------------- the real build


def _dev_coverage(items: list[dict]) -> tuple[float, int]:
    """Share of distinct INSPIRED dev movies (dev.tsv ``movies``) found by normalised title + year (±1)."""
    index: dict[str, list[int | None]] = {}
    for item in items:
        for name in (item["title"], *item["aliases"]):
            index.setdefault(normalize_title(name), []).append(item["year"])
    csv.field_size_limit(1 << 27)
    movies: set[str] = set()
    with open(SHARED_DATA / "inspired" / "dev.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            movies.update(m.strip() for m in (row["movies"] or "").split("; ") if m.strip())
    found = 0
    for movie in movies:
        title, year = split_year(movie)
        years = index.get(normalize_title(title), [])
        if any(y is None or year is None or abs(y - year) <= 1 for y in years):
            found += 1
    return found / len(movies), len(movies)


def _redial_test_coverage(items: list[dict]) -> tuple[float, int, set[str]]:
    """Share of movie mentions in the official REDIAL test split whose REDIAL id is in the catalog."""
    redial_ids = {item["redial_id"] for item in items if item["redial_id"] is not None}
    total = hit = 0
    conversations: set[str] = set()
    with open(SHARED_DATA / "redial" / "test_data.jsonl", encoding="utf-8") as fh:
        for line in fh:
            dialog = json.loads(line)
            conversations.add(str(dialog["conversationId"]))
            for movie_id in dialog["movieMentions"]:
                total += 1
                hit += int(movie_id) in redial_ids
    return hit / total, total, conversations


@pytest.mark.shared_data
def test_build_on_shared_data(tmp_path: Path) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    manifest = build_data(SHARED_DATA, tmp_path / "a")
    items = read_catalog(tmp_path / "a")
    interactions = read_interactions(tmp_path / "a")

    assert len(items) == manifest["items"]["total"] >= 7000
    assert manifest["items"]["redial"] == 6924
    cov = manifest["coverage"]
    assert cov["genres"] >= 0.90
    assert cov["plot"] >= 0.80
    assert cov["people"] >= 0.85
    assert all(len(r["plot"]) <= 600 and len(r["keywords"]) <= 15 for r in items)
    assert all(r["popularity"] >= 0 and (r["rating"] is None or 0 <= r["rating"] <= 10) for r in items)
    vocab = {g for r in items for g in r["genres"]}
    assert len(vocab) <= 25 and "sci-fi" in vocab and "science fiction" not in vocab

    test_cov, n_mentions, test_conversations = _redial_test_coverage(items)
    assert test_cov >= 0.99
    dev_cov, n_dev = _dev_coverage(items)
    assert dev_cov >= 0.95

    by_source = manifest["interactions"]["by_source"]
    assert by_source["redial"] >= 15000 and by_source["inspired"] >= 2000 and by_source["movielens"] >= 40000
    assert len(interactions) == manifest["interactions"]["total"]
    redial_users = {r["user"].split(":", 1)[1] for r in interactions if r["source"] == "redial"}
    assert not redial_users & test_conversations, "REDIAL test dialogs leaked into training interactions"
    assert "redial/test_data.jsonl" not in manifest["sources"]

    size = sum((tmp_path / "a" / name).stat().st_size for name in OUTPUT_FILES)
    assert size < 10 * 1024 * 1024

    build_data(SHARED_DATA, tmp_path / "b")
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert json.loads((tmp_path / "a" / MANIFEST_FILE).read_text())["items"] == manifest["items"]

    print(
        f"\nitems={len(items)} genres={cov['genres']:.3f} plot={cov['plot']:.3f} people={cov['people']:.3f} "
        f"redial_test_mentions_in_catalog={test_cov:.4f} (n={n_mentions}) inspired_dev_mapped={dev_cov:.4f} "
        f"(n={n_dev}) interactions={by_source} size_bytes={size}"
    )
