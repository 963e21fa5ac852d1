"""The vocabularies of query understanding (understand.py), in one place: month names, date and
status phrases, the words that name a document type, the boilerplate of a parliamentary question, and the
cues that introduce a question's number — in French, Dutch and English, folded (lower case, no accents),
as the reader compares them.

Each phrase is a tuple of folded words; an elided article is its own word ("d'" in "d'aout"). What each
one means is the key or the value beside it; understand.py holds only the rules that combine them.
"""
from __future__ import annotations

#: Month names and their usual abbreviations → month number.
MONTHS = {
    # French
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
    # Dutch
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4, "apr": 4, "mei": 5,
    "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8, "september": 9, "sep": 9,
    "oktober": 10, "okt": 10, "november": 11, "december": 12,
    # English
    "january": 1, "february": 2, "march": 3, "mar": 3, "may": 5, "june": 6, "july": 7, "august": 8,
    "october": 10,
}
#: A month name that is also a common word is read as a month only after a date cue or before a year.
AMBIGUOUS_MONTHS = frozenset({"mars", "mai", "may", "mar", "dec", "jan", "sep", "sept", "oct", "nov", "feb",
                              "aug", "jun", "jul", "apr", "mei"})

#: Words before a date saying which end of a range it is. "in": the whole period; "since"/"until": from or
#: to it, included; "after"/"before": from or to it, excluded.
DATE_CUES = {
    ("en",): "in", ("in",): "in", ("au", "cours", "de"): "in", ("pendant",): "in", ("durant",): "in",
    ("courant",): "in", ("during",): "in", ("tijdens",): "in", ("dans", "le", "courant", "de"): "in",
    ("depuis",): "since", ("depuis", "le"): "since", ("a", "partir", "de"): "since", ("a", "partir", "du"): "since",
    ("des",): "since", ("since",): "since", ("from",): "since", ("sinds",): "since", ("vanaf",): "since",
    ("sedert",): "since",
    ("apres",): "after", ("after",): "after", ("na",): "after",
    ("avant",): "before", ("before",): "before", ("voor",): "before",
    ("jusqu'", "en"): "until", ("jusqu'", "a"): "until", ("jusqu'", "au"): "until", ("jusque",): "until",
    ("until",): "until", ("till",): "until", ("tot",): "until", ("tot", "en", "met"): "until",
}
#: Cues that name a period only right after a word saying which date it is ("réponses de 2025", "questions
#: d'août 2026"): alone, "de 2025" is as often a topic ("le budget de 2025").
WEAK_DATE_CUES = {("de",): "in", ("d'",): "in", ("du",): "in", ("of",): "in", ("van",): "in"}
#: "between A and B".
BETWEEN = (("entre",), ("between",), ("tussen",))
AND_WORDS = frozenset({"et", "and", "en"})

#: Periods relative to today: phrase → (unit, how many units back).
RELATIVE_PERIODS = {
    ("cette", "annee"): ("year", 0), ("this", "year"): ("year", 0), ("dit", "jaar"): ("year", 0),
    ("l'annee", "derniere"): ("year", 1), ("l'an", "dernier"): ("year", 1), ("l'annee", "passee"): ("year", 1),
    ("annee", "derniere"): ("year", 1), ("last", "year"): ("year", 1), ("vorig", "jaar"): ("year", 1),
    ("verleden", "jaar"): ("year", 1),
    ("ce", "mois-ci"): ("month", 0), ("ce", "mois"): ("month", 0), ("this", "month"): ("month", 0),
    ("deze", "maand"): ("month", 0), ("le", "mois", "dernier"): ("month", 1), ("le", "mois", "passe"): ("month", 1),
    ("mois", "dernier"): ("month", 1), ("last", "month"): ("month", 1), ("vorige", "maand"): ("month", 1),
}

#: Words saying that a date is the question's reception ("déposées en juin") or its answer's ("réponses
#: de 2025"); they are read only next to a date (or, for statuses, below).
RECEIVED_WORDS = frozenset({
    "deposee", "deposees", "depose", "deposes", "posee", "posees", "pose", "poses", "introduite", "introduites",
    "recue", "recues", "envoyee", "envoyees", "adressee", "adressees",
    "submitted", "asked", "filed", "tabled", "received", "sent",
    "ingediend", "ingediende", "gesteld", "gestelde", "ontvangen", "verstuurd",
})
ANSWER_WORDS = frozenset({
    "reponse", "reponses", "publiee", "publiees", "answer", "answers", "published", "antwoord",
    "antwoorden", "gepubliceerd", "gepubliceerde",
})
#: Words for "questions" that a date may follow ("questions de 2025"): the reception date.
QUESTION_WORDS = frozenset({"question", "questions", "qe", "qo", "vraag", "vragen", "interpellation",
                            "interpellations", "interpellatie", "interpellaties"})

