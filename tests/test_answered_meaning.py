""""Answered" means an answer *text* for the status (stats, --status, statut:) and a published answer *date* for
the delays (issue 19, item 9): both views show both, so their figures reconcile."""
import datetime as dt
import json

from click.testing import CliRunner

from parlsearch.index.update import update_index
from parlsearch.search.cli.app import cli
from parlsearch.search.engine.counting import count_matches
from parlsearch.search.engine.delays import ALL, answer_delays

FAR = "2030-01-01"  # as of a date after every answer


def _record(moncode, *, text, date, minister="Anne Ministre - Ministre"):
    rec = {"moncode": str(moncode), "titre": "Question écrite concernant le cas %d" % moncode,
           "question": "Cas %d ?" % moncode, "auteur": "Un Auteur", "destinataire": minister,
           "date_reception": "2026-01-01"}
    if text:
        rec["reponse"] = "Réponse."
    if date:
        rec["date_reponse"] = "2026-02-01"
    return rec


def _index(tmp_path):
    records = [_record(1, text=True, date=True), _record(2, text=False, date=True),
               _record(3, text=True, date=False), _record(4, text=False, date=False)]
    src = tmp_path / "q.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    update_index([src], tmp_path / "ix")
    return tmp_path / "ix"


def _stats(index, *args):
    return CliRunner().invoke(cli, ["stats", "--index", str(index), *args])


def test_both_views_say_how_many_are_answered_by_date_but_not_by_text(tmp_path):
    index = _index(tmp_path)
    by_status = _stats(index, "--by", "minister,status")
    assert "Anne Ministre" in by_status.output
    row = next(line for line in by_status.output.splitlines() if "Anne Ministre" in line)
    assert row.split()[-3:] == ["2", "2", "4"]  # answered (a text) 2, unanswered 2
    assert "1 unanswered here has a published answer date, which stats --delays counts as answered" \
        in by_status.output
    delays = _stats(index, "--delays", "--as-of", FAR)
    row = next(line for line in delays.output.splitlines() if "Anne Ministre" in line).split()
    assert row[2:4] == ["2", "1"]  # answered (a date) 2, of which 1 without its text
    assert "no text: 1 of them without the answer text yet" in delays.output
    data = json.loads(_stats(index, "--delays", "--json", "--as-of", FAR).output)
    assert data["ministers"][0]["answered_without_text"] == 1
    assert json.loads(_stats(index, "--json", "*").output)["answered_without_text"] == 1


def test_nothing_to_reconcile_says_nothing(tmp_path):
    index = _index(tmp_path)
    out = _stats(index, "cas", "--status", "answered").output
    assert "published answer date" not in out
    assert "without the answer text" not in _stats(index, "--delays", "--as-of", FAR, "cas", "--status",
                                                   "answered").output


def test_the_two_counts_reconcile_for_every_minister_of_the_bundled_corpus(engine):
    """answered by text = answered by date − those without text + those with a text but no date."""
    delays = {r.minister: r for r in answer_delays(engine, as_of=dt.date(2030, 1, 1)).rows}
    assert delays[ALL].answered_without_text > 0  # the bundled corpus has such questions
    counts = count_matches(engine, "", None, facets=("status",), by=("minister", "status"))
    assert counts.answered_without_text == delays[ALL].answered_without_text
    for minister, row in delays.items():
        if minister == ALL:
            continue
        by_text = counts.cross[minister].get("answered", 0)
        assert row.inconsistent == row.undated == 0
        assert by_text == row.answered - row.answered_without_text + row.answered_undated, minister
