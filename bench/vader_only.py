"""vaderSentiment alone, on one core, over the corpus texts: the scoring floor."""

import json
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

analyzer = SentimentIntensityAnalyzer()
with open(sys.argv[1], encoding="utf-8") as handle:
    texts = [json.loads(line)["text"] for line in handle]
for text in texts:
    analyzer.polarity_scores(text)