#: Status phrases → status (longest phrases are tried first).
STATUS_PHRASES = {
    ("sans", "reponse"): "unanswered", ("sans", "reponses"): "unanswered", ("non", "repondue"): "unanswered",
    ("non", "repondues"): "unanswered", ("non-repondue",): "unanswered", ("non-repondues",): "unanswered",
    ("non", "repondu"): "unanswered", ("non", "repondus"): "unanswered", ("pas", "de", "reponse"): "unanswered",
    ("pas", "encore", "de", "reponse"): "unanswered", ("en", "attente", "de", "reponse"): "unanswered",
    ("restees", "sans", "reponse"): "unanswered", ("restee", "sans", "reponse"): "unanswered",
    ("unanswered",): "unanswered", ("not", "answered"): "unanswered", ("not", "yet", "answered"): "unanswered",
    ("without", "answer"): "unanswered", ("without", "an", "answer"): "unanswered", ("no", "answer"): "unanswered",
    ("onbeantwoord",): "unanswered", ("onbeantwoorde",): "unanswered", ("niet", "beantwoord"): "unanswered",
    ("niet", "beantwoorde"): "unanswered", ("nog", "niet", "beantwoord"): "unanswered",
    ("zonder", "antwoord"): "unanswered",
    ("repondue",): "answered", ("repondues",): "answered", ("avec", "reponse"): "answered",
    ("ayant", "recu", "une", "reponse"): "answered", ("answered",): "answered", ("with", "an", "answer"): "answered",
    ("beantwoord",): "answered", ("beantwoorde",): "answered", ("met", "antwoord"): "answered",
}

#: Phrases that name a document type → the type (search filters on it when the index holds that type).
TYPE_PHRASES = {
    ("question", "ecrite"): "written_question", ("questions", "ecrites"): "written_question",
    ("qe",): "written_question", ("written", "question"): "written_question",
    ("written", "questions"): "written_question", ("schriftelijke", "vraag"): "written_question",
    ("schriftelijke", "vragen"): "written_question",
    ("question", "orale"): "oral_question", ("questions", "orales"): "oral_question", ("qo",): "oral_question",
    ("oral", "question"): "oral_question", ("oral", "questions"): "oral_question",
    ("mondelinge", "vraag"): "oral_question", ("mondelinge", "vragen"): "oral_question",
    ("question", "d'actualite"): "topical_question", ("questions", "d'actualite"): "topical_question",
    ("actualiteitsvraag",): "topical_question", ("dringende", "vraag"): "topical_question",
    ("interpellation",): "interpellation", ("interpellations",): "interpellation",
    ("interpellatie",): "interpellation", ("interpellaties",): "interpellation",
    ("demande", "d'explications"): "request_for_explanation", ("demande", "d'explication"): "request_for_explanation",
    ("demandes", "d'explications"): "request_for_explanation", ("vraag", "om", "uitleg"): "request_for_explanation",
}
#: Words every document could be described by: they carry no weight ("question sur …", "la réponse du
#: ministre concernant …").
BOILERPLATE_PHRASES = (
    ("reponse", "du", "ministre"), ("reponse", "de", "la", "ministre"), ("reponses", "du", "ministre"),
    ("reponses", "de", "la", "ministre"), ("reponse", "ministerielle"), ("antwoord", "van", "de", "minister"),
    ("antwoorden", "van", "de", "minister"), ("answer", "of", "the", "minister"), ("answer", "from", "the", "minister"),
    ("minister's", "answer"), ("question", "parlementaire"), ("questions", "parlementaires"),
    ("parlementaire", "vraag"), ("parlementaire", "vragen"), ("parliamentary", "question"),
    ("parliamentary", "questions"), ("question",), ("questions",), ("vraag",), ("vragen",),
)
#: Words that join a type or boilerplate phrase to its subject ("question écrite concernant …"): dropped
#: with the phrase they follow.
SUBJECT_LINKS = frozenset({"concernant", "relative", "relatives", "relatif", "relatifs", "sur", "about", "on",
                           "regarding", "concerning", "over", "betreffende", "inzake", "omtrent", "a", "au",
                           "aux", "propos", "de"})

#: Words that introduce a question's number ("question 1234", "QE n° 12", "vraag nr. 5").
NUMBER_MARKS = frozenset({"n", "no", "n°", "n.", "nr", "nr.", "num", "numero", "number", "nummer", "#"})
NUMBER_CUES = frozenset({"question", "qe", "qo", "q", "q.", "vraag", "interpellation", "interpellatie"})

#: Words saying that a pair of years is a session or a legislature, and that a legislature is today's.
SESSION_WORDS = frozenset({"session", "sessions", "zitting", "zittingsjaar", "parliamentary-year"})
LEGISLATURE_WORDS = frozenset({"legislature", "legislatures", "legislatuur", "zittingsperiode"})
CURRENT_WORDS = frozenset({"cette", "actuelle", "en", "cours", "deze", "huidige", "this", "current"})
PREVIOUS_WORDS = frozenset({"precedente", "derniere", "vorige", "previous", "last"})

#: English function words: the corpus is French and Dutch, so an English query's "about" or "the" would
#: otherwise weigh as unknown words.
#: Left out: words that are also French or Dutch words ("an", "or", "are", "for", "do").
ENGLISH_STOPWORDS = frozenset({
    "the", "of", "about", "to", "and", "with", "by", "from", "at", "was", "were", "been", "which", "what", "who",
    "whom", "how", "many", "much", "did", "does", "has", "have", "had", "that", "this", "these", "those", "its",
    "their", "there", "any", "all", "some",
})
