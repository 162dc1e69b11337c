"""Real-format excerpts of the raw datasets and a writer for a tiny ``../shared/data`` tree built from them.

The excerpts are lines copied from the files in ../shared/data (long dialogs cut to their first turns, unused
JSON keys dropped).
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

from tools.data.build import CATALOG_FILE, INTERACTIONS_FILE

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
    "79851": {
        "name": "The Mask (1988)",
        "genre": ["horror", "thriller"],
        "plot": "Ten years after his original massacre, the invalid Michael Myers awakens on Halloween Eve and returns to Haddonfield to kill his seven-year-old niece. Can Dr. Loomis stop him?",
        "director": ["Dwight H. Little"],
        "writer": ["Dhani Lipsius", "Larry Rattner", "Benjamin Ruffner"],
        "star": ["Donald Pleasence", "Ellie Cornell", "Danielle Harris"],
        "imdb_id": "tt0095271",
    },
    "80067": {
        "name": "Toy Story (1995)",
        "genre": ["animation", "adventure", "comedy"],
        "plot": "A cowboy doll is profoundly threatened and jealous when a new spaceman action figure supplants him as top toy in a boy's bedroom.",
        "director": ["John Lasseter"],
        "writer": ["John Lasseter", "Pete Docter", "Andrew Stanton"],
        "star": ["Tom Hanks", "Tim Allen", "Don Rickles"],
        "imdb_id": "tt0114709",
    },
    "100493": {
        "name": "Why Him? (2016)",
        "genre": ["comedy"],
        "plot": "A holiday gathering threatens to go off the rails when Ned Fleming realizes that his daughter's Silicon Valley millionaire boyfriend is about to pop the question.",
        "director": ["John Hamburg"],
        "writer": ["John Hamburg", "Ian Helfer", "Jonah Hill"],
        "star": ["Zoey Deutch", "James Franco", "Tangie Ambrose"],
        "imdb_id": "tt4501244",
    },
    "106233": {
        "name": "Jumanji (1995)",
        "genre": ["adventure", "comedy", "family"],
        "plot": "When two kids find and play a magical board game, they release a man trapped in it for decades - and a host of dangers that can only be stopped by finishing the game.",
        "director": ["Joe Johnston"],
        "writer": ["Jonathan Hensleigh", "Greg Taylor", "Jim Strain"],
        "star": ["Robin Williams", "Kirsten Dunst", "Bonnie Hunt"],
        "imdb_id": "tt0113497",
    },
}

MOVIES_JSON = {
    "75815": {
        "title": "Angels in the Outfield ",
        "year": "1994",
        "suggested": 0,
        "seen": 0,
        "liked": 0,
        "populatity": 9.368,
        "genres": [{"id": 35, "name": "Comedy"}, {"id": 18, "name": "Drama"}],
        "production_companies": [
            {"id": 175, "name": "Caravan Pictures"},
            {"id": 2, "name": "Walt Disney Pictures"},
        ],
        "num_language": 1,
        "rating": 5.9,
        "messages": {"current": [], "before": [], "after": []},
    },
    "76660": "failed",
    "79851": {"title": "The Mask", "year": "1988", "populatity": 3.424, "genres": [], "rating": 7.3},
    "80067": {
        "title": "Toy Story",
        "year": "1995",
        "populatity": 103.183,
        "genres": [
            {"id": 16, "name": "Animation"},
            {"id": 12, "name": "Adventure"},
            {"id": 10751, "name": "Family"},
            {"id": 35, "name": "Comedy"},
        ],
        "rating": 7.9,
    },
    "106233": {
        "title": "Jumanji",
        "year": "1995",
        "populatity": 13.498,
        "genres": [
            {"id": 12, "name": "Adventure"},
            {"id": 14, "name": "Fantasy"},
            {"id": 10751, "name": "Family"},
        ],
        "rating": 7.2,
    },
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
    {
        "movieMentions": {
            "80067": "Toy Story (1995)",
            "82894": "Frozen (2013)",
            "140749": "Moana  (2016)",
            "122604": "Coco  (2017)",
        },
        "respondentQuestions": {
            "80067": {"suggested": 0, "seen": 2, "liked": 2},
            "82894": {"suggested": 1, "seen": 2, "liked": 2},
            "140749": {"suggested": 1, "seen": 2, "liked": 1},
            "122604": {"suggested": 1, "seen": 2, "liked": 1},
        },
        "messages": [
            {"timeOffset": 0, "text": "hi", "senderWorkerId": 502, "messageId": 1},
            {"timeOffset": 5, "text": "Hi", "senderWorkerId": 315, "messageId": 2},
            {"timeOffset": 9, "text": "hello", "senderWorkerId": 502, "messageId": 3},
        ],
        "conversationId": "11681",
        "respondentWorkerId": 502,
        "initiatorWorkerId": 315,
        "initiatorQuestions": {
            "80067": {"suggested": 0, "seen": 1, "liked": 1},
            "82894": {"suggested": 1, "seen": 1, "liked": 0},
            "140749": {"suggested": 1, "seen": 0, "liked": 1},
            "122604": {"suggested": 1, "seen": 1, "liked": 1},
        },
    },
    {
        "movieMentions": {
            "204974": "Black Panther (2018)",
            "89839": "Ride Along  (2014)",
            "106233": "Jumanji (1995)",
        },
        "respondentQuestions": [],
        "messages": [
            {"text": "Hello", "senderWorkerId": 686},
            {"text": "hi", "senderWorkerId": 690},
            {"text": "i'm looking foward for any movie", "senderWorkerId": 686},
            {"text": "i'm open for any movie what would you recommend me?", "senderWorkerId": 686},
        ],
        "conversationId": "14843",
        "respondentWorkerId": 690,
        "initiatorWorkerId": 686,
        "initiatorQuestions": {
            "204974": {"suggested": 0, "seen": 1, "liked": 1},
            "89839": {"suggested": 1, "seen": 0, "liked": 1},
            "106233": {"suggested": 1, "seen": 1, "liked": 0},
        },
    },
]

REDIAL_IEVALM: list[dict[str, Any]] = [
    # the same dialog as 14843 above, re-formatted by iEvaLM (consecutive messages merged)
    {
        "movieMentions": {
            "204974": "Black Panther (2018)",
            "89839": "Ride Along  (2014)",
            "106233": "Jumanji (1995)",
        },
        "respondentQuestions": [],
        "messages": [
            {"senderWorkerId": 686, "text": "Hello", "turn_id": 0},
            {"senderWorkerId": 690, "text": "hi", "turn_id": 1},
            {
                "senderWorkerId": 686,
                "text": "i'm looking foward for any movie i'm open for any movie what would you recommend me?",
                "turn_id": 2,
            },
        ],
        "conversationId": "14843",
        "respondentWorkerId": 690,
        "initiatorWorkerId": 686,
        "initiatorQuestions": {
            "204974": {"suggested": 0, "seen": 1, "liked": 1},
            "89839": {"suggested": 1, "seen": 0, "liked": 1},
            "106233": {"suggested": 1, "seen": 1, "liked": 0},
        },
    },
    {
        "movieMentions": {"80067": "Toy Story (1995)", "82923": "Minions  (2015)", "140749": "Moana  (2016)"},
        "respondentQuestions": {
            "80067": {"suggested": 1, "seen": 2, "liked": 2},
            "82923": {"suggested": 1, "seen": 2, "liked": 0},
            "140749": {"suggested": 1, "seen": 1, "liked": 0},
        },
        "messages": [
            {"senderWorkerId": 502, "text": "hi hello what kind of movis do you like", "turn_id": 0},
            {
                "senderWorkerId": 690,
                "text": "hello, can you recommend a good kids movie for a boy age 7 who likes power ranger type movies",
                "turn_id": 1,
            },
            {
                "senderWorkerId": 502,
                "text": "what about the movies like @122604 , @80067 and @140749",
                "turn_id": 2,
            },
        ],
        "conversationId": "14329",
        "respondentWorkerId": 502,
        "initiatorWorkerId": 690,
        "initiatorQuestions": {
            "80067": {"suggested": 1, "seen": 0, "liked": 1},
            "82923": {"suggested": 1, "seen": 1, "liked": 1},
            "140749": {"suggested": 1, "seen": 1, "liked": 0},
        },
    },
]

INSPIRED_TRAIN = [
    [
        {
            "text": "Hi There! What types of movies do you like to watch?",
            "role": "RECOMMENDER",
            "movie": [],
            "entity_link": [],
            "entity_name": [],
            "movie_link": [],
            "movie_name": [],
        },
        {
            "text": "Hello! I'm more of an action movie or a good romance and mystery movie.",
            "role": "SEEKER",
            "movie": [],
            "entity_link": [
                "<http://dbpedia.org/resource/Action_film>",
                "<http://dbpedia.org/resource/Mystery_fiction>",
            ],
            "entity_name": ["action movie", "mystery"],
            "movie_link": [],
            "movie_name": [],
        },
        {
            "text": "I just saw the trailer for Knives Out when I went to see Joker and it looked like a good mix of action and mystery!",
            "role": "RECOMMENDER",
            "movie": ["Knives Out (2019)"],
            "entity_link": [
                "<http://dbpedia.org/resource/Remix>",
                "<http://dbpedia.org/resource/Action_film>",
            ],
            "entity_name": ["mix", "action"],
            "movie_link": ["<http://dbpedia.org/resource/Knives_Out>"],
            "movie_name": ["Knives Out"],
        },
        {
            "text": "I seen that one too as I seen Joker about a month ago. I thought about asking my fiance about going and seeing it.",
            "role": "SEEKER",
            "movie": ["Joker (2019)"],
            "entity_link": [],
            "entity_name": [],
            "movie_link": ["<http://dbpedia.org/resource/Joker_(2019_film)>"],
            "movie_name": ["Joker"],
        },
    ],
    [
        {
            "text": "Hi! How's it going today",
            "role": "RECOMMENDER",
            "movie": [],
            "entity_link": [],
            "entity_name": [],
            "movie_link": [],
            "movie_name": [],
        },
        {
            "text": "I loved Toy Story as a kid",
            "role": "SEEKER",
            "movie": ["Toy Story (1995)"],
            "entity_link": [],
            "entity_name": [],
            "movie_link": [],
            "movie_name": [],
        },
    ],
]

DEV_TSV_HEADER = "dialog_id\tutt_id\tspeaker\tturn_id\ttext\ttext_with_placeholder\tmovies\tgenres\tpeople_names\tmovie_dict\tgenre_dict\tactor_dict\tdirector_dict\tothers_dict\texpert_label\tsecond_label\tfine_label\tcoarse_label\tmovie_id"
DEV_TSV_ROWS = [
    "20191202-103716_425_live.pkl\t13\tSEEKER\t5\tI guess the QUOTATION_MARKfutureQUOTATION_MARK portrayed seemed a little dated\tI guess the \"future\" portrayed seemed a little dated\tThe Future (2011)\t\t\t{'Full Metal Jacket (1987)': 0}\t{'drama': 0}\t{}\t{}\t\t\t\taccept_rating_good\taccept_new\tKs_MbPPkhmA",
    "20191128-213320_959_live.pkl\t18\tRECOMMENDER\t6\tMine is the Shawshank Redemption.\t[MOVIE_TITLE_3] is the [MOVIE_TITLE_4]\tThe Shawshank Redemption (1994); Mine (2016)\t\t\t{'Mine (2016)': 4}\t{'action': 0}\t{'Tom Hanks': 0}\t{}\t\tpersonal_opinion\t\taccept_rating_good\taccept_new\tlZHUmQ-dCXM",
]

CFCRS_VALID = {
    "dialog_id": "20191202-103716_425_live.pkl",
    "dialog": [
        {
            "role": "RECOMMENDER",
            "text": "Full Metal Jacket",
            "text_template": "<movie>",
            "word": [],
            "entity": [],
            "movie": ["Full Metal Jacket (1987)"],
            "flow": ["Full Metal Jacket (1987)"],
        }
    ],
}

KG_ENTITY2ID = {
    "Knives Out (2019)": 0,
    "Ana de Armas": 1,
    "Chris Evans": 2,
    "Rian Johnson": 3,
    "comedy": 4,
    "mystery": 5,
    "Toy Story (1995)": 6,
    "Tom Hanks": 7,
    "John Lasseter": 8,
    "family": 9,
}
KG_ENTITY2TYPE = {
    "Knives Out (2019)": "movie",
    "Ana de Armas": "person",
    "Chris Evans": "person",
    "Rian Johnson": "person",
    "comedy": "genre",
    "mystery": "genre",
    "Toy Story (1995)": "movie",
    "Tom Hanks": "person",
    "John Lasseter": "person",
    "family": "genre",
}
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

ML_SMALL_TAGS = "userId,movieId,tag,timestamp\r\n62,2,fantasy,1528843929\r\n62,2,magic board game,1528843932\r\n62,2,Robin Williams,1528843907\r\n336,1,pixar,1139045764\r\n474,2,game,1137375552\r\n"

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
        "movielens/ml-latest-small/tags.csv": ML_SMALL_TAGS,
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
