"""The naive pipeline a user would write first, for comparison: everything in pandas."""

import sys

import pandas as pd
from sqlite_utils import Database
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

source, database = sys.argv[1], sys.argv[2]
analyzer = SentimentIntensityAnalyzer()
df = pd.read_json(source, lines=True)
scores = df.text.apply(analyzer.polarity_scores).apply(pd.Series)
df = pd.concat([df, scores], axis=1)
df["tags"] = df["tags"].apply(",".join)
Database(database)["posts"].insert_all(df.to_dict("records"), pk=("platform", "id"))
