"""How people address questions: numbers, codes and pasted links (identify.py), dates, status and type words
in words (understand.py, understand_words.py), bare words and joined forms (bare_words.py), and the reading
reported back to the user (understood.py). The engine (../engine) applies a reading before it plans."""
